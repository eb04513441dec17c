"""After the password: the second factor, then a forced password change (SECURITY.md B1, B4).

Runs after AuthenticationMiddleware, django_otp's OTPMiddleware (which sets `request.user.otp_device`
from the session) and LoginRequiredMiddleware. Until the user has passed both gates, every other
page redirects to the gate: nothing personal is reachable before the second factor.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from . import services

OTP_PAGES = {"accounts:otp-setup", "accounts:otp-verify", "accounts:logout"}
PASSWORD_PAGES = {"accounts:password-change", "accounts:logout"}


def _url_name(request) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def _to(name: str, request):
    url = reverse(name)
    if request.headers.get("HX-Request"):
        # htmx would follow a redirect and swap the gate into a fragment; have it load the page instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        name = _url_name(request)
        if not user.is_verified() and services.second_factor_required(user):
            if name not in OTP_PAGES:
                return _to(
                    "accounts:otp-verify" if services.has_totp(user) else "accounts:otp-setup", request
                )
        elif user.must_change_password and name not in PASSWORD_PAGES:
            return _to("accounts:password-change", request)
        return self.get_response(request)
