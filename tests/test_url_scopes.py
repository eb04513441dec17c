"""Every URL the project serves, asked by every role: out of scope looks exactly like missing.

The URL list is discovered from the resolver, so a new page is tested the day it is added — and this
test fails until the page is classified in URL_CLASSES:

    public  no personal data, no object (login, health check, the home redirect)
    list    a list or search page: scoped users never see township B's person on it
    form    a page that creates something (no object in the URL): choices limited to the scope
    object  a page about one object (<int:pk> / <int:record_pk>): a township B object answers, for a user
            scoped to township A, the same 404, byte for byte, as an id that does not exist
    action  a POST-only endpoint; with an object in the URL it answers like `object`

Objects in URLs belong to township B (乙乡); missing ids are 99999999.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

from tongzhan.core.actors import SYSTEM

URL_CLASSES = {
    "home": "public",
    "healthz": "public",
    "accounts:login": "public",
    "accounts:logout": "public",
    "accounts:otp-setup": "public",
    "accounts:otp-verify": "public",
    "accounts:password-change": "public",
    "accounts:reauth": "public",
    "people:person-unmask": "object",
    "users:user-list": "role",
    "users:user-create": "role",
    "users:user-detail": "role",
    "users:user-role": "role",
    "users:user-password": "role",
    "users:user-activation": "role",
    "users:user-sessions-end": "role",
    "audit:event-list": "role",
    "audit:event-export": "role",
    "people:person-list": "list",
    "people:stale-list": "list",
    "people:person-create": "form",
    "people:saved-search-save": "action",
    "people:saved-search-open": "object",
    "people:person-detail": "object",
    "people:person-edit": "object",
    "people:person-verify": "action",
    "people:person-delete": "object",
    "people:membership-add": "object",
    "people:membership-edit": "object",
    "people:membership-leave": "object",
    "people:subrecord-add": "object",
    "people:subrecord-edit": "object",
    "people:subrecord-delete": "action",
    "regions:region-list": "list",
    "regions:region-create": "form",
    "regions:region-import": "form",
    "regions:region-rename": "object",
    "regions:region-move": "object",
    "regions:region-retire": "action",
    "people:export": "form",
    "people:export-templates": "list",
    "people:export-request": "object",
    "people:export-decide": "action",
    "people:export-download": "action",
    "imports:batch-list": "form",
    "imports:batch-detail": "object",
    "imports:batch-mapping": "object",
    "imports:batch-progress": "object",
    "imports:batch-commit": "action",
    "imports:batch-undo": "action",
    # Public collection (网站征集): the public pages need no login and show nothing personal; the staff
    # pages are the scoped queue (list), opening a collection (form) and one collection or submission.
    "collection:public-index": "public",
    "collection:public-form": "public",
    "collection:receipt": "public",
    "collection:captcha-image": "public",
    "collection:captcha-refresh": "public",
    "collection:manage": "list",
    "collection:collection-create": "form",
    "collection:collection-edit": "object",
    "collection:submission-detail": "object",
    "collection:submission-accept": "action",
    "collection:submission-return": "action",
    "collection:submission-reject": "action",
    # Supplementation campaigns (数据补报): the list is scoped by village returns; a campaign and a village's
    # return are objects; everything that changes one is a POST-only action.
    "campaigns:campaign-list": "list",
    "campaigns:campaign-create": "form",
    "campaigns:campaign-detail": "object",
    "campaigns:campaign-close": "action",
    "campaigns:return-detail": "object",
    "campaigns:return-sheet": "object",
    "campaigns:return-check": "action",
    "campaigns:return-add": "action",
    "campaigns:return-withdraw": "action",
    "campaigns:return-submit": "action",
    "campaigns:return-upload": "action",
    "campaigns:return-accept": "action",
    "campaigns:return-send-back": "action",
}

# Screens without personal data or a region scope of their own (accounts, audit): the role alone decides.
# Listed roles get the page (or the re-authentication redirect); every other role gets 403 and changes nothing.
ROLE_SCREENS = {
    "users:user-list": {"security_admin", "system_admin"},
    "users:user-create": {"security_admin"},
    "users:user-detail": {"security_admin", "system_admin"},
    "users:user-role": {"security_admin"},
    "users:user-password": {"security_admin"},
    "users:user-activation": {"security_admin"},
    "users:user-sessions-end": {"security_admin"},
    "audit:event-list": {"audit_admin", "auditor"},
    "audit:event-export": {"audit_admin", "auditor"},
}
POST_ONLY = {"users:user-activation", "users:user-sessions-end"}

# Which object a URL's <int:pk> names.
PK_TARGETS = {
    "people:person-unmask": "person",
    "users:user-detail": "user",
    "users:user-role": "user",
    "users:user-password": "user",
    "users:user-activation": "user",
    "users:user-sessions-end": "user",
    "people:saved-search-open": "saved_search",
    "people:person-detail": "person",
    "people:person-edit": "person",
    "people:person-verify": "person",
    "people:person-delete": "person",
    "people:membership-add": "person",
    "people:membership-edit": "membership",
    "people:membership-leave": "membership",
    "people:subrecord-add": "person",
    "regions:region-rename": "region",
    "regions:region-move": "region",
    "regions:region-retire": "region",
    "people:export-request": "export_request",
    "people:export-decide": "export_request",
    "people:export-download": "export_request",
    "imports:batch-detail": "import_batch",
    "imports:batch-mapping": "import_batch",
    "imports:batch-progress": "import_batch",
    "imports:batch-commit": "import_batch",
    "imports:batch-undo": "import_batch",
    "collection:public-form": "collection",
    "collection:collection-edit": "collection",
    "collection:submission-detail": "submission",
    "collection:submission-accept": "submission",
    "collection:submission-return": "submission",
    "collection:submission-reject": "submission",
    "campaigns:campaign-detail": "campaign",
    "campaigns:campaign-close": "campaign",
    "campaigns:return-detail": "village_return",
    "campaigns:return-sheet": "village_return",
    "campaigns:return-check": "village_return",
    "campaigns:return-add": "village_return",
    "campaigns:return-withdraw": "village_return",
    "campaigns:return-submit": "village_return",
    "campaigns:return-upload": "village_return",
    "campaigns:return-accept": "village_return",
    "campaigns:return-send-back": "village_return",
}

# Read-only pages answer a POST as they answer a GET (they read nothing from the body and write nothing).
READ_PAGES = {"people:person-detail", "people:saved-search-open"}

MISSING = 99999999
SKIPPED_PREFIXES = ("admin/", "static/", "media/", "^static", "^media")
ROLES = [
    "district_staff",
    "township_staff",
    "township_b_staff",
    "liaison",
    "reviewer",
    "auditor",
    "system_admin",
    "security_admin",
    "audit_admin",
]
IN_SCOPE_OF_B = {"district_staff", "township_b_staff"}
SCOPED_TO_A = {"township_staff", "liaison", "reviewer", "auditor"}
ADMINS = {"system_admin", "security_admin", "audit_admin"}
PERSON_NAMES = ["曾国藩", "单田芳", "欧阳修"]
B_NAMES = ["欧阳修", "乙一村", "乙乡"]
SUB_RECORDS = {
    "relative": {"name": "欧阳发", "relation": "子"},
    "post": {"organisation": "翰林院", "title": "学士"},
    "education": {"school": "国子监"},
    "honour": {"title": "太子少师"},
}


def discover(resolver=None, prefix: str = "", namespace: str = ""):
    """(name, route) of every URL pattern, recursively; unnamed patterns are named by their route."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from discover(entry, route, inner)
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), route
        else:
            yield f"<unnamed {route}>", route


ROUTES = dict(discover())
URL_NAMES = sorted(set(ROUTES) | set(URL_CLASSES))


def parameters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def objects(world):
    """One object of every kind in township B (and its twin in township A, for sanity checks)."""
    from tongzhan.people import services
    from tongzhan.people.models import CategoryMembership

    sides = {}
    for side, person, region, staff in (
        ("B", world.person_b1, world.village_b1, world.township_b_staff),
        ("A", world.person_a1, world.village_a1, world.township_staff),
    ):
        sides[side] = {
            "person": person,
            "region": region,
            "membership": CategoryMembership.objects.get(person=person, category="notable"),
            "user": staff,
            # An import batch of the township's office, named after it so a leak shows on list pages.
            "import_batch": _import_batch(region.parent, staff),
            # A pending unmasked-export request of the township's staff (SECURITY.md C7).
            "export_request": _export_request(staff),
            # A collection of the township and a pending public submission from the village (网站征集).
            **_public_collection(region),
            # A campaign of the township for the village, and the village's return (数据补报).
            **_campaign(region, staff),
            "saved_search": services.save_saved_search(
                actor=staff, name="知名人士", query="category=notable"
            ),
            "records": {
                kind: services.add_sub_record(actor=SYSTEM, person=person, kind=kind, attributes=attrs)
                for kind, attrs in SUB_RECORDS.items()
            },
        }
    return sides


def _public_collection(village) -> dict:
    from tongzhan.collection.tests.factories import url_scope_objects

    return url_scope_objects(village=village)


def _campaign(village, staff) -> dict:
    from tongzhan.campaigns.tests.factories import url_scope_objects

    return url_scope_objects(village=village, staff=staff)


def _import_batch(township, staff):
    from tongzhan.imports.models import ImportBatch

    return ImportBatch.objects.create(region=township, created_by=staff, actor_name=staff.username,
                                      file_name=f"{township.name}名单.xlsx", file_sm3="0" * 64, status="done")


def _export_request(staff):
    from tongzhan.people.excel import ExportSpec
    from tongzhan.people.selectors import Criteria
    from tongzhan.people.services.exports import request_export

    spec = ExportSpec(layout="mixed", category=None, fmt="xlsx", masked=False, purpose="侨情普查核对")
    return request_export(actor=staff, spec=spec, criteria=Criteria(), query="", description={}, rows=201)


def url_for(name: str, objects: dict, side: str, kind: str | None) -> str:
    kwargs = {}
    for param in parameters(ROUTES[name]):
        if param == "kind":
            kwargs["kind"] = kind
        elif param == "record_pk":
            kwargs["record_pk"] = MISSING if side == "missing" else objects[side]["records"][kind].pk
        else:
            assert param == "pk", f"{name}: teach url_for what <{param}> is"
            assert name in PK_TARGETS, f"{name}: say in PK_TARGETS which object its <pk> names"
            kwargs["pk"] = MISSING if side == "missing" else objects[side][PK_TARGETS[name]].pk
    return reverse(name, kwargs=kwargs)


def payload(name: str, world, objects: dict, side: str, kind: str | None) -> dict:
    """POST data that would succeed if the user were allowed: a refusal must come from the scope."""
    own = objects["A" if side == "A" else "B"]
    person = own["person"]
    if name == "people:person-edit":
        return {
            "name": person.name,
            "id_kind": "resident",
            "id_number": person.decrypt("id_number"),
            "region": person.region_id,
            "legal_basis": "statutory",
            "job_title": "越权修改",
            "version": person.version,
        }
    if name == "people:export":
        return {"region": world.village_b1.pk, "file_format": "csv", "layout": "mixed", "purpose": "越权导出测试"}
    if name == "people:export-decide":
        return {"decision": "approve", "note": "越权审批"}
    if name == "people:person-create":
        return {
            "name": "越权新增",
            "id_kind": "resident",
            "id_number": "33020619900101118X",
            "region": world.village_b1.pk,
            "legal_basis": "statutory",
        }
    if name in ("people:person-delete", "people:membership-leave"):
        return {"reason": "越权测试"}
    if name == "people:membership-add":
        return {"category": "entrepreneur", "save": "1", "enterprise_name": "越权五金厂"}
    if name == "people:membership-edit":
        return {"field": "越权", "reputation": "", "version": own["membership"].version}
    if name == "people:subrecord-add":
        return dict(SUB_RECORDS[kind])
    if name == "people:subrecord-edit":
        return {**SUB_RECORDS[kind], "version": own["records"][kind].version}
    if name == "people:saved-search-save":
        return {"name": "本单位查询", "query": "q=oyx"}
    if name == "regions:region-rename":
        return {"name": "越权村"}
    if name == "regions:region-move":
        return {"new_parent": world.township_a.pk if side != "A" else world.township_b.pk}
    if name == "regions:region-create":
        return {"name": "乙二村", "code": "330206102202", "level": "village", "parent": world.township_b.pk}
    if name == "regions:region-import":
        csv = "code,name,parent_code,level\n330206102202,乙二村,330206102000,village\n".encode()
        return {"file": SimpleUploadedFile("regions.csv", csv, content_type="text/csv")}
    return {}


def state() -> tuple:
    """Everything a POST could change, compared before and after."""
    from tongzhan.people.models import (
        CategoryMembership,
        EducationRecord,
        HistoryEntry,
        Honour,
        Person,
        Post,
        Relative,
        SavedSearch,
    )
    from tongzhan.regions.models import Region

    return (
        list(Person.objects.order_by("pk").values_list("pk", "version", "last_verified_on", "job_title")),
        HistoryEntry.objects.count(),
        list(CategoryMembership.objects.order_by("pk").values_list("pk", "status", "version")),
        [m.objects.count() for m in (Relative, Post, EducationRecord, Honour)],
        list(SavedSearch.objects.order_by("pk").values_list("pk", "name", "query")),
        list(Region.objects.order_by("pk").values_list("pk", "name", "path", "is_retired")),
    )


def shows_no_person(response) -> bool:
    html = response.content.decode()
    return not any(name in html for name in PERSON_NAMES)


def send(client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url)
    # An uploaded file is consumed by the first request; give each request its own copy.
    fresh = {
        k: (SimpleUploadedFile(v.name, v.file.getvalue(), v.content_type) if hasattr(v, "file") else v)
        for k, v in data.items()
    }
    return client.post(url, fresh)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", URL_NAMES)
def test_every_url_answers_every_role_as_documented(url_name, role, world, objects, as_user):
    assert url_name in ROUTES, f"{url_name} is in URL_CLASSES but no longer exists: remove it"
    assert url_name in URL_CLASSES, (
        f"{url_name} ({ROUTES[url_name]}) is not classified: add it to URL_CLASSES (and PK_TARGETS) "
        "so its scoping is tested"
    )
    kind_of_page = URL_CLASSES[url_name]
    user = getattr(world, role)
    client = as_user(user)
    params = parameters(ROUTES[url_name])
    kinds = list(SUB_RECORDS) if "kind" in params else [None]
    has_object = bool({"pk", "record_pk"} & set(params))
    regions_admin = (
        role in ADMINS and user.may("regions.region", "change") and url_name.startswith("regions:")
    )

    if kind_of_page == "role":
        from tongzhan.accounts.models import User

        allowed = ROLE_SCREENS[url_name]
        url = url_for(url_name, objects, "B", None)
        before = state(), list(User.objects.order_by("pk").values_list("pk", "role", "region", "is_active", "password"))
        if url_name not in POST_ONLY:
            response = client.get(url)
            expected = (200, 302) if role in allowed else (403,)
            assert response.status_code in expected, (role, url, response.status_code)
            assert shows_no_person(response)
        if role not in allowed:
            response = client.post(url, {"role": "district_staff", "region": world.district.pk,
                                         "password1": "Aa-1234567890", "password2": "Aa-1234567890"})
            assert response.status_code == 403, (role, url)
        after = state(), list(User.objects.order_by("pk").values_list("pk", "role", "region", "is_active", "password"))
        assert after == before
        return

    if kind_of_page == "public":
        response = client.get(url_for(url_name, objects, "B", None))
        assert response.status_code < 500
        assert shows_no_person(response)
        return

    if kind_of_page == "list":
        url = url_for(url_name, objects, "B", None)
        queries = [
            {},
            {"q": "oyx"},
            {"q": world.person_b1.decrypt("id_number")},
            {"q": "13800000002"},
            {"region": world.village_b1.pk},
            {"region": world.township_b.pk},
        ]
        for query in queries:
            response = client.get(url, query)
            html = response.content.decode()
            if role in ADMINS:
                assert response.status_code == 403 or (
                    response.status_code == 200 and shows_no_person(response)
                )
            elif role in SCOPED_TO_A:
                assert response.status_code == 200
                assert not any(name in html for name in B_NAMES), (role, query)
            else:
                assert response.status_code == 200
        if role in SCOPED_TO_A:
            html = client.get(url).content.decode()
            assert "曾国藩" in html or "甲一村" in html  # the page does show what is in scope
            assert not (role == "liaison" and ("单田芳" in html or "甲二村" in html))
        if role in IN_SCOPE_OF_B:
            html = client.get(url).content.decode()
            assert "欧阳修" in html or "乙一村" in html
        if role == "auditor":
            before = state()
            assert client.post(url, {"q": "oyx", "name": "x"}).status_code in (200, 403, 405)
            assert state() == before
        return

    if kind_of_page == "form":
        url = url_for(url_name, objects, "B", None)
        response = client.get(url)
        if role in ADMINS:
            assert response.status_code == 403 or (response.status_code == 200 and shows_no_person(response))
        elif role in SCOPED_TO_A:
            assert response.status_code in (200, 403)
            assert not any(name in response.content.decode() for name in B_NAMES)
        else:
            assert response.status_code == 200
        if role in SCOPED_TO_A or (role in ADMINS and not regions_admin):
            before = state()
            response = send(client, "POST", url, payload(url_name, world, objects, "B", None))
            assert response.status_code in ((403,) if role == "auditor" or role in ADMINS else (200, 403))
            assert not any(name in response.content.decode() for name in B_NAMES[:1])
            assert state() == before
        return

    assert kind_of_page in ("object", "action"), f"{url_name}: unknown class {kind_of_page!r}"
    if not has_object:  # an action on no object: only the role decides
        before = state()
        response = send(
            client,
            "POST",
            url_for(url_name, objects, "B", None),
            payload(url_name, world, objects, "B", None),
        )
        if role in ("reviewer", "auditor") or role in ADMINS:
            assert response.status_code == 403
            assert state() == before
        else:
            from tongzhan.people.models import SavedSearch

            assert response.status_code == 302
            assert SavedSearch.objects.get(name="本单位查询").region == user.scope_region()
        return

    methods = ["POST"] if kind_of_page == "action" else ["GET", "POST"]
    for kind in kinds:
        b_url, missing_url = (
            url_for(url_name, objects, "B", kind),
            url_for(url_name, objects, "missing", kind),
        )
        a_url = url_for(url_name, objects, "A", kind)
        if role in SCOPED_TO_A:
            for method in ["GET", "POST"]:
                before = state()
                out_of_scope = send(client, method, b_url, payload(url_name, world, objects, "B", kind))
                missing = send(
                    client, method, missing_url, payload(url_name, world, objects, "missing", kind)
                )
                assert state() == before, (method, b_url)
                assert out_of_scope.status_code == missing.status_code, (method, b_url)
                assert out_of_scope.content == missing.content, (method, b_url)
                if method in methods:
                    # The auditor is read-only (C5): any POST answers 403 before a view runs.
                    expected = 403 if role == "auditor" and method == "POST" else 404
                    assert out_of_scope.status_code == expected, (method, b_url)
            if role == "auditor":
                before = state()
                response = send(client, "POST", a_url, payload(url_name, world, objects, "A", kind))
                allowed = (200, 302, 403, 404, 405) if url_name in READ_PAGES else (403, 404)
                assert response.status_code in allowed, a_url
                assert state() == before
            if role == "township_staff" and kind_of_page == "object":
                assert client.get(a_url).status_code in (200, 302), a_url  # in scope, it works
        elif role in IN_SCOPE_OF_B:
            if kind_of_page == "object":
                response = client.get(b_url)
                if url_name == "people:saved-search-open" and role == "district_staff":
                    # A saved search belongs to one office; the district office does not see a township's.
                    assert response.status_code == 404
                else:
                    assert response.status_code in (200, 302), b_url
        else:
            for url in (b_url, a_url):
                for method in methods if not regions_admin else ["GET"]:
                    before = state()
                    response = send(client, method, url, payload(url_name, world, objects, "B", kind))
                    assert response.status_code in (403, 404, 405) or (
                        regions_admin and response.status_code in (200, 302)
                    ), (method, url)
                    assert shows_no_person(response)
                    assert state() == before
