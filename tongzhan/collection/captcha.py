"""The offline image captcha of the public form (SECURITY.md H2, A5), on django-simple-captcha.

The library keeps each challenge in a database row (so any server process can check it), draws the image
with Pillow and the font shipped inside its wheel, and lets each challenge be tried once. Its own URLs
are not mounted: the image is served by `collection:captcha-image` under the public form's prefix, so the
public host serves it and the URL list stays ours.
"""

from __future__ import annotations

import secrets

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

KEY_LENGTH = 40  # the library's hashkey: a SHA-1 hex digest


def arithmetic_challenge() -> tuple[str, str]:
    """(text drawn, answer): a sum, difference or product of two digits, drawn from `secrets`.

    The library's own math challenge uses the `random` module, which its image view seeds with the
    challenge's key while drawing; another thread drawing a challenge at that moment would get a
    predictable one. `secrets` is not seeded by anyone.
    """
    op = secrets.choice("+-x")
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if op == "-" and a < b:
        a, b = b, a
    answer = a + b if op == "+" else a - b if op == "-" else a * b
    return f"{a}{op}{b}", str(answer)


def new_challenge() -> str:
    """A fresh challenge's key (the answer stays on the server)."""
    return CaptchaStore.generate_key()


def image_url(key: str) -> str:
    return f"{reverse('collection:captcha-image')}?key={key}"


def is_key(value: str) -> bool:
    return len(value) == KEY_LENGTH and all(c in "0123456789abcdef" for c in value)


class CaptchaWidget(CaptchaTextInput):
    """The library's widget with our image URL, a Chinese template and no audio."""

    # Under the app's templates/: the form renderer looks in apps, not in the project's templates folder.
    template_name = "collection/captcha_widget.html"

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        key = new_challenge()
        self._value, self._key = [key, ""], key
        self.id_ = self.build_attrs(attrs).get("id", None)

    def image_url(self):
        return image_url(self._key)

    def audio_url(self):
        return None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["refresh_url"] = reverse("collection:captcha-refresh")
        return context


class PublicCaptchaField(CaptchaField):
    """Checked once: the challenge row is deleted on any attempt, right or wrong (library behaviour)."""

    def __init__(self, **kwargs):
        messages = {
            "invalid": _("验证码不正确或已过期，请按新图片重新计算并输入结果"),
            "required": _("请输入验证码图片中算式的结果"),
            "incomplete": _("请输入验证码图片中算式的结果"),
        }
        super().__init__(widget=CaptchaWidget(), error_messages=messages,
                         label=_("验证码"), help_text=_("请计算图片中的算式，输入结果（数字）"), **kwargs)
