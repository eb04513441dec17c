"""A supplementation campaign (数据补报) from start to finish in Chromium (issue #4 item 4).

Township staff open a campaign for A1 and A2; the A1 liaison corrects a record online (htmx, in place)
and returns the village's work; staff accept it; the person page shows the change in its history.

Run with: pytest tests/browser/test_campaign_in_chromium.py
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_staff_open_a_campaign_the_liaison_corrects_online_and_returns_staff_accept_and_history_shows_it(
    live_world, live_server, page, login, shots_dir
):
    from tongzhan.campaigns.models import Campaign

    w = live_world
    page.add_init_script(CSP_PROBE)

    # Staff open the campaign through the form.
    login(w.township_staff, "/campaigns/")
    page.locator("#open-campaign").click()
    page.fill("input[name=title]", "甲镇知名人士信息补报")
    page.check("input[name=categories][value=notable]")
    page.check(f"input[name=villages][value='{w.village_a1.pk}']")
    page.check(f"input[name=villages][value='{w.village_a2.pk}']")
    page.check("input[name=field_keys][value='person.phone']")
    page.check("input[name=field_keys][value='person.job_title']")
    page.fill("input[name=deadline]", (timezone.localdate() + datetime.timedelta(days=10)).isoformat())
    page.fill("textarea[name=notice]", "请各村核对本村知名人士的联系电话和职务。")
    page.screenshot(path=str(shots_dir / "campaign-open.png"), full_page=True)
    page.locator("#save-campaign").click()
    expect(page.locator("#progress-board")).to_contain_text("甲一村")
    expect(page.locator("#progress-board")).to_contain_text("未开始")
    campaign = Campaign.objects.get()
    village_return = campaign.returns.get(village=w.village_a1)

    # The liaison checks the record online: the row is replaced in place, the page is not reloaded.
    page.context.clear_cookies()
    login(w.liaison, "/campaigns/")
    page.get_by_role("link", name="填报").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/returns/{village_return.pk}/$"))
    expect(page.locator(".notice-text")).to_contain_text("请各村核对")
    row = page.locator(f"#record-{w.person_a1.pk}")
    expect(row).to_contain_text("未核对")
    expect(page.locator("#records")).not_to_contain_text("单田芳")
    page.evaluate("window.__sameDocument = true")
    row.locator("input[name='person.job_title']").fill("山长")
    row.get_by_role("button", name="核对并保存").click()
    expect(page.locator(f"#record-{w.person_a1.pk}")).to_contain_text("已核对，有变化")
    assert page.evaluate("window.__sameDocument === true"), "saving a record reloaded the page"
    expect(page.locator("#return-status")).to_contain_text("填报中")  # updated out of band
    page.screenshot(path=str(shots_dir / "campaign-liaison.png"), full_page=True)
    page.locator("#submit-return").click()
    expect(page.locator("#return-status")).to_contain_text("已报送")
    w.person_a1.refresh_from_db()
    assert w.person_a1.job_title == ""  # nothing reaches the registry before review

    # Staff review the difference and accept the village's return.
    page.context.clear_cookies()
    login(w.township_staff, f"/campaigns/returns/{village_return.pk}/")
    expect(page.locator("#review")).to_contain_text("（空） → 山长")
    page.screenshot(path=str(shots_dir / "campaign-review.png"), full_page=True)
    page.locator("#accept-return").click()
    expect(page.locator("#return-status")).to_contain_text("已采纳")

    # The person page shows the change in its history, made by the staff member, and the verification.
    page.goto(f"{live_server.url}/people/{w.person_a1.pk}/")
    expect(page.locator("#history")).to_contain_text("山长")
    expect(page.locator("#history")).to_contain_text("核实")
    page.screenshot(path=str(shots_dir / "campaign-history.png"), full_page=True)
    assert page.evaluate("window.__cspViolations") == []
