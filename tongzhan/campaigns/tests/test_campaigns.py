"""Supplementation campaigns (数据补报), issue #4 item 4: SECURITY.md C1, C2, C3, E1, E4, F1, F5, J1.

The world: township A's staff opens a campaign for villages A1 and A2 (知名人士); the A1 liaison checks
A1's records online or through the pre-filled sheet and returns them; staff review and accept or send back.
"""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tongzhan.audit.models import AuditEvent
from tongzhan.campaigns import selectors, services
from tongzhan.campaigns.models import Campaign, Entry, VillageReturn
from tongzhan.core import identity
from tongzhan.people import services as people
from tongzhan.people.models import Category, CategoryMembership, HistoryEntry, Person

from .factories import open_campaign

NEW_ID = "33020619900101123" + identity.check_digit("33020619900101123")  # valid, not in the world


@pytest.fixture
def campaign(world):
    return open_campaign(world.township_staff, [world.village_a1, world.village_a2])


def return_of(campaign, village) -> VillageReturn:
    return campaign.returns.get(village=village)


def events(name: str) -> int:
    return AuditEvent.objects.filter(event=name).count()


# --- opening and closing --------------------------------------------------------------------------------


def test_staff_opens_a_campaign_with_one_return_per_village_and_it_is_audited(world, as_user):
    client = as_user(world.township_staff)
    response = client.post(reverse("campaigns:campaign-create"), {
        "title": "甲镇知名人士信息补报", "categories": ["notable"],
        "villages": [world.village_a1.pk, world.village_a2.pk], "field_keys": ["person.phone", "person.work_unit"],
        "deadline": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(), "notice": "请按时核对",
    })
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:campaign-detail", args=[campaign.pk])
    assert campaign.township == world.township_a
    assert campaign.fields == ["person.phone", "person.work_unit"]
    assert sorted(r.village.name for r in campaign.returns.all()) == ["甲一村", "甲二村"]
    assert events("campaign.open") == 1


def test_staff_cannot_open_a_campaign_for_another_townships_village(world, as_user):
    response = as_user(world.township_staff).post(reverse("campaigns:campaign-create"), {
        "title": "越权补报", "categories": ["notable"], "villages": [world.village_b1.pk],
        "field_keys": ["person.phone"], "deadline": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "notice": "越权",
    })
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not Campaign.objects.exists()
    with pytest.raises(PermissionDenied):
        open_campaign(world.township_staff, [world.village_b1])


def test_a_campaign_with_a_past_deadline_or_no_fields_is_refused_with_reasons(world):
    with pytest.raises(ValidationError) as exc:
        open_campaign(world.township_staff, [world.village_a1], fields=[],
                      deadline=timezone.localdate() - datetime.timedelta(days=1))
    assert set(exc.value.message_dict) == {"fields", "deadline"}
    assert not Campaign.objects.exists()


def test_village_liaison_cannot_open_a_campaign(world, as_user):
    assert as_user(world.liaison).get(reverse("campaigns:campaign-create")).status_code == 403
    with pytest.raises(PermissionDenied):
        open_campaign(world.liaison, [world.village_a1])


def test_closing_a_campaign_is_audited_and_stops_the_villages_editing(world, campaign, as_user):
    response = as_user(world.township_staff).post(reverse("campaigns:campaign-close", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "closed" and events("campaign.close") == 1
    with pytest.raises(ValidationError):
        services.save_entry(actor=world.liaison, village_return=return_of(campaign, world.village_a1),
                            person=world.person_a1, written={})


# --- the liaison's view ----------------------------------------------------------------------------------


def test_liaison_sees_the_notice_and_only_their_villages_records(world, campaign, as_user):
    client = as_user(world.liaison)
    listing = client.get(reverse("campaigns:campaign-list")).content.decode()
    assert "甲一村" in listing and "甲二村" not in listing
    html = client.get(reverse("campaigns:return-detail", args=[return_of(campaign, world.village_a1).pk])).content.decode()
    assert "请各村于截止日期前核对" in html
    assert "曾国藩" in html and "单田芳" not in html
    # Liaisons never see a full ID number or phone (D3): only the masked ones.
    assert world.person_a1.decrypt("id_number") not in html
    assert world.person_a1.decrypt("phone") not in html
    assert world.person_a1.id_number_masked in html


def test_liaison_gets_404_for_another_villages_return_byte_for_byte_like_a_missing_one(world, campaign, as_user):
    client = as_user(world.liaison)
    other = return_of(campaign, world.village_a2)
    for name in ("campaigns:return-detail", "campaigns:return-sheet"):
        theirs = client.get(reverse(name, args=[other.pk]))
        missing = client.get(reverse(name, args=[99999999]))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.content == missing.content
    response = client.post(reverse("campaigns:return-check", args=[other.pk]),
                           {"person": world.person_a2.pk, "person.phone": "13900000000"})
    assert response.status_code == 404
    assert not Entry.objects.exists()
    # Nor the campaign page itself: a liaison sees a campaign only through their village's return.
    assert client.get(reverse("campaigns:campaign-detail", args=[campaign.pk])).status_code == 404


def test_liaison_cannot_check_a_record_of_another_village_through_their_own_return(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(reverse("campaigns:return-check", args=[own.pk]),
                                           {"person": world.person_a2.pk, "person.name": "单田芳"})
    assert response.status_code == 404
    assert not Entry.objects.exists()


# --- online editing ---------------------------------------------------------------------------------------


def check(client, village_return, person, **values):
    data = {"person": person.pk, "person.name": person.name, "person.work_unit": person.work_unit,
            "person.job_title": person.job_title}
    data.update({f"person.{k}": v for k, v in values.items()})
    return client.post(reverse("campaigns:return-check", args=[village_return.pk]), data)


def test_an_online_correction_is_a_proposal_and_changes_nothing_in_the_registry(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    history_before = HistoryEntry.objects.count()
    response = check(as_user(world.liaison), own, world.person_a1, phone="13912345678", work_unit="湘乡书院")
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.kind == "change" and entry.changed == ["person.phone", "person.work_unit"]
    assert entry.values == {"person.phone": "13912345678", "person.work_unit": "湘乡书院"}
    assert b"13912345678" not in bytes(entry.values_enc)  # stored encrypted (D1)
    world.person_a1.refresh_from_db()
    assert world.person_a1.decrypt("phone") != "13912345678" and world.person_a1.work_unit == ""
    assert HistoryEntry.objects.count() == history_before
    own.refresh_from_db()
    assert own.status == "in_progress"


def test_liaison_marks_a_record_checked_with_no_change(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    check(as_user(world.liaison), own, world.person_a1)
    entry = Entry.objects.get()
    assert entry.kind == "confirm" and entry.changed == [] and entry.values == {}


def test_the_htmx_check_answers_with_the_records_row_in_place(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(
        reverse("campaigns:return-check", args=[own.pk]),
        {"person": world.person_a1.pk, "person.name": "曾国藩", "person.job_title": "山长"},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert 'value="山长"' in html and "已核对，有变化" in html


def test_a_bad_phone_is_refused_with_a_chinese_message_and_nothing_is_saved(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(
        reverse("campaigns:return-check", args=[own.pk]),
        {"person": world.person_a1.pk, "person.name": "曾国藩", "person.phone": "12345"},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "is-invalid" in html and "电话" in html
    assert not Entry.objects.exists()


def test_a_new_person_is_filed_in_the_returns_village_whatever_the_liaison_posts(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(reverse("campaigns:return-add", args=[own.pk]), {
        "category": "notable", "new.person.name": "左宗棠", "new.person.id_number": NEW_ID,
        "new.person.region": world.village_b1.pk, "region": world.village_b1.pk,  # C3: ignored
        "detail.notable.field": "洋务",
    })
    assert response.status_code == 302
    entry = Entry.objects.get(kind="create")
    assert entry.values["person.name"] == "左宗棠" and "person.region" not in entry.values
    services.submit_return(actor=world.liaison, village_return=return_of(campaign, world.village_a1))
    services.accept(actor=world.township_staff, village_return=own)
    person = Person.objects.get(name="左宗棠")
    assert person.region == world.village_a1 and person.source == "campaign"


def test_a_new_person_whose_id_is_already_registered_is_refused(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(reverse("campaigns:return-add", args=[own.pk]), {
        "category": "notable", "new.person.name": "冒名", "new.person.id_number": world.person_b1.decrypt("id_number"),
        "detail.notable.field": "文史",
    })
    assert response.status_code == 400
    assert "已在库中登记" in response.content.decode()
    assert not Entry.objects.exists()


def test_liaison_withdraws_a_mistaken_new_person_before_returning(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    entry = services.add_person_entry(actor=world.liaison, village_return=own,
                                      category=Category.objects.get(code="notable"),
                                      written={"person.name": "左宗棠"}, detail={"field": "洋务"})
    client = as_user(world.liaison)
    other = return_of(campaign, world.village_a2)
    assert client.post(reverse("campaigns:return-withdraw", args=[other.pk]), {"entry": entry.pk}).status_code == 404
    assert Entry.objects.filter(pk=entry.pk).exists()
    response = client.post(reverse("campaigns:return-withdraw", args=[own.pk]), {"entry": entry.pk})
    assert response.status_code == 302
    assert not Entry.objects.filter(pk=entry.pk).exists()


def test_a_category_attribute_correction_is_accepted_through_update_category_detail(world, as_user):
    campaign = open_campaign(world.township_staff, [world.village_a1],
                             fields=["person.phone", "detail:notable.field"])
    own = return_of(campaign, world.village_a1)
    html = as_user(world.liaison).get(reverse("campaigns:return-detail", args=[own.pk])).content.decode()
    assert "知名人士·知名领域" in html and 'value="文史"' in html
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                        written={"person.name": "曾国藩", "detail:notable.field": "理学"})
    services.submit_return(actor=world.liaison, village_return=own)
    assert services.accept(actor=world.township_staff, village_return=own) == {"accepted": 1, "conflicts": 0}
    membership = CategoryMembership.objects.get(person=world.person_a1, category="notable")
    assert membership.detail.field == "理学"
    entry = HistoryEntry.objects.get(person=world.person_a1, action="update")
    assert entry.changes["知名领域"] == ["文史", "理学"]


def test_a_category_attribute_changed_in_the_registry_meanwhile_is_a_conflict(world):
    campaign = open_campaign(world.township_staff, [world.village_a1], fields=["detail:notable.field"])
    own = return_of(campaign, world.village_a1)
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                        written={"person.name": "曾国藩", "detail:notable.field": "理学"})
    services.submit_return(actor=world.liaison, village_return=own)
    membership = CategoryMembership.objects.get(person=world.person_a1, category="notable")
    people.update_category_detail(actor=world.township_staff, membership=membership,
                                  attributes={"field": "书法"}, expected_version=membership.version)
    assert services.accept(actor=world.township_staff, village_return=own) == {"accepted": 0, "conflicts": 1}
    membership.refresh_from_db()
    assert membership.detail.field == "书法"


def test_a_category_attribute_of_a_category_outside_the_campaign_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        open_campaign(world.township_staff, [world.village_a1], fields=["detail:entrepreneur.enterprise_name"])
    assert "fields" in exc.value.message_dict


# --- the sheet round trip -------------------------------------------------------------------------------


def download(client, village_return) -> openpyxl.Workbook:
    response = client.get(reverse("campaigns:return-sheet", args=[village_return.pk]))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def upload(client, village_return, book: openpyxl.Workbook):
    out = io.BytesIO()
    book.save(out)
    return client.post(reverse("campaigns:return-upload", args=[village_return.pk]),
                       {"file": SimpleUploadedFile("补报表.xlsx", out.getvalue())})


def header_index(sheet) -> tuple[int, dict]:
    for row in sheet.iter_rows(min_row=1, max_row=3):
        names = {cell.value: cell.column for cell in row if cell.value}
        if "补报编号（请勿修改）" in names:
            return row[0].row, names
    raise AssertionError("no header row")


def test_the_downloaded_sheet_is_prefilled_masked_watermarked_and_keyed_by_record(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    sheet = download(as_user(world.liaison), own).active
    header_row, columns = header_index(sheet)
    assert header_row == 2 and "导出人" in sheet.cell(1, 1).value  # the watermark row (D5)
    data = [[c.value for c in row] for row in sheet.iter_rows(min_row=header_row + 1)]
    assert len(data) == 1  # A1's one record; never A2's
    row = data[0]
    assert row[columns["补报编号（请勿修改）"] - 1] == str(world.person_a1.pk)
    assert row[columns["证件号码"] - 1] == world.person_a1.id_number_masked
    assert row[columns["联系电话"] - 1] == world.person_a1.phone_masked
    assert AuditEvent.objects.filter(event="campaign.sheet_download").count() == 1


def test_a_returned_sheet_with_a_changed_phone_and_a_new_person_is_accepted_with_history(world, campaign, as_user):
    """The brief's path: sheet → return → review → accept; the history shows the change; verified today."""
    own = return_of(campaign, world.village_a1)
    liaison = as_user(world.liaison)
    book = download(liaison, own)
    sheet = book.active
    header_row, columns = header_index(sheet)
    sheet.cell(header_row + 1, columns["联系电话"]).value = "139-1234-5678"
    new_row = header_row + 2
    sheet.cell(new_row, columns["姓名"]).value = "左宗棠"
    sheet.cell(new_row, columns["证件号码"]).value = NEW_ID
    sheet.cell(new_row, columns["联系电话"]).value = "13800001111"
    sheet.cell(new_row, columns["知名领域"]).value = "洋务"
    response = upload(liaison, own, book)
    assert response.status_code == 302, response.content.decode()[-6000:]
    assert Entry.objects.filter(kind="change").count() == 1 and Entry.objects.filter(kind="create").count() == 1
    assert Person.objects.filter(name="左宗棠").count() == 0  # nothing in the registry yet

    assert liaison.post(reverse("campaigns:return-submit", args=[own.pk])).status_code == 302
    own.refresh_from_db()
    assert own.status == "returned" and events("campaign.return_submitted") == 1

    staff = as_user(world.township_staff)
    review = staff.get(reverse("campaigns:return-detail", args=[own.pk])).content.decode()
    assert "139****5678" in review and world.person_a1.phone_masked in review and "左宗棠" in review
    assert "13912345678" not in review

    assert staff.post(reverse("campaigns:return-accept", args=[own.pk])).status_code == 302
    own.refresh_from_db()
    assert own.status == "accepted" and events("campaign.accepted") == 1
    person = Person.objects.get(pk=world.person_a1.pk)
    assert person.decrypt("phone") == "13912345678"
    assert person.last_verified_on == timezone.localdate()
    change = HistoryEntry.objects.filter(person=person, action="update").get()
    assert change.changes["联系电话"] == [world.person_a1.phone_masked, "139****5678"]
    assert change.actor == world.township_staff
    newcomer = Person.objects.get(name="左宗棠")
    assert newcomer.region == world.village_a1 and newcomer.last_verified_on == timezone.localdate()
    assert CategoryMembership.objects.get(person=newcomer).category_id == "notable"
    # The person page shows the change in its history.
    page = staff.get(reverse("people:person-detail", args=[person.pk])).content.decode()
    assert "139****5678" in page


def test_a_category_attribute_round_trips_through_the_sheet(world, as_user):
    campaign = open_campaign(world.township_staff, [world.village_a1], fields=["detail:notable.field"])
    own = return_of(campaign, world.village_a1)
    liaison = as_user(world.liaison)
    book = download(liaison, own)
    sheet = book.active
    header_row, columns = header_index(sheet)
    assert sheet.cell(header_row + 1, columns["知名人士·知名领域"]).value == "文史"
    sheet.cell(header_row + 1, columns["知名人士·知名领域"]).value = "理学"
    sheet.cell(header_row + 2, columns["姓名"]).value = "左宗棠"
    sheet.cell(header_row + 2, columns["知名人士·知名领域"]).value = "洋务"
    assert upload(liaison, own, book).status_code == 302
    change = Entry.objects.get(kind="change")
    assert change.changed == ["detail:notable.field"] and change.values == {"detail:notable.field": "理学"}
    assert Entry.objects.get(kind="create").values == {"person.name": "左宗棠", "detail.field": "洋务"}


def test_sheet_problems_are_shown_by_row_column_and_value_and_nothing_is_written(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    liaison = as_user(world.liaison)
    book = download(liaison, own)
    sheet = book.active
    header_row, columns = header_index(sheet)
    sheet.cell(header_row + 1, columns["联系电话"]).value = "12345"
    sheet.cell(header_row + 2, columns["姓名"]).value = "左宗棠"
    sheet.cell(header_row + 2, columns["证件号码"]).value = "330206199001011230"  # bad check digit
    sheet.cell(header_row + 2, columns["知名领域"]).value = "洋务"
    response = upload(liaison, own, book)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="sheet-problems"' in html
    assert "<td>3</td><td>联系电话</td><td>12345</td>" in html
    assert "<td>4</td><td>证件号码</td><td>330206199001011230</td>" in html
    assert not Entry.objects.exists()


def test_a_sheet_row_keyed_to_a_record_outside_the_village_is_refused(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    liaison = as_user(world.liaison)
    book = download(liaison, own)
    sheet = book.active
    header_row, columns = header_index(sheet)
    sheet.cell(header_row + 1, columns["补报编号（请勿修改）"]).value = str(world.person_a2.pk)
    sheet.cell(header_row + 1, columns["姓名"]).value = "单田芳"
    response = upload(liaison, own, book)
    assert response.status_code == 400
    assert "该编号不是本村本次补报的记录" in response.content.decode()
    assert not Entry.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_by_the_shared_reader(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    response = as_user(world.liaison).post(reverse("campaigns:return-upload", args=[own.pk]),
                                           {"file": SimpleUploadedFile("补报表.xlsx", b"%PDF-1.4 not a sheet")})
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    assert not Entry.objects.exists()


# --- review ------------------------------------------------------------------------------------------------


def returned(world, campaign, **changes) -> VillageReturn:
    own = return_of(campaign, world.village_a1)
    written = {"person.name": "曾国藩", **changes}
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1, written=written)
    return services.submit_return(actor=world.liaison, village_return=own)


def test_accepting_a_confirmed_record_sets_its_last_verified_date(world, campaign):
    own = returned(world, campaign)
    services.accept(actor=world.township_staff, village_return=own)
    person = Person.objects.get(pk=world.person_a1.pk)
    assert person.last_verified_on == timezone.localdate() and person.last_verified_by == world.township_staff
    assert HistoryEntry.objects.filter(person=person, action="verify").exists()


def test_a_record_changed_in_the_registry_since_the_liaison_saw_it_is_a_conflict_not_an_overwrite(world, campaign):
    own = returned(world, campaign, **{"person.job_title": "山长"})
    data = people.PersonInput(name="曾国藩", region=world.village_a1, id_number=world.person_a1.decrypt("id_number"),
                              job_title="两江总督")
    people.update_person(actor=world.township_staff, person=world.person_a1, data=data,
                         expected_version=world.person_a1.version)
    counts = services.accept(actor=world.township_staff, village_return=own)
    assert counts == {"accepted": 0, "conflicts": 1}
    assert Person.objects.get(pk=world.person_a1.pk).job_title == "两江总督"
    entry = Entry.objects.get()
    assert entry.status == "conflict" and "已被他人修改" in entry.note
    own.refresh_from_db()
    assert own.status == "returned"  # still waiting: staff send it back for a fresh check
    row = selectors.review_rows(own)[0]
    assert row.conflict and row.differences[0].old == "" and row.differences[0].new == "山长"


def test_sending_a_village_back_with_a_note_reopens_it_for_the_liaison(world, campaign, as_user):
    own = returned(world, campaign)
    staff = as_user(world.township_staff)
    response = staff.post(reverse("campaigns:return-send-back", args=[own.pk]), {"note": "请补充电话"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == "sent_back" and own.review_note == "请补充电话"
    assert events("campaign.sent_back") == 1
    assert Entry.objects.get().status == "sent_back"
    html = as_user(world.liaison).get(reverse("campaigns:return-detail", args=[own.pk])).content.decode()
    assert "请补充电话" in html and 'id="submit-return"' in html
    # The liaison corrects and returns again; the entry waits for review once more.
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                        written={"person.name": "曾国藩", "person.phone": "13700000001"})
    services.submit_return(actor=world.liaison, village_return=own)
    assert Entry.objects.get().status == "pending"


def test_sending_back_needs_a_note(world, campaign):
    own = returned(world, campaign)
    with pytest.raises(ValidationError):
        services.send_back(actor=world.township_staff, village_return=own, note=" ")
    own.refresh_from_db()
    assert own.status == "returned"


def test_one_record_can_be_accepted_and_another_sent_back(world, campaign):
    own = return_of(campaign, world.village_a1)
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                        written={"person.name": "曾国藩", "person.job_title": "山长"})
    services.add_person_entry(actor=world.liaison, village_return=own, category=Category.objects.get(code="notable"),
                              written={"person.name": "左宗棠"}, detail={"field": "洋务"})
    services.submit_return(actor=world.liaison, village_return=own)
    first, second = Entry.objects.order_by("id")
    services.accept(actor=world.township_staff, village_return=own, entry=first)
    services.send_back(actor=world.township_staff, village_return=own, note="请补充身份证号", entry=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "accepted" and second.status == "sent_back"
    assert Person.objects.get(pk=world.person_a1.pk).job_title == "山长"
    assert not Person.objects.filter(name="左宗棠").exists()
    with pytest.raises(ValidationError):  # an accepted record cannot be changed by the village again
        services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                            written={"person.name": "曾国藩"})


def test_only_staff_review_and_only_the_liaison_fills(world, campaign, as_user):
    own = returned(world, campaign)
    assert as_user(world.liaison).post(reverse("campaigns:return-accept", args=[own.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.accept(actor=world.liaison, village_return=own)
    other = return_of(campaign, world.village_a2)
    response = as_user(world.township_staff).post(reverse("campaigns:return-check", args=[other.pk]),
                                                  {"person": world.person_a2.pk, "person.name": "单田芳"})
    assert response.status_code == 404
    own.refresh_from_db()
    assert own.status == "returned"


def test_a_return_cannot_be_submitted_empty_or_changed_while_under_review(world, campaign):
    own = return_of(campaign, world.village_a1)
    with pytest.raises(ValidationError):
        services.submit_return(actor=world.liaison, village_return=own)
    own = returned(world, campaign)
    with pytest.raises(ValidationError):
        services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1, written={})


# --- progress board and overdue list ---------------------------------------------------------------------


def test_the_board_counts_each_villages_checked_changed_and_added_records(world, campaign, as_user):
    own = return_of(campaign, world.village_a1)
    services.save_entry(actor=world.liaison, village_return=own, person=world.person_a1,
                        written={"person.name": "曾国藩", "person.job_title": "山长"})
    services.add_person_entry(actor=world.liaison, village_return=own, category=Category.objects.get(code="notable"),
                              written={"person.name": "左宗棠"}, detail={"field": "洋务"})
    rows = {r.village.name: r for r in selectors.board(world.township_staff, campaign)}
    assert (rows["甲一村"].status, rows["甲一村"].n_checked, rows["甲一村"].n_changed, rows["甲一村"].n_added) == (
        "in_progress", 1, 1, 1)
    assert (rows["甲二村"].status, rows["甲二村"].n_checked) == ("not_started", 0)
    html = as_user(world.township_staff).get(reverse("campaigns:campaign-detail", args=[campaign.pk])).content.decode()
    assert "填报中" in html and "未开始" in html


def test_the_overdue_list_names_villages_past_the_deadline_that_have_not_returned(world, campaign, as_user):
    returned(world, campaign)  # A1 returned in time
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    overdue = selectors.overdue_returns(world.township_staff)
    assert [r.village.name for r in overdue] == ["甲二村"]
    html = as_user(world.township_staff).get(reverse("campaigns:campaign-list")).content.decode()
    assert 'id="overdue-list"' in html and "逾期" in html
    # Township B's staff see none of township A's campaigns.
    assert selectors.overdue_returns(world.township_b_staff) == []
    assert "甲镇知名人士" not in as_user(world.township_b_staff).get(reverse("campaigns:campaign-list")).content.decode()


def test_the_campaign_list_reads_a_fixed_number_of_queries_whatever_the_villages(world, as_user,
                                                                              django_assert_max_num_queries):
    for _ in range(3):
        open_campaign(world.township_staff, [world.village_a1, world.village_a2])
    client = as_user(world.township_staff)
    client.get(reverse("campaigns:campaign-list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("campaigns:campaign-list")).status_code == 200
