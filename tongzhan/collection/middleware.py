"""The public pages on a host name of their own (TONGZHAN_PUBLIC_HOST, docs/deploy.md).

When the setting names a host, a request for that host reaches only the public collection pages and the
static files; every other path answers the plain 404, so no staff page, login form or admin is served
there and the staff host's cookies are never sent to it.
"""

from __future__ import annotations

from django.conf import settings
from django.http.request import split_domain_port
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from tongzhan.core.views import not_found

from .urls import PUBLIC_NAMES


def is_public_host(request) -> bool:
    public = getattr(settings, "PUBLIC_HOST", "")
    if not public:
        return False
    domain, _port = split_domain_port(request.get_host())
    return domain.lower() == public


class PublicHostMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_host(request) or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if request.path_info == "/":
            return redirect("collection:public-index")
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            name = None
        if name not in PUBLIC_NAMES:
            return not_found(request)
        return self.get_response(request)
