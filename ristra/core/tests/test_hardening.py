"""Production settings, security headers, upload limits and type checks, no secrets in logs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ristra.core.logging import REDACTED, RedactSecrets, redact

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION = {
    "RISTRA_ENV": "production",
    "RISTRA_SECRET_KEY": "k7Vq2-test-only-" + "x9Rt4pL0wZs8" * 5,
    "RISTRA_ALLOWED_HOSTS": "ristra.example.edu",
    "DATABASE_URL": "postgres://ristra@127.0.0.1:5432/ristra",
    "RISTRA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "RISTRA_SITE_URL": "https://ristra.example.edu",
}


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    skip = {"PYTEST_VERSION", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by browser tests
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(env_extra)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_is_clean_under_production_settings() -> None:
    done = _run(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_production_turns_on_https_only_cookies_hsts_and_the_redirect() -> None:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'ristra.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    done = _run(PRODUCTION, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


def test_production_refuses_debug_with_a_clear_message() -> None:
    done = _run({**PRODUCTION, "RISTRA_DEBUG": "true"}, "manage.py", "check")
    assert done.returncode != 0
    assert "RISTRA_DEBUG must be off when RISTRA_ENV=production" in done.stderr


def test_ristra_check_deploy_names_what_to_change_in_development() -> None:
    err = io.StringIO()
    call_command("check", deploy=True, fail_level="CRITICAL", stderr=err, stdout=io.StringIO())
    text = err.getvalue()
    expected = ["ristra.W001", "ristra.W005"]
    if connection.vendor == "sqlite":  # W002: SQLite is not for production
        expected.append("ristra.W002")
    for code in expected:
        assert code in text


def test_ristra_check_maps_to_django_check_with_ristras_checks() -> None:
    done = _run({}, "-m", "ristra.cli", "check", "--deploy")
    assert "ristra.W001" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client_for: Any) -> None:
    response = client_for("analyst").get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_cms_is_left_out_of_the_enforced_policy(client_for: Any) -> None:
    response = client_for("admin").get("/cms/")
    assert "Content-Security-Policy" not in response


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_with_413_and_logged(
    client_for: Any, settings: Any, caplog: Any
) -> None:
    settings.RISTRA_MAX_UPLOAD_MB = 1
    body = b"EMPLID\n" + b"E0000001\n" * (300 * 1024)  # 2.7 MB
    with caplog.at_level(logging.WARNING, logger="ristra.requests"):
        response = client_for("analyst").post(
            reverse("people:import_upload"),
            {"kind": "faculty", "file": SimpleUploadedFile("big.csv", body)},
        )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert any("Refused a 2.6 MB upload" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------------------
# No secrets in logs

SECRET = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="\"',;&}]"),
    min_size=6,
    max_size=40,
)


@given(
    key=st.sampled_from(
        ["password", "new_password1", "api_key", "token", "sessionid", "csrftoken", "secret"]
    ),
    value=SECRET,
    sep=st.sampled_from(["=", ": ", '": "']),
)
def test_redact_never_lets_a_secret_value_through(key: str, value: str, sep: str) -> None:
    quote = '"' if sep == '": "' else ""
    line = f"login failed {quote}{key}{sep}{value}{quote} for user ana"
    cleaned = redact(line)
    assert value not in cleaned
    assert REDACTED in cleaned
    assert cleaned.endswith("for user ana")


def test_redact_covers_headers_and_database_urls() -> None:
    text = (
        "Authorization: Bearer abc.def.ghi Cookie=sessionid=s3cr3tv4lue "
        "DATABASE_URL=postgres://ristra:hunter22@db:5432/ristra"
    )
    cleaned = redact(text)
    for secret in ("abc.def.ghi", "s3cr3tv4lue", "hunter22"):
        assert secret not in cleaned
    assert "postgres://ristra:[redacted]@db:5432/ristra" in cleaned


def test_the_console_log_handler_redacts_messages_arguments_and_tracebacks() -> None:
    root = logging.getLogger()
    handler = next(h for h in root.handlers if any(isinstance(f, RedactSecrets) for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logger = logging.getLogger("ristra.test")
        logger.error("sign-in with %s", "password=Tr0ub4dor&3")
        try:
            raise ValueError("token=eyJhbGciOi.secret.part")
        except ValueError:
            logger.exception("failed")
    finally:
        handler.setStream(old)  # type: ignore[attr-defined]
    out = stream.getvalue()
    assert "Tr0ub4dor" not in out
    assert "eyJhbGciOi" not in out
    assert out.count(REDACTED) >= 2


@pytest.mark.parametrize(
    ("count", "forwarded", "seen"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy configured: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left part is ignored
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "127.0.0.1"),  # fewer hops than proxies: not trusted
    ],
)
def test_the_visitor_address_comes_from_the_trusted_proxy_only(
    settings: Any, count: int, forwarded: str, seen: str
) -> None:
    from django.test import RequestFactory

    from ristra.core.middleware import ProxiedClientAddressMiddleware

    settings.RISTRA_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    ProxiedClientAddressMiddleware(lambda r: HttpResponse(r.META["REMOTE_ADDR"]))(request)
    assert request.META["REMOTE_ADDR"] == seen


@pytest.mark.django_db
def test_public_form_limits_count_each_visitor_behind_the_proxy_separately(
    settings: Any,
) -> None:
    from django.test import RequestFactory

    from ristra.core.middleware import ProxiedClientAddressMiddleware
    from ristra.portal.views import RATE_LIMITS, rate_limited

    settings.RISTRA_TRUSTED_PROXY_COUNT = 1
    limit, _ = RATE_LIMITS["contact"]

    def visit(address: str) -> bool:
        request = RequestFactory().post("/contact/", HTTP_X_FORWARDED_FOR=address)
        ProxiedClientAddressMiddleware(lambda r: HttpResponse())(request)
        return rate_limited(request, "contact")

    assert [visit("203.0.113.9") for _ in range(limit + 1)][-1] is True
    assert visit("198.51.100.4") is False  # another visitor still has the allowance
