"""Load the national code tables and the ten categories (data shipped in people/codetables/)."""

import csv
from pathlib import Path

from django.db import migrations

TABLES = Path(__file__).resolve().parent.parent / "codetables"

CATEGORIES = [
    ("overseas", "侨、台、留及其直系亲属代表", "侨台留", 365),
    ("entrepreneur", "企业家", "企业家", 365),
    ("professional", "企事业单位中高级管理人才和专业人才", "专业人才", 365),
    ("democratic_party", "民主党派成员", "民主党派", 365),
    ("venue_leader", "宗教场所负责人和主要管理人员", "场所负责人", 180),
    ("folk_site_leader", "民间宗教信仰点负责人", "信仰点负责人", 180),
    ("ethnic_minority", "少数民族家庭及个人", "少数民族", 365),
    ("outbound_talent", "外出人员人才", "外出人才", 365),
    ("notable", "本地籍知名人士", "知名人士", 730),
    ("special_talent", "统战对象特色人才", "特色人才", 365),
]


def rows(name):
    with open(TABLES / f"{name}.csv", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def forwards(apps, schema_editor):
    get = lambda name: apps.get_model("people", name)  # noqa: E731
    get("Ethnicity").objects.bulk_create(
        [get("Ethnicity")(code=r["code"], name=r["name"], roman=r["roman"]) for r in rows("ethnicity")])
    get("PoliticalAffiliation").objects.bulk_create([
        get("PoliticalAffiliation")(code=r["code"], name=r["name"], short_name=r["short_name"],
                                    is_democratic_party=r["is_democratic_party"] == "1")
        for r in rows("political_affiliation")])
    get("Education").objects.bulk_create(
        [get("Education")(code=r["code"], name=r["name"], level=int(r["level"])) for r in rows("education")])
    get("Country").objects.bulk_create([
        get("Country")(code=r["alpha2"], name=r["name"], alpha3=r["alpha3"], numeric=r["numeric"])
        for r in rows("country")])
    get("Religion").objects.bulk_create([get("Religion")(code=r["code"], name=r["name"]) for r in rows("religion")])
    get("Category").objects.bulk_create([
        get("Category")(code=code, name=name, short_name=short, sort_order=order, verify_days=days)
        for order, (code, name, short, days) in enumerate(CATEGORIES, start=1)])


class Migration(migrations.Migration):
    dependencies = [("people", "0002_search_index")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
