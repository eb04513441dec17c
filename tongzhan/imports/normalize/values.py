"""Parsers of the scalar column kinds: text, ID numbers, phones, dates, numbers, yes/no, sex, choices."""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata

from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tongzhan.core import identity, names
from tongzhan.core.sheet_reader import Cell
from tongzhan.people.columns import Column
from tongzhan.people.models import DETAIL_MODELS, Person

from .base import (
    EARLIEST_DATE,
    NUMBER_ID_MESSAGE,
    PAST_ONLY_DATES,
    MonthDate,
    ValueProblem,
    choices_problem,
    clean_text,
    key,
    lost_precision,
    number_text,
)


def parse_text(column, cell, context, row):
    text = clean_text(column, cell)
    if column.key == "person.name":
        text = names.normalize_name(text)
        bad = sorted({c for c in text if c != names.DOT and unicodedata.category(c)[0] not in "LM"
                      and unicodedata.category(c) not in ("Nl", "Co")})
        if bad:
            raise ValueProblem("name_characters", _("姓名“{value}”含有不允许的字符“{chars}”：只能是文字，"
                                                    "少数民族姓名中的间隔号写作 ·"), value=text, chars="".join(bad))
        if not text:
            raise ValueProblem("required", _("“{header}”是必填项，不能为空"), header=column.header)
    return text or None


_PERMIT_KINDS = {Person.IdKind.HK_PERMIT, Person.IdKind.MACAU_PERMIT, Person.IdKind.TAIWAN_PERMIT}
OTHER_DOCUMENTS = {Person.IdKind.PASSPORT, Person.IdKind.HK_MACAU_PASS, Person.IdKind.TAIWAN_PASS}
_RESIDENT_SHAPE = re.compile(r"\d{15}|\d{17}[\dX]")


def id_kind_of(number: str) -> str:
    """The Person.IdKind a normalised number has by its shape (what parse_cell assumed without 证件类型)."""
    s = key(number)
    if _RESIDENT_SHAPE.fullmatch(s):
        return identity.PERMIT_PREFIXES.get(s[:6], Person.IdKind.RESIDENT)
    if re.fullmatch(r"[HM](?:\d{8}|\d{10})", s):
        return Person.IdKind.HK_MACAU_PASS
    if re.fullmatch(r"\d{8}", s):
        return Person.IdKind.TAIWAN_PASS
    if re.fullmatch(r"[A-Z0-9]{5,17}", s) and re.search(r"[A-Z]", s):
        return Person.IdKind.PASSPORT
    return Person.IdKind.RESIDENT


def parse_id_number(column, cell, context, row):
    if cell.kind == "number":
        raise ValueProblem("number_id", NUMBER_ID_MESSAGE)
    if cell.kind != "text":
        raise ValueProblem("id_not_text", _("证件号码“{value}”不是文字，请把该列设为文本后重新填写"), value=cell.text)
    declared = row.get("person.id_kind") or None
    kind = declared or id_kind_of(cell.text)
    try:
        if kind == Person.IdKind.NONE:
            raise ValueProblem("id_kind_none", _("证件类型是“暂无证件”，却填写了证件号码；请改证件类型或删去号码"))
        if kind == Person.IdKind.PASSPORT:
            return identity.normalize_passport(cell.text)
        if kind == Person.IdKind.HK_MACAU_PASS:
            return identity.normalize_permit_number(cell.text, "hk_macau")
        if kind == Person.IdKind.TAIWAN_PASS:
            return identity.normalize_permit_number(cell.text, "taiwan")
        parsed = identity.parse_id_number(cell.text, today=context.today)
    except identity.IdentityError as exc:
        raise ValueProblem(f"id_{exc.code}", exc.message) from exc
    if declared in _PERMIT_KINDS and parsed.kind == Person.IdKind.RESIDENT:
        raise ValueProblem("id_kind_mismatch", _("证件类型是港澳台居民居住证，但号码是居民身份证号码"
                                                 "（居住证号码以 810000、820000 或 830000 开头）"))
    return parsed.number


_ID_KIND_WORDS = {
    Person.IdKind.RESIDENT: ("居民身份证", "身份证", "二代身份证", "第二代居民身份证", "大陆居民身份证", "公民身份证"),
    Person.IdKind.HK_PERMIT: ("港澳台居民居住证", "居住证", "香港居民居住证", "港澳居民居住证"),
    Person.IdKind.MACAU_PERMIT: ("澳门居民居住证",),
    Person.IdKind.TAIWAN_PERMIT: ("台湾居民居住证",),
    Person.IdKind.HK_MACAU_PASS: ("港澳通行证", "回乡证", "港澳居民通行证", "港澳居民来往内地通行证"),
    Person.IdKind.TAIWAN_PASS: ("台胞证", "台湾居民通行证"),
    Person.IdKind.PASSPORT: ("护照", "外国护照", "中国护照"),
    Person.IdKind.NONE: ("暂无", "无", "无证件"),
}


def parse_id_kind(column, cell, context, row):
    def build():
        table = {}
        for value, label in Person.IdKind.choices:
            table[key(label)] = table[key(value)] = value
        for value, words in _ID_KIND_WORDS.items():
            table.update({key(word): value for word in words})
        return table

    table = context.cached("id_kind", build)
    found = table.get(key(cell.text))
    if found is None:
        raise choices_problem(column, cell.text, "、".join(str(label) for _v, label in Person.IdKind.choices))
    return found


_PHONE_SEPARATORS = re.compile(r"[/、,，;；|或]")


def parse_phone(column, cell, context, row):
    text = cell.text
    if cell.kind == "number":
        if lost_precision(cell):
            raise ValueProblem("number_precision", _("联系电话被 Excel 存成了数字（{value}），已丢失位数；"
                                                     "请把该列设为文本后重新填写"), value=cell.text)
        text = str(cell.value) if isinstance(cell.value, int) else cell.text
    if _PHONE_SEPARATORS.search(text.strip()):
        raise ValueProblem("several_phones", _("“{value}”像是填写了多个电话号码：一个单元格只能填一个"), value=text)
    try:
        return identity.normalize_phone(text)
    except identity.PhoneError as exc:
        if cell.kind == "number" and not text.startswith("1"):
            raise ValueProblem(f"phone_{exc.code}", format_lazy(
                _("{message}（Excel 把电话号码存成了数字，开头的 0 可能已丢失；请把该列设为文本后重新填写）"),
                message=exc.message)) from exc
        raise ValueProblem(f"phone_{exc.code}", exc.message) from exc


# Dates

_FULL_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_MONTH_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})月?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_COMPACT_MONTH = re.compile(r"(\d{4})(\d{2})")
_TWO_DIGIT_YEAR = re.compile(r"(\d{2})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?")
_YEAR_ONLY = re.compile(r"(\d{4})年?")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_TIME_SUFFIX = re.compile(r"(?:T|\s)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def _make_date(column, written: str, year: int, month: int, day: int | None) -> datetime.date:
    if not 1 <= month <= 12:
        raise ValueProblem("date_impossible", _("日期“{value}”不存在：没有 {month} 月"), value=written, month=month)
    if day is None:
        return MonthDate(year, month, 1)
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if not 1 <= day <= last:
        raise ValueProblem("date_impossible", _("日期“{value}”不存在：{year} 年 {month} 月只有 {last} 天"),
                           value=written, year=year, month=month, last=last)
    return datetime.date(year, month, day)


def parse_date_text(column: Column, written: str) -> datetime.date:
    """A date as people write it: 1965-03-12, 1965/3/12, 1965.3.12, 1965年3月12日, 19650312, and to the
    month 1965.03, 1965-3, 1965年3月, 196503. Two-digit years (65.3.12) and day-first writings
    (12/3/1965) are ambiguous and refused, as is a year alone."""
    s = _TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", written).strip())
    s = "".join(s.split()).replace("号", "日")
    for pattern, has_day in ((_FULL_DATE, True), (_COMPACT_DATE, True), (_MONTH_DATE, False),
                             (_COMPACT_MONTH, False)):
        match = pattern.fullmatch(s)
        if match:
            year, month = int(match[1]), int(match[2])
            return _make_date(column, written, year, month, int(match[3]) if has_day else None)
    if _TWO_DIGIT_YEAR.fullmatch(s):
        raise ValueProblem("date_ambiguous", _("日期“{value}”的年份只有两位，无法确定是 19xx 年还是 20xx 年；"
                                               "请写出四位年份，如 1965-03-12"), value=written)
    if _DAY_FIRST.fullmatch(s):
        raise ValueProblem("date_ambiguous", _("日期“{value}”无法确定哪一位是月、哪一位是日；请写成 年-月-日，"
                                               "如 1965-03-12"), value=written)
    if _YEAR_ONLY.fullmatch(s):
        raise ValueProblem("date_year_only", _("日期“{value}”只有年份；请至少写到月份，如 1965.03"), value=written)
    raise ValueProblem("date_unreadable", _("无法识别日期“{value}”；请写成 1965-03-12、1965.03 或 1965年3月12日"),
                       value=written)


def _date_from_number(column, cell: Cell) -> datetime.date:
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        whole = int(value)
        if 1000 <= whole <= 2999:  # 1965.03 typed into a number cell
            if cell.text.count(".") == 1 and len(cell.text.split(".")[1]) == 1 and cell.text.endswith(".1"):
                raise ValueProblem("date_ambiguous", _("日期“{value}”可能是 {year} 年 1 月，也可能是 10 月"
                                                       "（Excel 会去掉数字末尾的 0）；请写成 {year}.01 或 {year}.10，"
                                                       "或把该列设为文本"), value=cell.text, year=whole)
            return parse_date_text(column, cell.text)
        value = whole  # a serial with a time of day
    if 1000 <= value <= 2999:
        raise ValueProblem("date_year_only", _("日期“{value}”只有年份；请至少写到月份，如 1965.03"), value=cell.text)
    if 100000 <= value <= 299912:  # 196503
        return parse_date_text(column, str(value))
    if 10000000 <= value <= 29991231:  # 19650312
        return parse_date_text(column, str(value))
    if 1 <= value <= 2958465:  # an Excel serial day number (the cell lost its date format)
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    raise ValueProblem("date_unreadable", _("无法把数字“{value}”识别为日期"), value=cell.text)


def parse_date(column, cell, context, row):
    if cell.kind == "date":
        value = cell.value
        found = value.date() if isinstance(value, datetime.datetime) else value
    elif cell.kind == "number":
        found = _date_from_number(column, cell)
    elif cell.kind == "text":
        found = parse_date_text(column, cell.text)
    else:
        raise ValueProblem("date_unreadable", _("无法识别日期“{value}”"), value=cell.text)
    shown = f"{found.year}-{found.month:02d}" if isinstance(found, MonthDate) else found.isoformat()
    if found < EARLIEST_DATE:
        raise ValueProblem("date_range", _("日期 {date} 早于 {earliest}，请核对"), date=shown,
                           earliest=EARLIEST_DATE.isoformat())
    if column.key in PAST_ONLY_DATES and found > context.today:
        raise ValueProblem("date_future", _("“{header}”{date} 晚于今天（{today}）"), header=column.header,
                           date=shown, today=context.today.isoformat())
    return found


# Numbers


def _whole_number(column, cell) -> int:
    if cell.kind == "number":
        if isinstance(cell.value, float) and not cell.value.is_integer():
            raise ValueProblem("not_integer", _("“{header}”应为整数，这里是 {value}"), header=column.header,
                               value=cell.text)
        return int(cell.value)
    s = number_text(cell).replace(",", "").removesuffix("人").removesuffix("年").removesuffix("名")
    if not re.fullmatch(r"-?\d+", s):
        raise ValueProblem("not_integer", _("“{header}”应为整数，这里是“{value}”"), header=column.header,
                           value=cell.text)
    return int(s)


def _field_range(column: Column) -> tuple[int, int]:
    for model in DETAIL_MODELS.values():
        fields = {f.name: f for f in model._meta.concrete_fields}
        model_field = fields.get(column.field)
        if model_field is None:
            continue
        low, high = BaseDatabaseOperations.integer_field_ranges.get(model_field.get_internal_type(), (0, 2**31 - 1))
        return max(low, 0), high
    return 0, 2**31 - 1


def parse_int(column, cell, context, row):
    number = _whole_number(column, cell)
    low, high = _field_range(column)
    if not low <= number <= high:
        raise ValueProblem("out_of_range", _("“{header}”应在 {low} 到 {high} 之间，这里是 {value}"),
                           header=column.header, low=low, high=high, value=number)
    return number


def parse_year(column, cell, context, row):
    year = cell.value.year if cell.kind == "date" else _whole_number(column, cell)
    if not EARLIEST_DATE.year <= year <= context.today.year:
        raise ValueProblem("out_of_range", _("“{header}”应为 {low} 到 {high} 之间的四位年份，这里是 {value}"),
                           header=column.header, low=EARLIEST_DATE.year, high=context.today.year, value=year)
    return year


_TRUE = {"是", "√", "✓", "✔", "☑", "1", "Y", "YES", "TRUE", "T", "有", "对"}
_FALSE = {"否", "×", "✗", "✘", "☐", "0", "N", "NO", "FALSE", "F", "无", "不是", "错"}


def parse_bool(column, cell, context, row):
    if cell.kind == "bool":
        return bool(cell.value)
    if cell.kind == "number" and cell.value in (0, 1):
        return bool(cell.value)
    word = key(cell.text)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise choices_problem(column, cell.text, _("是 / 否（也可写 √ / ×、1 / 0）"))


_SEXES = {"男": "M", "男性": "M", "M": "M", "MALE": "M", "1": "M", "女": "F", "女性": "F", "F": "F",
          "FEMALE": "F", "2": "F"}


def parse_sex(column, cell, context, row):
    found = _SEXES.get(key(cell.text))
    if found is None:
        raise choices_problem(column, cell.text, _("男 / 女"))
    return found


def parse_choice(column, cell, context, row):
    word = key(cell.text)
    for value, label in column.choices:
        if word in (key(value), key(label)):
            return value
    raise choices_problem(column, cell.text, "、".join(label for _v, label in column.choices))

