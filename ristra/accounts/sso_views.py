"""Sign-on pages: the OpenID Connect callback, and the page for accounts without a role."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


class VerifiedIDTokenAdapter(OpenIDConnectOAuth2Adapter):  # type: ignore[misc]
    """Always checks the ID token's signature against the provider's published keys.

    allauth skips the signature when the token came straight from the token endpoint
    (OpenID Connect allows that over TLS). Ristra checks it every time, as well as the
    issuer, audience and expiry, so a forged or replayed token is refused even behind a
    TLS-terminating proxy.
    """

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        return dict(
            jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,
            )
        )


@login_not_required
def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(VerifiedIDTokenAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    return response


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    return render(request, "account/no_role.html", {})
