"""The public collection from start to finish in Chromium: a member of the public submits with no login,
keeps the receipt code, a reviewer accepts the submission, and the person is found by search (issue #4).

Run with: pytest tests/browser/test_collection_in_chromium.py
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _solve_captcha(page) -> None:
    """Read the challenge's answer from the server's captcha store, as the brief allows a test to."""
    from captcha.models import CaptchaStore

    key = page.locator("input[name=captcha_0]").input_value()
    page.fill("input[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)


def test_a_member_of_the_public_submits_a_reviewer_accepts_and_the_person_is_found_by_search(
    live_world, live_server, page, login, shots_dir, settings
):
    from tongzhan.collection.tests.factories import adult_id, open_collection

    settings.COLLECTION_MIN_FILL_SECONDS = 1
    open_collection(live_world.township_a, title="甲镇知名人士信息征集")
    page.add_init_script(CSP_PROBE)

    # The public: no login, the list of open collections, the notice, the form.
    page.goto(f"{live_server.url}/collect/")
    page.get_by_role("link", name="甲镇知名人士信息征集").click()
    expect(page.locator("#notice")).to_contain_text("统战工作联系服务")
    expect(page.get_by_label("我单独同意处理我填写的民族、宗教信仰等敏感个人信息", exact=False)).not_to_be_checked()
    page.fill("input[name=name]", "欧阳文")
    page.fill("input[name=id_number]", adult_id(77))
    page.select_option("select[name=region]", label="甲一村")
    page.fill("input[name=phone]", "13800007777")
    page.fill("input[name=work_unit]", "甲镇中学")
    page.fill("input[name=detail-field]", "书法")
    page.get_by_label("我已阅读并同意上述告知书", exact=False).check()
    expect(page.locator("img.captcha-image")).to_be_visible()
    page.locator("#captcha-refresh").click()  # a new challenge replaces the first one
    expect(page.locator("input[name=captcha_1]")).to_be_focused()
    _solve_captcha(page)
    page.screenshot(path=str(shots_dir / "collection-public-form.png"), full_page=True)
    page.wait_for_timeout(1200)  # a person takes longer than the minimum fill time; Playwright does not
    page.locator("#submit-button").click()

    expect(page.locator("#receipt-code")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", code), code
    assert code not in page.url
    page.screenshot(path=str(shots_dir / "collection-receipt-code.png"))

    page.goto(f"{live_server.url}/collect/receipt/")
    page.fill("input[name=code]", code.lower())
    page.locator("#receipt-button").click()
    expect(page.locator("#status-label")).to_have_text("待审核")
    expect(page.locator("#receipt-status")).not_to_contain_text("欧阳文")
    assert page.evaluate("window.__cspViolations") == []

    # The reviewer: the queue, the submission, accept field by field.
    login(live_world.reviewer, "/collect/manage/")
    page.locator("#nav-collection").click()
    page.get_by_role("link", name="欧阳文").click()
    expect(page.locator("#match")).to_contain_text("登记库中没有该证件号码")
    expect(page.locator("#review-table")).to_contain_text("甲镇中学")
    expect(page.locator("#review-table tr[data-field=work_unit] input[type=checkbox]")).to_be_checked()
    page.locator("#review-table tr[data-field=phone] input[type=checkbox]").uncheck()
    page.screenshot(path=str(shots_dir / "collection-review.png"), full_page=True)
    page.locator("#accept-button").click()

    expect(page).to_have_url(re.compile(r"/people/\d+/$"))
    expect(page.locator("#person-name")).to_contain_text("欧阳文")
    expect(page.locator(".alert", has_text="已采纳")).to_be_visible()

    page.goto(f"{live_server.url}/people/?q=oyw")
    expect(page.locator("#result-table tbody")).to_contain_text("欧阳文")
    page.screenshot(path=str(shots_dir / "collection-person-in-search.png"))

    from tongzhan.people.models import Person

    person = Person.objects.get(name="欧阳文")
    assert (person.source, person.legal_basis, person.notice_version) == ("public", "consent", "2026-01")
    assert person.work_unit == "甲镇中学" and person.decrypt("phone") == ""  # the phone was not ticked

    page.goto(f"{live_server.url}/collect/receipt/")
    page.fill("input[name=code]", code)
    page.locator("#receipt-button").click()
    expect(page.locator("#status-label")).to_have_text("已采纳")


def test_a_script_in_a_submitted_name_is_shown_as_text_in_the_review_queue_under_the_csp(
    live_world, live_server, page, login, shots_dir
):
    from tongzhan.collection.tests.factories import adult_id, open_collection, submit

    name = "<img src=x onerror=alert(1)>"
    collection = open_collection(live_world.township_a)
    submit(collection, village=live_world.village_a1, name=name, id_number=adult_id(78))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(CSP_PROBE)

    login(live_world.township_staff, "/collect/manage/")
    response = page.goto(f"{live_server.url}/collect/manage/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    link = page.locator("#submission-table a.submission-name")
    expect(link).to_have_text(name)
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(shots_dir / "collection-queue-escaped-name.png"))
    link.click()
    expect(page.locator("#review-table")).to_contain_text(name)
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(shots_dir / "collection-review-escaped-name.png"))
    assert dialogs == []
    assert page.evaluate("window.__cspViolations") == []
