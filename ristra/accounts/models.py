"""Staff accounts and roles.

A user has one role and may carry the decision-maker flag, which walls them off from every
demographic field and aggregate whatever their role. What each role may do is decided in
one place: ``ristra.accounts.access``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    ANALYST = "analyst", _("Analyst")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    VIEWER = "viewer", _("Viewer")
    #: a mentor or mentee (resident, fellow, faculty) with no office role: mentoring only
    PARTICIPANT = "participant", _("Mentoring participant")


#: The office roles: every role but the participant's.
STAFF_ROLES = (Role.ADMINISTRATOR, Role.ANALYST, Role.PROGRAM_MANAGER, Role.VIEWER)


class ProgramScope(models.Model):
    """A named program a program manager may be scoped to.

    Mentoring and pathway programs refer to a scope by its slug, so a manager's reach is
    declared once here, before those programs exist.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("program scope")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.VIEWER, db_index=True
    )
    is_decision_maker = models.BooleanField(
        _("decision-maker"),
        default=False,
        help_text=_(
            "Takes part in admission, hiring or selection decisions: never sees demographic "
            "fields or demographic aggregates, whatever the role."
        ),
    )
    programs = models.ManyToManyField(
        ProgramScope,
        blank=True,
        related_name="managers",
        verbose_name=_("programs managed"),
        help_text=_("For program managers: the programs they may manage."),
    )

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else "—"
