"""Fixtures the people tests share beyond the project's world (conftest.py at the root)."""

import itertools

import pytest

from tongzhan.core.actors import SYSTEM
from tongzhan.people import services
from tongzhan.people.models import Category
from tongzhan.regions.services import create_region

from .test_search import add_person


@pytest.fixture
def crowd(world):
    """Twelve more people in township A's villages, sharing surnames, some in a second category."""
    entrepreneur = Category.objects.get(code="entrepreneur")
    people = []
    for i, (name, village) in enumerate(zip(
            ["张三", "张三丰", "张伟", "章伟", "李伟", "李四", "张小凡", "王伟", "张无忌", "欧阳伟", "张伟华", "李张"],
            itertools.cycle([world.village_a1, world.village_a2]), strict=False)):
        person = add_person(name, village)
        if i % 3 == 0:
            services.join_category(actor=SYSTEM, person=person, category=entrepreneur,
                                   attributes={"enterprise_name": f"第{i}号公司"})
        people.append(person)
    group = create_region(actor=SYSTEM, name="甲一村一组", code="330206101201001", level="group",
                          parent=world.village_a1)
    people.append(add_person("张组长", group))
    return people
