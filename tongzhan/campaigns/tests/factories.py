"""Builders for the campaign tests (and for tests/test_url_scopes.py's objects of each township)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tongzhan.people.models import Category

NOTICE = "请各村于截止日期前核对本村知名人士信息，有变化的直接改正，新发现的人员请补充。"
FIELDS = ["person.name", "person.phone", "person.id_number", "person.work_unit", "person.job_title"]


def open_campaign(actor, villages, *, title=None, deadline=None, fields=FIELDS, categories=("notable",)):
    from tongzhan.campaigns import services

    township = villages[0].parent
    return services.open_campaign(
        actor=actor, township=township, title=title or f"{township.name}知名人士信息补报", notice=NOTICE,
        categories=list(Category.objects.filter(code__in=categories)), villages=villages, field_keys=list(fields),
        deadline=deadline or timezone.localdate() + datetime.timedelta(days=14))


def url_scope_objects(*, village, staff) -> dict:
    """A campaign of the village's township for that village, and the village's return."""
    campaign = open_campaign(staff, [village])
    return {"campaign": campaign, "village_return": campaign.returns.get()}
