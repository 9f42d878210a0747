"""Bearer tokens: only the digest is stored; missing, malformed, unknown, expired and
revoked tokens get 401 with a JSON reason and a log line without the secret."""

from __future__ import annotations

import datetime as dt
import logging
import string
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.api.models import ApiToken
from ristra.api.services import TOKEN_PATTERN, TokenRejected, token_authenticate, token_create
from ristra.audit.models import AuditEvent

URL = "/api/reports/"


@pytest.mark.django_db
def test_it_stores_only_a_digest_of_the_secret(cast: dict[str, Any]) -> None:
    new = token_create(user=cast["analyst"], name="nightly", days=30)
    row = ApiToken.objects.get()
    match = TOKEN_PATTERN.match(new.secret)
    assert match is not None
    assert match["secret"] not in str(ApiToken.objects.values().get())
    assert row.digest != new.secret and len(row.digest) == 64
    assert row.prefix in new.secret
    assert AuditEvent.objects.filter(action="create", object_type="api_token").count() == 1


@pytest.mark.django_db
def test_a_valid_token_acts_as_its_owner(client: Any, bearer: Any) -> None:
    response = client.get(URL, headers=bearer("analyst"))
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("Basic YWxpY2U6c2VjcmV0", "malformed"),
        ("Bearer", "malformed"),
        ("Bearer not-a-token", "malformed"),
        ("Bearer ristra_0123456789ab_" + "A" * 43, "unknown"),
    ],
)
def test_it_rejects_bad_headers_with_401_and_a_reason(
    client: Any, cast: dict[str, Any], caplog: Any, header: str | None, reason: str
) -> None:
    headers = {"Authorization": header} if header else {}
    with caplog.at_level(logging.WARNING, logger="ristra.api"):
        response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]
    assert f"API token rejected: {reason}" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["expired", "revoked", "inactive_user"])
def test_it_rejects_tokens_no_longer_usable(
    client: Any, cast: dict[str, Any], caplog: Any, state: str
) -> None:
    new = token_create(user=cast["analyst"], name="old", days=30)
    token = new.token
    if state == "expired":
        token.expires_at = timezone.now() - dt.timedelta(seconds=1)
        token.save()
    elif state == "revoked":
        token.revoked_at = timezone.now()
        token.save()
    else:
        cast["analyst"].is_active = False
        cast["analyst"].save()
    with caplog.at_level(logging.WARNING, logger="ristra.api"):
        response = client.get(URL, headers={"Authorization": f"Bearer {new.secret}"})
    assert response.status_code == 401
    assert f"API token rejected: {state} (prefix {token.prefix})" in caplog.text
    match = TOKEN_PATTERN.match(new.secret)
    assert match is not None
    secret = match["secret"]  # 43 characters; it may itself contain "_"
    assert secret not in caplog.text  # the secret is never logged
    assert secret not in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_secret_with_a_known_prefix_is_unknown(cast: dict[str, Any]) -> None:
    new = token_create(user=cast["analyst"], name="x", days=None)
    forged = new.secret[:-1] + ("A" if new.secret[-1] != "A" else "B")
    with pytest.raises(TokenRejected) as info:
        token_authenticate(forged)
    assert info.value.reason == "unknown"
    assert token_authenticate(new.secret).pk == new.token.pk


@given(text=st.text(alphabet=string.printable, max_size=80))
@settings(max_examples=200, deadline=None)
def test_malformed_text_never_reaches_the_database(text: str) -> None:
    """Anything not shaped like a token is refused before any lookup (no database here)."""
    if TOKEN_PATTERN.match(text):
        return
    with pytest.raises(TokenRejected) as info:
        token_authenticate(text)
    assert info.value.reason == "malformed"
