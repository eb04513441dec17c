"""HTTP for imports: upload, mapping, dry-run report, commit, undo, progress (house rule 1).

Object pages look the batch up through the scope function first, so a batch outside the user's office
answers the same 404 as a missing one, before any role check (C2).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import MappingForm, UploadForm
from .models import ImportBatch, ImportRow


def _require(user, action: str = "change") -> None:
    if not user.may("imports.importbatch", action):
        raise PermissionDenied


def _max_mb() -> str:
    return f"{services.max_bytes() / (1024 * 1024):g}"


def batch_list(request):
    """The import page: the upload form on top, the office's batches below."""
    _require(request.user, "read")
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user, max_mb=_max_mb())
    if request.method == "POST":
        _require(request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > services.max_bytes():
                    raise ValidationError(_("文件大小 %(size).1f MB，超过上限 %(cap)s MB；请拆分后分批导入") % {
                        "size": upload.size / (1024 * 1024), "cap": _max_mb()})
                batch = services.start_import(actor=request.user, data=upload.read(), filename=upload.name,
                                              category=form.cleaned_data["category"],
                                              target_region=form.cleaned_data["region"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return redirect("imports:batch-mapping", pk=batch.pk)
    batches = selectors.batches_visible_to(request.user)[:50]
    return render(request, "imports/batch_list.html", {"form": form, "batches": batches, "max_mb": _max_mb()})


def batch_mapping(request, pk):
    batch = selectors.get_batch_for_user(request.user, pk)
    _require(request.user)
    if batch.status not in (ImportBatch.Status.MAPPING, ImportBatch.Status.CHECKED):
        return redirect("imports:batch-detail", pk=batch.pk)
    layouts = services.sheet_layouts(batch)
    form = MappingForm(request.POST or None, layouts=layouts, mapping=batch.mapping)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_mapping(actor=request.user, batch=batch, mapping=form.mapping())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            services.launch(actor=request.user, batch=batch, phase="check")
            return redirect("imports:batch-detail", pk=batch.pk)
    return render(request, "imports/batch_mapping.html", {"batch": batch, "form": form})


def batch_detail(request, pk):
    """The batch: progress while it runs, then the dry-run report (filter, paging), conflicts, commit or undo."""
    batch = selectors.get_batch_for_user(request.user, pk)
    if services.reap_if_dead(batch):
        batch.refresh_from_db()
    status = request.GET.get("status", "")
    page = selectors.report_page(batch, status=status, only_problems=request.GET.get("problems") == "1",
                                 page=request.GET.get("page") or 1)
    context = {
        "batch": batch, "page": page, "status": status, "statuses": ImportRow.Status.choices,
        "problems_only": request.GET.get("problems") == "1",
        "conflicts": selectors.open_conflicts(batch) if batch.status == ImportBatch.Status.CHECKED else [],
        "progress": services.read_progress(batch) if batch.is_running else {},
        "can_change": request.user.may("imports.importbatch", "change"),
        "can_undo": request.user.may("imports.importbatch", "undo"),
    }
    return render(request, "imports/batch_detail.html", context)


def batch_progress(request, pk):
    """The progress fragment htmx polls; once the batch stops running it asks the page to reload."""
    batch = selectors.get_batch_for_user(request.user, pk)
    services.reap_if_dead(batch)
    batch.refresh_from_db()
    if not batch.is_running:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/batch_detail.html#progress",
                  {"batch": batch, "progress": services.read_progress(batch)})


@require_POST
def batch_commit(request, pk):
    batch = selectors.get_batch_for_user(request.user, pk)
    _require(request.user)
    if batch.status != ImportBatch.Status.CHECKED:
        messages.error(request, _("该批次当前不能导入（%(status)s）") % {"status": batch.get_status_display()})
        return redirect("imports:batch-detail", pk=batch.pk)
    decisions = {key.removeprefix("conflict:"): value for key, value in request.POST.items()
                 if key.startswith("conflict:")}
    services.save_decisions(actor=request.user, batch=batch, decisions=decisions)
    services.launch(actor=request.user, batch=batch, phase="commit")
    return redirect("imports:batch-detail", pk=batch.pk)


@require_POST
def batch_undo(request, pk):
    batch = selectors.get_batch_for_user(request.user, pk)
    _require(request.user, "undo")
    try:
        services.undo_batch(actor=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已撤销批次 %(id)s：新增的人员已删除，修改过的信息已恢复") % {"id": batch.pk})
    return redirect("imports:batch-detail", pk=batch.pk)
