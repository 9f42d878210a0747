"""A real OpenID Connect provider for the sign-on tests, run on loopback in its own process.

django-oauth-toolkit in OIDC mode, configured as a tiny Django project of its own (so it
cannot share the test process's settings). Run as a script::

    python -m ristra.accounts.tests.oidc_provider SPEC.json

SPEC.json names the database file, the users (username, password, email, groups) and the
clients (client id, secret, redirect URI, and ``forge``: how this client's ID tokens are
deliberately broken, for the negative tests: ``signature`` signs with a key the provider
does not publish, ``audience`` names another client, ``expired`` is past its expiry).
The script prints ``PORT <n>`` once it is serving on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

FORGED_BY_CLIENT: dict[str, str] = {}


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _configure(spec: dict[str, Any]) -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="loopback-oidc-provider-for-tests",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": spec["database"]}},
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
            }
        ],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGIN_URL="/login/",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": _rsa_pem(),
            "PKCE_REQUIRED": True,
            "SCOPES": {"openid": "OpenID", "profile": "Profile", "email": "E-mail"},
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.Validator",
        },
    )


def _validator_class() -> type:
    from jwcrypto import jwk, jwt
    from oauth2_provider.oauth2_validators import OAuth2Validator

    other_key = jwk.JWK.generate(kty="RSA", size=2048)

    class Validator(OAuth2Validator):  # type: ignore[misc]
        oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

        def get_additional_claims(self, request: Any) -> dict[str, Any]:
            user = request.user
            return {
                "preferred_username": user.username,
                "given_name": user.first_name,
                "family_name": user.last_name,
                "email": user.email,
                "email_verified": True,
                "groups": sorted(user.groups.values_list("name", flat=True)),
            }

        def finalize_id_token(
            self, id_token: Any, token: Any, token_handler: Any, request: Any
        ) -> str:
            forge = FORGED_BY_CLIENT.get(request.client_id, "")
            if not forge:
                return str(super().finalize_id_token(id_token, token, token_handler, request))
            claims, _ = self.get_id_token_dictionary(token, token_handler, request)
            id_token.update(**claims)
            if "nonce" not in id_token and request.nonce:
                id_token["nonce"] = request.nonce
            key = request.client.jwk_key
            header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
            if forge == "audience":
                id_token["aud"] = "some-other-application"
            elif forge == "expired":
                id_token["iat"] = int(time.time()) - 7200
                id_token["exp"] = int(time.time()) - 3600
            elif forge == "signature":
                key = other_key  # same kid, key the provider never published
            signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
            signed.make_signed_token(key)
            return str(signed.serialize())

    return Validator


Validator: Any = None
urlpatterns: list[Any] = []


def _login_page(request: Any) -> Any:
    from django.contrib.auth import authenticate, login
    from django.http import HttpResponse, HttpResponseRedirect
    from django.middleware.csrf import get_token
    from django.utils.html import escape

    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if request.method == "POST":
        user = authenticate(
            request, username=request.POST.get("username"), password=request.POST.get("password")
        )
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(next_url)
    return HttpResponse(
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="'
        f'{get_token(request)}"><input type="hidden" name="next" value="{escape(next_url)}">'
        '<input name="username"><input type="password" name="password"></form>'
    )


def _set_up(spec: dict[str, Any]) -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for entry in spec["users"]:
        user = User.objects.create_user(
            entry["username"],
            email=entry.get("email", ""),
            password=entry["password"],
            first_name=entry.get("first_name", ""),
            last_name=entry.get("last_name", ""),
        )
        for name in entry.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for client in spec["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=client["redirect_uri"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
        if client.get("forge"):
            FORGED_BY_CLIENT[client["client_id"]] = client["forge"]


def main(spec_path: str) -> None:
    global Validator
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    _configure(spec)
    import django

    django.setup()
    Validator = _validator_class()
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    urlpatterns.extend(
        [
            path("login/", _login_page),
            path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
        ]
    )
    _set_up(spec)

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Threaded(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=Threaded, handler_class=Quiet
    )
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
