"""The audit screens: the audit administrator and auditors list, filter and export events (SECURITY.md E1)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core.reauth import require_recent_auth

from . import exports, selectors
from .forms import EventFilterForm
from .models import AuditEvent

PER_PAGE = 50


def require_grant(action: str):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.may(selectors.LABEL, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _role_labels() -> dict:
    return {str(k): str(v) for k, v in get_user_model()._meta.get_field("role").choices}


def _criteria(request):
    form = EventFilterForm(request.GET or None)
    criteria = form.criteria() if form.is_valid() else selectors.EventFilter()
    return form, criteria


@require_grant("read")
def event_list(request):
    form, criteria = _criteria(request)
    page = Paginator(selectors.filtered_events(request.user, criteria), PER_PAGE).get_page(
        request.GET.get("page")
    )
    labels = _role_labels()
    results = dict(AuditEvent.Result.choices)
    for event in page:
        event.role_label = labels.get(event.role, event.role)
        event.result_label = results.get(event.result, event.result)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_export": request.user.may(selectors.LABEL, "export"),
            "sees_all": request.user.may(selectors.LABEL, "all"),
        },
    )


@require_grant("read")
@require_grant("export")
@require_recent_auth
def event_export(request):
    form, criteria = _criteria(request)
    headers = [
        _("编号"),
        _("时间"),
        _("用户名"),
        _("角色"),
        _("IP 地址"),
        _("事件"),
        _("对象类型"),
        _("对象编号"),
        _("结果"),
        _("事由"),
        _("详情"),
    ]
    data = exports.export_events(
        actor=request.user,
        events=selectors.filtered_events(request.user, criteria),
        criteria_detail=criteria.as_detail(),
        headers=headers,
        role_labels=_role_labels(),
    )
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    filename = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
