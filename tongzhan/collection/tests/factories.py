"""Builders for the public-collection tests (and for tests/test_url_scopes.py's objects of each township)."""

from __future__ import annotations

import datetime
import re
import time

from django.utils import timezone

from tongzhan.core import identity
from tongzhan.core.actors import SYSTEM

NOTICE = "本告知书说明：甲镇统战办为开展统战工作联系服务，收集您的姓名、身份证号码等信息，保存至您要求删除为止。"


def valid_id(first17: str) -> str:
    """A GB 11643 number with the right check digit."""
    return first17 + identity.check_digit(first17)


def adult_id(serial: int = 1) -> str:
    return valid_id(f"33020619800101{serial:03d}")


def minor_id(serial: int = 1) -> str:
    birth = timezone.localdate() - datetime.timedelta(days=365 * 8)
    return valid_id(f"330206{birth:%Y%m%d}{serial:03d}")


def open_collection(township, *, category="notable", fields=("phone", "address", "religion", "ethnicity",
                                                              "work_unit"), title=None, actor=SYSTEM, **extra):
    from tongzhan.people.models import Category

    from .. import services

    today = timezone.localdate()
    data = {
        "township": township, "category": Category.objects.get(code=category),
        "title": title or f"{township.name}知名人士信息征集", "notice": NOTICE, "notice_version": "2026-01",
        "purpose": "统战工作联系服务", "fields": list(fields),
        "opens_on": today - datetime.timedelta(days=1), "closes_on": today + datetime.timedelta(days=30),
        **extra,
    }
    return services.open_collection(actor=actor, data=data)


def submit(collection, *, village, name="欧阳文", id_number=None, ip="192.0.2.10", values=None, detail=None,
           consent_sensitive=False, guardian=None):
    """A submission through the service, as the public form hands it over (for tests of what follows)."""
    from .. import services

    data = services.SubmissionInput(
        region=village, name=name, id=identity.parse_id_number(id_number or adult_id()),
        values=dict(values or {}), detail=dict(detail if detail is not None else {"field": "书法", "reputation": ""}),
        consent_general=True, consent_sensitive=consent_sensitive, guardian=guardian or {},
        consent_guardian=bool(guardian),
    )
    return services.submit_publicly(collection=collection, data=data, ip=ip)


def url_scope_objects(*, village, staff=None) -> dict:
    """A collection of the village's township and a pending submission from the village."""
    collection = open_collection(village.parent)
    serial = 500 + village.pk % 400
    submission, _code = submit(collection, village=village, name="欧阳修" if "乙" in village.name else "曾文正",
                               id_number=adult_id(serial), ip=f"198.51.100.{village.pk % 250}")
    return {"collection": collection, "submission": submission}


# --- driving the real form through the test client ---------------------------------------------------


def captcha_answer(html: str) -> tuple[str, str]:
    """(key, answer) of the captcha on a rendered form, read from the server's captcha store."""
    from captcha.models import CaptchaStore

    key = re.search(r'name="captcha_0" value="([0-9a-f]{40})"', html).group(1)
    return key, CaptchaStore.objects.get(hashkey=key).response


def form_data(client, collection, *, village, seconds_ago: float = 60, **fields) -> dict:
    """Everything a person would type into the collection's form, with a solved captcha.

    The form is fetched first (as a browser would), so the captcha is a real one from the store; the
    signed start time says the page was opened `seconds_ago`.
    """
    from ..public_forms import started_token

    html = client.get(f"/collect/{collection.pk}/").content.decode()
    key, answer = captcha_answer(html)
    data = {
        "name": "欧阳文", "id_number": adult_id(), "region": village.pk, "phone": "13800001111",
        "address": "甲一村8号", "work_unit": "甲镇中学", "detail-field": "书法", "detail-reputation": "",
        "consent_general": "on", "website": "", "started": started_token(collection.pk, time.time() - seconds_ago),
        "captcha_0": key, "captcha_1": answer,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}
