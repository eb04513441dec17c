"""Importing a real-shaped sheet as an office worker does it, in Chromium: upload, mapping, dry run,
commit, undo (issue #4 "Done when").

Run with: pytest tests/browser/test_import_in_chromium.py
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tongzhan.imports.tests.test_pipeline import entrepreneurs, standard_rows

pytestmark = pytest.mark.browser


def test_staff_imports_a_sheet_checks_it_commits_it_and_undoes_it(live_world, live_server, page, login,
                                                                  shots_dir, tmp_path):
    from tongzhan.people.models import Person

    sheet = tmp_path / "企业家名单.xlsx"
    sheet.write_bytes(entrepreneurs(standard_rows()))
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before commit and undo
    login(live_world.township_staff, "/people/")
    page.click("#import-link")  # linked from the search page's header
    expect(page).to_have_url(re.compile(r"/imports/$"))
    expect(page.locator("#upload-form")).to_contain_text("10 MB")

    page.set_input_files("input[name=file]", str(sheet))
    with page.expect_navigation():
        page.click("#upload-button")
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    expect(page.locator("#mapping-form")).to_contain_text("企业名称")
    expect(page.locator("#mapping-form")).to_contain_text("未识别，不导入")  # 序号
    page.screenshot(path=str(shots_dir / "import-mapping.png"), full_page=True)

    with page.expect_navigation():
        page.click("#mapping-button")
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-updated")).to_have_text("1")
    expect(page.locator("#count-rejected")).to_have_text("1")
    expect(page.locator("#report-table")).to_contain_text("校验位")
    expect(page.locator("#report-table")).to_contain_text("330206********0018")
    page.screenshot(path=str(shots_dir / "import-dry-run.png"), full_page=True)
    assert not Person.objects.filter(name="李明").exists()

    page.select_option("select[name=status]", "rejected")
    with page.expect_navigation():
        page.click("#report-filter button")
    expect(page.locator("#report-table tbody tr")).to_have_count(1)
    expect(page.locator("#report-table")).to_contain_text("张三")

    with page.expect_navigation():
        page.click("#commit-button")
    expect(page.locator("#batch-status")).to_have_text("已导入")
    assert Person.objects.filter(name__in=["李明", "王芳"]).count() == 2
    page.screenshot(path=str(shots_dir / "import-committed.png"), full_page=True)

    with page.expect_navigation():
        page.click("#undo-button")
    expect(page.locator(".alert-success")).to_contain_text("已撤销批次")
    expect(page.locator("#batch-status")).to_have_text("已撤销")
    assert not Person.objects.filter(name__in=["李明", "王芳"]).exists()

    page.click("#nav-imports")
    expect(page.locator("#batch-table")).to_contain_text("企业家名单.xlsx")
    expect(page.locator("#batch-table")).to_contain_text("已撤销")
