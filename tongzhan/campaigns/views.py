"""HTTP for campaigns (house rule 1: bind a form, call a selector or a service, render or redirect).

Every object is looked up through the selectors first, so another village's or township's campaign
answers the same 404 as a missing one (SECURITY.md C2). POST-only endpoints are marked so before the
look-up. A record's check is one URL that answers an htmx request with the record's row and a plain
form post with a redirect (house rule 8).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongzhan.people.columns import detail_columns
from tongzhan.people.selectors import people_visible_to

from . import fields, selectors, services, sheets
from .forms import CampaignForm, NoteForm, SheetUploadForm, written_detail, written_values
from .models import Entry, VillageReturn


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages


def campaign_list(request):
    """Staff: the campaigns of their scope with each village's state, and the overdue list. Liaison: their village's."""
    user = request.user
    if not user.may("campaigns.villagereturn", "read"):
        raise PermissionDenied
    returns = list(selectors.with_counts(selectors.returns_visible_to(user)).order_by("-campaign__created_at",
                                                                                      "village__code"))
    campaigns = {}
    for row in returns:
        campaigns.setdefault(row.campaign, []).append(row)
        row.overdue = selectors.is_overdue(row)
    return render(request, "campaigns/campaign_list.html", {
        "campaigns": campaigns, "overdue": [r for r in returns if r.overdue],
        "can_open": user.may("campaigns.campaign", "change"),
        "is_staff": user.may("campaigns.campaign", "read"),
    })


def campaign_create(request):
    if not request.user.may("campaigns.campaign", "change"):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.open_campaign(
                actor=request.user, township=data["villages"][0].parent, title=data["title"], notice=data["notice"],
                categories=list(data["categories"]), villages=data["villages"], field_keys=data["field_keys"],
                deadline=data["deadline"])
        except (ValidationError, PermissionDenied) as exc:
            for message in (_errors(exc) if isinstance(exc, ValidationError) else [str(exc)]):
                form.add_error(None, message)
        else:
            messages.success(request, _("已发布数据补报“%(title)s”") % {"title": campaign.title})
            return redirect("campaigns:campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


def campaign_detail(request, pk):
    campaign = selectors.get_campaign_for_user(request.user, pk)
    rows = selectors.board(request.user, campaign)
    return render(request, "campaigns/campaign_detail.html", {
        "campaign": campaign, "rows": rows, "categories": list(campaign.categories.all()),
        "columns": fields.columns_of(campaign.fields),
        "can_close": request.user.may("campaigns.campaign", "change") and campaign.status == "open",
    })


@require_POST
def campaign_close(request, pk):
    campaign = selectors.get_campaign_for_user(request.user, pk, "change")
    try:
        services.close_campaign(actor=request.user, campaign=campaign)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已关闭该补报"))
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


def _return_context(request, village_return: VillageReturn, **extra) -> dict:
    campaign = village_return.campaign
    editable = (request.user.may("campaigns.villagereturn", "change")
                and village_return.status in services.EDITABLE and campaign.status == "open")
    categories = list(campaign.categories.all())
    review = selectors.review_rows(village_return)
    return {
        "ret": village_return, "campaign": campaign, "columns": fields.columns_of(campaign.fields),
        "person_columns": [c for c in fields.columns_of(campaign.fields) if not fields.category_of(c)],
        "rows": selectors.worksheet(village_return), "editable": editable,
        "reviewable": (request.user.may("campaigns.villagereturn", "review")
                       and village_return.status == VillageReturn.Status.RETURNED),
        "review": review,
        "new_entries": [r for r in review if r.entry.kind == Entry.Kind.CREATE],
        "categories": [(c, [col for col in detail_columns(c.code) if col.required]) for c in categories],
        "overdue": selectors.is_overdue(village_return), "upload_form": SheetUploadForm(), "note_form": NoteForm(),
        **extra,
    }


def return_detail(request, pk):
    """The village's page: the liaison fills it; staff review it (old → new per field)."""
    village_return = selectors.get_return_for_user(request.user, pk)
    return render(request, "campaigns/return_detail.html", _return_context(request, village_return))


@require_POST
def return_check(request, pk):
    """One record checked: corrections posted (checked, changed) or none (checked, no change)."""
    village_return = selectors.get_return_for_user(request.user, pk, "change")
    person = people_visible_to(request.user).filter(pk=request.POST.get("person") or 0).first() \
        if str(request.POST.get("person", "")).isdigit() else None
    if person is None:
        raise Http404
    columns = fields.columns_of(village_return.campaign.fields)
    problems = {}
    try:
        services.save_entry(actor=request.user, village_return=village_return, person=person,
                            written=written_values(request.POST, columns))
    except ValidationError as exc:
        problems = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    except PermissionDenied:
        raise Http404 from None
    if request.htmx:
        village_return.refresh_from_db()
        entry = village_return.entries.filter(person=person).first()
        flat = {key: "；".join(msgs) for key, msgs in problems.items()}
        cells = selectors.record_cells(person, columns, entry, written=written_values(request.POST, columns)
                                       if problems else None, problems=flat)
        return render(request, "campaigns/return_detail.html#record-row", {
            "ret": village_return, "editable": True, "row": {"person": person, "entry": entry, "cells": cells},
            "row_errors": flat.get("", ""), "oob": True})
    if problems:
        messages.error(request, _("%(name)s：%(problems)s") % {
            "name": person.name, "problems": "；".join(m for msgs in problems.values() for m in msgs)})
    else:
        messages.success(request, _("已保存%(name)s的核对结果") % {"name": person.name})
    return redirect("campaigns:return-detail", pk=village_return.pk)


@require_POST
def return_add(request, pk):
    """A new person for the village, proposed (it joins the registry only when staff accept it)."""
    village_return = selectors.get_return_for_user(request.user, pk, "change")
    category = village_return.campaign.categories.filter(code=request.POST.get("category", "")).first()
    try:
        if category is None:
            raise ValidationError({"category": [_("请选择新增人员的类别")]})
        services.add_person_entry(
            actor=request.user, village_return=village_return, category=category,
            written=written_values(request.POST, fields.columns_of(village_return.campaign.fields), "new."),
            detail=written_detail(request.POST, category))
    except ValidationError as exc:
        context = _return_context(request, village_return, add_errors=_errors(exc), add_data=request.POST)
        return render(request, "campaigns/return_detail.html", context, status=400)
    messages.success(request, _("已新增一条待审核的人员信息"))
    return redirect("campaigns:return-detail", pk=village_return.pk)


@require_POST
def return_withdraw(request, pk):
    """The liaison takes back one entry of their village (a mistaken new person, a check made too early)."""
    village_return = selectors.get_return_for_user(request.user, pk, "change")
    entry = _entry_of(village_return, request)
    if entry is None:
        raise Http404
    try:
        services.remove_entry(actor=request.user, entry=entry)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已撤回该条"))
    return redirect("campaigns:return-detail", pk=village_return.pk)


@require_POST
def return_submit(request, pk):
    village_return = selectors.get_return_for_user(request.user, pk, "change")
    try:
        services.submit_return(actor=request.user, village_return=village_return)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已报送，等待乡镇审核"))
    return redirect("campaigns:return-detail", pk=village_return.pk)


def return_sheet(request, pk):
    """The village's records as a pre-filled .xlsx (masked, watermarked, a row key per record)."""
    village_return = selectors.get_return_for_user(request.user, pk)
    return sheets.download(actor=request.user, village_return=village_return)


@require_POST
def return_upload(request, pk):
    village_return = selectors.get_return_for_user(request.user, pk, "change")
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _return_context(request, village_return, upload_form=form)
        return render(request, "campaigns/return_detail.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = sheets.upload(actor=request.user, village_return=village_return, data=upload.read(),
                               filename=upload.name)
    except ValidationError as exc:
        context = _return_context(request, village_return, upload_errors=_errors(exc))
        return render(request, "campaigns/return_detail.html", context, status=400)
    if result.problems:
        context = _return_context(request, village_return, sheet_problems=result.problems)
        return render(request, "campaigns/return_detail.html", context, status=400)
    messages.success(request, _("已读入补报表：核对 %(checked)d 条，其中有变化 %(changed)d 条，新增 %(added)d 人")
                     % {"checked": result.checked, "changed": result.changed, "added": result.added})
    return redirect("campaigns:return-detail", pk=village_return.pk)


def _entry_of(village_return, request):
    raw = str(request.POST.get("entry") or "")
    if not raw:
        return None
    entry = village_return.entries.filter(pk=int(raw)).first() if raw.isdigit() else None
    if entry is None:
        raise Http404
    return entry


@require_POST
def return_accept(request, pk):
    village_return = selectors.get_return_for_user(request.user, pk, "review")
    entry = _entry_of(village_return, request)
    try:
        counts = services.accept(actor=request.user, village_return=village_return, entry=entry)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已采纳 %(accepted)d 条；有冲突 %(conflicts)d 条") % counts)
    return redirect("campaigns:return-detail", pk=village_return.pk)


@require_POST
def return_send_back(request, pk):
    village_return = selectors.get_return_for_user(request.user, pk, "review")
    entry = _entry_of(village_return, request)
    try:
        services.send_back(actor=request.user, village_return=village_return,
                           note=str(request.POST.get("note", "")), entry=entry)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, _("已退回村里修改"))
    return redirect("campaigns:return-detail", pk=village_return.pk)
