"""The registry as an office worker meets it: Chromium, the real login form, htmx search, editing, history.

Run with: pytest tests/browser -m browser
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PEOPLE

pytestmark = pytest.mark.browser

RESULTS = "#result-table tbody"
# Records CSP violations from inside the page; init scripts are injected by the browser, not by the
# page, so the policy does not block this one.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _result_names(page) -> list[str]:
    return page.locator(f"{RESULTS} tr td:first-child a").all_inner_texts()


def test_staff_logs_in_types_initials_opens_the_person_edits_a_field_and_sees_it_in_the_history(
    live_world, live_server, page, login, shots_dir
):
    login(live_world.township_staff)
    expect(page).to_have_url(re.compile(r"/people/$"))
    # Township A sees both its villages before anything is typed.
    expect(page.locator(RESULTS)).to_contain_text("曾国藩")
    expect(page.locator(RESULTS)).to_contain_text("单田芳")

    # A marker on window survives htmx swaps but not a page load.
    page.evaluate("window.__sameDocument = true")
    box = page.locator("#id_q")
    box.click()
    box.press_sequentially("zgf", delay=60)

    expect(page.locator(RESULTS)).not_to_contain_text("单田芳")
    expect(page.locator(RESULTS)).to_contain_text("曾国藩")
    assert _result_names(page) == ["曾国藩"]
    assert page.evaluate("window.__sameDocument === true"), (
        "typing reloaded the page instead of swapping results"
    )
    expect(page).to_have_url(re.compile(r"[?&]q=zgf(&|$)"))  # bookmarkable
    expect(box).to_have_value("zgf")
    page.screenshot(path=str(shots_dir / "search-results.png"))

    page.get_by_role("link", name="曾国藩", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/people/{live_world.person_a1.pk}/$"))
    expect(page.locator("#person-name")).to_contain_text("曾国藩")

    page.locator("#edit-button").click()
    expect(page).to_have_url(re.compile(rf"/people/{live_world.person_a1.pk}/edit/$"))
    new_unit = "宁波市甲镇文化站"
    work_unit = page.get_by_label("工作单位", exact=True)
    work_unit.fill(new_unit)
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/people/{live_world.person_a1.pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text("已保存")
    unit_value = page.locator("dl.record dt", has_text="工作单位").locator("xpath=following-sibling::dd[1]")
    expect(unit_value).to_have_text(new_unit)
    history_change = page.locator("#history .change", has_text="工作单位")
    expect(history_change.first).to_contain_text(new_unit)
    page.screenshot(path=str(shots_dir / "person-detail.png"))
    page.screenshot(path=str(shots_dir / "person-detail-full.png"), full_page=True)


def test_staff_narrow_the_results_to_a_village_with_the_region_filter(live_world, live_server, page, login):
    login(live_world.township_staff)
    expect(page.locator(RESULTS)).to_contain_text("单田芳")
    page.evaluate("window.__sameDocument = true")
    page.select_option("select[name=region]", label="\u3000\u3000甲二村")
    expect(page.locator(RESULTS)).not_to_contain_text("曾国藩")
    assert _result_names(page) == ["单田芳"]
    expect(page).to_have_url(re.compile(rf"[?&]region={live_world.village_a2.pk}(&|$)"))
    assert page.evaluate("window.__sameDocument === true"), "choosing a village reloaded the page"
    page.reload()  # the bookmarked URL shows the same village, chosen in the select
    assert _result_names(page) == ["单田芳"]
    expect(page.locator("select[name=region]")).to_have_value(str(live_world.village_a2.pk))


def test_a_village_liaison_sees_only_the_village_people(live_world, live_server, page, login):
    login(live_world.liaison)
    page.goto(f"{live_server.url}/people/?q=")
    table = page.locator(RESULTS)
    expect(table).to_contain_text("曾国藩")
    expect(table).not_to_contain_text("单田芳")
    expect(table).not_to_contain_text("欧阳修")
    assert _result_names(page) == ["曾国藩"]

    id_cell = page.locator(f"{RESULTS} tr").first.locator("td").nth(3)
    expect(id_cell).to_contain_text("********")
    assert PEOPLE["A1"][0][:17] not in page.content()


def test_the_page_loads_nothing_from_outside_and_runs_under_the_csp(
    live_world, live_server, page, login, shots_dir
):
    requests: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type} at {page.url}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(CSP_PROBE)

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#login-button")).to_be_visible()
    expect(page.locator(".navbar-brand")).to_have_text("统战工作管理平台")  # not the host name
    page.screenshot(path=str(shots_dir / "login.png"))
    login(live_world.township_staff)
    page.goto(f"{live_server.url}/people/")
    expect(page.locator(RESULTS)).to_contain_text("曾国藩")
    # Exercise htmx's own request too (connect-src).
    page.locator("#id_q").press_sequentially("zgf", delay=60)
    expect(page.locator(RESULTS)).not_to_contain_text("单田芳")
    violations = page.evaluate("window.__cspViolations")

    page.goto(f"{live_server.url}/people/{live_world.person_a1.pk}/")
    expect(page.locator("#history")).to_be_visible()
    page.wait_for_load_state("networkidle")
    violations += page.evaluate("window.__cspViolations")

    here = urlsplit(live_server.url).netloc
    outside = [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != here
    ]
    assert requests, "no requests were recorded"
    assert not outside, f"requests left the server: {outside}"
    assert any("/static/vendor/htmx" in url for url in requests), requests
    csp_console = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert not csp_console, csp_console
    assert not violations, violations
    assert not errors, errors


def test_a_search_with_a_bad_age_range_shows_a_chinese_message(live_world, live_server, page, login):
    login(live_world.township_staff)
    page.goto(f"{live_server.url}/people/?age_min=60&age_max=20")
    expect(page.locator("#results")).to_contain_text("年龄范围不正确")


def test_an_id_number_typed_into_the_search_box_never_reaches_the_url(live_world, live_server, page, login):
    login(live_world.township_staff)
    number = live_world.person_a1.decrypt("id_number")
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    box = page.locator("#id_q")
    box.click()
    box.press_sequentially(number.lower(), delay=20)
    expect(page.locator(f"{RESULTS} tr td:first-child a")).to_have_count(1)
    assert _result_names(page) == ["曾国藩"]
    assert number not in page.url and number.lower() not in page.url
    leaked = [url for _, url in requests if number[:10] in url or number[:10].lower() in url]
    assert leaked == [], leaked
    assert any(method == "POST" for method, _ in requests), "the number should travel by POST"


def test_a_reviewer_searches_the_registry_without_an_add_button_and_staff_see_one(
    live_world, live_server, page, login, shots_dir
):
    login(live_world.reviewer)
    expect(page.locator(RESULTS)).to_contain_text("曾国藩")
    expect(page.locator("#create-link")).to_have_count(0)
    expect(page.locator("#templates-link")).to_be_visible()
    page.screenshot(path=str(shots_dir / "search-reviewer.png"))

    page.locator("#id_q").press_sequentially("没有这个人", delay=40)
    expect(page.locator(RESULTS)).to_contain_text("没有找到符合条件的统战对象")
    page.screenshot(path=str(shots_dir / "search-empty.png"))


def test_township_staff_see_the_add_button_beside_the_rows(live_world, live_server, page, login, shots_dir):
    login(live_world.township_staff)
    expect(page.locator("#create-link")).to_be_visible()
    expect(page.locator(f"{RESULTS} tr")).to_have_count(2)  # 曾国藩 and 单田芳, township A's two villages
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(shots_dir / "search-staff.png"))
