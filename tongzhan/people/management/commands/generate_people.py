"""`python manage.py generate_people --count N --seed S [--region CODE]`: synthetic people at scale.

For load tests and large demos. It writes what `create_person` and `join_category` would (encrypted and
masked fields, blind indexes, memberships with detail rows, search documents, a "create" history row)
but in bulk, 5,000 people per transaction, with one audit event for the run. A forked producer process
draws and encrypts the next batch while this process inserts the current one. The same seed gives the
same people (names, ID numbers, phones, categories) in the same database state.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import multiprocessing
import queue
import random
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.audit.services import record
from tongzhan.core import identity, names
from tongzhan.core.actors import SYSTEM
from tongzhan.people import search
from tongzhan.people.demo import MOBILE_PREFIXES, credit_code, make_id_number
from tongzhan.people.models import (
    DETAIL_MODELS,
    Category,
    CategoryMembership,
    Education,
    HistoryEntry,
    Person,
    PoliticalAffiliation,
)
from tongzhan.people.services.bulk import write_search_documents
from tongzhan.people.services.persons import PLAIN_FIELDS, SENSITIVE_LABEL
from tongzhan.regions.models import Region


def _table(text: str) -> list[list[str]]:
    """Whitespace-separated entries, fields within an entry separated by ':'."""
    return [entry.split(":") for entry in text.split()]


def _words(text: str) -> list[str]:
    return text.split()


# The commonest surnames in frequency order with their share in percent (公安部户籍统计, rounded), then
# local and compound ones (曾 单 区 仇 解 欧阳 司马 read differently from their everyday reading).
SURNAMES = _table("""王:7.12 李:7.06 张:6.77 刘:5.38 陈:4.53 杨:3.08 黄:2.23 赵:2.19 吴:2.05 周:1.96 徐:1.66 孙:1.54
马:1.49 朱:1.45 胡:1.32 郭:1.19 何:1.17 林:1.16 高:1.09 罗:1.06 郑:.98 梁:.96 谢:.88 宋:.83 唐:.82 许:.78 韩:.75
邓:.75 冯:.73 曹:.72 彭:.70 曾:.65 肖:.64 田:.63 董:.63 潘:.60 袁:.59 蔡:.57 蒋:.56 余:.55 于:.55 杜:.53 叶:.52
程:.51 魏:.49 苏:.48 吕:.48 丁:.47 任:.46 卢:.45 姚:.44 沈:.44 钟:.43 姜:.42 崔:.41 谭:.40 陆:.39 范:.38 汪:.37
廖:.36 石:.35 金:.34 韦:.33 贾:.33 夏:.32 付:.32 方:.31 邹:.30 熊:.30 白:.29 孟:.29 秦:.28 邱:.28 侯:.28 江:.27
尹:.27 薛:.26 闫:.26 段:.25 雷:.25 龙:.24 黎:.24 史:.23 陶:.23 贺:.22 毛:.22 郝:.21 顾:.21 龚:.21 邵:.20 万:.20
覃:.19 武:.19 钱:.19 戴:.18 严:.18 莫:.17 孔:.17 向:.16 常:.16 傅:.26 俞:.12 翁:.08 应:.05 柴:.05 虞:.04 舒:.06
包:.06 邬:.04 乐:.03 单:.05 区:.02 仇:.03 解:.05 褚:.03 竺:.01 忻:.01 瞿:.03 查:.02 翟:.03 缪:.03 欧阳:.05
司马:.01 上官:.01 诸葛:.006 司徒:.01 东方:.003 皇甫:.004 慕容:.002 夏侯:.002 令狐:.001""")
# Given-name characters, commonest first, by sex and generation (0: born before 1975, 1: from 1990).
GIVEN = {
    (
        "M",
        0,
    ): "建国华明伟强平林军志文德荣海金福根生祥宝兴发忠勇光庆春永峰民良成新辉东红卫斌达富贵才宏俊昌仁义财"
    "龙山水炳松茂树章培耀洪锦顺喜元连正庭云清标雄刚毅鸿伯士远学振家仲益",
    ("M", 1): "浩宇轩子杰鹏磊俊晨博航睿泽皓然逸凯瑞阳天昊铭哲鑫诚彬超亮帅飞旭毅一嘉佳思梓豪文涛健宁智翔辰锐琛"
    "煜奕宸骏明伟鸣弘景泓霖岩峻恒楷晟卓烨",
    ("F", 0): "秀英兰芳珍凤琴华玉梅娟萍红霞莲桂美丽菊云翠月素淑芬彩爱娣妹香金银春燕雪琼娥惠敏静秋荷巧玲亚"
    "瑞莉群蓉杏凡竹仙珠宝双",
    ("F", 1): "婷静敏丹雪琳洁颖欣怡佳悦雨晴涵萱思诗雅梦瑶璐露倩蕾蓉妍薇琪嘉婧璇馨舒楠晓艳慧娜玥若依可心语彤"
    "莹瑾茜冰蓓菲婉柔清",
}
# Uyghur and Kazakh names: own name · father's name.
DOTTED = {
    "M": _words("买买提 艾力 阿不都 吐尔逊 艾尔肯 伊力哈木 努尔兰 阿迪力 热合曼 肉孜 卡德尔 亚森"),
    "F": _words("古丽 阿依古丽 热依拉 米娜瓦尔 帕提古丽 迪丽拜尔 古丽娜尔 阿依努尔 再努尔 玛依拉"),
}
# Minorities (8% of people): code, weight, usual origin.
MINORITIES = _table("""08:19:广西南宁 03:12:宁夏吴忠 11:10:辽宁沈阳 05:9:新疆喀什 06:9:贵州凯里 07:8:四川凉山
15:8:湖南张家界 04:6:西藏日喀则 02:5:内蒙古赤峰 12:3:贵州黎平 09:3:贵州安顺 13:3:广西金秀 14:2:云南大理
10:2:吉林延边 16:2:云南红河 19:1.5:海南五指山 17:1.5:新疆伊犁 22:1:浙江景宁""")
MUSLIM = {"03", "05", "17"}
PROVINCES = dict(
    _table("""11:北京 12:天津 13:河北 14:山西 15:内蒙古 21:辽宁 22:吉林 23:黑龙江 31:上海 32:江苏
33:浙江 34:安徽 35:福建 36:江西 37:山东 41:河南 42:湖北 43:湖南 44:广东 45:广西 46:海南 50:重庆 51:四川 52:贵州
53:云南 54:西藏 61:陕西 62:甘肃 63:青海 64:宁夏 65:新疆""")
)
EDUCATION = [  # (code, weight) for born before 1960 / 1960–1979 / from 1980
    _table("81:30 71:35 61:18 41:8 31:5 21:4"),
    _table("81:2 71:25 61:25 41:10 47:5 31:15 21:14 14:4"),
    _table("61:10 41:5 47:5 31:25 21:40 14:12 11:3"),
]
CATEGORIES = _table("""overseas:14 entrepreneur:12 professional:16 democratic_party:7 venue_leader:3
folk_site_leader:4 outbound_talent:16 notable:5 special_talent:12""")
PARTIES = _table(
    "04:12:民革 05:22:民盟 06:15:民建 07:18:民进 08:12:农工党 09:6:致公党 10:13:九三学社 11:2:台盟"
)
TIES = _table("""overseas_relative:40:US/JP/SG/MY/ID/CA/AU/GB/TH returned_overseas:10:ID/MY/TH/SG/VN
taiwan_relative:10:TW taiwan_compatriot:4:TW returned_student:22:US/GB/AU/JP/DE/CA/FR/SG
hk_macau_relative:10:HK/MO hk_macau_compatriot:4:HK/MO""")
RELIGIONS = _table(":80 1:10 6:4 5:3 2:1.5 4:1")  # most people: none recorded
TRADE_NAMES = _words(
    "恒信 海达 鑫源 宏发 金港 远洋 华顺 兴隆 东升 聚丰 瑞祥 永盛 海通 嘉禾 天成 润达 新港 明珠 鼎盛 协和"
)
INDUSTRIES = _table("""水产养殖:水产养殖 国际货运代理:国际物流 通用设备制造:机械 建材:建材 食品加工:食品 电子元件:电子科技
进出口贸易:贸易 船舶服务:船务 蔬菜种植:农业科技 汽车零部件:汽车配件 服装:服饰 餐饮:餐饮管理""")
PROFESSIONS = _table("""{town}卫生院:医生:主治医师:临床医学 {town}中学:教师:中学一级教师:数学教学
{town}中心小学:教研组长:小学高级教师:语文教学 {district}人民医院:护士长:主管护师:护理
{town}农业服务中心:技术员:农艺师:农业技术推广 {firm}机械有限公司:技术部经理:高级工程师:机械设计
{firm}会计师事务所:合伙人:注册会计师:审计 {firm}律师事务所:律师:二级律师:民商事诉讼""")
VENUES = _table("""寺:1:住持/监院/知客/会计 庵:1:住持/会计 庙:2:管理小组组长/道长/会计 天主堂:4:堂管会主任/会计
基督教堂:5:堂委会主任/长老/会计 清真寺:3:寺管会主任/阿訇""")
FOLK_SITES = _words("土地庙 龙王宫 关帝庙 娘娘殿 猛将堂 财神庙 观音堂 天后宫")
FOLK_ROLES = _words("负责人 看管人 庙管会会长")
POSITIONS = _words("董事长 总经理 执行董事 法定代表人")
CITIES = _words("上海市 北京市 深圳市 杭州市 广州市 南京市 苏州市 宁波市 成都市 武汉市")
EMPLOYERS = _words(
    "华为技术有限公司 中国银行 上海交通大学 中铁建工集团 比亚迪股份有限公司 中国远洋海运集团 浙江大学"
)
FIELDS = _words("信息技术 金融 教育 建筑工程 医疗卫生 新能源 国际贸易 法律 书画 文学 科研 戏曲")
SKILLS = _words(
    "家电维修 义务补课 书法 剪纸 越剧 沪剧 中医推拿 渔灯制作 摄影 竹编 舞龙 法律咨询 心理咨询 无人机航拍"
)
START, END = datetime.date(1935, 1, 1), datetime.date(2005, 12, 31)


DETAIL_FIELDS = {
    "overseas": "tie_kind country_id is_representative returned_year",
    "entrepreneur": "enterprise_name credit_code industry staff_count position",
    "professional": "employer post title field",
    "democratic_party": "party_id branch joined_on",
    "venue_leader": "venue_name role",
    "folk_site_leader": "site_name role",
    "ethnic_minority": "is_household_head household_size origin_place",
    "outbound_talent": "present_city employer field",
    "notable": "field reputation",
    "special_talent": "skill willing_to_volunteer",
}


def _weighted(pairs):
    """(values, cumulative weights) for random.choices."""
    values, total, cumulative = [], 0.0, []
    for value, weight in pairs:
        total += float(weight)
        values.append(value)
        cumulative.append(total)
    return values, cumulative


@functools.lru_cache(maxsize=20_000)  # about 75 MB
def name_facts(name: str) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """(name_sort, pinyin syllables, search tokens) of a name: names repeat, and pypinyin is slow.

    The syllables are read back from `name_sort` ("syllables… name") rather than computed a second time."""
    sort = search.name_sort(name)
    tokens = (t for t in names.search_tokens(name) if t and '"' not in t and "'" not in t and " " not in t)
    return sort[:160], tuple(sort[: -len(name) - 1].split(" ")), frozenset(tokens)


@dataclass(frozen=True)
class _Nameless:
    """What `search.document_tokens` reads from a person, minus the name (`name_facts` has its tokens)."""

    sex: str
    birth_date: datetime.date
    political_affiliation_id: str
    name: str = ""


@functools.lru_cache(maxsize=20_000)
def filter_tokens(regions, orders, sex, year, party, ethnicity, religion) -> frozenset[str]:
    facts = _Nameless(sex=sex, birth_date=datetime.date(year, 1, 1), political_affiliation_id=party)
    return frozenset(
        search.document_tokens(
            facts,
            region_ids=list(regions),
            category_orders=list(orders),
            ethnicity=ethnicity,
            religion=religion,
        )
    )


@dataclass
class Target:
    """A village or group people are placed in, with what their records derive from it."""

    region: Region
    ancestor_ids: tuple[int, ...]
    prefix: str  # the district code's first six digits: the ID number's region part
    town: str
    district: str
    address: str
    base: str  # the village's name without 村, for temples and shrines
    city: str
    native: str


def load_targets(code: str | None) -> list[Target]:
    regions = {r.pk: r for r in Region.objects.filter(is_retired=False)}
    root = Region.objects.filter(code=code).first() if code else None
    if code and root is None:
        raise CommandError(f"找不到区划代码为 {code} 的区划，请检查 --region 参数。")
    targets = []
    for region in sorted(regions.values(), key=lambda r: r.code):
        if region.level not in ("village", "group") or (root and not region.path.startswith(root.path)):
            continue
        chain = [regions.get(pk) or Region.objects.get(pk=pk) for pk in region.ancestor_ids()]
        by_level = {r.level: r for r in chain}
        district = by_level.get("district", chain[0])
        province = PROVINCES.get(district.code[:2], "")
        short = district.name.rstrip("区县市") or district.name
        village = by_level.get("village", region).name
        address = "".join(r.name for r in chain if r.level != "district")
        city = province if district.code[:2] in ("11", "12", "31", "50") else short  # 直辖市: 上海…公司
        targets.append(
            Target(
                region=region,
                ancestor_ids=tuple(region.ancestor_ids()),
                prefix=district.code[:6],
                town=by_level.get("township", district).name,
                district=district.name,
                address=address,
                base=village.removesuffix("村") or village,
                city=city,
                native=province + short,
            )
        )
    return targets


@dataclass
class Plan:
    """One person to insert: the unsaved Person and everything else derived for it."""

    person: Person
    memberships: list  # [(category code, detail attributes, since)]
    token_key: tuple  # (ancestor ids, category orders, sex, party, ethnicity, religion)
    prefix: str
    syllables: tuple = ()
    tokens: str = ""
    changes: dict = field(default_factory=dict)


class HistoryChanges:
    """`diff({}, snapshot(person))` as `create_person` records it, with the labels translated once per run
    (lazy verbose names cost more than everything else in a history row)."""

    def __init__(self):
        fields = [Person._meta.get_field(name) for name in PLAIN_FIELDS]
        self.plain = [(f.name, str(f.verbose_name), {k: str(v) for k, v in f.choices or ()}) for f in fields]
        self.masked = [(str(_("证件号码")), "id_number_masked"), (str(_("联系电话")), "phone_masked")]
        labels = {"address": _("详细住址"), "ethnicity": _("民族"), "religion": _("宗教信仰")}
        self.secret = [(str(label), f"{name}_enc") for name, label in labels.items()]
        self.sensitive = str(SENSITIVE_LABEL)

    def __call__(self, person: Person) -> dict:
        values = {}
        for name, label, choices in self.plain:
            value = getattr(person, name)
            value = choices.get(value, "") if choices else value
            values[label] = "" if value is None else str(value)
        values.update((label, getattr(person, attr)) for label, attr in self.masked)
        values.update((label, self.sensitive if getattr(person, attr) else "") for label, attr in self.secret)
        return {label: ["", value] for label, value in values.items() if value != ""}


def set_id_number(person: Person, number: str) -> None:
    person.encrypt("id_number", number)
    person.id_number_masked = identity.mask_id_number(number)


def registered(bidx: list[str]) -> set[str]:
    """Which of these ID blind indexes the database already holds."""
    found = set()
    for start in range(0, len(bidx), 500):
        chunk = Person.objects.filter(id_number_bidx__in=bidx[start : start + 500])
        found.update(chunk.values_list("id_number_bidx", flat=True))
    return found


class Generator:
    """Draws people from one random.Random; every draw happens in the same order for the same seed."""

    def __init__(self, seed: int, targets: list[Target]):
        self.rng, self.targets, self.today = random.Random(seed), targets, timezone.localdate()
        self.surnames, self.religions = _weighted(SURNAMES), _weighted(RELIGIONS)
        self.given = {
            key: _weighted((c, 1 / (rank + 8)) for rank, c in enumerate(dict.fromkeys(chars)))
            for key, chars in GIVEN.items()
        }
        self.minorities = _weighted((code, weight) for code, weight, _origin in MINORITIES)
        self.origins = {code: origin for code, _weight, origin in MINORITIES}
        self.education = [_weighted(table) for table in EDUCATION]
        self.categories = {code: float(weight) for code, weight in CATEGORIES}
        self.parties = _weighted((code, weight) for code, weight, _short in PARTIES)
        self.party_orgs = {code: short for code, _weight, short in PARTIES}
        self.ties = _weighted((kind, weight) for kind, weight, _countries in TIES)
        self.tie_countries = {kind: countries.split("/") for kind, _weight, countries in TIES}
        self.party_rows = {p.code: p for p in PoliticalAffiliation.objects.all()}
        self.education_rows = {e.code: e for e in Education.objects.all()}
        self.orders = dict(Category.objects.values_list("code", "sort_order"))
        self.changes = HistoryChanges()
        self.sequences: dict[tuple, tuple[int, int]] = {}
        self.phone_offset, self.issued = self.rng.randrange(10**8), 0

    def pick(self, table):
        values, cumulative = table
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def date_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        days = (end - start).days
        return end if days <= 0 else start + datetime.timedelta(days=self.rng.randint(0, days))

    def name(self, sex: str, born: datetime.date, ethnicity: str) -> str:
        if ethnicity in ("05", "17"):
            return f"{self.rng.choice(DOTTED[sex])}·{self.rng.choice(DOTTED['M'])}"
        era = 0 if born.year < 1975 else 1 if born.year >= 1990 else self.rng.randint(0, 1)
        length = 1 if self.rng.random() < (0.3 if era == 0 else 0.15) else 2
        return self.pick(self.surnames) + "".join(self.pick(self.given[(sex, era)]) for _ in range(length))

    def id_number(self, prefix: str, born: datetime.date, male: bool) -> tuple[str, datetime.date]:
        """Unique within the run: each (region, date, sex) hands out its 3-digit sequences in turn."""
        while True:
            base, used = self.sequences.get((prefix, born, male)) or (self.rng.randrange(0, 998, 2), 0)
            if used < 499:
                self.sequences[(prefix, born, male)] = (base, used + 1)
                seq = 1 + (base + 2 * used) % 1000 if male else 2 + (base + 2 * used) % 998
                return make_id_number(prefix, born, seq), born
            born += datetime.timedelta(days=1)

    def phone(self) -> str:
        """Unique within the run: n -> n * k + offset is a bijection on 8 digits when k is prime to 10."""
        self.issued += 1
        suffix = (self.issued * 61_803_399 + self.phone_offset) % 10**8
        return f"{self.rng.choice(MOBILE_PREFIXES)}{suffix:08d}"

    def detail(self, code: str, t: Target, born: datetime.date, ethnicity: str) -> dict:
        rng, firm = self.rng, t.city + self.rng.choice(TRADE_NAMES)
        if code == "overseas":
            kind = self.pick(self.ties)
            year = min(born.year + rng.randint(18, 40), self.today.year)
            values = (
                kind,
                rng.choice(self.tie_countries[kind]),
                rng.random() < 0.15,
                year if kind.startswith("returned") else None,
            )
        elif code == "entrepreneur":
            industry, word = rng.choice(INDUSTRIES)
            code_ = credit_code(t.prefix, rng.randrange(10**8))
            values = (f"{firm}{word}有限公司", code_, industry, rng.randint(5, 500), rng.choice(POSITIONS))
        elif code == "professional":
            employer, *rest = rng.choice(PROFESSIONS)
            values = (employer.format(town=t.town, district=t.district, firm=firm), *rest)
        elif code == "democratic_party":
            party = self.pick(self.parties)
            branch = f"{self.party_orgs[party]}{t.district}第{rng.randint(1, 9)}{'支社' if party == '10' else '支部'}"
            values = (party, branch, self.date_between(born.replace(year=born.year + 25, day=1), self.today))
        elif code == "venue_leader":
            suffix, _religion, roles = rng.choice(VENUES)
            values = (t.base + suffix, rng.choice(roles.split("/")))
        elif code == "folk_site_leader":
            values = (t.base + rng.choice(FOLK_SITES), rng.choice(FOLK_ROLES))
        elif code == "ethnic_minority":
            values = (rng.random() < 0.4, rng.randint(1, 6), self.origins.get(ethnicity, ""))
        elif code == "outbound_talent":
            values = (rng.choice(CITIES), rng.choice(EMPLOYERS), rng.choice(FIELDS))
        elif code == "notable":
            subject = rng.choice(FIELDS)
            values = (subject, f"{t.town}籍人士，在{subject}领域有一定影响")
        else:
            values = (rng.choice(SKILLS), rng.random() < 0.7)
        return dict(zip(DETAIL_FIELDS[code].split(), values, strict=True))

    def person(self) -> Plan:
        rng, t = self.rng, self.rng.choice(self.targets)
        male = rng.random() < 0.5
        sex = "M" if male else "F"
        number, born = self.id_number(t.prefix, self.date_between(START, END), male)
        ethnicity = "01" if rng.random() < 0.92 else self.pick(self.minorities)
        name = names.normalize_name(self.name(sex, born, ethnicity))
        cats = ["ethnic_minority"] if ethnicity != "01" and rng.random() < 0.7 else []
        pool = dict(self.categories)
        while not cats or (len(cats) < 2 and rng.random() < 0.25):
            cats.append(rng.choices(list(pool), weights=list(pool.values()))[0])
            del pool[cats[-1]]
        details = [(c, self.detail(c, t, born, ethnicity)) for c in cats]
        religion = "3" if ethnicity in MUSLIM and rng.random() < 0.8 else self.pick(self.religions)
        for c, detail in details:
            if c == "venue_leader":  # the venue's religion; the longest suffix wins (清真寺 over 寺)
                suffixes = [v for v in VENUES if detail["venue_name"].endswith(v[0])]
                religion = max(suffixes, key=lambda v: len(v[0]))[1]
            elif c == "folk_site_leader":
                religion = "6"
        party = next((d["party_id"] for c, d in details if c == "democratic_party"), None)
        if party is None:
            roll, young = rng.random(), self.today.year - born.year <= 28
            party = "01" if roll < 0.12 else "12" if roll < 0.13 else "03" if young and roll < 0.5 else "13"
        era = 0 if born.year < 1960 else 1 if born.year < 1980 else 2
        days = rng.randint(1, 365) if rng.random() < 0.75 else rng.randint(366, 1800)
        first = details[0][1]
        person = Person(
            uid=uuid.uuid4(),
            name=name,
            name_sort=name_facts(name)[0],
            sex=sex,
            birth_date=born,
            political_affiliation=self.party_rows[party],
            region=t.region,
            education=self.education_rows[self.pick(self.education[era])],
            native_place=self.origins.get(ethnicity, t.native),
            source=Person.Source.DEMO,
            work_unit=first.get("enterprise_name") or first.get("employer") or first.get("venue_name") or "",
            job_title=first.get("position") or first.get("post") or first.get("role") or "",
            last_verified_on=None if rng.random() < 0.2 else self.today - datetime.timedelta(days=days),
        )
        set_id_number(person, number)
        phone = self.phone()
        person.encrypt("phone", phone)
        person.phone_masked = identity.mask_phone(phone)
        person.encrypt("address", f"{t.address}{rng.randint(1, 400)}号")
        person.encrypt("ethnicity", ethnicity)
        person.encrypt("religion", religion)
        since = min(max(datetime.date(born.year + 18, born.month, 1), datetime.date(2008, 1, 1)), self.today)
        memberships = [(c, d, self.date_between(since, self.today)) for c, d in details]
        orders = tuple(sorted(self.orders[c] for c in cats))
        return Plan(person, memberships, (t.ancestor_ids, orders, sex, party, ethnicity, religion), t.prefix)

    def finish(self, plans: list[Plan]) -> list[Plan]:
        """Renumber people whose ID number is already registered (the demo, an earlier run), then derive
        what depends on the final birth date: the search document and the history row."""
        while clashes := registered([plan.person.id_number_bidx for plan in plans]):
            for person, prefix in ((p.person, p.prefix) for p in plans if p.person.id_number_bidx in clashes):
                number, person.birth_date = self.id_number(prefix, person.birth_date, person.sex == "M")
                set_id_number(person, number)
        for plan in plans:
            _sort, plan.syllables, name_tokens = name_facts(plan.person.name)
            regions, orders, sex, party, ethnicity, religion = plan.token_key
            rest = filter_tokens(
                regions, orders, sex, plan.person.birth_date.year, party, ethnicity, religion
            )
            plan.tokens = " ".join(sorted(name_tokens | rest))
            plan.changes = self.changes(plan.person)
        return plans

    def batches(self, count: int, size: int):
        for start in range(0, count, size):
            yield self.finish([self.person() for _ in range(min(size, count - start))])


def write_batch(plans: list[Plan]) -> None:
    """Insert one batch: people, memberships, detail rows, search documents, history. Runs in a transaction.

    Rows refer to each other by id, not by instance: an instance on a one-to-one field caches itself on the
    other side, and those reference cycles would pile up for the cyclic collector."""
    Person.objects.bulk_create([plan.person for plan in plans])
    memberships = [
        (CategoryMembership(person_id=plan.person.pk, category_id=code, since=since), code, detail)
        for plan in plans
        for code, detail, since in plan.memberships
    ]
    CategoryMembership.objects.bulk_create([m for m, _code, _detail in memberships])
    rows: dict[str, list] = {}
    for membership, code, detail in memberships:
        rows.setdefault(code, []).append(DETAIL_MODELS[code](membership_id=membership.pk, **detail))
    for code, objects in rows.items():
        DETAIL_MODELS[code].objects.bulk_create(objects)
    key = search.doc_key
    write_search_documents(sorted(
        ({"id": key(p.person.pk, p.syllables), "person_id": p.person.pk, "tokens": p.tokens} for p in plans),
        key=lambda document: document["id"]))
    common = {"actor_name": SYSTEM.get_username(), "action": "create", "target": str(_("基本信息"))}
    HistoryEntry.objects.bulk_create(
        [HistoryEntry(person_id=p.person.pk, changes=p.changes, **common) for p in plans]
    )


def _produce(batches, channel) -> None:
    try:
        for plans in batches:
            channel.put(plans)
        channel.put(None)
    except BaseException:  # reported to the parent, which raises it
        channel.put(traceback.format_exc())


def in_background(batches):
    """Yield the batches as a forked process makes them: it draws and encrypts while we insert."""
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=2)
    connections.close_all()  # the child must open its own connection, not share ours
    child = context.Process(target=_produce, args=(batches, channel), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise CommandError(f"生成进程意外退出（退出码 {child.exitcode}）。") from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise CommandError(f"生成进程出错：\n{item}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


@contextlib.contextmanager
def rare_collections():
    """The run makes millions of short-lived objects and almost no cycles, yet each batch would trigger
    the cyclic collector over and over (it tripled the cost of unpickling a batch). Collect rarely."""
    thresholds = gc.get_threshold()
    gc.freeze()  # Django, the code tables, the generator: never garbage, never rescanned
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class Command(BaseCommand):
    help = "批量生成虚构的统战对象（姓名、身份证号、手机号虚构但格式合法），用于性能测试和大规模演示。"

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="生成人数")
        parser.add_argument("--seed", type=int, default=1, help="随机种子：种子相同，生成的人相同（默认 1）")
        parser.add_argument("--region", help="只生成到此区划（代码）下的村、组；默认为库中所有村、组")
        parser.add_argument("--batch-size", type=int, default=5000, help="每个事务写入的人数（默认 5000）")

    def handle(self, *args, count: int, seed: int, region: str | None, batch_size: int, **options):
        if count < 1 or batch_size < 1:
            raise CommandError("--count 和 --batch-size 必须是正整数。")
        targets = load_targets(region)
        if not targets:
            where = f"区划 {region} 下" if region else "数据库中"
            raise CommandError(
                f"{where}还没有任何行政村（社区）或村民小组，无法生成统战对象。请先运行 "
                "“python manage.py load_demo” 载入演示乡镇，或用 “python manage.py import_regions” 导入行政区划。"
            )
        last = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if last + count > search.ID_MASK:
            raise CommandError(f"人员编号将超过检索键的上限 {search.ID_MASK:,}，请减少 --count。")
        started = time.monotonic()
        with rare_collections():
            batches = Generator(seed, targets).batches(count, batch_size)
            # Inside a transaction (a test) a forked producer could not see our uncommitted rows: stay here.
            forked = not connection.in_atomic_block and "fork" in multiprocessing.get_all_start_methods()
            if forked:
                batches = in_background(batches)
            detail = {"count": count, "seed": seed, "region": region or ""}
            self.insert(batches, count, detail, started, own_connection=forked)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"完成：生成统战对象 {count:,} 人（种子 {seed}，分布在 {len(targets)} 个村、组），"
            f"用时 {elapsed:.1f} 秒，{count / max(elapsed, 1e-9):,.0f} 人/秒。"
        )

    def insert(self, batches, count: int, detail: dict, started: float, own_connection: bool) -> None:
        done = 0
        for plans in batches:
            with transaction.atomic():
                if done == 0:  # one event for the run, committed with its first batch
                    if own_connection and connection.vendor == "sqlite":
                        # The random-keyed indexes (blind indexes, uid, search keys) outgrow the default cache.
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "PRAGMA cache_size=-262144"
                            )  # 256 MB, the connection opened for this run
                    record(actor=SYSTEM, event="person.generate", detail=detail)
                write_batch(plans)
            done += len(plans)
            if done % 50_000 < len(plans) and done < count:
                elapsed = time.monotonic() - started
                message = (
                    f"已生成 {done:,} / {count:,} 人，用时 {elapsed:.0f} 秒（{done / elapsed:,.0f} 人/秒）"
                )
                print(message, file=sys.stderr, flush=True)
