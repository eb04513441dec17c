"""Cross-cutting request handling: login required everywhere, security headers, request context."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import resolve
from django.utils.cache import add_never_cache_headers

from .context import client_ip

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
PUBLIC_URL_NAMES = {"accounts:login", "healthz"}


class SecurityHeadersMiddleware:
    """CSP without inline script, and no caching of anything but static files (SECURITY.md D6, I2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request.META.get("REMOTE_ADDR", ""))
        try:
            response = self.get_response(request)
        finally:
            client_ip.reset(token)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class LoginRequiredMiddleware:
    """Every page needs a login, except the login page itself and static files.

    Also ends sessions past the absolute limit (SECURITY.md B5): the idle limit is the cookie age.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            started = request.session.get("login_at")
            if started is None:
                request.session["login_at"] = int(time.time())
            elif time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
            name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        except Exception:  # unknown path: the login page, so a stranger learns nothing about URLs
            name = None
        if name in PUBLIC_URL_NAMES:
            return self.get_response(request)
        return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
