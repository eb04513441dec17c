"""Cell values normalised for the registry, and the problems named when they cannot be (SECURITY.md F2, F6).

Cells come from real files read by tongzhan.core.sheet_reader where the shape of the cell matters
(number, date and formula cells); elsewhere a text Cell stands for what the reader yields.
"""

import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tongzhan.core import identity
from tongzhan.core.actors import SYSTEM
from tongzhan.core.sheet_reader import Cell, open_workbook
from tongzhan.imports.normalize import (
    NUMBER_ID_MESSAGE,
    Context,
    MonthDate,
    ValueProblem,
    derived_warnings,
    id_kind_of,
    parse_cell,
)
from tongzhan.imports.tests import files
from tongzhan.people.columns import (
    CATEGORY_COLUMN,
    PERSON_COLUMNS,
    VERIFIED_COLUMN,
    detail_columns,
    match_header,
)
from tongzhan.people.models import Person

TODAY = datetime.date(2026, 11, 27)
COLUMNS = {c.key: c for c in (*PERSON_COLUMNS, CATEGORY_COLUMN, VERIFIED_COLUMN)}
ID, BIRTH, PHONE, REGION = (COLUMNS[k] for k in ("person.id_number", "person.birth_date", "person.phone",
                                                  "person.region"))


def detail(category: str, name: str):
    return next(c for c in detail_columns(category) if c.key == f"detail.{name}")


def text(value: str) -> Cell:
    return Cell(value.strip(), "text")


def number(value) -> Cell:
    shown = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else format(value, ".15g")
    return Cell(shown, "number", value)


@pytest.fixture
def context(world):
    return Context(township=world.township_a, root=world.township_a, today=TODAY)


def parse(column, cell, context=None, **kwargs):
    """parse_cell; kinds that need no database get a context without regions."""
    return parse_cell(column, cell, context or Context(township=None, root=None, today=TODAY), **kwargs)


def problem(column, cell, context=None, **kwargs) -> ValueProblem:
    with pytest.raises(ValueProblem) as info:
        parse(column, cell, context, **kwargs)
    return info.value


# ----------------------------------------------------------------------------------------------------
# ID numbers

VALID = "11010519491231002X"  # the GB 11643-1999 worked example
OLD_15 = "330206700101001"  # a 15-digit first-generation number


@pytest.mark.parametrize("written", [
    VALID, "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", "110105 19491231 002X", " 110105-19491231-002x ",
    "110105\u200b19491231002X",
])
def test_an_id_in_any_writing_normalises_to_the_18_digit_number(written):
    assert parse(ID, text(written)) == VALID


def test_a_15_digit_id_is_upgraded_to_18_digits():
    assert parse(ID, text(OLD_15)) == identity.upgrade_15_to_18(OLD_15)
    assert len(parse(ID, text(OLD_15))) == 18


def test_an_id_in_a_number_cell_is_refused_never_guessed():
    found = problem(ID, number(3.30206197001011e17))
    assert found.code == "number_id"
    assert str(found) == "证件号码被 Excel 存成了数字，末几位已丢失，请把该列设为文本后重新填写" == str(NUMBER_ID_MESSAGE)
    # even when the digits happen to survive (a 15-digit number fits in a double)
    assert problem(ID, number(330206700101001)).code == "number_id"


def test_an_id_typed_as_a_number_in_a_real_workbook_is_refused():
    data = files.xlsx_bytes({"S": [["身份证号码"], [330206197001010014]]})
    cell = dict(open_workbook(data, "a.xlsx").sheets[0].rows())[2][0]
    assert problem(ID, cell).code == "number_id"


@pytest.mark.parametrize("written,code,named", [
    ("110105194912310021", "id_check_digit", "校验位"),
    ("11010519490231002X", "id_date", "1949-02-31"),
    ("1101051949123100", "id_length", "16"),
    ("3.30206197001011E+17", "id_precision", "数字"),
    ("11010519491231002Y", "id_characters", "Y"),
])
def test_a_bad_id_is_a_problem_that_names_what_is_wrong(written, code, named):
    found = problem(ID, text(written))
    assert found.code == code
    assert named in str(found)


def _id_writings():
    """A valid ID and a messy way of writing it: full-width, spaces, dashes, lower-case x."""
    def build(first17_tail, full_width, spaces, lower):
        first17 = first17_tail
        number = first17 + identity.check_digit(first17)
        written = number.lower() if lower else number
        if full_width:
            written = "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in written)
        for at in sorted(spaces, reverse=True):
            written = written[:at] + " " + written[at:]
        return number, written

    dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))
    first17 = st.builds(lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
                        st.sampled_from(["330206", "110105", "650102", "440305", "810000", "830000"]),
                        dates, st.integers(0, 999))
    return st.builds(build, first17, st.booleans(), st.lists(st.integers(1, 17), max_size=3), st.booleans())


@given(_id_writings())
@hyp_settings(max_examples=200, deadline=None)
def test_every_valid_id_in_any_writing_normalises_to_itself(pair):
    number, written = pair
    assert parse(ID, text(written), Context(None, None, TODAY)) == number


def test_permits_and_passports_follow_the_rows_id_kind():
    hk_permit = files.valid_id("81000019900101001")
    assert parse(ID, text(hk_permit), row={"person.id_kind": "hk_permit"}) == hk_permit
    assert id_kind_of(hk_permit) == Person.IdKind.HK_PERMIT
    assert parse(ID, text("e 1234 5678"), row={"person.id_kind": "passport"}) == "E12345678"
    assert parse(ID, text("h1234 5678"), row={"person.id_kind": "hk_macau_pass"}) == "H12345678"
    assert parse(ID, text("1234-5678"), row={"person.id_kind": "taiwan_pass"}) == "12345678"
    assert problem(ID, text("H123"), row={"person.id_kind": "hk_macau_pass"}).code == "id_format"
    assert problem(ID, text(VALID), row={"person.id_kind": "taiwan_permit"}).code == "id_kind_mismatch"
    assert problem(ID, text(VALID), row={"person.id_kind": "none"}).code == "id_kind_none"


def test_without_an_id_kind_column_the_kind_is_read_from_the_numbers_shape():
    assert id_kind_of(VALID) == Person.IdKind.RESIDENT
    assert id_kind_of("E12345678") == Person.IdKind.PASSPORT
    assert id_kind_of("H12345678") == Person.IdKind.HK_MACAU_PASS
    assert id_kind_of("12345678") == Person.IdKind.TAIWAN_PASS
    assert parse(ID, text("e12345678")) == "E12345678"


@pytest.mark.parametrize("written,kind", [
    ("居民身份证", "resident"), ("身份证", "resident"), ("护照", "passport"), ("台胞证", "taiwan_pass"),
    ("港澳通行证", "hk_macau_pass"), ("港澳台居民居住证（台湾）", "taiwan_permit"), ("暂无证件", "none"),
    ("passport", "passport"),
])
def test_id_kinds_are_read_by_label_or_common_name(context, written, kind):
    assert parse(COLUMNS["person.id_kind"], text(written), context) == kind


# ----------------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize("written,expected", [
    ("1965-03-12", datetime.date(1965, 3, 12)), ("1965/3/12", datetime.date(1965, 3, 12)),
    ("1965-3-12", datetime.date(1965, 3, 12)), ("1965.3.12", datetime.date(1965, 3, 12)),
    ("1965年3月12日", datetime.date(1965, 3, 12)), ("1965 年 3 月 12 日", datetime.date(1965, 3, 12)),
    ("19650312", datetime.date(1965, 3, 12)), ("１９６５－０３－１２", datetime.date(1965, 3, 12)),
    ("1965-03-12 00:00:00", datetime.date(1965, 3, 12)),
    ("1965.03", datetime.date(1965, 3, 1)), ("1965.3", datetime.date(1965, 3, 1)),
    ("1965年3月", datetime.date(1965, 3, 1)), ("196503", datetime.date(1965, 3, 1)),
    ("1965-03", datetime.date(1965, 3, 1)),
])
def test_dates_as_offices_write_them(written, expected):
    assert parse(BIRTH, text(written), Context(None, None, TODAY)) == expected


_DATE_WRITINGS = {
    "iso": lambda d: d.isoformat(), "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dots": lambda d: f"{d.year}.{d.month}.{d.day}", "chinese": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "compact": lambda d: f"{d:%Y%m%d}", "spaced": lambda d: f" {d.year} - {d.month:02d} - {d.day:02d} ",
    "full_width": lambda d: f"{d.year}－{d.month}－{d.day}".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
}
_MONTH_WRITINGS = {"dots": lambda d: f"{d.year}.{d.month:02d}", "chinese": lambda d: f"{d.year}年{d.month}月",
                   "compact": lambda d: f"{d:%Y%m}", "dash": lambda d: f"{d.year}-{d.month}"}


@given(st.dates(min_value=datetime.date(1880, 1, 1), max_value=TODAY), st.sampled_from(sorted(_DATE_WRITINGS)),
       st.sampled_from(sorted(_MONTH_WRITINGS)))
@hyp_settings(max_examples=200, deadline=None)
def test_every_date_in_every_writing_reads_back_as_itself(day, writing, month_writing):
    assert parse(BIRTH, text(_DATE_WRITINGS[writing](day))) == day
    month = parse(BIRTH, text(_MONTH_WRITINGS[month_writing](day)))
    assert isinstance(month, MonthDate) and month == day.replace(day=1)


def test_a_month_only_date_becomes_the_first_and_is_marked_as_month_only():
    found = parse(BIRTH, text("1965年3月"), Context(None, None, TODAY))
    assert isinstance(found, MonthDate) and found == datetime.date(1965, 3, 1)
    assert not isinstance(parse(BIRTH, text("1965-03-01"), Context(None, None, TODAY)), MonthDate)


@pytest.mark.parametrize("written,code,named", [
    ("65.3.12", "date_ambiguous", "两位"),
    ("12/3/1965", "date_ambiguous", "月"),
    ("1965-02-31", "date_impossible", "1965 年 2 月只有 28 天"),
    ("1965-13-01", "date_impossible", "13 月"),
    ("1965", "date_year_only", "1965"),
    ("三月十二", "date_unreadable", "三月十二"),
    ("1865-01-01", "date_range", "1865-01-01"),
    ("2030-01-01", "date_future", "2030-01-01"),
])
def test_an_ambiguous_or_impossible_date_is_a_problem_that_names_it(written, code, named):
    found = problem(BIRTH, text(written), Context(None, None, TODAY))
    assert found.code == code
    assert named in str(found)


def test_excel_date_cells_and_serials_are_dates():
    data = files.xlsx_bytes({"S": [["出生日期"], [datetime.date(1965, 3, 12)], [23813], [19650312], [1965.03],
                                   [1965.1], [datetime.datetime(1965, 3, 12, 8, 30)]]})
    rows = dict(open_workbook(data, "a.xlsx").sheets[0].rows())
    ctx = Context(None, None, TODAY)
    assert parse(BIRTH, rows[2][0], ctx) == datetime.date(1965, 3, 12)  # a date cell
    assert parse(BIRTH, rows[3][0], ctx) == datetime.date(1965, 3, 12)  # serial 23813 in a General cell
    assert parse(BIRTH, rows[4][0], ctx) == datetime.date(1965, 3, 12)  # 19650312 typed as a number
    assert parse(BIRTH, rows[5][0], ctx) == datetime.date(1965, 3, 1)  # 1965.03 typed as a number
    assert problem(BIRTH, rows[6][0], ctx).code == "date_ambiguous"  # 1965.1: January, or October lost its 0?
    assert parse(BIRTH, rows[7][0], ctx) == datetime.date(1965, 3, 12)


def test_a_future_date_is_allowed_only_where_it_can_be():
    ctx = Context(None, None, TODAY)
    assert problem(VERIFIED_COLUMN, text("2027-01-01"), ctx).code == "date_future"
    assert parse(detail("democratic_party", "joined_on"), text("2020-07-01"), ctx) == datetime.date(2020, 7, 1)


def test_a_month_only_date_is_stored_and_read_back_like_any_date(world):
    """MonthDate is a datetime.date subclass: both database drivers must store it as a plain date."""
    from tongzhan.people.services import PersonInput, create_person

    born = parse(BIRTH, text("1965.03"))
    person = create_person(actor=SYSTEM, data=PersonInput(name="张三", region=world.village_a1, birth_date=born,
                                                          id_kind="none"))
    person.refresh_from_db()
    assert person.birth_date == datetime.date(1965, 3, 1)
    assert type(person.birth_date) is datetime.date


# ----------------------------------------------------------------------------------------------------
# Phones


@pytest.mark.parametrize("written,expected", [
    ("138-0574-0001", "13805740001"), ("138 0574 0001", "13805740001"), ("+86 138 0574 0001", "13805740001"),
    ("0574-8888 8888", "057488888888"), ("（0574）88888888", "057488888888"), ("１３８０５７４０００１", "13805740001"),
])
def test_phone_numbers_in_any_writing(written, expected):
    assert parse(PHONE, text(written)) == expected


def test_a_mobile_number_in_a_number_cell_is_kept_but_a_landline_that_lost_its_zero_says_so():
    assert parse(PHONE, number(13805740001)) == "13805740001"
    found = problem(PHONE, number(57488888888))
    assert "开头的 0" in str(found)


@pytest.mark.parametrize("written,code", [("123", "phone_length"), ("13805740001/13905740002", "several_phones"),
                                          ("88888888", "phone_area_code")])
def test_a_bad_phone_is_a_problem(written, code):
    assert problem(PHONE, text(written)).code == code


# ----------------------------------------------------------------------------------------------------
# Villages


@pytest.fixture
def villages(world):
    from tongzhan.regions.services import create_region

    def village(name, code, township=world.township_a):
        return create_region(actor=SYSTEM, name=name, code=code, level="village", parent=township)

    return {"东海村": village("东海村", "330206101203"), "梅东社区": village("梅东社区", "330206101204"),
            "西湖村": village("西湖村", "330206101205"), "西湖社区": village("西湖社区", "330206101206"),
            "乙二村": village("乙二村", "330206102202", world.township_b)}


@pytest.mark.parametrize("written,expected", [
    ("东海村", "东海村"), ("东海", "东海村"), ("东 海村", "东海村"), (" 东海村 ", "东海村"), ("东海社区", "东海村"),
    ("梅东", "梅东社区"), ("梅东村", "梅东社区"), ("梅东社区居委会", "梅东社区"), ("甲镇东海村", "东海村"),
    ("测试区甲镇东海", "东海村"), ("330206101203", "东海村"), ("西湖村", "西湖村"), ("西湖社区", "西湖社区"),
])
def test_village_names_abbreviated_or_with_stray_spaces_are_matched_in_the_township(context, villages, written,
                                                                                    expected):
    assert parse(REGION, text(written), context) == villages[expected]


def test_an_ambiguous_village_lists_the_candidates(context, villages):
    found = problem(REGION, text("西湖"), context)
    assert found.code == "region_ambiguous"
    assert "西湖村" in str(found) and "西湖社区" in str(found)


def test_an_unknown_village_is_named(context, villages):
    found = problem(REGION, text("北山村"), context)
    assert found.code == "region_unknown"
    assert "北山村" in str(found) and "甲镇" in str(found)


def test_a_village_of_another_township_is_out_of_scope(context, villages):
    found = problem(REGION, text("乙二村"), context)
    assert found.code == "region_out_of_scope"
    assert "乙二村" in str(found)


def test_a_liaisons_context_matches_only_their_own_village(world, villages):
    liaison = Context(township=None, root=world.village_a1, today=TODAY)
    assert parse(REGION, text("甲一"), liaison) == world.village_a1
    assert problem(REGION, text("甲二村"), liaison).code == "region_out_of_scope"


def test_a_district_context_names_the_township_of_same_named_villages(world):
    from tongzhan.regions.services import create_region

    create_region(actor=SYSTEM, name="东海村", code="330206101203", level="village", parent=world.township_a)
    create_region(actor=SYSTEM, name="东海村", code="330206102203", level="village", parent=world.township_b)
    district = Context(township=None, root=world.district, today=TODAY)
    found = problem(REGION, text("东海"), district)
    assert "甲镇东海村" in str(found) and "乙乡东海村" in str(found)
    assert parse(REGION, text("乙乡东海村"), district).code == "330206102203"


def test_village_lookups_cost_a_few_queries_per_file_not_one_per_row(context, villages, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        for _ in range(50):
            parse(REGION, text("东海"), context)


# ----------------------------------------------------------------------------------------------------
# Code tables, categories, choices


@pytest.mark.parametrize("key,written,code", [
    ("person.ethnicity", "汉", "01"), ("person.ethnicity", "汉族", "01"), ("person.ethnicity", "01", "01"),
    ("person.ethnicity", "1", "01"), ("person.ethnicity", "维吾尔族", "05"), ("person.ethnicity", "HA", "01"),
    ("person.political_affiliation", "中共党员", "01"), ("person.political_affiliation", "党员", "01"),
    ("person.political_affiliation", "中国共产党党员", "01"), ("person.political_affiliation", "民盟", "05"),
    ("person.political_affiliation", "群众", "13"),
    ("person.education", "大学本科", "21"), ("person.education", "本科", "21"), ("person.education", "大专", "31"),
    ("person.education", "大学本科毕业", "21"),
    ("person.religion", "佛教", "1"), ("person.religion", "无", "9"),
])
def test_code_tables_are_read_by_name_short_name_or_code(context, key, written, code):
    assert parse(COLUMNS[key], text(written), context).code == code


def test_a_code_typed_as_a_number_is_read_as_the_code(context):
    assert parse(COLUMNS["person.ethnicity"], number(1), context).code == "01"


def test_countries_by_name_or_code(context):
    country = detail("overseas", "country")
    assert parse(country, text("美国"), context).code == "US"
    assert parse(country, text("usa"), context).code == "US"
    assert parse(country, text("香港"), context).code == "HK"


def test_an_unknown_code_names_the_value_and_gives_examples(context):
    found = problem(COLUMNS["person.ethnicity"], text("火星族"), context)
    assert found.code == "unknown_value"
    assert "火星族" in str(found) and "汉族" in str(found)


def test_a_party_column_takes_only_democratic_parties(context):
    party = detail("democratic_party", "party")
    assert parse(party, text("民建"), context).code == "06"
    assert problem(party, text("中共党员"), context).code == "not_a_party"


@pytest.mark.parametrize("written,code", [("企业家", "entrepreneur"), ("民主党派", "democratic_party"),
                                          ("民主党派成员", "democratic_party"), ("notable", "notable")])
def test_categories_by_name_short_name_or_code(context, written, code):
    assert parse(CATEGORY_COLUMN, text(written), context).code == code


def test_choices_by_label_or_value(context):
    tie = detail("overseas", "tie_kind")
    assert parse(tie, text("归侨"), context) == "returned_overseas"
    assert parse(tie, text("taiwan_relative"), context) == "taiwan_relative"
    assert "归侨" in str(problem(tie, text("华侨华人"), context))


# ----------------------------------------------------------------------------------------------------
# Yes/no, sex, numbers


@pytest.mark.parametrize("cell,expected", [
    (text("是"), True), (text("否"), False), (text("√"), True), (text("×"), False), (text("1"), True),
    (text("0"), False), (text("y"), True), (number(1), True), (number(0), False), (Cell("TRUE", "bool", True), True),
])
def test_yes_no_in_the_ways_offices_write_it(cell, expected):
    assert parse(detail("ethnic_minority", "is_household_head"), cell) is expected


def test_an_unreadable_yes_no_is_a_problem():
    assert problem(detail("ethnic_minority", "is_household_head"), text("可能")).code == "unknown_value"


@pytest.mark.parametrize("written,expected", [("男", "M"), ("女", "F"), ("m", "M"), ("F", "F"), ("男性", "M")])
def test_sex_as_written(written, expected):
    assert parse(COLUMNS["person.sex"], text(written)) == expected


def test_integers_within_the_fields_range():
    size, staff = detail("ethnic_minority", "household_size"), detail("entrepreneur", "staff_count")
    assert parse(staff, text("1,200人")) == 1200
    assert parse(staff, number(86)) == 86
    assert parse(size, text("５")) == 5
    assert problem(size, number(40000)).code == "out_of_range"  # a PositiveSmallIntegerField
    assert problem(size, number(-1)).code == "out_of_range"
    assert problem(size, number(2.5)).code == "not_integer"
    assert problem(size, text("五口人")).code == "not_integer"


def test_years_between_1880_and_this_year():
    year = detail("overseas", "returned_year")
    ctx = Context(None, None, TODAY)
    assert parse(year, number(1998), ctx) == 1998
    assert parse(year, text("1998年"), ctx) == 1998
    assert problem(year, number(2027), ctx).code == "out_of_range"
    assert problem(year, number(98), ctx).code == "out_of_range"


# ----------------------------------------------------------------------------------------------------
# Text


def test_control_characters_are_refused_and_named():
    found = problem(COLUMNS["person.work_unit"], text("梅山\x07水产"))
    assert found.code == "control_characters" and "U+0007" in str(found)


def test_a_value_longer_than_the_column_allows_is_named():
    found = problem(COLUMNS["person.job_title"], text("总" * 65))
    assert found.code == "too_long"
    assert "64" in str(found) and "65" in str(found)


def test_line_breaks_are_kept_in_notes_and_become_spaces_in_one_line_fields():
    assert parse(COLUMNS["person.note"], Cell("第一行\r\n第二行", "text")) == "第一行\n第二行"
    assert parse(COLUMNS["person.address"], Cell("东海村\n1号", "text")) == "东海村 1号"


def test_names_take_the_middle_dot_and_refuse_digits():
    name = COLUMNS["person.name"]
    assert parse(name, text("阿依古丽•买买提")) == "阿依古丽·买买提"
    assert parse(name, text("王 海 东")) == "王海东"
    found = problem(name, text("王海东2"))
    assert found.code == "name_characters" and "2" in str(found)


def test_a_value_neutralised_by_our_export_comes_back_as_it_was():
    assert parse(COLUMNS["person.work_unit"], text("'=1+1")) == "=1+1"
    assert parse(COLUMNS["person.work_unit"], text("'Tis")) == "'Tis"


def test_a_long_number_in_a_text_column_lost_its_digits_and_says_so():
    credit = detail("entrepreneur", "credit_code")
    assert problem(credit, number(9.13302067204153e17)).code == "number_precision"


# ----------------------------------------------------------------------------------------------------
# Formulas, empty cells


@pytest.mark.parametrize("key", ["person.name", "person.id_number", "person.birth_date", "person.phone"])
def test_a_formula_is_refused_in_every_column(key):
    found = problem(COLUMNS[key], Cell("=A1&B1", "formula"))
    assert found.code == "formula" and "=A1&B1" in str(found)


def test_an_empty_cell_is_none_unless_the_column_is_required():
    assert parse(COLUMNS["person.phone"], Cell("", "empty")) is None
    assert parse(COLUMNS["person.phone"], Cell("\u200b", "text")) is None
    found = problem(COLUMNS["person.name"], Cell("", "empty"))
    assert found.code == "required" and "姓名" in str(found)


# ----------------------------------------------------------------------------------------------------
# Warnings derived from the ID


def test_a_birth_date_or_sex_that_contradicts_the_id_is_a_warning_not_an_error():
    values = {"person.id_number": VALID, "person.birth_date": datetime.date(1949, 12, 30), "person.sex": "M"}
    warnings = dict(derived_warnings(values))
    assert "1949-12-31" in warnings["person.birth_date"] and "1949-12-30" in warnings["person.birth_date"]
    assert "女" in warnings["person.sex"]


def test_agreeing_values_and_a_month_only_date_of_the_right_month_give_no_warning():
    assert derived_warnings({"person.id_number": VALID, "person.birth_date": datetime.date(1949, 12, 31),
                             "person.sex": "F"}) == []
    assert derived_warnings({"person.id_number": VALID, "person.birth_date": MonthDate(1949, 12, 1)}) == []
    assert derived_warnings({"person.id_number": VALID, "person.birth_date": MonthDate(1949, 11, 1)}) != []


def test_documents_without_a_birth_date_give_no_warning():
    assert derived_warnings({"person.id_number": "E12345678", "person.id_kind": "passport", "person.sex": "M"}) == []
    assert derived_warnings({"person.sex": "M"}) == []


# ----------------------------------------------------------------------------------------------------
# The real-shaped sheet, end to end through the reader


@pytest.mark.parametrize("build,filename", [(files.office_xlsx, "名册.xlsx"), (files.office_xls, "名册.xls"),
                                            (lambda: files.office_csv("gbk"), "名册.csv")])
def test_every_value_of_the_office_sheet_normalises(world, build, filename):
    from tongzhan.regions.services import create_region

    for name, code in (("东海村", "330206101203"), ("梅东村", "330206101204"), ("梅中村", "330206101205")):
        create_region(actor=SYSTEM, name=name, code=code, level="village", parent=world.township_a)
    ctx = Context(township=world.township_a, root=world.township_a, today=TODAY)
    rows = dict(open_workbook(build(), filename).sheets[0].rows())
    columns = [match_header(cell.text, (*PERSON_COLUMNS,)) for cell in rows[files.OFFICE_HEADER_ROW]]
    assert columns[0] is None  # 序号 is not a registry column
    villages = {"东海村": "东海村", "梅东": "梅东村", "梅 中村": "梅中村"}
    for number, person in zip(files.office_row_numbers(), files.OFFICE_PEOPLE, strict=True):
        values = {}
        for column, cell in zip(columns, rows[number], strict=False):
            if column is None:
                continue
            if column.key == "person.region" and cell.kind == "empty":
                assert filename.endswith(".csv") and number == 6  # CSV has no merged cells
                continue
            values[column.key] = parse_cell(column, cell, ctx, row=values)
        assert values["person.name"] == person[0]
        assert values["person.id_number"] == person[3].upper()
        assert values["person.phone"] == identity.normalize_phone(person[4])
        if "person.region" in values:
            assert values["person.region"].name == villages[person[5]]
        assert values["person.political_affiliation"] is not None and values["person.ethnicity"] is not None
        assert derived_warnings(values) == []
