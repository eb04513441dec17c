"""The spreadsheet columns of the registry: one definition for import, export and the blank templates.

An export is re-importable as is because both sides read this module: the exporter writes `header`,
the importer recognises `header` and every synonym an office is known to write (身份证号 / 身份证号码 /
公民身份号码 …). Headers are compared after `normalize_header`: NFKC (full width → half width), no
spaces, no marks such as "*" or "（必填）".

A category sheet has the person columns, then the category's own attributes (derived from its detail
model, so a new attribute is a new column without editing this file). Where a category attribute has
the same header as a person column (专业技术人员's 工作单位 and 职务), the category attribute wins and the
person column is left out of that sheet; on import the value fills both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import DETAIL_MODELS, CategoryCode


@dataclass(frozen=True)
class Column:
    """One column. `key` is `person.<field>`, `detail.<field>` or `category`; `kind` says how to parse it."""

    key: str
    header: str
    kind: str = "text"  # text, id_number, id_kind, phone, date, int, year, bool, sex, region, category,
    #                     code:<model> (ethnicity, religion, political, education, country), choice
    synonyms: tuple[str, ...] = ()
    required: bool = False
    sensitive: bool = False  # masked on export unless the user may and does ask otherwise
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = field(default=())  # (value, label) for kind "choice"
    help: str = ""

    @property
    def field(self) -> str:
        return self.key.split(".", 1)[-1]

    @property
    def is_detail(self) -> bool:
        return self.key.startswith("detail.")


PERSON_COLUMNS: tuple[Column, ...] = (
    Column("person.name", _("姓名"), required=True, max_length=64, synonyms=("名字", "人员姓名"),
           help=_("必填。少数民族姓名中的间隔号写作 ·")),
    Column("person.sex", _("性别"), kind="sex", help=_("男 / 女；有居民身份证号码时可不填，由号码推出")),
    Column("person.birth_date", _("出生日期"), kind="date", synonyms=("出生年月", "出生年月日", "生日"),
           help=_("如 1965-03-12、1965.03、1965年3月、19650312；有居民身份证号码时可不填")),
    Column("person.id_kind", _("证件类型"), kind="id_kind", help=_("不填即居民身份证")),
    Column("person.id_number", _("证件号码"), kind="id_number", sensitive=True,
           synonyms=("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证", "证件号", "身份证件号码"),
           help=_("请将单元格设为“文本”格式后填写，避免 Excel 把 18 位号码改成科学计数法")),
    Column("person.phone", _("联系电话"), kind="phone", sensitive=True,
           synonyms=("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码")),
    Column("person.region", _("所在村（社区）"), kind="region", required=True,
           synonyms=("村（社区）", "所在村", "村居", "村", "社区", "村社区", "所在村社区", "所属村（社区）"),
           help=_("本乡镇村（社区）名称，可写简称，如“东海村”或“东海”")),
    Column("person.address", _("详细住址"), sensitive=True, max_length=200,
           synonyms=("住址", "家庭住址", "现住址", "地址", "居住地址")),
    Column("person.ethnicity", _("民族"), kind="code:ethnicity", sensitive=True, help=_("如 汉族、回族、满族")),
    Column("person.religion", _("宗教信仰"), kind="code:religion", sensitive=True, synonyms=("宗教",)),
    Column("person.political_affiliation", _("政治面貌"), kind="code:political"),
    Column("person.education", _("学历"), kind="code:education", synonyms=("文化程度", "最高学历")),
    Column("person.native_place", _("籍贯"), max_length=64),
    Column("person.work_unit", _("工作单位"), max_length=128, synonyms=("单位", "工作单位及职务")),
    Column("person.job_title", _("职务"), max_length=64, synonyms=("职务职称",)),
    Column("person.note", _("备注")),
)

CATEGORY_COLUMN = Column("category", _("类别"), kind="category", synonyms=("人员类别", "所属类别", "库别"),
                         help=_("十类库之一，如“企业家”“民主党派成员”；按类别分表时可不填"))
VERIFIED_COLUMN = Column("person.last_verified_on", _("最近核实日期"), kind="date", synonyms=("核实日期",))

# Headers offices use for a category attribute besides its verbose name.
DETAIL_SYNONYMS = {
    "tie_kind": ("侨台身份", "身份"),
    "enterprise_name": ("企业", "企业名称（全称）", "所在企业"),
    "credit_code": ("信用代码", "社会信用代码"),
    "staff_count": ("职工人数", "从业人数"),
    "party": ("所属党派", "民主党派"),
    "venue_name": ("场所名称", "宗教场所"),
    "site_name": ("信仰点名称", "民间信仰场所"),
    "present_city": ("现居住地", "现工作城市", "所在城市"),
    "skill": ("特长技能", "专长"),
}

_MARKS = re.compile(r"[\s*＊:：]|[（(](必填|选填|可选)[)）]")


def normalize_header(text) -> str:
    return _MARKS.sub("", unicodedata.normalize("NFKC", str(text or ""))).replace("(", "（").replace(")", "）")


def _detail_kind(model_field) -> tuple[str, tuple]:
    if model_field.choices:
        return "choice", tuple((str(value), str(label)) for value, label in model_field.choices)
    if isinstance(model_field, models.ForeignKey):
        target = model_field.related_model._meta.model_name
        return {"politicalaffiliation": "code:political", "country": "code:country"}.get(target, "text"), ()
    if isinstance(model_field, models.BooleanField):
        return "bool", ()
    if isinstance(model_field, models.DateField):
        return "date", ()
    if model_field.name.endswith("_year"):
        return "year", ()
    if isinstance(model_field, (models.IntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField)):
        return "int", ()
    return "text", ()


@cache
def detail_columns(code: str) -> tuple[Column, ...]:
    """The category's own attributes, in the detail model's field order."""
    model = DETAIL_MODELS[CategoryCode(code)]
    columns = []
    for model_field in model._meta.get_fields():
        if not getattr(model_field, "concrete", False) or model_field.name == "membership":
            continue
        kind, choices = _detail_kind(model_field)
        columns.append(Column(
            f"detail.{model_field.name}", model_field.verbose_name, kind=kind, choices=choices,
            synonyms=DETAIL_SYNONYMS.get(model_field.name, ()),
            required=not model_field.blank and not isinstance(model_field, models.BooleanField),
            max_length=getattr(model_field, "max_length", None),
        ))
    return tuple(columns)


@cache
def columns_for(code: str | None) -> tuple[Column, ...]:
    """The sheet's columns: the person columns and, for one category, its attributes; else a 类别 column."""
    if code is None:
        return (*PERSON_COLUMNS, CATEGORY_COLUMN)
    details = detail_columns(code)
    taken = {normalize_header(c.header) for c in details}
    person = tuple(c for c in PERSON_COLUMNS if normalize_header(c.header) not in taken)
    return (*person, *details)


def person_fields_filled_by(column: Column) -> tuple[str, ...]:
    """A category attribute that displaced a person column fills that person field as well."""
    if not column.is_detail:
        return ()
    header = normalize_header(column.header)
    return tuple(c.field for c in PERSON_COLUMNS if normalize_header(c.header) == header)


def match_header(text, columns: tuple[Column, ...]) -> Column | None:
    """The column a sheet's header cell means, by header or synonym; None when unknown or empty."""
    wanted = normalize_header(text)
    if not wanted:
        return None
    for column in columns:
        if wanted == normalize_header(column.header) or wanted in {normalize_header(s) for s in column.synonyms}:
            return column
    return None
