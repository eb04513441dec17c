"""Exports of the registry and the second person's approval of large unmasked ones.

SECURITY.md D3/D5: masked unless the user holds "unmask" and asks, with a purpose; watermarked; audited
with the filter (never an ID or phone searched for), the row count, the columns, masked or not, the
purpose and the SM3 of the file's bytes. C7: more than 200 rows unmasked need another authorised user's
approval, and the requester then downloads once, within a day. G1/G3/F7 are the writer's
(`core/sheet_writer.py`). Re-authentication (B5) is the view's, like every other request-bound check.

An export changes no registry row, but it is a disclosure: the audit row is written after the file is
complete and hashed, in the transaction that also consumes an approval, and only then is the file
handed over. If that transaction fails, nothing is served and the temporary file is removed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.audit.services import record
from tongzhan.core import sheet_writer

from ..excel import ExportSpec, RowBuilder, out_columns
from ..export_selectors import export_chunks, export_ids
from ..models import ExportRequest
from ..selectors import Criteria, classify
from .common import require

APPROVAL_THRESHOLD = 200  # unmasked rows one person may take alone (C7)
APPROVAL_VALID = datetime.timedelta(hours=24)
PURPOSE_MIN = 4


class ApprovalRequired(Exception):
    """An unmasked export of more than APPROVAL_THRESHOLD rows: it needs a second person's approval."""

    def __init__(self, rows: int):
        super().__init__("approval required")
        self.rows = rows


@dataclass
class ExportFile:
    """A finished export, ready to serve: an open handle whose file is already off the disk."""

    handle: object
    filename: str
    ascii_filename: str
    content_type: str
    rows: int
    sm3: str

    @property
    def content_disposition(self) -> str:
        return sheet_writer.attachment_header(self.ascii_filename, self.filename)


def clean_purpose(purpose: str) -> str:
    purpose = " ".join((purpose or "").split())
    if len(purpose) < PURPOSE_MIN:
        raise ValidationError({"purpose": [_("请填写导出用途（至少 %(n)d 个字）") % {"n": PURPOSE_MIN}]})
    return purpose[:200]


def _check_spec(actor, spec: ExportSpec, criteria: Criteria) -> str:
    require(actor, "people.person", "export")
    if not spec.masked:
        require(actor, "people.person", "unmask")
    if spec.fmt not in sheet_writer.FORMATS:
        raise ValidationError({"file_format": [_("不支持的文件格式")]})
    if spec.layout == "category" and (spec.category is None or criteria.category != spec.category):
        raise ValidationError({"layout": [_("类别专表须先在查询条件中选定一个类别")]})
    return clean_purpose(spec.purpose)


def export_people(*, actor, criteria: Criteria, spec: ExportSpec, description: dict,
                  export_request: ExportRequest | None = None) -> ExportFile:
    """Write every matching person in the actor's scope to a file, audit it, and return it to serve.

    Raises ApprovalRequired for an unmasked export over the threshold without an approved request,
    ValidationError for anything the user can correct, PermissionDenied for a missing grant.
    """
    purpose = _check_spec(actor, spec, criteria)
    ids = export_ids(actor, criteria)
    if not ids:
        raise ValidationError(_("没有符合条件的记录，无需导出"))
    if export_request is not None:
        check_downloadable(actor=actor, export_request=export_request, rows=len(ids))
    elif not spec.masked and len(ids) > APPROVAL_THRESHOLD:
        raise ApprovalRequired(len(ids))

    columns = spec.columns
    builder = RowBuilder(columns, masked=spec.masked)
    now = timezone.localtime()
    who = f"{actor.get_full_name() or actor.get_username()}（{actor.get_username()}）"
    watermark = sheet_writer.Watermark(who=who, when=now, purpose=purpose,
                                       note=_("敏感信息已脱敏") if spec.masked else _("含完整敏感信息"))
    extension = sheet_writer.EXTENSIONS[spec.fmt]
    sheet_writer.sweep_stale()
    with sheet_writer.temporary_file(extension) as temp:
        with sheet_writer.open_writer(spec.fmt, temp.path, sheet_name=spec.sheet_name, columns=out_columns(columns),
                                      watermark=watermark, title=_("统战对象导出")) as writer:
            for chunk in export_chunks(actor, ids, category_code=spec.category_code):
                for row in chunk:
                    writer.write_row(builder.cells(row))
        digest = sheet_writer.sm3_of_file(temp.path)
        detail = {
            "filter": description, "rows": writer.rows_written, "columns": [str(c.header) for c in columns],
            "masked": spec.masked, "format": spec.fmt, "layout": spec.layout,
            "category": spec.category_code or "", "sm3": digest,
        }
        if builder.integrity_failures:
            detail["integrity_failures"] = builder.integrity_failures
        with transaction.atomic():
            if export_request is not None:
                _consume(actor=actor, export_request=export_request, rows=len(ids))
                detail["request"] = export_request.pk
            record(actor=actor, event="person.export", obj=export_request, reason=purpose, detail=detail)
        handle = temp.serve()
    stamp = f"{now:%Y%m%d-%H%M%S}"
    return ExportFile(
        handle=handle, rows=writer.rows_written, sm3=digest, content_type=sheet_writer.CONTENT_TYPES[spec.fmt],
        filename=_("统战对象导出-%(sheet)s-%(stamp)s.%(ext)s") % {"sheet": spec.sheet_name, "stamp": stamp,
                                                             "ext": extension},
        ascii_filename=f"tongzhan-export-{spec.category_code or 'people'}-{stamp}.{extension}",
    )


@transaction.atomic
def request_export(*, actor, spec: ExportSpec, criteria: Criteria, query: str, description: dict,
                   rows: int) -> ExportRequest:
    """Ask a second person to approve an unmasked export of `rows` people (C7)."""
    purpose = _check_spec(actor, spec, criteria)
    if spec.masked:
        raise ValidationError(_("脱敏导出不需要审批"))
    if classify(criteria.q)[0] in ("id", "phone"):  # the request would keep the number in the database
        raise ValidationError(_("按证件号码或电话查询的结果不能申请批量导出"))
    region = actor.scope_region()
    if getattr(region, "pk", None) is None:
        raise PermissionDenied(_("您没有执行此操作的权限"))
    export_request = ExportRequest(
        requester=actor, region=region, query=query, description=description, layout=spec.layout,
        category=spec.category if spec.layout == "category" else None, file_format=spec.fmt, purpose=purpose,
        row_count=rows,
    )
    export_request.full_clean()
    export_request.save()
    record(actor=actor, event="person.export_request", obj=export_request, reason=purpose,
           detail={"filter": description, "rows": rows, "layout": spec.layout, "format": spec.fmt})
    return export_request


@transaction.atomic
def decide_export_request(*, actor, export_request: ExportRequest, approve: bool, note: str = "") -> ExportRequest:
    """Approve or reject, by another user holding the "approve" grant over the requester's region."""
    require(actor, "people.exportrequest", "approve", export_request.region)
    if export_request.requester_id == actor.pk:
        raise PermissionDenied(_("不能审批本人提交的导出申请"))
    locked = ExportRequest.objects.select_for_update().get(pk=export_request.pk)
    if locked.status != ExportRequest.Status.PENDING:
        raise ValidationError(_("该申请已经处理过（%(status)s）") % {"status": locked.get_status_display()})
    note = " ".join((note or "").split())[:200]
    if not approve and not note:
        raise ValidationError({"note": [_("驳回时请填写理由")]})
    locked.status = ExportRequest.Status.APPROVED if approve else ExportRequest.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.full_clean()
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    record(actor=actor, event="person.export_approve" if approve else "person.export_reject", obj=locked,
           reason=note, detail={"requester": locked.requester.get_username(), "rows": locked.row_count})
    return locked


def download_deadline(export_request: ExportRequest):
    return export_request.decided_at + APPROVAL_VALID if export_request.decided_at else None


def check_downloadable(*, actor, export_request: ExportRequest, rows: int | None = None) -> None:
    """The requester, once, within a day of the approval, no more rows than approved."""
    if export_request.requester_id != actor.pk:
        raise PermissionDenied(_("只有申请人本人可以下载"))
    status = export_request.status
    if status == ExportRequest.Status.PENDING:
        raise ValidationError(_("该申请尚未审批，批准后才能下载"))
    if status == ExportRequest.Status.REJECTED:
        raise ValidationError(_("该申请已被驳回，不能下载"))
    if status == ExportRequest.Status.DOWNLOADED:
        raise ValidationError(_("该申请已下载过一次，不能重复下载；如需再次导出请重新申请"))
    if timezone.now() > download_deadline(export_request):
        raise ValidationError(_("批准已超过 24 小时，已经失效，请重新申请"))
    if rows is not None and rows > export_request.row_count:
        raise ValidationError(_("符合条件的记录已增至 %(now)d 条，超过批准的 %(then)d 条，请重新申请")
                              % {"now": rows, "then": export_request.row_count})


def _consume(*, actor, export_request: ExportRequest, rows: int) -> None:
    locked = ExportRequest.objects.select_for_update().get(pk=export_request.pk)
    check_downloadable(actor=actor, export_request=locked, rows=rows)
    locked.status = ExportRequest.Status.DOWNLOADED
    locked.downloaded_at = timezone.now()
    locked.save(update_fields=["status", "downloaded_at", "updated_at"])
    export_request.status, export_request.downloaded_at = locked.status, locked.downloaded_at
