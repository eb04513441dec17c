"""Every write to the region tree: create, rename, move, retire, import. Each audited, each atomic."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.audit.services import record
from tongzhan.core.tabular import TabularError, read_rows

from .models import PARENT_LEVEL, Region, validate_code

# Callables `f(region)` run at the end of move_region, inside its transaction, after every path in the
# subtree has changed. Apps that cache ancestry (the people search documents carry ancestor region
# tokens) register here in their AppConfig.ready(); regions itself imports none of them.
SUBTREE_MOVED: list = []


def _require(actor, action: str, region: Region | None = None) -> None:
    if not actor.may("regions.region", action):
        raise PermissionDenied(_("您没有维护行政区划的权限"))
    root = actor.scope_region()
    if region is not None and (root is None or not region.path.startswith(root.path)):
        raise PermissionDenied(_("该区划不在您的管辖范围内"))


def _check_parent(level: str, parent: Region | None) -> None:
    expected = PARENT_LEVEL.get(level)
    if expected is None and parent is not None:
        raise ValidationError(_("区（县）是最高一级，不能有上级"), code="parent_level")
    if expected and (parent is None or parent.level != expected):
        raise ValidationError(
            _("%(level)s的上级必须是%(parent)s") % {"level": Region.Level(level).label,
                                                   "parent": Region.Level(expected).label},
            code="parent_level",
        )
    if parent is not None and parent.is_retired:
        raise ValidationError(_("上级区划“%(name)s”已撤销") % {"name": parent.name}, code="parent_retired")


@transaction.atomic
def create_region(*, actor, name: str, code: str, level: str, parent: Region | None) -> Region:
    _require(actor, "change", parent)
    if parent is None and actor.scope_region().parent_id is not None:
        raise PermissionDenied(_("只有区级用户可以新建区（县）"))
    _check_parent(level, parent)
    validate_code(code, level, parent.code if parent else None)
    region = Region(name=name.strip(), code=code, level=level, parent=parent, path="/pending/")
    region.full_clean(exclude=["path"])
    region.save()
    region.path = f"{parent.path if parent else '/'}{region.pk}/"
    region.save(update_fields=["path"])
    record(actor=actor, event="region.create", obj=region, detail={"code": code, "name": region.name})
    return region


@transaction.atomic
def rename_region(*, actor, region: Region, name: str) -> Region:
    _require(actor, "change", region)
    old = region.name
    region.name = name.strip()
    region.full_clean(exclude=["path"])
    region.save(update_fields=["name", "updated_at"])
    record(actor=actor, event="region.rename", obj=region, detail={"from": old, "to": region.name})
    return region


@transaction.atomic
def move_region(*, actor, region: Region, new_parent: Region) -> Region:
    """Re-hang a subtree (e.g. a village merged into another township); every descendant's path follows."""
    _require(actor, "change", region)
    _require(actor, "change", new_parent)
    if new_parent.path.startswith(region.path):
        raise ValidationError(_("不能把区划移到它自己或它的下级之下"), code="cycle")
    _check_parent(region.level, new_parent)
    old_path, new_path = region.path, f"{new_parent.path}{region.pk}/"
    old_parent = region.parent
    Region.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
    )
    region.parent = new_parent
    region.path = new_path
    region.save(update_fields=["parent", "updated_at"])
    for hook in SUBTREE_MOVED:
        hook(region)
    record(actor=actor, event="region.move", obj=region,
           detail={"from": old_parent.code if old_parent else "", "to": new_parent.code})
    return region


@transaction.atomic
def retire_region(*, actor, region: Region) -> Region:
    """Retire (撤销) a region. Its records stay; it just stops being offered for new ones."""
    _require(actor, "change", region)
    if region.children.filter(is_retired=False).exists():
        raise ValidationError(_("“%(name)s”下还有未撤销的下级区划，请先撤销或移走它们") % {"name": region.name},
                              code="has_children")
    region.is_retired = True
    region.retired_at = timezone.now()
    region.save(update_fields=["is_retired", "retired_at", "updated_at"])
    record(actor=actor, event="region.retire", obj=region)
    return region


@transaction.atomic
def restore_region(*, actor, region: Region) -> Region:
    _require(actor, "change", region)
    if region.parent is not None and region.parent.is_retired:
        raise ValidationError(_("上级区划已撤销，请先恢复上级"), code="parent_retired")
    region.is_retired = False
    region.retired_at = None
    region.save(update_fields=["is_retired", "retired_at", "updated_at"])
    record(actor=actor, event="region.restore", obj=region)
    return region


HEADER = ["code", "name", "parent_code", "level"]
LEVEL_WORDS = {
    "district": "district", "区": "district", "县": "district",
    "township": "township", "乡镇": "township", "镇": "township", "乡": "township", "街道": "township",
    "village": "village", "行政村": "village", "社区": "village", "村": "village",
    "group": "group", "村民小组": "group", "自然村": "group", "组": "group",
}


@dataclass
class RegionImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def import_regions(*, actor, data: bytes, filename: str) -> RegionImportResult:
    """Import `code,name,parent_code,level` rows; all or nothing. Parents may appear in any order."""
    result = RegionImportResult()
    try:
        rows = list(read_rows(data, filename))
    except TabularError as exc:
        result.errors.append(str(exc))
        return result
    if not rows or [c.strip().lower() for c in rows[0][:4]] != HEADER:
        result.errors.append(_("第 1 行应为表头 code,name,parent_code,level"))
        return result
    wanted: dict[str, tuple[int, str, str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        row = (row + ["", "", "", ""])[:4]
        code, name, parent_code, level_word = (cell.strip() for cell in row)
        level = LEVEL_WORDS.get(level_word.lower() if level_word.isascii() else level_word)
        if level is None:
            result.errors.append(_("第 %(n)d 行：层级 “%(v)s” 无法识别（应为 district、township、village 或 group）")
                                 % {"n": number, "v": level_word})
            continue
        if not name:
            result.errors.append(_("第 %(n)d 行：名称为空") % {"n": number})
            continue
        try:
            validate_code(code, level, parent_code or None)
        except ValidationError as exc:
            result.errors.append(_("第 %(n)d 行：") % {"n": number} + " ".join(exc.messages))
            continue
        if code in wanted:
            result.errors.append(_("第 %(n)d 行：代码 %(c)s 与第 %(m)d 行重复") % {"n": number, "c": code, "m": wanted[code][0]})
            continue
        wanted[code] = (number, name, parent_code, level)
    if result.errors:
        return result
    existing = {r.code: r for r in Region.objects.filter(code__in=[*wanted, *(w[2] for w in wanted.values())])}
    try:
        with transaction.atomic():
            pending = dict(wanted)
            while pending:
                progressed = False
                for code, (number, name, parent_code, level) in list(pending.items()):
                    if parent_code and parent_code not in existing:
                        if parent_code in pending:
                            continue
                        raise ValidationError(_("第 %(n)d 行：上级代码 %(p)s 既不在文件中也不在系统中")
                                              % {"n": number, "p": parent_code})
                    parent = existing.get(parent_code) if parent_code else None
                    current = existing.get(code)
                    if current is None:
                        existing[code] = create_region(actor=actor, name=name, code=code, level=level,
                                                       parent=parent)
                        result.created += 1
                    elif current.name != name or current.parent_id != (parent.pk if parent else None):
                        if current.name != name:
                            rename_region(actor=actor, region=current, name=name)
                        if parent is not None and current.parent_id != parent.pk:
                            move_region(actor=actor, region=current, new_parent=parent)
                        result.updated += 1
                    else:
                        result.unchanged += 1
                    del pending[code]
                    progressed = True
                if not progressed:
                    raise ValidationError(_("上级代码存在循环引用：%(codes)s") % {"codes": ", ".join(pending)})
            record(actor=actor, event="region.import",
                   detail={"file": filename[:100], "created": result.created, "updated": result.updated})
    except (ValidationError, PermissionDenied) as exc:
        result.errors.extend(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        result.created = result.updated = result.unchanged = 0
    return result

