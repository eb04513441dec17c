"""Blank import templates: the importer's headers, required marks, drop-downs, text columns, instructions."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from openpyxl.utils import column_index_from_string, get_column_letter

from tongzhan.people.columns import columns_for, match_header
from tongzhan.people.models import Category, CategoryCode, Ethnicity
from tongzhan.people.tests.test_export import served

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_folder(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "tmp" / "exports"


def template(client, code: str) -> openpyxl.Workbook:
    response = client.get(reverse("people:export-templates"), {"download": code})
    return openpyxl.load_workbook(io.BytesIO(served(response)))


def dropdowns(book) -> dict[str, list[str]]:
    """{header of the data sheet: the values of its drop-down list}, read through the hidden sheet."""
    data, lists = book.worksheets[0], book["代码表"]
    headers = {cell.column_letter: cell.value for cell in data[1]}
    found = {}
    for validation in data.data_validations.dataValidation:
        if validation.type != "list":
            continue
        match = re.fullmatch(r"'代码表'!\$([A-Z]+)\$2:\$\1\$(\d+)", validation.formula1)
        assert match, validation.formula1
        column, last = column_index_from_string(match.group(1)), int(match.group(2))
        values = [lists.cell(row, column).value for row in range(2, last + 1)]
        for cell_range in validation.sqref.ranges:
            assert cell_range.min_row == 2 and cell_range.max_row >= 1000
            found[headers[get_column_letter(cell_range.min_col)]] = values
    return found


def test_a_category_template_has_the_headers_required_marks_drop_downs_and_instructions(world, as_user):
    book = template(as_user(world.township_staff), "overseas")
    assert book.sheetnames == ["侨、台、留及其直系亲属代表", "说明", "代码表"]
    assert book["代码表"].sheet_state == "hidden"
    data = book.worksheets[0]
    headers = [cell.value for cell in data[1]]
    columns = columns_for("overseas")
    assert [h.removesuffix("*") for h in headers] == [str(c.header) for c in columns]
    assert [h.endswith("*") for h in headers] == [c.required for c in columns]
    assert headers[0] == "姓名*" and "所在村（社区）*" in headers and "身份类别*" in headers
    assert [match_header(h, columns) for h in headers] == list(columns)

    lists = dropdowns(book)
    assert lists["性别"] == ["男", "女"]
    assert lists["所在村（社区）*"] == ["甲一村", "甲二村"]  # the user's villages only
    assert lists["民族"] == list(Ethnicity.objects.order_by("code").values_list("name", flat=True))
    assert "汉族" in lists["民族"] and len(lists["民族"]) >= 56
    assert "美国" in lists["侨居/留学国家或地区"] and "佛教" in lists["宗教信仰"]
    assert "中国共产党党员" in lists["政治面貌"] and lists["学历"]
    assert lists["直系亲属代表"] == ["是", "否"]
    assert lists["身份类别*"][:2] == ["归侨", "侨眷"]
    assert "居民身份证" in lists["证件类型"]

    for header in ("证件号码", "联系电话"):
        letter = get_column_letter(headers.index(header) + 1)
        assert data.column_dimensions[letter].number_format == "@", header

    notes = book["说明"]
    listed = [row[0] for row in notes.iter_rows(values_only=True) if row and row[0]]
    assert all(str(c.header) in listed for c in columns)
    help_row = next(row for row in notes.iter_rows(values_only=True) if row[0] == "出生日期")
    assert help_row[1] == "选填" and "1965" in help_row[3]


def test_the_mixed_template_has_a_category_column_listing_the_ten_categories(world, as_user):
    book = template(as_user(world.township_staff), "mixed")
    headers = [cell.value for cell in book.worksheets[0][1]]
    assert [h.removesuffix("*") for h in headers] == [str(c.header) for c in columns_for(None)]
    assert dropdowns(book)["类别"] == list(Category.objects.order_by("sort_order").values_list("name", flat=True))


def test_a_democratic_party_template_offers_only_the_eight_parties(world, as_user):
    lists = dropdowns(template(as_user(world.township_staff), "democratic_party"))
    assert len(lists["党派*"]) == 8 and "中国民主同盟盟员" in lists["党派*"]


@pytest.mark.parametrize("code", CategoryCode.values)
def test_every_category_template_reads_back_through_match_header(world, as_user, code):
    book = template(as_user(world.township_staff), code)
    headers = [cell.value for cell in book.worksheets[0][1]]
    columns = columns_for(code)
    assert [match_header(h, columns) for h in headers] == list(columns)
    assert book.worksheets[0].title == Category.objects.get(code=code).name[:31]


def test_a_liaisons_template_lists_only_the_liaisons_village(world, as_user):
    client = as_user(world.liaison)
    page = client.get(reverse("people:export-templates")).content.decode()
    assert "甲一村" in page and "甲二村" not in page
    assert dropdowns(template(client, "notable"))["所在村（社区）*"] == ["甲一村"]


def test_an_unknown_template_is_404_and_administrators_get_none(world, as_user, export_folder):
    client = as_user(world.township_staff)
    assert client.get(reverse("people:export-templates"), {"download": "no_such"}).status_code == 404
    response = client.get(reverse("people:export-templates"), {"download": "notable"})
    assert "tongzhan-template-notable.xlsx" in response["Content-Disposition"]
    served(response)
    assert list(export_folder.iterdir()) == []
    admin = as_user(world.system_admin)  # the same test client, now signed in as the administrator
    assert admin.get(reverse("people:export-templates")).status_code == 403
    assert admin.get(reverse("people:export-templates"), {"download": "notable"}).status_code == 403
