"""Password validators for the two profiles (SECURITY.md B2), with Chinese messages.

`mlps` (等保, the default): at least 10 characters, 3 of the 4 classes, not like the username, not on the
common-password lists, none of the last five. `asvs` (OWASP ASVS): at least 12 characters and nothing else.
settings.PASSWORD_PROFILES lists which validators each profile runs.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation as django_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LOCAL_LIST = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


class MinimumLengthValidator:
    def __init__(self, min_length: int = 10):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短：至少需要 %(min_length)d 个字符。"),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return _("至少 %(min_length)d 个字符。") % {"min_length": self.min_length}


CLASSES = (
    re.compile(r"[A-Z]"),
    re.compile(r"[a-z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^A-Za-z0-9]"),  # symbols, spaces and non-Latin characters all count as "other"
)


class CharacterClassesValidator:
    """Upper case, lower case, digits, symbols: at least `min_classes` of the four."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if sum(1 for pattern in CLASSES if pattern.search(password)) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。",
                    "密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。",
                    self.min_classes,
                ),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self):
        return _("须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}


class UsernameSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    """Not like the username or the person's name: Django's similarity test, plus containment either way."""

    def validate(self, password, user=None):
        if user is None:
            return
        folded = password.lower()
        for attribute in self.user_attributes:
            value = getattr(user, attribute, None)
            if not value or not isinstance(value, str):
                continue
            value = value.lower()
            parts = {value, *re.split(r"\W+", value)}
            too_close = any(
                len(part) >= 3
                and (
                    part in folded
                    or part[::-1] in folded
                    or SequenceMatcher(a=folded, b=part).quick_ratio() >= self.max_similarity
                )
                for part in parts
            )
            if too_close:
                raise ValidationError(_("密码与用户名或姓名过于相似。"), code="password_too_similar")

    def get_help_text(self):
        return _("不能与用户名或姓名相似。")


@cache
def _common_passwords() -> frozenset[str]:
    words = set(django_validation.CommonPasswordValidator().passwords)  # Django's, lower-cased
    for line in LOCAL_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.strip().lower())
    words.discard("")
    return frozenset(words)


class CommonPasswordValidator:
    """Django's list of 20,000 leaked passwords plus data/common_passwords.txt (Chinese-context ones)."""

    def validate(self, password, user=None):
        if password.lower().strip() in _common_passwords():
            raise ValidationError(_("这个密码太常见，请换一个。"), code="password_too_common")

    def get_help_text(self):
        return _("不能是常见密码。")


class PasswordHistoryValidator:
    """None of the user's last `count` passwords (the current one included)."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        hashes = recent_hashes(user, self.count)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("不能使用最近 %(count)d 次用过的密码。"),
                code="password_reused",
                params={"count": self.count},
            )

    def get_help_text(self):
        return _("不能与最近 %(count)d 次用过的密码相同。") % {"count": self.count}


def recent_hashes(user, count: int) -> list[str]:
    """The current hash and the newest history entries, `count` in all."""
    from .models import PasswordHistory

    current = [user.password] if user.password and user.has_usable_password() else []
    older = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    hashes = current + [h for h in older[:count] if h not in current]
    return hashes[:count]


def history_count() -> int:
    return getattr(settings, "PASSWORD_HISTORY_COUNT", 5)
