from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ristra.accounts import access
from ristra.accounts.forms import UserForm
from ristra.accounts.models import User
from ristra.accounts.services import login_lockout_clear
from ristra.audit.models import Action
from ristra.audit.services import audit_record


@access.permission_required(access.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/users.html",
        {
            "section": "users",
            "users": User.objects.prefetch_related("programs").order_by("username"),
        },
    )


@access.permission_required(access.MANAGE_USERS)
def user_edit(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id) if user_id else None
    before = (
        {
            "role": account.role,
            "decision_maker": account.is_decision_maker,
            "active": account.is_active,
        }
        if account
        else None
    )
    form = UserForm(request.POST or None, instance=account)
    for field in form.fields.values():
        widget = field.widget
        if widget.__class__.__name__ == "Select":
            widget.attrs.setdefault("class", "usa-select")
        elif widget.__class__.__name__ in {"TextInput", "EmailInput", "PasswordInput"}:
            widget.attrs.setdefault("class", "usa-input")
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        after = {
            "role": saved.role,
            "decision_maker": saved.is_decision_maker,
            "active": saved.is_active,
        }
        audit_record(
            actor=request.user,
            action=Action.UPDATE if account else Action.CREATE,
            object_type="user",
            object_id=saved.pk,
            summary=(
                f"{'Changed' if account else 'Created'} account {saved.username}: {after}"
                + (f" (was {before})" if before and before != after else "")
            ),
            request=request,
        )
        messages.success(request, _("Account saved."))
        return redirect("accounts:users")
    return render(
        request, "accounts/user_edit.html", {"section": "users", "form": form, "account": account}
    )


@access.permission_required(access.MANAGE_USERS)
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id)
    if request.method == "POST":
        login_lockout_clear(account, request)
        audit_record(
            actor=request.user,
            action=Action.UPDATE,
            object_type="user",
            object_id=account.pk,
            summary=f"Cleared the sign-in lockout of {account.username}",
            request=request,
        )
        messages.success(request, _("The account can sign in again."))
    return redirect("accounts:users")
