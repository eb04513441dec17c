import datetime
import os

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

# Standalone runs have no project settings; messages are lazy and only need
# settings when rendered.  Never override a project's DJANGO_SETTINGS_MODULE.
if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)

from tongzhan.core.identity import (  # noqa: E402
    PROVINCE_CODES,
    IdentityError,
    ParsedId,
    PhoneError,
    age_on,
    check_digit,
    is_valid_id_number,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_passport,
    normalize_permit_number,
    normalize_phone,
    parse_id_number,
    upgrade_15_to_18,
)

TODAY = datetime.date(2025, 6, 1)
VALID = "11010519491231002X"  # the GB 11643-1999 worked example
NINGBO = "330206197001010014"


def raises_code(code, func, *args, **kwargs):
    with pytest.raises(IdentityError) as info:
        func(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    return str(info.value)


def phone_error(raw):
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    return info.value.code, str(info.value)


# --- strategies ----------------------------------------------------------

provinces = st.sampled_from(sorted(PROVINCE_CODES))
birth_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2020, 12, 31))


@st.composite
def valid_ids(draw):
    region = draw(provinces) + draw(st.from_regex(r"\A[0-9]{4}\Z"))
    first17 = region + draw(birth_dates).strftime("%Y%m%d") + draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return first17 + check_digit(first17)


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def rewritten(draw, number):
    """The same ID as a clerk or a spreadsheet might type it."""
    chars = list(number)
    if draw(st.booleans()):
        chars = [c.translate(FULL_WIDTH) for c in chars]
    if draw(st.booleans()):
        chars = [c.lower() for c in chars]
    spaces = st.sampled_from([" ", "\u3000", "\u00a0", "\t", "-", "\u200b"])
    positions = draw(st.lists(st.integers(0, len(chars)), max_size=6))
    for pos in sorted(positions, reverse=True):
        chars.insert(pos, draw(spaces))
    return "".join(chars)


# --- properties -----------------------------------------------------------


@given(st.data())
def test_every_valid_id_survives_any_clerical_rewriting(data):
    number = data.draw(valid_ids())
    messy = data.draw(rewritten(number))
    assert normalize_id_number(messy) == number
    assert parse_id_number(messy, today=TODAY).number == number


@given(valid_ids(), st.integers(0, 17), st.integers(1, 9))
@hyp_settings(max_examples=300)
def test_every_single_digit_change_at_any_position_is_caught(number, pos, delta):
    old = number[pos]
    new = str(delta) if old == "X" else str((int(old) + delta) % 10)
    changed = number[:pos] + new + number[pos + 1 :]
    assert changed != number
    with pytest.raises(IdentityError) as info:
        parse_id_number(changed, today=TODAY)
    assert info.value.code in {"check_digit", "date", "region"}
    assert not is_valid_id_number(changed, today=TODAY)


@given(
    provinces,
    st.from_regex(r"\A[0-9]{4}\Z"),
    st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)),
    st.from_regex(r"\A[0-9]{3}\Z"),
)
def test_upgrading_a_15_digit_id_gives_a_valid_18_digit_id_with_the_same_birth_date(
    province, county, born, sequence
):
    id15 = province + county + born.strftime("%y%m%d") + sequence
    id18 = upgrade_15_to_18(id15)
    parsed = parse_id_number(id18, today=TODAY)
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if int(sequence[-1]) % 2 else "F")
    assert parse_id_number(id15, today=TODAY) == parsed


@given(valid_ids())
def test_a_parsed_id_reports_the_region_and_sex_from_its_digits(number):
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.region_code == number[:6]
    assert parsed.sex == ("M" if int(number[16]) % 2 else "F")
    assert parsed.birth_date.strftime("%Y%m%d") == number[6:14]


# --- ID numbers: explicit cases -------------------------------------------


def test_the_standard_example_is_valid_and_its_check_digit_is_x():
    assert check_digit(VALID[:17]) == "X"
    parsed = parse_id_number(VALID, today=TODAY)
    assert parsed == ParsedId(VALID, datetime.date(1949, 12, 31), "F", "110105", "resident")


def test_a_lower_case_x_is_the_same_id_as_upper_case():
    assert normalize_id_number(VALID.lower()) == VALID
    assert parse_id_number(VALID.lower(), today=TODAY).number == VALID


def test_full_width_digits_and_ideographic_spaces_are_normalised():
    messy = "\u3000" + "330206　1970０１０１　0014".translate(FULL_WIDTH) + "\u00a0"
    assert normalize_id_number(messy) == NINGBO


def test_the_17th_digit_decides_sex_odd_is_male():
    assert parse_id_number(NINGBO, today=TODAY).sex == "M"
    assert parse_id_number(VALID, today=TODAY).sex == "F"


def test_31_february_is_rejected_and_the_message_names_the_impossible_date():
    first17 = "33020619900231001"
    message = raises_code("date", parse_id_number, first17 + check_digit(first17), today=TODAY)
    assert "1990-02-31" in message and "不存在" in message


def test_month_13_is_rejected_as_a_date_error():
    first17 = "33020619901301001"
    raises_code("date", parse_id_number, first17 + check_digit(first17), today=TODAY)


def test_a_future_birth_date_is_rejected():
    first17 = "33020620300101001"
    message = raises_code("date", parse_id_number, first17 + check_digit(first17), today=TODAY)
    assert "2030-01-01" in message


def test_a_birth_date_before_1880_is_rejected():
    first17 = "33020618791231001"
    message = raises_code("date", parse_id_number, first17 + check_digit(first17), today=TODAY)
    assert "1879-12-31" in message


def test_a_baby_born_today_is_accepted():
    first17 = "330206" + TODAY.strftime("%Y%m%d") + "001"
    assert parse_id_number(first17 + check_digit(first17), today=TODAY).birth_date == TODAY


def test_a_17_digit_input_is_rejected_and_the_message_names_the_length():
    message = raises_code("length", parse_id_number, NINGBO[:17])
    assert "17" in message


def test_the_wrong_check_digit_message_says_what_was_expected_and_found():
    message = raises_code("check_digit", parse_id_number, NINGBO[:17] + "3", today=TODAY)
    assert "应为 4" in message and "实际为 3" in message


def test_an_unknown_province_code_is_rejected():
    first17 = "19020619700101001"
    message = raises_code("region", parse_id_number, first17 + check_digit(first17), today=TODAY)
    assert "19" in message


@pytest.mark.parametrize(
    "excel",
    [
        "3.30206197001011E+17",
        "3.30206197001011e+17",
        "330206197001011000.0",
        "330,206,197,001,011,000",
        "3.30206E+17",
    ],
)
def test_excel_number_forms_are_rejected_as_lost_precision_never_guessed(excel):
    message = raises_code("precision", normalize_id_number, excel)
    assert "精度" in message and "文本" in message
    assert not is_valid_id_number(excel)


def test_a_float_value_from_a_spreadsheet_library_is_rejected_as_lost_precision():
    raises_code("precision", normalize_id_number, 3.30206197001011e17)


@pytest.mark.parametrize("raw", ["33020619700101001A", "3302061970010X0012", "３３０２０６#"])
def test_letters_other_than_a_final_x_are_rejected(raw):
    raises_code("characters", normalize_id_number, raw)


def test_non_ascii_digits_that_nfkc_leaves_alone_are_rejected():
    raises_code("characters", normalize_id_number, "\u0663" + NINGBO[1:])


def test_an_empty_id_is_rejected():
    raises_code("empty", normalize_id_number, "  \u3000 ")
    raises_code("empty", normalize_id_number, None)


@pytest.mark.parametrize(
    "prefix, kind",
    [
        ("810000", "hk_permit"),
        ("820000", "macau_permit"),
        ("830000", "taiwan_permit"),
    ],
)
def test_residence_permits_for_hk_macau_and_taiwan_residents_are_recognised(prefix, kind):
    first17 = prefix + "19850615" + "003"
    parsed = parse_id_number(first17 + check_digit(first17), today=TODAY)
    assert parsed.kind == kind
    assert parsed.birth_date == datetime.date(1985, 6, 15)


def test_upgrading_the_15_digit_form_of_the_standard_example_restores_its_x():
    assert upgrade_15_to_18("110105491231002") == VALID


def test_a_15_digit_id_with_an_impossible_date_is_rejected():
    raises_code("date", parse_id_number, "330206900231001", today=TODAY)


def test_a_15_digit_id_cannot_contain_x():
    raises_code("characters", parse_id_number, "33020670010100X")


def test_masking_an_id_keeps_the_first_six_and_last_four():
    assert mask_id_number(NINGBO) == "330206********0014"
    assert mask_id_number("330206700101001") == "33***********01"


# --- passports and permits -------------------------------------------------


def test_a_passport_number_is_upper_cased_and_unspaced():
    assert normalize_passport(" e1234\u30005678 ") == "E12345678"


@pytest.mark.parametrize(
    "raw, code",
    [("E12", "length"), ("E1234567890123456789", "length"), ("E1234-567", "characters"), ("", "empty")],
)
def test_a_malformed_passport_number_is_rejected(raw, code):
    raises_code(code, normalize_passport, raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("h12345678", "H12345678"),
        ("M 1234567890", "M1234567890"),
        ("１２３４５６７８", "12345678"),
    ],
)
def test_old_travel_permit_numbers_are_normalised(raw, expected):
    assert normalize_permit_number(raw) == expected


def test_a_hong_kong_permit_needs_h_or_m_and_8_or_10_digits():
    message = raises_code("format", normalize_permit_number, "H1234567", kind="hk_macau")
    assert "港澳居民来往内地通行证" in message
    raises_code("format", normalize_permit_number, "12345678", kind="hk_macau")


def test_a_taiwan_permit_needs_exactly_8_digits():
    message = raises_code("format", normalize_permit_number, "123456789", kind="taiwan")
    assert "台湾居民来往大陆通行证" in message


# --- phones ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("＋８６（１３８）００１３．８０００", "13800138000"),
        ("0574-87654321", "057487654321"),
        ("(0574) 8765 4321", "057487654321"),
        ("010-12345678", "01012345678"),
        ("+86 574 87654321", "057487654321"),
        ("+86 10 1234 5678", "01012345678"),
        ("0571-8765432", "05718765432"),
    ],
)
def test_phone_numbers_are_reduced_to_digits(raw, expected):
    assert normalize_phone(raw) == expected


def test_phone_123_is_rejected_because_its_length_is_wrong():
    code, message = phone_error("123")
    assert code == "length"
    assert "电话号码 123 位数不对" in message


@pytest.mark.parametrize(
    "raw, code",
    [
        ("12800138000", "prefix"),
        ("1380013800", "length"),
        ("87654321", "area_code"),
        ("01312345678", "area_code"),
        ("0574-8765", "length"),
        ("+1 415 555 0100", "international"),
        ("0574-87654321转801", "characters"),
        ("", "empty"),
    ],
)
def test_malformed_phone_numbers_are_rejected_with_a_specific_code(raw, code):
    assert phone_error(raw)[0] == code


def test_masking_phones_keeps_mobile_prefix_and_landline_area_code():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("057487654321") == "0574******21"
    assert mask_phone("01012345678") == "010******78"


# --- age ------------------------------------------------------------------


def test_age_counts_completed_years_only():
    born = datetime.date(1970, 6, 2)
    assert age_on(born, datetime.date(2025, 6, 1)) == 54
    assert age_on(born, datetime.date(2025, 6, 2)) == 55


def test_someone_born_on_29_february_turns_a_year_older_on_1_march():
    born = datetime.date(2000, 2, 29)
    assert age_on(born, datetime.date(2021, 2, 28)) == 20
    assert age_on(born, datetime.date(2021, 3, 1)) == 21


@given(birth_dates, st.integers(0, 36500))
def test_age_never_decreases_and_is_zero_on_the_day_of_birth(born, days):
    assert age_on(born, born) == 0
    later = born + datetime.timedelta(days=days)
    assert 0 <= age_on(born, later) <= age_on(born, later + datetime.timedelta(days=1))


def _outcome(raw):
    try:
        return "ok", normalize_id_number(raw)
    except IdentityError as exc:
        return "error", exc.code


@given(st.one_of(st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True),
                 st.text(alphabet="0123456789Xx０１２３ -.E,\u200b", min_size=17, max_size=19)))
def test_an_id_that_needs_no_cleaning_is_read_as_the_cleaning_path_reads_it(raw):
    # A leading space sends the same text down the full path (NFKC, stripping, upper-case, checks).
    assert _outcome(raw) == _outcome(" " + raw)
