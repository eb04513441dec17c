"""HTTP for staff: the collections of their scope and the review queue (house rule 1: HTTP only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongzhan.core.crypto import IntegrityAlarm

from . import review, selectors, services
from .forms import AcceptForm, CollectionForm, QueueFilterForm, RejectForm, ReturnForm, collection_initial
from .models import Submission


def _attach(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def manage(request):
    """The collections of the user's scope and the queue of submissions, by status."""
    if not request.user.may("people.person", "read"):  # the three administrators read no personal data
        raise PermissionDenied
    filters = QueueFilterForm(request.GET)
    status = (filters.cleaned_data.get("status") if filters.is_valid() else "") or Submission.Status.PENDING
    return render(request, "collection/manage.html", {
        "collections": list(selectors.collections_visible_to(request.user)[:100]),
        "submissions": selectors.queue(request.user, status),
        "status": status, "statuses": Submission.Status.choices,
        "can_open": request.user.may("collection.collection", "change"),
    })


def collection_create(request):
    if not request.user.may("collection.collection", "change"):
        raise PermissionDenied
    form = CollectionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            collection = services.open_collection(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("已开设网站征集“%(title)s”") % {"title": collection.title})
            return redirect("collection:manage")
    return render(request, "collection/collection_form.html", {"form": form, "creating": True})


def collection_edit(request, pk):
    collection = selectors.get_collection_for_user(request.user, pk, "change")
    form = CollectionForm(request.POST or None, user=request.user, initial=collection_initial(collection))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_collection(actor=request.user, collection=collection, data=form.cleaned_data,
                                       expected_version=form.cleaned_data.get("version") or 0)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("collection:manage")
    return render(request, "collection/collection_form.html", {"form": form, "collection": collection})


def _review_context(request, submission, **forms) -> dict:
    user = request.user
    match = selectors.match_for(user, submission)
    try:
        rows, alarm = selectors.comparison_rows(submission, match), False
    except IntegrityAlarm:
        rows, alarm = [], True
    pending = submission.status == Submission.Status.PENDING
    return {
        "submission": submission, "match": match, "rows": rows, "integrity_alarm": alarm,
        "detail_rows": selectors.detail_rows(submission), "guardian": selectors.guardian_display(submission),
        "can_decide": pending and user.may("collection.submission", "accept") and not alarm,
        "accept_form": forms.get("accept_form") or AcceptForm(rows=rows, initial={"join_category": True}),
        "return_form": forms.get("return_form") or ReturnForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
    }


def submission_detail(request, pk):
    """The review page: the submission beside any person with the same ID (read-only on any method)."""
    submission = selectors.get_submission_for_user(request.user, pk)
    services.record_submission_view(actor=request.user, submission=submission)
    return render(request, "collection/submission_detail.html", _review_context(request, submission))


@require_POST
def submission_accept(request, pk):
    submission = selectors.get_submission_for_user(request.user, pk, "accept")
    context = _review_context(request, submission)
    form = AcceptForm(request.POST, rows=context["rows"])
    if not context["can_decide"]:
        form.add_error(None, _("该提交已处理，或其加密数据校验失败，不能采纳"))
    elif form.is_valid():
        try:
            person = review.accept_submission(actor=request.user, submission=submission, fields=form.chosen(),
                                              join=form.cleaned_data["join_category"])
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("已采纳，统战对象 %(name)s 的档案已更新") % {"name": person.name})
            return redirect("people:person-detail", pk=person.pk)
    context["accept_form"] = form
    return render(request, "collection/submission_detail.html", context)


def _decide(request, pk, form_class, action):
    submission = selectors.get_submission_for_user(request.user, pk, action)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            if action == "return":
                review.return_submission(actor=request.user, submission=submission, note=form.cleaned_data["note"])
            else:
                review.reject_submission(actor=request.user, submission=submission,
                                         reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("已退回提交人") if action == "return" else _("已不予采纳"))
            return redirect("collection:manage")
    context = _review_context(request, submission, **{f"{action}_form": form})
    return render(request, "collection/submission_detail.html", context)


@require_POST
def submission_return(request, pk):
    return _decide(request, pk, ReturnForm, "return")


@require_POST
def submission_reject(request, pk):
    return _decide(request, pk, RejectForm, "reject")
