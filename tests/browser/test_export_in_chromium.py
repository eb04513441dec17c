"""Exporting as a clerk meets it: from the search results, the password again, a purpose, a watermarked file."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tongzhan.audit.models import AuditEvent
from tongzhan.core import crypto

pytestmark = pytest.mark.browser


def test_exporting_search_results_asks_for_the_password_and_a_purpose_and_downloads_a_watermarked_sheet(
    live_world, live_server, page, login, shots_dir, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    login(live_world.township_staff, next_path="/people/?category=notable")
    expect(page.locator("#result-table")).to_contain_text("曾国藩")
    page.click("#export-link")
    expect(page).to_have_url(re.compile(r"/people/export/\?category=notable$"))
    expect(page.locator("#export-count")).to_contain_text("共 2 人")
    expect(page.locator("#export-criteria")).to_contain_text("本地籍知名人士")

    page.click("#reauth-link")
    expect(page).to_have_url(re.compile(r"/accounts/reauth/"))
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#reauth-button")
    expect(page).to_have_url(re.compile(r"/people/export/\?category=notable$"))
    expect(page.locator("#reauth-hint")).to_have_count(0)

    page.click("#export-submit")  # no purpose yet
    expect(page.locator("#export-form")).to_contain_text("请填写导出用途")
    page.fill("#id_purpose", "核对知名人士名单")
    expect(page.locator("#id_layout")).to_have_value("category")
    page.screenshot(path=str(shots_dir / "export-page.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#export-submit")
    download = info.value
    assert re.fullmatch(r"统战对象导出-本地籍知名人士-\d{8}-\d{6}\.xlsx", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert "核对知名人士名单" in rows[0][0] and "township_a" in rows[0][0]
    assert rows[1][0] == "姓名" and "知名领域" in rows[1]
    assert [r[0] for r in rows[2:]] == ["单田芳", "曾国藩"]
    assert live_world.person_a1.decrypt("id_number") not in str(rows)
    event = AuditEvent.objects.filter(event="person.export").get()
    assert event.detail["sm3"] == crypto.sm3_hex(data) and event.reason == "核对知名人士名单"


def test_the_blank_templates_page_lists_every_category_and_downloads_a_template(
    live_world, live_server, page, login, shots_dir, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    login(live_world.liaison, next_path="/people/")
    page.click("#templates-link")
    expect(page.locator("#template-list li")).to_have_count(11)
    expect(page.locator("#template-villages")).to_have_text(re.compile(r"^\s*甲一村\s*$"))
    page.screenshot(path=str(shots_dir / "export-templates.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#template-overseas")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames == ["侨、台、留及其直系亲属代表", "说明", "代码表"]
    assert info.value.suggested_filename == "侨、台、留及其直系亲属代表导入模板.xlsx"
