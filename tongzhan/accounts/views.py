"""Login, the second factor, the forced password change and logout.

The session key changes at login (Django's login()), the absolute limit starts at login (`login_at`,
checked by core.middleware.LoginRequiredMiddleware) and the session is deleted at logout.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from tongzhan.core.context_processors import site

from . import lockout, otp, services
from .forms import LoginForm, OwnPasswordChangeForm, TokenForm


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Django's LoginView sets site_name to the request's host, over the context processor's name.
        context = super().get_context_data(**kwargs)
        context["site_name"] = site(self.request)["site_name"]
        return context

    def form_valid(self, form):
        response = super().form_valid(form)  # login(): a new session key, the user in the session
        self.request.session["login_at"] = int(time.time())
        user = form.get_user()
        services.record_login(user=user)
        services.expire_password_if_due(user=user)
        return response

    def form_invalid(self, form):
        request = self.request
        username = form.data.get("username", "")
        if form.ip_locked:
            services.record_login_failure(username=username, reason="ip_locked")
        else:
            locked = bool(getattr(request, "axes_locked_out", False))
            services.record_login_failure(username=username, reason="locked" if locked else "")
            if lockout.username_lock_just_began(request):
                services.record_lockout(username=username, scope="username")
            if lockout.ip_failures(lockout.client_address(request)) == settings.AXES_IP_LIMIT:
                services.record_lockout(username=username, scope="ip")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.record_logout(user=request.user)
        return super().post(request, *args, **kwargs)


@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """First login (or, at level 2, by choice): a QR code and the secret, confirmed by one code."""
    user = request.user
    if services.has_totp(user):
        if user.is_verified():
            messages.info(request, _("已绑定动态验证码。"))
            return redirect(_next_url(request))
        return redirect(f"{reverse('accounts:otp-verify')}?{request.GET.urlencode()}")
    device = services.pending_totp_device(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_device(user=user, device=device, token=form.cleaned_data["token"]):
            device.refresh_from_db()
            otp_login(request, device)
            messages.success(request, _("动态验证码已绑定。"))
            return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确，请核对手机时间后重试。"))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": otp.qr_svg(device.config_url),
            "secret": otp.secret_text(device),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request):
    user = request.user
    if not services.has_totp(user):
        return redirect(f"{reverse('accounts:otp-setup')}?{request.GET.urlencode()}")
    if user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_totp(user=user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确或已使用过，请等待下一个验证码。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    form = OwnPasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_own_password(user=user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays; the user's other sessions end
        messages.success(request, _("密码已修改。"))
        return redirect(_next_url(request))
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "forced": user.must_change_password,
            "next": _next_url(request),
        },
    )
