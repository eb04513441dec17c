"""Cross-cutting request handling: login required everywhere, security headers, request context."""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import resolve
from django.utils.cache import add_never_cache_headers

from .context import client_ip

# Nothing inline, nothing from another host (SECURITY.md A5, I2). `data:` images only because Bootstrap's
# CSS draws its form controls with them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "display-capture=()"
)
PUBLIC_URL_NAMES = {
    "accounts:login", "healthz",
    # The public collection form (网站征集): notice, form, receipt look-up, captcha (SECURITY.md H1–H4).
    "collection:public-index", "collection:public-form", "collection:receipt", "collection:captcha-image",
    "collection:captcha-refresh",
}


class SecurityHeadersMiddleware:
    """CSP without inline script, and no caching of anything but static files (SECURITY.md D6, I2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(self.client_address(request))
        try:
            response = self.get_response(request)
        finally:
            client_ip.reset(token)
        # Set, not setdefault: no view can loosen the one policy by sending its own header.
        response["Content-Security-Policy"] = CSP
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith(settings.STATIC_URL):
            # Personal pages must not stay in a browser's or a proxy's cache (SECURITY.md D6).
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
            response["Pragma"] = "no-cache"
        return response

    @staticmethod
    def client_address(request) -> str:
        """The address audit records: REMOTE_ADDR, or behind the proxy the one it forwards.

        The same rule as the login lockout's (accounts/lockout.py): deploy/nginx overwrites
        X-Forwarded-For with its own $remote_addr, so the last entry is the client it saw. Without
        TONGZHAN_BEHIND_PROXY the header is ignored, since any client could write it.
        """
        if getattr(settings, "BEHIND_PROXY", False):
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
            try:
                return str(ipaddress.ip_address(forwarded))
            except ValueError:
                pass
        return request.META.get("REMOTE_ADDR", "")


class LoginRequiredMiddleware:
    """Every page needs a login, except the login page itself and static files.

    Also ends sessions past the absolute limit (SECURITY.md B5). The idle limit is the session age,
    renewed by activity: the session is re-saved when its last renewal is a minute old or more.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            started = request.session.get("login_at")
            if started is None:
                request.session["login_at"] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if now - request.session.get("seen_at", 0) >= settings.SESSION_TOUCH_SECONDS:
                request.session["seen_at"] = now  # modified: the session is saved with a fresh idle deadline
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
            name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        except Exception:  # unknown path: the login page, so a stranger learns nothing about URLs
            name = None
        if name in PUBLIC_URL_NAMES:
            return self.get_response(request)
        return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")


class ReadOnlyRoleMiddleware:
    """The auditor reads and never writes (SECURITY.md C5): every unsafe method answers 403.

    Runs after LoginRequiredMiddleware, before any view, so nothing a view might do on a POST happens.
    The user's own authentication stays possible — every URL in the `accounts` namespace (logout,
    re-authentication, and the login, second-factor and own-password steps) — because it changes
    no registry data.
    """

    READ_ONLY_ROLES = {"auditor"}
    SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
    OWN_AUTHENTICATION_NAMESPACE = "accounts"
    # POSTs that only read: the search page takes ID and phone queries by POST to keep them out of URLs.
    READ_ONLY_POSTS = {"people:person-list"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (request.method not in self.SAFE_METHODS and getattr(user, "is_authenticated", False)
                and getattr(user, "role", "") in self.READ_ONLY_ROLES and not self._own_authentication(request)):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return self.get_response(request)

    def _own_authentication(self, request) -> bool:
        try:
            match = resolve(request.path_info)
        except Exception:
            return False
        return (match.namespace == self.OWN_AUTHENTICATION_NAMESPACE
                or match.view_name in self.READ_ONLY_POSTS)
