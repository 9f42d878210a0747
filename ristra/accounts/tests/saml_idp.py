"""A real SAML 2.0 identity provider for the sign-on tests, served on loopback in a thread.

Built from pysaml2's IdP server (``saml2.server.Server``), which signs with the
``xmlsec1`` program, and a self-signed key pair made with ``cryptography`` for the run.
It answers SP-initiated sign-in (HTTP-Redirect request, HTTP-POST response) after a
username/password form. ``forge`` makes it misbehave for the negative tests:
``signature`` signs with a key Ristra does not trust, ``audience`` addresses the assertion
to another service, ``expired`` sends an assertion whose validity ended half an hour ago.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import shutil
import socketserver
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC1 = shutil.which("xmlsec1")


def key_pair(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A fresh RSA key and self-signed certificate: key file, cert file, cert PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file = folder / f"{name}.key"
    cert_file = folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_file.write_text(pem, encoding="utf-8")
    return key_file, cert_file, pem


class LoopbackIdP:
    def __init__(self, folder: Path, users: dict[str, dict[str, Any]]) -> None:
        self.folder = folder
        self.users = users
        self.forge = ""
        self.key_file, self.cert_file, self.cert_pem = key_pair(folder, "idp")
        self.other_key_file, self.other_cert_file, _ = key_pair(folder, "forger")
        self._server = make_server(
            "127.0.0.1", 0, self.app, server_class=_Threaded, handler_class=_Quiet
        )
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.entity_id = f"{self.base}/idp/metadata"
        self.sso_url = f"{self.base}/sso"
        self.sp_metadata = ""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LoopbackIdP:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _idp(self, *, forged: bool) -> Server:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
                "key_file": str(self.other_key_file if forged else self.key_file),
                "cert_file": str(self.other_cert_file if forged else self.cert_file),
                "metadata": {"inline": [self.sp_metadata]},
                "xmlsec_binary": XMLSEC1,
            }
        )
        return Server(config=config)

    # -- the web side -------------------------------------------------------------------
    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path == "/sso" and environ["REQUEST_METHOD"] == "GET":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            fields = "".join(
                f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">'
                for name in ("SAMLRequest", "RelayState")
            )
            body = (
                f'<form method="post" action="/sso/login">{fields}'
                '<input name="username"><input type="password" name="password"></form>'
            )
            return self._reply(start_response, "200 OK", body)
        if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {
                k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()
            }
            user = self.users.get(form.get("username", ""))
            if user is None or user["password"] != form.get("password"):
                return self._reply(start_response, "401 Unauthorized", "Wrong password")
            return self._reply(start_response, "200 OK", self._respond(form, user))
        return self._reply(start_response, "404 Not Found", "Not here")

    def _respond(self, form: dict[str, str], user: dict[str, Any]) -> str:
        idp = self._idp(forged=self.forge == "signature")
        request = idp.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        sp_entity_id = request.issuer.text
        acs_url = request.assertion_consumer_service_url
        lifetime = {"minutes": -30} if self.forge == "expired" else {"minutes": 5}
        policy = Policy(
            {"default": {"lifetime": lifetime, "name_form": NAME_FORMAT_URI}},
            mds=idp.metadata,
        )
        name_id = idp.ident.construct_nameid(
            user["username"], policy, sp_entity_id, request.name_id_policy
        )
        audience = "https://elsewhere.example.edu/sp" if self.forge == "audience" else None
        response = idp.create_authn_response(
            user["attributes"],
            in_response_to=request.id,
            destination=acs_url,
            sp_entity_id=audience or sp_entity_id,
            name_id=name_id,
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            },
            sign_assertion=True,
            sign_response=False,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            release_policy=policy,
        )
        encoded = base64.b64encode(str(response).encode()).decode()
        return (
            f'<form method="post" action="{html.escape(acs_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(form.get("RelayState", ""))}">'
            "</form>"
        )

    @staticmethod
    def _reply(start_response: Any, status: str, body: str) -> list[bytes]:
        data = body.encode()
        start_response(
            status,
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))],
        )
        return [data]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
