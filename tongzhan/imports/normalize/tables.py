"""Parsers of the column kinds that name rows of the database: villages, categories, code tables.

Each table is loaded once per Context (one query), never once per row."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tongzhan.people.models import (
    Category,
    CategoryCode,
    Country,
    Education,
    Ethnicity,
    PoliticalAffiliation,
    Religion,
)
from tongzhan.regions.models import Region

from .base import Context, ValueProblem, choices_problem, key

_VILLAGE_SUFFIXES = ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "社区", "居委", "村")


def _core(name: str) -> str:
    for suffix in _VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class _Villages:
    """The villages inside a context's township (or scope root), indexed for matching."""

    base: Region
    by_name: dict[str, list[Region]]
    by_core: dict[str, list[Region]]
    by_code: dict[str, Region]
    retired: dict[str, Region]
    prefixes: list[str]  # district and township names a writer may put in front ("梅山乡东海村")
    names: list[str]


def _village_index(context: Context) -> _Villages:
    base = context.township or context.root
    rows = Region.objects.filter(path__startswith=base.path, level=Region.Level.VILLAGE).select_related(
        "parent", "parent__parent")
    index = _Villages(base, {}, {}, {}, {}, [], [])
    prefixes = set()
    ancestors = Region.objects.filter(pk__in=base.ancestor_ids()).exclude(
        level__in=[Region.Level.VILLAGE, Region.Level.GROUP])
    for ancestor in ancestors:
        prefixes.add(key(ancestor.name))
    for village in rows:
        if village.is_retired:
            index.retired.setdefault(key(village.name), village)
            index.retired.setdefault(_core(key(village.name)), village)
            continue
        index.by_name.setdefault(key(village.name), []).append(village)
        index.by_core.setdefault(_core(key(village.name)), []).append(village)
        index.by_code[village.code] = village
        index.names.append(village.name)
        for above in (village.parent, village.parent.parent if village.parent else None):
            if above is not None and above.level != Region.Level.VILLAGE:
                prefixes.add(key(above.name))
    index.prefixes = sorted((p for p in prefixes if p), key=len, reverse=True)
    return index


def _strip_prefixes(value: str, prefixes: list[str]) -> tuple[str, list[str]]:
    """The value without the district and township names written in front of it, and those names."""
    stripped = []
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if value.startswith(prefix) and len(value) > len(prefix):
                value, changed = value[len(prefix):], True
                stripped.append(prefix)
    return value, stripped


def _under(village: Region, names: list[str]) -> bool:
    above = {key(a.name) for a in (village.parent, village.parent.parent if village.parent else None) if a}
    return all(name in above for name in names)


def _village_label(village: Region, several_townships: bool) -> str:
    if several_townships and village.parent is not None:
        return f"{village.parent.name}{village.name}"
    return village.name


def parse_region(column, cell, context, row):
    """A village by its name, written in full, abbreviated (东海 → 东海村), with stray spaces, with its
    township in front, or by its 12-digit code; only inside the context's township (or scope)."""
    index = context.cached("villages", lambda: _village_index(context))
    value = str(cell.value) if cell.kind == "number" and isinstance(cell.value, int) else key(cell.text)
    if value.isdigit():
        found = index.by_code.get(value)
        if found is None:
            raise ValueProblem("region_unknown", _("{scope}下没有代码为 {value} 的村（社区）"),
                               scope=index.base.name, value=value)
        return found
    candidates = index.by_name.get(value)
    if not candidates:
        value, written_above = _strip_prefixes(value, index.prefixes)
        candidates = index.by_name.get(value) or index.by_core.get(_core(value)) or []
        candidates = [v for v in candidates if _under(v, written_above)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        several = len({v.parent_id for v in candidates}) > 1
        raise ValueProblem("region_ambiguous", _("“{value}”对应多个村（社区）：{candidates}；请写全称"),
                           value=cell.text, candidates="、".join(_village_label(v, several) for v in candidates))
    retired = index.retired.get(value) or index.retired.get(_core(value))
    if retired is not None:
        raise ValueProblem("region_retired", _("村（社区）“{value}”已撤销，请填写现在所属的村（社区）"), value=cell.text)
    if _exists_elsewhere(context, index, value):
        raise ValueProblem("region_out_of_scope", _("村（社区）“{value}”不在{scope}范围内"),
                           value=cell.text, scope=index.base.name)
    known = "、".join(index.names[:12]) + ("等" if len(index.names) > 12 else "")
    raise ValueProblem("region_unknown", _("找不到村（社区）“{value}”：{scope}下没有这个名称（有：{known}）"),
                       value=cell.text, scope=index.base.name, known=known or _("无"))


def _exists_elsewhere(context: Context, index: _Villages, value: str) -> bool:
    """Whether the village exists outside the context (one query per distinct unknown value)."""
    seen = context.cached("villages_elsewhere", dict)
    if value not in seen:
        wanted = {value, *(value + suffix for suffix in ("村", "社区"))}
        seen[value] = (Region.objects.filter(level=Region.Level.VILLAGE, is_retired=False, name__in=wanted)
                       .exclude(path__startswith=index.base.path).exists())
    return seen[value]


def parse_category(column, cell, context, row):
    """One of the ten categories by code, name or short name (企业家, 民主党派, 民主党派成员, entrepreneur)."""
    def build():
        table = {}
        for category in Category.objects.all():
            label = CategoryCode(category.code).label if category.code in CategoryCode.values else ""
            for word in (category.code, category.name, category.short_name, label):
                if word:
                    table[key(word)] = category
        return table

    table = context.cached("categories", build)
    found = table.get(key(cell.text))
    if found is None:
        accepted = "、".join(sorted({c.short_name for c in table.values()}, key=lambda s: s))
        raise choices_problem(column, cell.text, accepted)
    return found


CODE_MODELS = {"ethnicity": Ethnicity, "religion": Religion, "political": PoliticalAffiliation,
               "education": Education, "country": Country}
# What offices write besides the tables' own names and codes.
CODE_ALIASES = {
    "political": {"党员": "01", "共产党员": "01", "中共": "01", "预备党员": "02", "团员": "03", "共青团员": "03",
                  "民革": "04", "民盟": "05", "民建": "06", "民进": "07", "农工党": "08", "农工": "08",
                  "致公党": "09", "九三": "10", "九三学社": "10", "台盟": "11", "无党派": "12", "群众": "13"},
    "education": {"研究生": "10", "博士": "11", "博士研究生": "11", "硕士": "14", "硕士研究生": "14",
                  "本科": "21", "大学本科": "21", "大学": "21", "大专": "31", "专科": "31", "大学专科": "31",
                  "中专": "41", "中等专科": "41", "职高": "44", "技校": "47", "高中": "61", "普通高中": "61",
                  "初中": "71", "小学": "81"},
    "religion": {"佛": "1", "道": "2", "伊斯兰": "3", "天主": "4", "基督": "5", "新教": "5", "基督新教": "5",
                 "无": "9", "无宗教": "9", "不信教": "9", "无信仰": "9"},
    "country": {"香港": "HK", "澳门": "MO", "台湾": "TW"},
    "ethnicity": {},
}
CODE_EXAMPLES = {"ethnicity": _("汉族、回族、满族"), "religion": _("佛教、道教、无宗教信仰"),
                 "political": _("中共党员、民盟盟员、群众"), "education": _("大学本科毕业、大专、高中"),
                 "country": _("美国、中国香港、中国台湾")}


def _code_table(table: str) -> dict[str, object]:
    model = CODE_MODELS[table]
    rows = list(model.objects.all())
    by_code = {row.code: row for row in rows}
    keys: dict[str, object] = {}
    for row in rows:
        words = [row.code, row.name]
        if row.code.isdigit():
            words.append(row.code.lstrip("0") or "0")
        if table == "ethnicity":
            words += [row.roman, row.name.removesuffix("族")]  # 汉 for 汉族, 维吾尔 for 维吾尔族
        elif table == "political":
            words.append(row.short_name)
        elif table == "country":
            words += [row.alpha3, row.numeric]
        elif table == "education" and row.name.endswith("毕业"):
            words.append(row.name.removesuffix("毕业"))
        for word in words:
            if word:
                keys.setdefault(key(word), row)
    for word, code in CODE_ALIASES[table].items():
        if code in by_code:
            keys.setdefault(key(word), by_code[code])
    return keys


def parse_code(column, cell, context, row):
    """A code-table row by name, short name or code (汉 / 汉族 / 01; 党员 / 中共党员; 本科 / 大学本科)."""
    table = column.kind.split(":", 1)[1]
    keys = context.cached(f"code:{table}", lambda: _code_table(table))
    word = str(cell.value) if cell.kind == "number" and isinstance(cell.value, int) else key(cell.text)
    found = keys.get(word) or keys.get(word.zfill(2))
    if found is None:
        raise ValueProblem("unknown_value", _("“{header}”不认识“{value}”：请填写名称或代码，如 {examples}"),
                           header=column.header, value=cell.text, examples=CODE_EXAMPLES[table])
    if column.key == "detail.party" and not found.is_democratic_party:
        raise ValueProblem("not_a_party", _("“{header}”应为八个民主党派之一（如 民盟、民建、九三学社），这里是“{value}”"),
                           header=column.header, value=cell.text)
    return found
