"""Identity documents and phone numbers: normalisation, validation, masking.

Pure Python, no models.  Messages are lazy (``gettext_lazy`` + ``format_lazy``),
so importing and raising need no Django settings; only ``str(exc)`` does.
"""

from __future__ import annotations

import datetime
import operator
import re
import unicodedata
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_DATE = datetime.date(1880, 1, 1)
_PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 83), (91, 91))
PROVINCE_CODES = frozenset(str(n) for low, high in _PROVINCE_RANGES for n in range(low, high + 1))
PERMIT_PREFIXES = {"810000": "hk_permit", "820000": "macau_permit", "830000": "taiwan_permit"}

_DIGITS = "0123456789"
_LAST = frozenset(_DIGITS + "X")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP_ID = str.maketrans("", "", _DASHES + _INVISIBLE)
_STRIP_PHONE = str.maketrans("", "", _DASHES + _INVISIBLE + "().")
# What Excel writes when an ID was stored as a number: 3.30206197001011E+17,
# 330206197001011000.0, 330,206,197,001,011,000.
_EXCEL_NUMBER = re.compile(r"\d(?:\d|,\d{3})*(?:\.\d*)?(?:E[+-]?\d+)?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8}")


class _CodedError(ValueError):
    """``code`` names the problem; ``message`` is lazy, formatted with ``params``."""

    def __init__(self, code: str, message, /, **params):
        self.code = code
        self.message = format_lazy(message, **params) if params else message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class IdentityError(_CodedError):
    """Invalid identity document number."""


class PhoneError(_CodedError):
    """Invalid phone number."""


@dataclass(frozen=True)
class ParsedId:
    number: str
    birth_date: datetime.date
    sex: str
    region_code: str
    kind: str


def _clean(raw, table) -> str:
    """NFKC, drop every kind of whitespace plus the characters in ``table``, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).translate(table)
    return "".join(text.split()).upper()


def normalize_id_number(raw) -> str:
    if type(raw) is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST:
        return raw  # already what the steps below would make of it: NFKC, stripping and upper() change nothing
    if isinstance(raw, float):
        raise IdentityError(
            "precision", _("身份证号码被存成了数字，已丢失精度，无法还原；请以文本格式重新录入")
        )
    s = _clean(raw, _STRIP_ID)
    if not s:
        raise IdentityError("empty", _("身份证号码为空"))
    if ("." in s or "E" in s or "," in s) and _EXCEL_NUMBER.fullmatch(s):
        raise IdentityError(
            "precision",
            _("身份证号码「{value}」是被存成数字后的写法，已丢失精度，无法还原；请以文本格式重新录入"),
            value=s,
        )
    bad = sorted({c for c in s[:-1] if c not in _DIGITS} | ({s[-1]} - set(_DIGITS + "X")))
    if bad:
        message = _("身份证号码含有不允许的字符「{chars}」：只能是数字，仅最后一位可以是 X")
        raise IdentityError("characters", message, chars="".join(bad))
    return s


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdentityError("length", _("计算校验位需要 17 位数字，实际为「{value}」"), value=first17)
    return _check_char(first17)


def _check_char(first17: str) -> str:
    """The GB 11643 check character of 17 ASCII digits (the caller has checked them)."""
    return CHECK_CHARS[sum(map(operator.mul, map(int, first17), WEIGHTS)) % 11]


def upgrade_15_to_18(id15: str) -> str:
    s = normalize_id_number(id15)
    if len(s) != 15:
        raise IdentityError("length", _("旧版身份证号码应为 15 位，实际为 {n} 位"), n=len(s))
    if not s.isdigit():
        raise IdentityError("characters", _("15 位旧版身份证号码只能是数字，不能含 X"))
    first17 = s[:6] + "19" + s[6:]
    return first17 + check_digit(first17)


def parse_id_number(raw, *, today: datetime.date | None = None) -> ParsedId:
    s = normalize_id_number(raw)
    if len(s) == 15:
        s = upgrade_15_to_18(s)
    elif len(s) != 18:
        raise IdentityError("length", _("身份证号码应为 18 位（旧版为 15 位），实际为 {n} 位"), n=len(s))
    if s[:2] not in PROVINCE_CODES:
        raise IdentityError("region", _("身份证号码前两位 {code} 不是有效的省级行政区代码"), code=s[:2])
    y, m, d = s[6:10], s[10:12], s[12:14]
    try:
        birth = datetime.date(int(y), int(m), int(d))
    except ValueError:
        raise IdentityError("date", _("出生日期 {date} 不存在"), date=f"{y}-{m}-{d}") from None
    today = today or datetime.date.today()
    if birth > today:
        message = _("出生日期 {date} 晚于今天（{today}）")
        raise IdentityError("date", message, date=birth.isoformat(), today=today.isoformat())
    if birth < EARLIEST_BIRTH_DATE:
        message = _("出生日期 {date} 早于 {earliest}，不可能")
        raise IdentityError("date", message, date=birth.isoformat(), earliest=EARLIEST_BIRTH_DATE.isoformat())
    expected = _check_char(s[:17])  # normalize_id_number and the 15-digit upgrade leave 17 digits here
    if s[17] != expected:
        message = _("校验位不符：按前 17 位计算应为 {expected}，实际为 {found}；请核对号码是否抄错")
        raise IdentityError("check_digit", message, expected=expected, found=s[17])
    return ParsedId(
        number=s,
        birth_date=birth,
        sex="M" if int(s[16]) % 2 else "F",
        region_code=s[:6],
        kind=PERMIT_PREFIXES.get(s[:6], "resident"),
    )


def is_valid_id_number(raw, *, today: datetime.date | None = None) -> bool:
    try:
        parse_id_number(raw, today=today)
    except IdentityError:
        return False
    return True


def _mask_ends(s: str, head: int, tail: int) -> str:
    if len(s) <= head + tail:
        return "*" * len(s)
    return s[:head] + "*" * (len(s) - head - tail) + s[-tail:]


def mask_id_number(number: str) -> str:
    s = "".join(str(number or "").split())
    return _mask_ends(s, 6, 4) if len(s) == 18 else _mask_ends(s, 2, 2)


def normalize_passport(raw) -> str:
    s = _clean(raw, str.maketrans("", "", _INVISIBLE))
    if not s:
        raise IdentityError("empty", _("护照号码为空"))
    bad = sorted({c for c in s if not ("A" <= c <= "Z" or "0" <= c <= "9")})
    if bad:
        message = _("护照号码含有不允许的字符「{chars}」：只能是字母和数字")
        raise IdentityError("characters", message, chars="".join(bad))
    if not 5 <= len(s) <= 17:
        raise IdentityError("length", _("护照号码应为 5–17 位字母或数字，实际为 {n} 位"), n=len(s))
    return s


def normalize_permit_number(raw, kind: str | None = None) -> str:
    """Older travel permits. ``kind``: "hk_macau" (港澳居民来往内地通行证),
    "taiwan" (台湾居民来往大陆通行证) or None to infer from an H/M prefix."""
    s = _clean(raw, _STRIP_ID)
    if kind is None:
        kind = "hk_macau" if s[:1] in ("H", "M") else "taiwan"
    if kind not in ("hk_macau", "taiwan"):
        raise ValueError(f"unknown permit kind {kind!r}")
    if not s:
        raise IdentityError("empty", _("通行证号码为空"))
    if kind == "hk_macau" and not re.fullmatch(r"[HM](?:\d{8}|\d{10})", s):
        message = _(
            "港澳居民来往内地通行证号码应为 H（香港）或 M（澳门）加 8 位或 10 位数字，「{value}」不符合"
        )
        raise IdentityError("format", message, value=s)
    if kind == "taiwan" and not re.fullmatch(r"\d{8}", s):
        raise IdentityError(
            "format", _("台湾居民来往大陆通行证号码应为 8 位数字，「{value}」不符合"), value=s
        )
    return s


def normalize_phone(raw) -> str:
    s = original = _clean(raw, _STRIP_PHONE)
    if not s:
        raise PhoneError("empty", _("电话号码为空"))
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
            # The international form of a landline drops the trunk 0: +86 574 8765 4321.
            landline = s if s.startswith("0") else "0" + s
            if _MOBILE.fullmatch(s) or _LANDLINE.fullmatch(landline):
                return s if _MOBILE.fullmatch(s) else landline
            break
    else:
        if s.startswith("86") and _MOBILE.fullmatch(s[2:]):
            return s[2:]
        if s.startswith("+") or (s.startswith("00") and s[2:].isdigit()):
            raise PhoneError(
                "international", _("只接受中国大陆电话号码（+86），「{value}」是境外号码"), value=original
            )
    bad = sorted({c for c in s if not ("0" <= c <= "9")})
    if bad:
        message = _("电话号码「{value}」含有无法识别的字符「{chars}」")
        raise PhoneError("characters", message, value=original, chars="".join(bad))
    n = len(s)
    if s.startswith("1"):
        if n != 11:
            message = _("电话号码 {value} 位数不对：手机号码应为 11 位，实际为 {n} 位")
            raise PhoneError("length", message, value=original, n=n)
        if not _MOBILE.fullmatch(s):
            raise PhoneError("prefix", _("手机号码 {value} 的号段不存在：第二位应为 3–9"), value=original)
        return s
    if s.startswith("0"):
        if _LANDLINE.fullmatch(s):
            return s
        if not 10 <= n <= 12:
            message = _(
                "电话号码 {value} 位数不对：固定电话应为区号加 7–8 位号码，共 10–12 位，实际为 {n} 位"
            )
            raise PhoneError("length", message, value=original, n=n)
        message = _(
            "电话号码 {value} 的区号不对：三位区号只有 010 和 02X（其后为 8 位号码），其余区号为 0 加 3 位"
        )
        raise PhoneError("area_code", message, value=original)
    if n in (7, 8):
        message = _("固定电话 {value} 缺少区号，请在前面加上区号（如 0574）")
        raise PhoneError("area_code", message, value=original)
    message = _("电话号码 {value} 位数不对：手机号码为 1 开头 11 位，固定电话为 0 开头的区号加号码")
    raise PhoneError("length", message, value=original)


def mask_phone(number: str) -> str:
    s = "".join(str(number or "").split())
    if _MOBILE.fullmatch(s):
        return _mask_ends(s, 3, 4)
    if _LANDLINE.fullmatch(s):
        return _mask_ends(s, 3 if s[1] in "12" else 4, 2)
    return _mask_ends(s, 2, 2)


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    if today < birth_date:
        raise ValueError("today is before birth_date")
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday
