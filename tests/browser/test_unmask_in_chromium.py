"""Unmasking as a clerk meets it: a reason, the password again, the full number once, and the audit trail."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_unmasking_asks_for_a_reason_and_the_password_and_shows_in_the_audit_screen(
    live_world, live_server, browser, page, login, shots_dir
):
    person = live_world.person_a1
    full_id = person.decrypt("id_number")
    login(live_world.township_staff, next_path=f"/people/{person.pk}/")
    expect(page.locator("#person-name")).to_contain_text("曾国藩")
    assert full_id not in page.content(), "the person page must show the ID masked"

    page.click("#unmask-button")
    expect(page).to_have_url(re.compile(r"/accounts/reauth/"))
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#reauth-button")
    expect(page.locator("#unmask-form")).to_be_visible()

    page.click("#unmask-submit")  # no reason yet
    expect(page.locator("#unmask-form")).to_contain_text("请填写查看事由")
    page.fill("textarea[name=reason], input[name=reason]", "核对侨情普查登记信息")
    with page.expect_navigation():
        page.click("#unmask-submit")
    expect(page.locator("#id-number-full")).to_have_text(full_id)
    expect(page.locator("#unmask-notice")).to_be_visible()
    assert full_id not in page.url
    page.screenshot(path=str(shots_dir / "unmasked.png"))

    # The auditor of the same township reads it back in the audit screen, with the reason.
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    auditor_page = context.new_page()
    try:
        sign_in(auditor_page, live_server, live_world.auditor, next_path="/audit/?event=person.unmask")
        table = auditor_page.locator("#audit-table")
        expect(table).to_contain_text("person.unmask")
        expect(table).to_contain_text("核对侨情普查登记信息")
        assert full_id not in auditor_page.content()
        auditor_page.screenshot(path=str(shots_dir / "audit-unmask.png"))
    finally:
        context.close()
