"""The account screens: the security administrator manages accounts, the system administrator reads.

Changing a role, region, password or activation, and ending sessions, need a recent re-entry of the
password (SECURITY.md B5). The grant is checked first, so a user without it gets 403, not a password
prompt.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongzhan.core.reauth import require_recent_auth

from . import user_selectors as selectors
from . import user_services as services
from .user_forms import PasswordResetForm, UserCreateForm, UserFilterForm, UserRoleForm

PER_PAGE = 50


def require_grant(action: str):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.may("accounts.user", action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _back_to_detail(request, pk):
    return reverse("users:user-detail", kwargs={"pk": pk})


def _attach(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_grant("read")
def user_list(request):
    form = UserFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    users = selectors.users_visible_to(
        request.user, q=filters.get("q", ""), role=filters.get("role", ""), active=filters.get("active", "")
    )
    page = Paginator(users, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/user_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_change": request.user.may("accounts.user", "change"),
        },
    )


@require_grant("change")
@require_recent_auth
def user_create(request):
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                actor=request.user,
                username=data["username"],
                first_name=data["first_name"],
                role=data["role"],
                region=data["region"],
                password=data["password1"],
                phone_note=data["phone_note"],
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("已创建账号 %(name)s，首次登录须修改密码") % {"name": user.username})
            return redirect("users:user-detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "title": _("新建账号")})


@require_grant("read")
def user_detail(request, pk):
    account = selectors.get_user_for_user(request.user, pk)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "session_count": len(selectors.sessions_of(account)),
            "can_change": request.user.may("accounts.user", "change") and account.pk != request.user.pk,
        },
    )


@require_grant("change")
@require_recent_auth
def user_role(request, pk):
    account = selectors.get_user_for_user(request.user, pk)
    form = UserRoleForm(
        request.POST or None, actor=request.user, initial={"role": account.role, "region": account.region_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_role(
                actor=request.user,
                user=account,
                role=form.cleaned_data["role"],
                region=form.cleaned_data["region"],
            )
        except ValidationError as exc:
            _attach(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已修改角色和所属区划，该用户的下一次操作即按新范围生效"))
            return redirect("users:user-detail", pk=account.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "account": account, "title": _("修改角色和所属区划")},
    )


@require_grant("change")
@require_recent_auth
def user_password(request, pk):
    account = selectors.get_user_for_user(request.user, pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(actor=request.user, user=account, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            form.add_error("password1", exc.messages)
        else:
            messages.success(request, _("已重置密码，该用户已被退出登录，下次登录须修改密码"))
            return redirect("users:user-detail", pk=account.pk)
    return render(
        request, "accounts/user_form.html", {"form": form, "account": account, "title": _("重置密码")}
    )


@require_POST
@require_grant("change")
@require_recent_auth(next_url=_back_to_detail)
def user_activation(request, pk):
    account = selectors.get_user_for_user(request.user, pk)
    try:
        services.set_active(actor=request.user, user=account, active=not account.is_active)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("已启用该账号") if not account.is_active else _("已停用该账号并结束其全部会话")
        )
    return redirect("users:user-detail", pk=account.pk)


@require_POST
@require_grant("change")
@require_recent_auth(next_url=_back_to_detail)
def user_sessions_end(request, pk):
    account = selectors.get_user_for_user(request.user, pk)
    count = services.end_sessions(actor=request.user, user=account)
    messages.success(request, _("已结束该用户的 %(n)d 个会话") % {"n": count})
    return redirect("users:user-detail", pk=account.pk)
