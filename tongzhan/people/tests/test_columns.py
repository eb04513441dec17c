"""One column definition serves import, export and the blank templates."""

import pytest

from tongzhan.people.columns import (
    CATEGORY_COLUMN,
    PERSON_COLUMNS,
    columns_for,
    detail_columns,
    match_header,
    normalize_header,
    person_fields_filled_by,
)
from tongzhan.people.models import CategoryCode


@pytest.mark.parametrize("written", ["身份证号", "身份证号码", "公民身份号码", " 身份证号码 ", "证件号码*",
                                     "证件号码（必填）", "证件号码(必填)", "公民身份证号码"])
def test_every_way_offices_write_the_id_header_means_the_id_column(written):
    assert match_header(written, columns_for(None)).key == "person.id_number"


def test_full_width_and_spaces_do_not_change_a_header():
    assert normalize_header("所在村（社区）") == normalize_header("所在村(社区)") == normalize_header("所在村 （社区）")


def test_an_unknown_or_empty_header_matches_nothing():
    assert match_header("鞋码", columns_for(None)) is None
    assert match_header("", columns_for(None)) is None
    assert match_header(None, columns_for(None)) is None


def test_a_mixed_sheet_has_the_person_columns_and_a_category_column():
    assert columns_for(None) == (*PERSON_COLUMNS, CATEGORY_COLUMN)


@pytest.mark.parametrize("code", [c.value for c in CategoryCode])
def test_every_category_sheet_has_unique_headers_the_name_and_its_own_attributes(code):
    columns = columns_for(code)
    headers = [normalize_header(c.header) for c in columns]
    assert len(headers) == len(set(headers))
    assert columns[0].key == "person.name"
    assert set(detail_columns(code)) <= set(columns)
    for column in columns:  # every header and synonym finds its own column again
        assert match_header(column.header, columns) == column
        for synonym in column.synonyms:
            assert match_header(synonym, columns) == column


def test_a_professionals_employer_replaces_the_person_work_unit_and_fills_it_too():
    columns = columns_for("professional")
    employer = match_header("工作单位", columns)
    assert employer.key == "detail.employer"
    assert "person.work_unit" not in {c.key for c in columns}
    assert person_fields_filled_by(employer) == ("work_unit",)


def test_category_attributes_carry_their_kind_from_the_model():
    kinds = {c.field: c.kind for c in detail_columns("overseas")}
    assert kinds == {"tie_kind": "choice", "country": "code:country", "is_representative": "bool",
                     "returned_year": "year"}
    entrepreneur = {c.field: c for c in detail_columns("entrepreneur")}
    assert entrepreneur["enterprise_name"].required and not entrepreneur["industry"].required
    assert entrepreneur["staff_count"].kind == "int"
    assert {c.field: c.kind for c in detail_columns("democratic_party")}["party"] == "code:political"
