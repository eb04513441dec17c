"""Sanity checks on the national code tables shipped as CSV files.

These read the files with the csv module only, so they need neither Django
nor a database.
"""
import csv
from pathlib import Path

CODETABLES = Path(__file__).resolve().parent.parent / "codetables"


def read_rows(name):
    with open(CODETABLES / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_there_are_fifty_six_ethnic_groups_numbered_in_order():
    rows = read_rows("ethnicity.csv")
    groups = rows[:56]
    assert [r["code"] for r in groups] == [f"{n:02d}" for n in range(1, 57)]
    assert groups[0]["name"] == "汉族"
    assert groups[-1]["name"] == "基诺族"


def test_every_ethnic_group_has_a_unique_name_ending_in_zu_and_a_roman_code():
    groups = read_rows("ethnicity.csv")[:56]
    names = [r["name"] for r in groups]
    assert len(set(names)) == 56
    assert all(name.endswith("族") for name in names)
    romans = [r["roman"] for r in groups]
    assert len(set(romans)) == 56
    assert all(len(code) == 2 and code.isupper() for code in romans)


def test_the_ethnicity_table_ends_with_the_two_public_security_extras():
    rows = read_rows("ethnicity.csv")
    assert len(rows) == 58
    assert [(r["code"], r["name"], r["roman"]) for r in rows[56:]] == [
        ("97", "其他", ""),
        ("98", "外国血统中国籍人士", ""),
    ]


def test_there_are_thirteen_political_affiliations_of_which_eight_are_democratic_parties():
    rows = read_rows("political_affiliation.csv")
    assert [r["code"] for r in rows] == [f"{n:02d}" for n in range(1, 14)]
    democratic = [r["code"] for r in rows if r["is_democratic_party"] == "1"]
    assert democratic == ["04", "05", "06", "07", "08", "09", "10", "11"]
    assert {r["is_democratic_party"] for r in rows} == {"0", "1"}


def test_education_top_levels_end_in_zero_and_sub_levels_do_not():
    rows = read_rows("education.csv")
    assert len({r["code"] for r in rows}) == len(rows)
    for r in rows:
        assert r["level"] == ("1" if r["code"].endswith("0") else "2")


def test_country_alpha2_codes_are_unique_and_cover_the_iso_list():
    rows = read_rows("country.csv")
    alpha2 = [r["alpha2"] for r in rows]
    assert len(rows) >= 240
    assert len(set(alpha2)) == len(alpha2)
    assert len({r["alpha3"] for r in rows}) == len(rows)


def test_every_country_numeric_code_has_three_digits():
    for r in read_rows("country.csv"):
        assert len(r["numeric"]) == 3 and r["numeric"].isdigit(), r


def test_hong_kong_macao_and_taiwan_are_named_as_parts_of_china():
    names = {r["alpha2"]: r["name"] for r in read_rows("country.csv")}
    assert names["HK"] == "中国香港"
    assert names["MO"] == "中国澳门"
    assert names["TW"] == "中国台湾"
    assert names["CN"] == "中国"


def test_religion_codes_are_the_ones_the_office_records():
    rows = read_rows("religion.csv")
    assert [(r["code"], r["name"]) for r in rows] == [
        ("1", "佛教"),
        ("2", "道教"),
        ("3", "伊斯兰教"),
        ("4", "天主教"),
        ("5", "基督教"),
        ("6", "民间信仰"),
        ("8", "其他"),
        ("9", "无宗教信仰"),
    ]
