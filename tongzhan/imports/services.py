"""Every write of an import: upload, mapping, dry run, commit, undo, and marking a dead worker failed.

The upload waits between steps SM4-encrypted (bound to the batch's uid) in TONGZHAN_DATA_DIR/imports/
with mode 0600, and is deleted once the commit ends, whether it succeeded or failed (SECURITY.md F7).
Progress lives in a small JSON file beside it, outside the import's transaction, so the screen can
poll it while SQLite's one writer is busy (J4).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.audit.services import record
from tongzhan.core import crypto
from tongzhan.people.models import HistoryEntry

from . import layout as layouts_mod
from .models import HeaderMapping, ImportBatch, ImportChange, ImportRow
from .pipeline import Options, build_plan, commit_plan, quiet_gc, township_of

STALE_SECONDS = 120
ABANDONED_SECONDS = 24 * 60 * 60
logger = logging.getLogger(__name__)
LABEL = "importbatch"


def max_bytes() -> int:
    """The upload size cap: the reader's setting (TONGZHAN_UPLOAD_MAX_BYTES), 10 MB by default (F1)."""
    from tongzhan.core.sheet_reader import DEFAULT_MAX_BYTES

    return int(getattr(settings, "TONGZHAN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def upload_path(batch: ImportBatch) -> Path:
    return import_dir() / f"{batch.uid}.upload"


def progress_path(batch: ImportBatch) -> Path:
    return import_dir() / f"{batch.uid}.progress.json"


def require_import(actor, action: str = "change") -> None:
    if not actor.may("imports.importbatch", action):
        raise PermissionDenied(_("您没有导入表格的权限"))


def _store(batch: ImportBatch, data: bytes) -> None:
    blob = crypto.encrypt(base64.b64encode(data).decode("ascii"), table="imports_importbatch",
                          row=str(batch.uid), field="upload")
    fd = os.open(upload_path(batch), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)


def load_upload(batch: ImportBatch) -> bytes:
    path = upload_path(batch)
    if not path.exists():
        raise ValidationError(_("上传的文件已删除（导入已结束或失败），请重新上传"))
    text = crypto.decrypt(path.read_bytes(), table="imports_importbatch", row=str(batch.uid), field="upload")
    return base64.b64decode(text)


def sweep_abandoned(older_than: int = ABANDONED_SECONDS) -> int:
    """Delete uploads nobody carried on with (a batch left at the mapping or the report for a day, F7)."""
    removed, cutoff = 0, time.time() - older_than
    for path in import_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def discard_files(batch: ImportBatch) -> None:
    for path in (upload_path(batch), progress_path(batch)):
        path.unlink(missing_ok=True)


def write_progress(batch: ImportBatch, phase: str, done: int, total: int) -> None:
    path = progress_path(batch)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps({"phase": phase, "done": done, "total": total, "at": time.time(),
                                "pid": os.getpid()}), encoding="ascii")
    os.replace(temp, path)


def read_progress(batch: ImportBatch) -> dict:
    try:
        return json.loads(progress_path(batch).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return {}


def open_upload(data: bytes, filename: str):
    """The workbook, or ValidationError with the reader's own Chinese message (F1: refusals before parsing)."""
    from tongzhan.core.sheet_reader import SheetRefused, open_workbook

    try:
        return open_workbook(data, filename, max_bytes=max_bytes())
    except SheetRefused as exc:
        raise ValidationError(str(exc), code=getattr(exc, "code", "refused")) from exc


def scope_root(actor):
    root = actor.scope_region()
    return root if getattr(root, "pk", None) else None


def options_for(batch: ImportBatch, actor) -> Options:
    root = scope_root(actor)
    township = township_of(batch.target_region or root) if (batch.target_region or root) else None
    return Options(actor=actor, scope_root=root, category=batch.category or None,
                   target_region=batch.target_region, township=township, decisions=batch.decisions)


def _check_target(actor, target_region) -> None:
    if target_region is None:
        return
    root = scope_root(actor)
    if root is not None and not target_region.path.startswith(root.path):
        raise ValidationError({"region": _("所选村（社区）不在您的管辖范围内")})
    if target_region.level not in ("village", "group"):
        raise ValidationError({"region": _("请选择村（社区）一级")})


@transaction.atomic
def start_import(*, actor, data: bytes, filename: str, category: str = "", target_region=None) -> ImportBatch:
    """Check and read the file's layout, propose the mapping, keep the file encrypted for the next steps."""
    require_import(actor)
    _check_target(actor, target_region)
    sweep_abandoned()
    workbook = open_upload(data, filename)
    layouts = layouts_mod.describe(workbook, category or None)
    office = scope_root(actor)
    batch = create_batch(actor=actor, data=data, filename=filename, layouts=layouts, category=category,
                         target_region=target_region, office=office)
    _store(batch, data)
    return batch


@transaction.atomic
def create_batch(*, actor, data: bytes, filename: str, layouts, category: str, target_region, office,
                 status: str = ImportBatch.Status.MAPPING) -> ImportBatch:
    """The batch row: who, the file's name, size and SM3 hash, its sheets and the proposed mapping."""
    require_import(actor)
    if not any(layout.header_row is not None for layout in layouts):
        raise ValidationError(_("在文件中没有找到表头行：表头应至少包含两个可识别的列名，如“姓名”“证件号码”“所在村（社区）”"))
    remembered = HeaderMapping.objects.filter(region=office, signature=layouts_mod.signature(layouts)).first()
    return ImportBatch.objects.create(
        region=office, created_by=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_full_name() if hasattr(actor, "get_full_name") else "") or actor.get_username(),
        file_name=os.path.basename(filename)[:255] or "upload", file_size=len(data), file_sm3=crypto.sm3_hex(data),
        category=category or "", target_region=target_region, status=status,
        sheets=[layout.as_json() for layout in layouts],
        mapping=layouts_mod.propose(layouts, remembered.mapping if remembered else None),
    )


def sheet_layouts(batch: ImportBatch) -> list[layouts_mod.SheetLayout]:
    return [layouts_mod.SheetLayout.from_json(s) for s in batch.sheets]


@transaction.atomic
def save_mapping(*, actor, batch: ImportBatch, mapping: dict[str, list[str]]) -> ImportBatch:
    """Set the batch's mapping and remember it for the office's next file with the same headers."""
    require_import(actor)
    if batch.status not in (ImportBatch.Status.MAPPING, ImportBatch.Status.CHECKED):
        raise ValidationError(_("该批次已开始导入，不能再修改列对应"))
    errors = []
    for layout in sheet_layouts(batch):
        if layout.header_row is None:
            continue
        keys = list(mapping.get(str(layout.index), []))[: len(layout.headers)]
        keys += [""] * (len(layout.headers) - len(keys))
        seen = set()
        for header, key in zip(layout.headers, keys, strict=True):
            if key and layouts_mod.column_by_key(layout.category, key) is None:
                errors.append(_("工作表“%(s)s”的列“%(h)s”：无效的对应") % {"s": layout.name, "h": header})
            elif key and key in seen:
                errors.append(_("工作表“%(s)s”中有两列都对应到同一项，请只保留一列（%(h)s）") % {"s": layout.name, "h": header})
            seen.add(key)
        mapping[str(layout.index)] = keys
    if errors:
        raise ValidationError(errors)
    batch.mapping = mapping
    batch.status = ImportBatch.Status.MAPPING
    batch.save(update_fields=["mapping", "status", "updated_at"])
    layouts = sheet_layouts(batch)
    HeaderMapping.objects.update_or_create(
        region=batch.region, signature=layouts_mod.signature(layouts),
        defaults={"mapping": layouts_mod.remembered_form(layouts, mapping)})
    return batch


@transaction.atomic
def save_decisions(*, actor, batch: ImportBatch, decisions: dict[str, str]) -> ImportBatch:
    require_import(actor)
    batch.decisions = {k: "take" for k, v in decisions.items() if v == "take"}
    batch.save(update_fields=["decisions", "updated_at"])
    return batch


def mark_running(*, batch: ImportBatch, status: str, pid: int | None) -> None:
    """In its own transaction, before the work: the screen (and a reaper) can see the batch is running."""
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=status, worker_pid=pid, error="",
                                                       updated_at=timezone.now())
    batch.status, batch.worker_pid = status, pid
    write_progress(batch, "start", 0, 0)


def mark_failed(*, batch: ImportBatch, message: str) -> None:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED, error=message[:500],
                                                       updated_at=timezone.now())
        record(actor=None, username="system", event="import.fail", obj=batch, result="failure",
               detail={"sm3": batch.file_sm3, "phase": batch.status})
    batch.status, batch.error = ImportBatch.Status.FAILED, message[:500]
    discard_files(batch)


def _save_rows(batch: ImportBatch, result) -> None:
    """The report rows, written a chunk at a time (people.services.bulk.RowWriter), never all as objects."""
    from tongzhan.people.services.bulk import RowWriter

    ImportRow.objects.filter(batch=batch).delete()
    RowWriter(ImportRow, with_pk=False).values(
        {"batch_id": batch.pk, "sheet": r.sheet[:64], "row": r.row, "status": r.status, "label": r.label,
         "problems": r.problems, "warnings": r.warnings, "conflicts": r.conflicts} for r in result.reports)


def _set_counts(batch: ImportBatch, counts: dict) -> list[str]:
    for name in ("created", "updated", "unchanged", "rejected", "warnings", "conflicts"):
        setattr(batch, name, counts[name])
    return ["created", "updated", "unchanged", "rejected", "warnings", "conflicts"]


def run_check(*, actor, batch: ImportBatch) -> ImportBatch:
    """The dry run of a batch: the report rows and counts; the registry is not touched."""
    require_import(actor)
    mark_running(batch=batch, status=ImportBatch.Status.CHECKING, pid=os.getpid())
    try:
        workbook = open_upload(load_upload(batch), batch.file_name)
        with quiet_gc():
            result = build_plan(workbook, sheet_layouts(batch), batch.mapping, options_for(batch, actor),
                                progress=lambda phase, done, total: write_progress(batch, phase, done, total))
        with transaction.atomic():
            _save_rows(batch, result)
            fields = _set_counts(batch, result.counts)
            batch.status = ImportBatch.Status.CHECKED
            batch.sheets = [{**s, "unknown": [u["column"] for u in result.unknown_columns if u["sheet"] == s["name"]]}
                            for s in batch.sheets]
            batch.save(update_fields=[*fields, "status", "sheets", "updated_at"])
    except Exception as exc:
        mark_failed(batch=batch, message=_failure_message(exc))
        raise
    progress_path(batch).unlink(missing_ok=True)
    return batch


def run_commit(*, actor, batch: ImportBatch) -> ImportBatch:
    """The worker's commit: the stored upload, read afresh and written in one transaction; files removed after."""
    require_import(actor)
    if batch.status not in (ImportBatch.Status.CHECKED, ImportBatch.Status.COMMITTING):
        raise ValidationError(_("请先完成预检再导入"))
    mark_running(batch=batch, status=ImportBatch.Status.COMMITTING, pid=os.getpid())
    try:
        workbook = open_upload(load_upload(batch), batch.file_name)
        commit_loaded(actor=actor, batch=batch, workbook=workbook, options=options_for(batch, actor))
    except Exception as exc:
        mark_failed(batch=batch, message=_failure_message(exc))
        raise
    discard_files(batch)
    return batch


def commit_loaded(*, actor, batch: ImportBatch, workbook, options: Options):
    """Plan again against the registry as it is now and write every accepted row in ONE transaction,
    with the batch's counts, undo records, report rows and one audit row (E1: counts and hash only).
    Returns the plan (its reports are the command's JSON report)."""
    from tongzhan.people.services.bulk import RowWriter

    require_import(actor)
    label = _("表格导入（批次 %(id)s）") % {"id": batch.pk}
    progress = lambda phase, done, total: write_progress(batch, phase, done, total)  # noqa: E731
    with quiet_gc(), transaction.atomic():
        result = build_plan(workbook, sheet_layouts(batch), batch.mapping, options, progress=progress)
        changes = commit_plan(result, actor=actor, label=label, progress=progress)
        RowWriter(ImportChange, with_pk=False).values(
            {"batch_id": batch.pk, "person_id": person_id, "kind": kind, "before": before}
            for kind, person_id, before in changes)
        _save_rows(batch, result)
        fields = _set_counts(batch, result.counts)
        batch.status = ImportBatch.Status.DONE
        batch.committed_at = timezone.now()
        batch.history_high = HistoryEntry.objects.aggregate(m=Max("id"))["m"] or 0
        batch.save(update_fields=[*fields, "status", "committed_at", "history_high", "updated_at"])
        record(actor=actor, event="import.commit", obj=batch, detail={
            "sm3": batch.file_sm3, "file_size": batch.file_size, **result.counts})
    progress_path(batch).unlink(missing_ok=True)
    return result


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("没有权限")
    return _("导入时发生错误（%(kind)s），未写入任何数据，可重新上传导入") % {"kind": type(exc).__name__}


def worker_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped is a zombie: dead for our purposes
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def reap_if_dead(batch: ImportBatch) -> bool:
    """Mark a running batch failed when its worker is gone or silent (J4). Returns True when it did."""
    if not batch.is_running:
        return False
    progress = read_progress(batch)
    silent = time.time() - float(progress.get("at", batch.updated_at.timestamp())) > STALE_SECONDS
    same_host_dead = batch.worker_pid is not None and not worker_alive(batch.worker_pid)
    if not (silent or same_host_dead):
        return False
    mark_failed(batch=batch, message=_("处理进程意外中止，未写入任何数据；请重新上传导入"))
    return True


def changed_since(batch: ImportBatch) -> list[str]:
    """Names of the people this batch touched that someone changed after it (undo must not undo them)."""
    ids = list(batch.changes.exclude(person=None).values_list("person_id", flat=True))
    names = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        touched = (HistoryEntry.objects.filter(person_id__in=chunk, id__gt=batch.history_high or 0)
                   .values_list("person__name", flat=True).distinct())
        names.extend(touched)
    return sorted(set(names))


@transaction.atomic
def undo_batch(*, actor, batch: ImportBatch) -> ImportBatch:
    """Remove the people the batch created, restore what it changed; refused if any was changed since."""
    from tongzhan.people.services import bulk

    require_import(actor, "undo")
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.DONE:
        raise ValidationError(_("只有已导入的批次可以撤销"))
    names = changed_since(batch)
    if names:
        shown = "、".join(names[:10]) + (_(" 等 %(n)s 人") % {"n": len(names)} if len(names) > 10 else "")
        raise ValidationError(_("以下人员在本次导入之后又被修改过，不能撤销本批次：%(names)s。"
                                "请先核对这些人员的记录。") % {"names": shown})
    changes = list(batch.changes.exclude(person=None).select_related("person__region"))
    created = [c.person for c in changes if c.kind == ImportChange.Kind.CREATED]
    restored = [(c.person, c.before.get("person"), c.before.get("details", {}), c.before.get("joined", []))
                for c in changes if c.kind == ImportChange.Kind.UPDATED]
    bulk.undo_import(actor=actor, created=created, restored=restored,
                     label=_("撤销表格导入（批次 %(id)s）") % {"id": batch.pk}, audit_obj=batch,
                     audit_detail={"sm3": batch.file_sm3, "removed": len(created), "restored": len(restored)})
    batch.status = ImportBatch.Status.UNDONE
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_at", "updated_at"])
    return batch


def launch(*, actor, batch: ImportBatch, phase: str) -> None:
    """Run the dry run or the commit: in a worker subprocess (`manage.py run_import`), or inline.

    Inline is for tests and single-process set-ups (settings.IMPORT_WORKER = "inline"; the default
    under tests). The batch is marked running before the worker starts, so the screen polls at once.
    """
    status = ImportBatch.Status.CHECKING if phase == "check" else ImportBatch.Status.COMMITTING
    mode = getattr(settings, "IMPORT_WORKER", "inline" if settings.TESTING else "subprocess")
    if mode == "inline":
        runner = run_check if phase == "check" else run_commit
        try:
            runner(actor=actor, batch=batch)
        except Exception:  # noqa: BLE001 — marked failed with its message; the screen shows it
            logger.exception("import %s of batch %s failed", phase, batch.pk)
        return
    import subprocess
    import sys

    mark_running(batch=batch, status=status, pid=None)
    process = subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_import", str(batch.pk), phase,
         "--user", str(actor.pk)],
        cwd=str(settings.BASE_DIR), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    ImportBatch.objects.filter(pk=batch.pk).update(worker_pid=process.pid)
