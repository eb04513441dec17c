"""The re-authentication page (SECURITY.md B5): re-enter the password, then go back to `next`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongzhan.core import reauth as reauth_window

from . import user_services
from .user_forms import ReauthForm

FAILURES_KEY = "reauth_failures"
MAX_FAILURES = 5


def reauth(request):
    """Ask for the password again. Five wrong answers in a row end the session."""
    next_url = reauth_window.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = ReauthForm(request.POST or None, user=request.user, initial={"next": next_url})
    if request.method == "POST":
        if form.is_valid():
            user_services.record_reauth(user=request.user, success=True)
            reauth_window.mark(request)
            request.session.pop(FAILURES_KEY, None)
            return redirect(next_url)
        user_services.record_reauth(user=request.user, success=False)
        failures = request.session.get(FAILURES_KEY, 0) + 1
        request.session[FAILURES_KEY] = failures
        if failures >= MAX_FAILURES:
            logout(request)
            messages.error(request, _("多次输入错误密码，已退出登录，请重新登录。"))
            return redirect("accounts:login")
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})
