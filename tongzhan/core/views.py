"""Error pages: plain, in Chinese, and identical for "missing" and "out of scope" (SECURITY.md C2)."""

from django.shortcuts import render


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def forbidden(request, exception=None):
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def healthz(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def home(request):
    """Send each role to its first useful page: administrators have no people list."""
    from django.shortcuts import redirect

    for label, target in (("people.person", "people:person-list"), ("accounts.user", "users:user-list"),
                          ("audit.auditevent", "audit:event-list"), ("regions.region", "regions:region-list")):
        if request.user.may(label, "read"):
            return redirect(target)
    return forbidden(request)
