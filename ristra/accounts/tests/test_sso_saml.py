"""SAML 2.0 sign-on, end to end against a real identity provider on loopback.

The IdP (pysaml2, ``saml_idp.py``) runs in a thread on 127.0.0.1 and signs with its own
key pair; Ristra (allauth + python3-saml) sends the request, and checks the signed
assertion posted back to its assertion consumer service. The forged answers are signed
with another key, addressed to another service, or expired.
"""

from __future__ import annotations

import logging
import os
import re
from html import unescape
from typing import Any

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from ristra.accounts.models import Role, User
from ristra.accounts.sso import SAML_ATTRIBUTES, SAML_GROUPS_ATTRIBUTE
from ristra.accounts.tests.saml_idp import XMLSEC1, LoopbackIdP
from ristra.audit.models import AuditEvent

if XMLSEC1 is None:
    if os.environ.get("CI"):
        raise RuntimeError("The SAML sign-on tests need xmlsec1: apt-get install -y xmlsec1")
    pytest.skip("xmlsec1 is not installed (apt-get install -y xmlsec1)", allow_module_level=True)

USERS = {
    "rosa": {
        "username": "rosa",
        "password": "rosa-password-1",
        "attributes": {
            "eduPersonPrincipalName": ["rosa@campus.example.edu"],
            "mail": ["rosa@campus.example.edu"],
            "givenName": ["Rosa"],
            "sn": ["Parks-Ortiz"],
            "isMemberOf": ["som-dei-program-managers", "admissions-committee"],
        },
    },
    "tom": {
        "username": "tom",
        "password": "tom-password-1",
        "attributes": {
            "eduPersonPrincipalName": ["tom@campus.example.edu"],
            "mail": ["tom@campus.example.edu"],
            "isMemberOf": ["library-staff"],
        },
    },
}


@pytest.fixture(scope="module")
def idp(tmp_path_factory: Any) -> Any:
    server = LoopbackIdP(tmp_path_factory.mktemp("saml"), USERS).start()
    yield server
    server.stop()


# python3-saml refuses single-label host names such as Django's "testserver".
HOST = "ristra.campus.example.edu"


@pytest.fixture
def client(settings: Any) -> Client:
    settings.ALLOWED_HOSTS = [HOST]
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def campus(db: Any, settings: Any, client: Any, idp: LoopbackIdP) -> LoopbackIdP:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "saml": {
            "APPS": [
                {
                    "client_id": "campus",
                    "name": "Campus SAML",
                    "settings": {
                        "idp": {
                            "entity_id": idp.entity_id,
                            "sso_url": idp.sso_url,
                            "x509cert": idp.cert_pem,
                        },
                        "attribute_mapping": SAML_ATTRIBUTES,
                        "groups_attribute": SAML_GROUPS_ATTRIBUTE,
                        "advanced": {
                            "strict": True,
                            "want_assertion_signed": True,
                            "reject_idp_initiated_sso": True,
                        },
                    },
                }
            ]
        }
    }
    settings.RISTRA_SSO_ROLE_MAP = {"som-dei-program-managers": Role.PROGRAM_MANAGER}
    settings.RISTRA_SSO_DECISION_MAKER_GROUPS = ["admissions-committee"]
    # The IdP learns about Ristra from Ristra's own SP metadata, as a campus IdP would.
    metadata = client.get(reverse("saml_metadata", args=["campus"]))
    assert metadata.status_code == 200
    idp.sp_metadata = metadata.content.decode()
    idp.forge = ""
    return idp


def sign_on(client: Any, username: str) -> Any:
    response = client.post(reverse("saml_login", args=["campus"]))
    assert response.status_code == 302, response.content[:500]
    browser = requests.Session()
    browser.trust_env = False
    form = browser.get(response["Location"], timeout=10)
    fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', form.text))
    answer = browser.post(
        form.url.split("?")[0] + "/login",
        data={
            **{k: unescape(v) for k, v in fields.items()},
            "username": username,
            "password": USERS[username]["password"],
        },
        timeout=15,
    )
    assert answer.status_code == 200, answer.text[:500]
    action = unescape(re.search(r'action="([^"]+)"', answer.text).group(1))  # type: ignore[union-attr]
    posted = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', answer.text))
    assert action.startswith(f"http://{HOST}/")
    response = client.post(
        action.removeprefix(f"http://{HOST}"), {k: unescape(v) for k, v in posted.items()}
    )
    assert response.status_code == 302
    return client.get(response["Location"])


def test_a_program_manager_signs_on_through_saml(client: Any, campus: LoopbackIdP) -> None:
    response = sign_on(client, "rosa")
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="rosa@campus.example.edu")
    assert (user.first_name, user.last_name) == ("Rosa", "Parks-Ortiz")
    assert user.role == Role.PROGRAM_MANAGER
    assert user.is_decision_maker
    assert client.get(reverse("home")).wsgi_request.user == user
    assert SocialAccount.objects.get(user=user).uid == "rosa@campus.example.edu"


def test_a_person_in_no_mapped_group_gets_no_role(client: Any, campus: LoopbackIdP) -> None:
    response = sign_on(client, "tom")
    assert response["Location"] == reverse("sso_no_role")
    assert User.objects.get(email="tom@campus.example.edu").role == ""


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        ("signature", "Signature validation failed"),
        ("audience", "is not a valid audience"),
        ("expired", "Could not validate timestamp: expired"),
    ],
)
def test_a_forged_saml_response_is_refused_with_a_clear_log(
    client: Any, campus: LoopbackIdP, caplog: Any, forge: str, reason: str
) -> None:
    campus.forge = forge
    with caplog.at_level(logging.WARNING, logger="ristra.accounts.sso"):
        response = sign_on(client, "rosa")
    assert response.status_code == 401
    assert "Sign-in refused" in response.content.decode()
    assert not User.objects.filter(email="rosa@campus.example.edu").exists()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
    refused = [r.getMessage() for r in caplog.records if "Single sign-on refused" in r.getMessage()]
    assert refused and reason in refused[0], refused
    assert AuditEvent.objects.filter(action="denied", summary__contains=reason).exists()
