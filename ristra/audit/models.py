"""The append-only audit log.

Every view and export of an individual's identity data, and every change, writes one
entry: who, what, when, why. Nothing in the application can edit or delete an entry: the
model refuses updates and deletes, and so do its QuerySets.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    pass


class Action(models.TextChoices):
    VIEW = "view", _("Viewed")
    SEARCH = "search", _("Searched")
    EXPORT = "export", _("Exported")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    IMPORT = "import", _("Imported")
    ROLLBACK = "rollback", _("Rolled back")
    LOGIN = "login", _("Signed in")
    DENIED = "denied", _("Access denied")


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("The audit log cannot be edited.")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("The audit log cannot be deleted from.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("The audit log cannot be edited.")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The username as it was, so the entry reads the same after a rename.
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("what (type)"), max_length=64, db_index=True)
    object_id = models.CharField(_("what (id)"), max_length=64, blank=True, db_index=True)
    summary = models.CharField(_("what"), max_length=500)
    reason = models.CharField(_("why"), max_length=300, blank=True)
    path = models.CharField(_("page"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)

    objects = AppendOnlyQuerySet["AuditEvent"].as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("The audit log cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("The audit log cannot be deleted from.")


class AuditPerson(models.Model):  # noqa: DJ008
    """One row per person shown in an audited event, so "who saw this person" is a lookup."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="persons")
    person_id = models.BigIntegerField(db_index=True)

    objects = AppendOnlyQuerySet["AuditPerson"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person_id"], name="audit_person_once")
        ]
