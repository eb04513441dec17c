"""`load_demo` (the demo township, once) and `generate_people` (synthetic people in bulk)."""

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tongzhan.accounts.models import User
from tongzhan.audit.models import AuditEvent
from tongzhan.core import identity, names
from tongzhan.core.actors import SYSTEM
from tongzhan.people import demo, search
from tongzhan.people.models import (
    Category,
    CategoryMembership,
    HistoryEntry,
    Person,
    PersonSearchDoc,
    Relative,
)
from tongzhan.people.services.common import diff
from tongzhan.people.services.persons import snapshot
from tongzhan.regions.models import Region
from tongzhan.regions.services import create_region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(command, **options) -> str:
    out = io.StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_loaded():
    run("load_demo")


@pytest.fixture
def villages():
    """A small tree (faster than the whole demo): two districts, a township each, three villages, a group."""
    made = {}
    for code, name, level, parent in [
        ("310120000000", "奉贤区", "district", None),
        ("310120103000", "金汇镇", "township", "310120000000"),
        ("310120103201", "白沙村", "village", "310120103000"),
        ("330206000000", "北仑区", "district", None),
        ("330206105000", "梅山乡", "township", "330206000000"),
        ("330206105201", "梅山村", "village", "330206105000"),
        ("330206105202", "梅东村", "village", "330206105000"),
        ("330206105202001", "七姓涂自然村", "group", "330206105202"),
    ]:
        made[code] = create_region(actor=SYSTEM, name=name, code=code, level=level, parent=made.get(parent))
    return made


def generated(after_pk=0):
    return Person.objects.filter(pk__gt=after_pk).order_by("pk")


def last_pk():
    return Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# -- load_demo -------------------------------------------------------------------------------------


def test_load_demo_puts_people_in_every_one_of_the_ten_categories(demo_loaded):
    assert 60 <= Person.objects.count() <= 80
    for category in Category.objects.all():
        assert CategoryMembership.objects.filter(category=category, status="active").exists(), category.code
    assert set(Person.objects.values_list("source", flat=True)) == {Person.Source.DEMO}


def test_load_demo_builds_two_districts_with_jinhui_and_meishan_and_their_villages(demo_loaded):
    meishan = Region.objects.get(code="330206105000")
    assert meishan.name == "梅山乡" and meishan.parent.name == "北仑区"
    assert Region.objects.get(code="310120103000").parent.name == "奉贤区"
    villages = set(Region.objects.filter(parent=meishan).values_list("name", flat=True))
    assert {"梅山村", "梅东村", "梅中村", "梅西村", "峙南村", "万景村"} <= villages
    for group in Region.objects.filter(level="group"):
        assert len(group.code) == 15 and group.code.startswith(group.parent.code)


def test_load_demo_a_second_time_says_so_and_changes_nothing(demo_loaded):
    tables = [Region, Person, User, CategoryMembership, Relative, HistoryEntry, AuditEvent, PersonSearchDoc]
    before = [model.objects.count() for model in tables]
    output = run("load_demo")
    assert "已经载入" in output
    assert [model.objects.count() for model in tables] == before


def test_every_demo_id_number_is_valid_and_agrees_with_region_birth_date_and_sex(demo_loaded):
    for person in Person.objects.select_related("region"):
        parsed = identity.parse_id_number(person.decrypt("id_number"))
        assert parsed.region_code == person.region.code[:6] and parsed.region_code in ("310120", "330206")
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex), person.name
        assert person.id_number_masked == identity.mask_id_number(parsed.number)
        phone = person.decrypt("phone")
        assert identity.normalize_phone(phone) == phone and phone.startswith("1") and len(phone) == 11


def test_demo_users_are_marked_as_demo_and_log_in_with_the_demo_password(demo_loaded):
    assert [row[0] for row in demo.DEMO_USERS] == [
        "district",
        "jinhui",
        "meishan",
        "baisha",
        "meidong",
        "reviewer",
        "auditor",
        "sysadmin",
        "secadmin",
        "auditadmin",
    ]
    for username, role_label, region_name in demo.DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.is_demo and user.first_name and user.check_password(demo.DEMO_PASSWORD)
        assert user.get_role_display() == str(role_label)
        assert (user.region.name if user.region else "—") == region_name
    assert User.objects.get(username="meidong").region.code == "330206105202"
    assert User.objects.get(username="sysadmin").region is None


def test_demo_has_stale_records_and_surnames_whose_pinyin_differs_from_the_everyday_reading(demo_loaded):
    year_ago = timezone.localdate() - datetime.timedelta(days=365)
    assert Person.objects.filter(last_verified_on__lt=year_ago).count() >= 5
    assert Person.objects.filter(last_verified_on__isnull=True).count() >= 3
    expected = {
        "曾庆华": "zeng",
        "单立新": "shan",
        "区伟明": "ou",
        "仇国强": "qiu",
        "解国平": "xie",
        "欧阳建平": "ou yang",
        "司马文彬": "si ma",
        "乐桂芳": "yue",
    }
    for name, reading in expected.items():
        assert Person.objects.get(name=name).name_sort.startswith(reading + " "), name
    assert Person.objects.filter(name="买买提·艾力").exists()


def test_demo_people_have_relatives_abroad_posts_honours_and_valid_credit_codes(demo_loaded):
    gu = Person.objects.get(name="顾文英")
    assert gu.relatives.get().country_id == "US"
    assert {m.category_id for m in gu.memberships.all()} == {"overseas", "special_talent"}
    countries = set(Relative.objects.values_list("country_id", flat=True))
    assert {"US", "JP", "SG"} <= countries
    assert Person.objects.get(name="释觉明").posts.exists()
    assert Person.objects.get(name="向红梅").honours.exists()
    for membership in CategoryMembership.objects.filter(category_id="entrepreneur"):
        code = membership.detail.credit_code
        first17 = code[:17]
        total = sum(demo.CREDIT_CHARS.index(c) * w for c, w in zip(first17, demo.CREDIT_WEIGHTS, strict=True))
        assert len(code) == 18 and code[17] == demo.CREDIT_CHARS[(31 - total % 31) % 31]


# -- generate_people --------------------------------------------------------------------------------


def test_generating_300_people_gives_unique_id_numbers_and_search_keys_that_hold_the_person_id(villages):
    before = last_pk()
    run("generate_people", count=300, seed=7)
    people = list(generated(before))
    assert len(people) == 300
    assert len({p.id_number_bidx for p in people}) == 300
    keys = dict(PersonSearchDoc.objects.filter(person__in=people).values_list("person_id", "id"))
    assert all(keys[p.pk] & 0xFFFFFF == p.pk for p in people)


def test_generated_people_have_valid_ids_phones_and_one_or_two_categories(villages):
    before = last_pk()
    run("generate_people", count=300, seed=7)
    phones = set()
    for person in generated(before).select_related("region").prefetch_related("memberships"):
        parsed = identity.parse_id_number(person.decrypt("id_number"))
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
        assert datetime.date(1935, 1, 1) <= person.birth_date <= datetime.date(2006, 12, 31)
        assert parsed.region_code == person.region.code[:6] and person.region.level in ("village", "group")
        phones.add(identity.normalize_phone(person.decrypt("phone")))
        assert 1 <= len(person.memberships.all()) <= 2
        assert all(m.detail is not None for m in person.memberships.all())
    assert len(phones) == 300


def test_generated_search_documents_and_history_match_what_the_services_would_write(villages):
    before = last_pk()
    run("generate_people", count=300, seed=7)
    for person in generated(before).select_related("region", "political_affiliation", "education")[:60]:
        orders = person.memberships.filter(status="active").values_list("category__sort_order", flat=True)
        tokens = search.document_tokens(
            person,
            region_ids=person.region.ancestor_ids(),
            category_orders=list(orders),
            ethnicity=person.decrypt("ethnicity"),
            religion=person.decrypt("religion"),
        )
        doc = person.search_doc
        assert doc.tokens == " ".join(tokens)
        assert doc.id == search.doc_key(person.pk, names.name_pinyin(person.name))
        assert person.name_sort == search.name_sort(person.name)[:160]
        assert person.history.get(action="create").changes == diff({}, snapshot(person))


def test_generate_people_writes_one_audit_event_for_the_whole_run(villages):
    before = AuditEvent.objects.count()
    run("generate_people", count=120, seed=3, batch_size=50)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.event == "person.generate" and event.detail["count"] == 120 and event.detail["seed"] == 3


def test_generating_again_with_the_same_seed_renumbers_instead_of_colliding(villages):
    run("generate_people", count=200, seed=5, batch_size=70)
    run("generate_people", count=200, seed=5, batch_size=70)
    bidx = list(Person.objects.values_list("id_number_bidx", flat=True))
    assert len(bidx) == len(set(bidx)) == 400


def test_the_region_option_places_people_only_in_that_townships_villages(villages):
    before = last_pk()
    run("generate_people", count=80, seed=2, region="330206105000")
    codes = set(generated(before).values_list("region__code", flat=True))
    assert codes and all(code.startswith("330206105") for code in codes)


def test_an_unknown_region_code_is_refused_in_chinese(villages):
    with pytest.raises(CommandError, match="找不到区划代码"):
        run("generate_people", count=5, seed=1, region="999999999999")


def test_generate_people_without_any_village_fails_with_a_clear_chinese_message():
    with pytest.raises(CommandError) as raised:
        run("generate_people", count=10, seed=1)
    message = str(raised.value)
    assert "没有任何行政村" in message and "load_demo" in message and "import_regions" in message
    assert not Person.objects.exists()


def test_the_same_seed_gives_the_same_names_in_a_fresh_database(demo_loaded, tmp_path):
    """In-process here (inside the test transaction); in a forked producer in the fresh database."""
    before = last_pk()
    run("generate_people", count=300, seed=7)
    here = list(generated(before).values_list("name", flat=True)[:20])
    script = (
        "import json, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from tongzhan.people.models import Person\n"
        "call_command('migrate', verbosity=0); call_command('load_demo')\n"
        "before = Person.objects.order_by('-pk').values_list('pk', flat=True).first()\n"
        "call_command('generate_people', count=300, seed=7)\n"
        "names = Person.objects.filter(pk__gt=before).order_by('pk').values_list('name', flat=True)[:20]\n"
        "print(json.dumps(list(names), ensure_ascii=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TONGZHAN_TEST_SQLITE")}
    env.update(
        TONGZHAN_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(settings.BASE_DIR),
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == here
