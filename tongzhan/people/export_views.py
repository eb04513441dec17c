"""HTTP for exports, export approvals and the blank import templates (house rule 1: views only translate).

Order of checks on every page: the object through the scope function (out of scope is the 404 of a
missing one), then the role's grant (403), then re-authentication (B5), then the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongzhan.core import reauth, sheet_writer
from tongzhan.regions.selectors import region_choices_for

from . import export_selectors
from .excel import ExportSpec, write_blank_template
from .export_forms import CRITERIA_FIELDS, DecisionForm, ExportForm
from .forms import PersonSearchForm
from .models import Category, ExportRequest
from .selectors import classify
from .services import exports


def _criteria_data(source) -> QueryDict:
    data = QueryDict(mutable=True)
    for name in CRITERIA_FIELDS:
        values = [v for v in source.getlist(name) if v != ""]
        if values:
            data.setlist(name, values)
    return data


def _criteria_query(form: PersonSearchForm) -> str:
    """The criteria as a query string, without an ID or phone number (they never go into a URL: D6)."""
    data = _criteria_data(form.data)
    if classify(data.get("q", ""))[0] in ("id", "phone"):
        data.pop("q")
    return data.urlencode()


def describe_criteria(form: PersonSearchForm) -> dict:
    """The criteria in words, for the page and the audit row; an ID or phone searched for is not named."""
    data = form.cleaned_data
    described = {}
    q = (data.get("q") or "").strip()
    if q:
        kind = classify(q)[0]
        described[_("查询内容")] = q if kind == "name" else (
            _("（按证件号码查询，号码不记录）") if kind == "id" else _("（按联系电话查询，号码不记录）"))
    for name in ("category", "region", "ethnicity", "political", "religion", "sex", "verified"):
        value = data.get(name)
        if value in (None, ""):
            continue
        field = form.fields[name]
        if hasattr(value, "pk"):
            shown = getattr(value, "name", None) or str(value)
        else:
            shown = str(dict(field.choices).get(value, value))
        described[str(field.label)] = shown
    low, high = data.get("age_min"), data.get("age_max")
    if low is not None or high is not None:
        described[_("年龄")] = f"{'' if low is None else low}—{'' if high is None else high}"
    return described


def _file_response(exported) -> FileResponse:
    response = FileResponse(exported.handle, content_type=exported.content_type)
    response["Content-Disposition"] = exported.content_disposition
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def export_start(request):
    """The export page: what will be exported, in which form and why; a POST writes and serves the file.

    The criteria are the search page's, carried in the query string (GET) or hidden fields (POST).
    """
    user = request.user
    if not user.may("people.person", "export"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    search_form = PersonSearchForm(_criteria_data(source), user=user)
    criteria_ok = search_form.is_valid()
    category = search_form.cleaned_data.get("category") if criteria_ok else None
    may_unmask = user.may("people.person", "unmask")
    form = ExportForm(request.POST if request.method == "POST" else None, may_unmask=may_unmask, category=category)
    query = _criteria_query(search_form)
    here = f"{reverse('people:export')}?{query}" if query else reverse("people:export")
    if request.method == "POST":
        if form.unmasked_requested and not may_unmask:
            raise PermissionDenied
        if criteria_ok and form.is_valid():
            if not reauth.is_recent(request):
                messages.info(request, _("导出前请重新输入密码，确认后请再次提交导出。"))
                return reauth.redirect_to_reauth(request, here)
            response = _export(request, form, search_form, category, query)
            if response is not None:
                return response
    count = export_selectors.export_count(user, search_form.criteria()) if criteria_ok else 0
    return render(request, "people/export_start.html", {
        "form": form, "search_form": search_form, "criteria_ok": criteria_ok,
        "hidden_criteria": [(name, value) for name, values in _criteria_data(source).lists() for value in values],
        "described": describe_criteria(search_form) if criteria_ok else {}, "count": count,
        "query": query, "threshold": exports.APPROVAL_THRESHOLD, "reauth_recent": reauth.is_recent(request),
        "reauth_url": _reauth_link(here),
        "pending": export_selectors.pending_requests_for(user), "own": export_selectors.own_requests_of(user),
    })


def _reauth_link(next_url: str) -> str:
    data = QueryDict(mutable=True)
    data["next"] = next_url
    return f"{reverse('accounts:reauth')}?{data.urlencode()}"


def _export(request, form, search_form, category, query):
    data = form.cleaned_data
    spec = ExportSpec(layout=data["layout"], category=category, fmt=data["file_format"],
                      masked=not data.get("unmasked"), purpose=data["purpose"])
    criteria, described = search_form.criteria(), describe_criteria(search_form)
    try:
        exported = exports.export_people(actor=request.user, criteria=criteria, spec=spec, description=described)
    except exports.ApprovalRequired as needed:
        try:
            export_request = exports.request_export(actor=request.user, spec=spec, criteria=criteria, query=query,
                                                    description=described, rows=needed.rows)
        except ValidationError as exc:
            _form_errors(form, exc)
            return None
        messages.info(request, _("完整信息导出共 %(n)d 条，超过 %(limit)d 条，已提交审批。请另一名有审批权限的工作人员"
                                 "批准后，在本页下载（限一次，24 小时内有效）。") % {"n": needed.rows,
                                                                           "limit": exports.APPROVAL_THRESHOLD})
        return redirect("people:export-request", pk=export_request.pk)
    except ValidationError as exc:
        _form_errors(form, exc)
        return None
    return _file_response(exported)


def export_request_detail(request, pk):
    export_request = export_selectors.get_export_request_for_user(request.user, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = request.user
    deadline = exports.download_deadline(export_request)
    status = export_request.status
    here = reverse("people:export-request", kwargs={"pk": export_request.pk})
    return render(request, "people/export_request.html", {
        "req": export_request, "deadline": deadline,
        "expired": status == ExportRequest.Status.APPROVED and deadline is not None and timezone.now() > deadline,
        "can_decide": (status == ExportRequest.Status.PENDING and user.may("people.exportrequest", "approve")
                       and export_request.requester_id != user.pk),
        "can_download": status == ExportRequest.Status.APPROVED and export_request.requester_id == user.pk
                        and deadline is not None and timezone.now() <= deadline,
        "decision_form": DecisionForm(), "reauth_recent": reauth.is_recent(request), "reauth_url": _reauth_link(here),
    })


@require_POST
def export_request_decide(request, pk):
    export_request = export_selectors.get_export_request_for_user(request.user, pk)
    if not request.user.may("people.exportrequest", "approve"):
        raise PermissionDenied
    here = reverse("people:export-request", kwargs={"pk": export_request.pk})
    if not reauth.is_recent(request):
        return reauth.redirect_to_reauth(request, here)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(here)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        exports.decide_export_request(actor=request.user, export_request=export_request, approve=approve,
                                      note=form.cleaned_data.get("note") or "")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已批准该导出申请") if approve else _("已驳回该导出申请"))
    return redirect(here)


@require_POST
def export_request_download(request, pk):
    """The one download an approval allows: written now, from the stored criteria, in today's scope."""
    export_request = export_selectors.get_export_request_for_user(request.user, pk)
    user = request.user
    if export_request.requester_id != user.pk:
        raise PermissionDenied
    here = reverse("people:export-request", kwargs={"pk": export_request.pk})
    if not reauth.is_recent(request):
        return reauth.redirect_to_reauth(request, here)
    search_form = PersonSearchForm(QueryDict(export_request.query), user=user)
    if not search_form.is_valid():
        messages.error(request, _("该申请的查询条件已不在您的管辖范围内，不能下载，请重新申请"))
        return redirect(here)
    spec = ExportSpec(layout=export_request.layout, category=export_request.category,
                      fmt=export_request.file_format, masked=False, purpose=export_request.purpose)
    try:
        exported = exports.export_people(actor=user, criteria=search_form.criteria(), spec=spec,
                                         description=export_request.description, export_request=export_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(here)
    return _file_response(exported)


def export_templates(request):
    """Blank import templates: one per category and a mixed one; `?download=<code|mixed>` serves the file.

    A template holds no personal data, only the code tables and the names of the villages in scope, so
    every role that reads the registry may take one, without re-authentication or an audit row.
    """
    user = request.user
    if not user.may("people.person", "read"):
        raise PermissionDenied
    villages = list(dict.fromkeys(region_choices_for(user, levels=["village"]).values_list("name", flat=True)))
    wanted = request.GET.get("download")
    categories = list(Category.objects.order_by("sort_order"))
    if not wanted:
        return render(request, "people/export_templates.html", {"categories": categories, "villages": villages})
    if wanted == "mixed":
        category = None
    else:
        category = next((c for c in categories if c.code == wanted), None)
        if category is None:
            raise Http404
    name = category.name if category else _("通用")
    with sheet_writer.temporary_file("xlsx") as temp:
        write_blank_template(temp.path, category=category, villages=villages)
        handle = temp.serve()
    response = FileResponse(handle, content_type=sheet_writer.CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = sheet_writer.attachment_header(
        f"tongzhan-template-{category.code if category else 'mixed'}.xlsx", _("%(name)s导入模板.xlsx") % {"name": name})
    return response
