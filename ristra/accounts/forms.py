from __future__ import annotations

import logging
from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ristra.accounts.models import Role, User

logger = logging.getLogger("ristra.accounts.sso")


class UserForm(forms.ModelForm):  # type: ignore[type-arg]
    password = forms.CharField(
        label=_("New password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password. At least 12 characters."),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "is_decision_maker",
            "programs",
            "is_active",
        ]
        widgets = {"programs": forms.CheckboxSelectMultiple}

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if not password and not self.instance.pk:
            raise forms.ValidationError(_("A new account needs a password."))
        if password:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password, self.instance)
        return password

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
            self.save_m2m()
        return user


class LoginForm(AllauthLoginForm):  # type: ignore[misc]
    """Password sign-in, refused when local accounts are turned off.

    With ``RISTRA_LOCAL_LOGIN=off`` only the administrators named in
    ``RISTRA_BREAK_GLASS_USERS`` may still sign in with a password (an emergency way in
    when the campus identity provider is down); everyone else is sent to single sign-on.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.local_login = bool(settings.RISTRA_LOCAL_LOGIN)

    def clean(self) -> Any:
        cleaned = super().clean()
        if self.local_login:
            return cleaned
        user = getattr(self, "user", None)
        allowed = (
            user is not None
            and user.username in settings.RISTRA_BREAK_GLASS_USERS
            and user.role == Role.ADMINISTRATOR
        )
        if not allowed:
            logger.warning(
                "Password sign-in refused for %r: local accounts are turned off",
                getattr(user, "username", None) or self.cleaned_data.get("login", ""),
            )
            raise forms.ValidationError(
                _(
                    "Sign-in with a Ristra password is turned off here. Use your campus "
                    "sign-in button above."
                )
            )
        return cleaned


class ResetPasswordForm(AllauthResetPasswordForm):  # type: ignore[misc]
    """No password resets by e-mail while local accounts are turned off.

    Break-glass administrators reset theirs on the server (``manage.py changepassword``), so
    the form cannot tell anyone which accounts still have a password.
    """

    def clean_email(self) -> Any:
        if not settings.RISTRA_LOCAL_LOGIN:
            raise forms.ValidationError(
                _(
                    "Passwords are turned off here, so there is nothing to reset. Use your "
                    "campus sign-in; your campus IT help desk can reset that password."
                )
            )
        return super().clean_email()
