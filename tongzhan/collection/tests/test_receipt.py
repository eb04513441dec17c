"""The receipt code: the status and a return's note, nothing else, and never in a URL (SECURITY.md H3, D6)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongzhan.collection import review

from .factories import adult_id, open_collection, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world):
    collection = open_collection(world.township_a)
    submission, code = submit(collection, village=world.village_a1, name="欧阳文", id_number=adult_id(3),
                              values={"phone": "13800003333", "address": "甲一村9号", "work_unit": "甲镇中学"})
    return submission, code


def look_up(code: str):
    return Client().post("/collect/receipt/", {"code": code})


def test_the_receipt_shows_the_status_and_nothing_the_submitter_wrote(world, submitted):
    submission, code = submitted
    response = look_up(code)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="status-label">待审核</strong>' in html
    for written in ("欧阳文", adult_id(3), submission.id_number_masked, "13800003333", "138****3333", "甲一村9号",
                    "甲镇中学", "甲一村", "书法"):
        assert written not in html, written


def test_the_code_is_read_in_any_case_and_with_or_without_dashes(world, submitted):
    _submission, code = submitted
    for variant in (code.lower(), code.replace("-", ""), f"  {code}  ", code.replace("-", " ")):
        assert "待审核" in look_up(variant).content.decode(), variant


def test_an_unknown_code_says_so_and_reveals_nothing(world, submitted):
    response = look_up("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    html = response.content.decode()
    assert "未找到该回执码" in html and "待审核" not in html


def test_the_receipt_is_asked_by_post_so_the_code_never_reaches_a_url(world, submitted):
    _submission, code = submitted
    page = Client().get("/collect/receipt/").content.decode()
    assert 'method="post"' in page
    assert "待审核" not in Client().get("/collect/receipt/", {"code": code}).content.decode()


def test_a_returned_submission_shows_the_note_and_where_to_submit_again(world, submitted):
    submission, code = submitted
    review.return_submission(actor=world.reviewer, submission=submission, note="请补充<b>工作单位</b>的全称")
    html = look_up(code).content.decode()
    assert "已退回" in html
    assert "请补充&lt;b&gt;工作单位&lt;/b&gt;的全称" in html  # escaped, shown as text
    assert f'/collect/{submission.collection_id}/' in html


def test_a_rejected_submission_shows_the_status_but_not_the_internal_reason(world, submitted):
    submission, code = submitted
    review.reject_submission(actor=world.reviewer, submission=submission, reason="重复提交，系测试数据")
    html = look_up(code).content.decode()
    assert "不予采纳" in html and "重复提交，系测试数据" not in html


def test_an_accepted_submission_shows_accepted(world, submitted):
    submission, code = submitted
    review.accept_submission(actor=world.township_staff, submission=submission, fields=[], join=True)
    assert "已采纳" in look_up(code).content.decode()
