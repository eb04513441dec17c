"""`python manage.py import_people FILE [--category CODE] [--region CODE] [--dry-run] [--report PATH.json]`

The same pipeline as the import screens (tongzhan.imports.pipeline): header detection, the mapping
proposed from the headers (and the office's remembered one), the dry run, and — without --dry-run — the
commit of every accepted row in one transaction, as one ImportBatch that the batch screen can undo.
Conflicting values are never overwritten from the command line: they are kept and listed as warnings.

The JSON report: created, updated, unchanged, rejected, warnings (counts), data_rows, unknown_columns,
and rows — [{row, sheet, status, problems: [{column, value, message}], warnings, conflicts}] — where `row`
is the number the sheet shows. ID numbers and phones in it are masked (SECURITY.md D3, D6).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongzhan.core.actors import SYSTEM


class Command(BaseCommand):
    help = "从 .xlsx/.xls/.csv 导入统战对象（可先预检 --dry-run）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--category", default="", help="整个文件属于的类别代码，如 entrepreneur")
        parser.add_argument("--region", default="", help="村（社区）代码：整个文件属于该村；乡镇代码：在该乡镇内匹配村名")
        parser.add_argument("--dry-run", action="store_true", help="只预检，不写入")
        parser.add_argument("--report", default="", help="把逐行结果写入此 JSON 文件")
        parser.add_argument("--user", default="", help="以该用户的身份和管辖范围导入（默认：命令行操作者 system）")
        parser.add_argument("--max-mb", type=int, default=0, help="文件大小上限（MB），默认与网页上传相同")

    def handle(self, *args, **options):
        from tongzhan.imports import layout, services
        from tongzhan.imports.models import HeaderMapping, ImportBatch  # noqa: F401
        from tongzhan.imports.pipeline import Options, build_plan, quiet_gc, township_of
        from tongzhan.people.models import Category
        from tongzhan.regions.models import Region

        actor = self._actor(options["user"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(path)s：%(err)s") % {"path": path, "err": exc.strerror}) from exc
        category = options["category"].strip()
        if category and not Category.objects.filter(code=category).exists():
            raise CommandError(_("没有类别代码“%(code)s”，可用：%(codes)s") % {
                "code": category, "codes": "、".join(Category.objects.values_list("code", flat=True))})
        root = services.scope_root(actor)
        target = township = None
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"].strip()).first()
            if region is None:
                raise CommandError(_("没有区划代码“%(code)s”") % {"code": options["region"]})
            if root is not None and not region.path.startswith(root.path):
                raise CommandError(_("区划“%(name)s”不在该用户的管辖范围内") % {"name": region.name})
            if region.level in ("village", "group"):
                target = region
            else:
                root = region
            township = township_of(region)
        elif root is not None:
            township = township_of(root)
        limit = options["max_mb"] * 1024 * 1024 if options["max_mb"] else services.max_bytes()
        from tongzhan.core.sheet_reader import SheetRefused, open_workbook

        try:
            workbook = open_workbook(data, path.name, max_bytes=limit)
        except SheetRefused as exc:
            raise CommandError(str(exc)) from exc
        layouts = layout.describe(workbook, category or None)
        office = region or root or Region.objects.filter(parent=None).order_by("code").first()
        remembered = HeaderMapping.objects.filter(region=office, signature=layout.signature(layouts)).first()
        mapping = layout.propose(layouts, remembered.mapping if remembered else None)
        if not any(item.header_row is not None for item in layouts):
            raise CommandError(_("在文件中没有找到表头行：表头应至少包含两个可识别的列名"))
        run = Options(actor=actor, scope_root=root, category=category or None, target_region=target,
                      township=township)
        batch = None
        try:
            if options["dry_run"]:
                with quiet_gc():
                    result = build_plan(workbook, layouts, mapping, run)
            else:
                batch = services.create_batch(actor=actor, data=data, filename=path.name, layouts=layouts,
                                              category=category, target_region=target, office=office,
                                              status=ImportBatch.Status.CHECKED)
                result = services.commit_loaded(actor=actor, batch=batch, workbook=workbook, options=run)
        except (ValidationError, PermissionDenied) as exc:
            message = "；".join(getattr(exc, "messages", [str(exc)]))
            if batch is not None:
                services.mark_failed(batch=batch, message=message)
            raise CommandError(message) from exc
        except Exception:
            if batch is not None:
                services.mark_failed(batch=batch, message=_("导入时发生错误，未写入任何数据"))
            raise
        self._print(result, batch, options["dry_run"])
        if options["report"]:
            self._write_report(options["report"], path.name, result, batch)

    def _actor(self, username: str):
        if not username:
            return SYSTEM
        from tongzhan.accounts.models import User

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("没有启用的用户“%(name)s”") % {"name": username})
        if not user.may("imports.importbatch", "change"):
            raise CommandError(_("用户“%(name)s”没有导入表格的权限") % {"name": username})
        return user

    def _print(self, result, batch, dry_run: bool) -> None:
        counts = result.counts
        head = _("预检（未写入）") if dry_run else _("已导入，批次 %(id)s") % {"id": batch.pk}
        self.stdout.write(_("%(head)s：数据行 %(rows)s，新增 %(c)s，更新 %(u)s，无变化 %(n)s，拒绝 %(r)s，提示 %(w)s") % {
            "head": head, "rows": len(result.reports), "c": counts["created"], "u": counts["updated"],
            "n": counts["unchanged"], "r": counts["rejected"], "w": counts["warnings"]})
        for unknown in result.unknown_columns:
            self.stdout.write(_("  工作表“%(s)s”：%(m)s") % {"s": unknown["sheet"], "m": unknown["message"]})
        shown = 0
        for report in result.reports:
            for problem in report.problems:
                if shown >= 20:
                    break
                self.stdout.write(_("  第 %(row)s 行 [%(col)s] %(val)s：%(msg)s") % {
                    "row": report.row, "col": problem["column"], "val": problem["value"], "msg": problem["message"]})
                shown += 1
        if counts["rejected"] and shown >= 20:
            self.stdout.write(_("  ……其余问题见 --report 报告"))

    def _write_report(self, target: str, name: str, result, batch) -> None:
        """Written row by row: a 100,000-row report is never one list of dicts in memory."""
        counts = result.counts
        head = {
            "file": name,
            "batch": batch.pk if batch is not None else None,
            "created": counts["created"], "updated": counts["updated"], "unchanged": counts["unchanged"],
            "rejected": counts["rejected"], "warnings": counts["warnings"], "conflicts": counts["conflicts"],
            "data_rows": len(result.reports),
            "unknown_columns": result.unknown_columns,
        }
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [\n')
            for index, r in enumerate(result.reports):
                handle.write((",\n" if index else "") + json.dumps(
                    {"row": r.row, "sheet": r.sheet, "status": r.status, "problems": r.problems,
                     "warnings": r.warnings, "conflicts": r.conflicts}, ensure_ascii=False))
            handle.write("\n]}\n")
