"""Tests for tongzhan.core.names (pure Python; no Django needed)."""

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin

from tongzhan.core.names import (
    COMPOUND_SURNAMES,
    DOT,
    SURNAME_READINGS,
    name_initials,
    name_pinyin,
    normalize_name,
    query_tokens,
    search_tokens,
    sort_key,
    split_name,
)


def finds(query, name):
    """A query finds a name when all its tokens are among the name's tokens."""
    tokens = query_tokens(query)
    return bool(tokens) and set(tokens) <= search_tokens(name)


# Surnames (including the polyphonic ones in the table) and common given-name
# characters, several of them polyphonic (长 乐 朝 重 行 和 单 曾 解 华 ...).
COMMON = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
    "袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟"
    "熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单区仇解查"
    "朴盖缪乐翟种褚宓秘那华纪过贲召牟冼柏薄卜藏隗郇句阚殷葛重莘长"
    "国藩明华建军伟芳娜敏静丽强磊洋艳勇杰娟涛超秀英霞平刚桂兰辉玲鹏飞云红"
    "春梅志新海波宇浩然子轩涵欣怡佳琪俊朝阳乐行和传调都会觉参差"
)

common_names = st.text(alphabet=COMMON, min_size=2, max_size=4)
cjk_with_reading = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(
    lambda c: pinyin(c, style=Style.NORMAL)[0] != [c]
)
any_names = st.text(alphabet=cjk_with_reading, min_size=2, max_size=4)


# --- surname readings -------------------------------------------------------


def test_zeng_as_a_surname_is_read_zeng_not_ceng():
    assert name_pinyin("曾国藩") == ["zeng", "guo", "fan"]


def test_zeng_inside_a_given_name_keeps_the_ordinary_reading():
    assert name_pinyin("何曾")[1] in {"ceng", "zeng"}
    assert name_pinyin("王曾经") == ["wang", "ceng", "jing"]


def test_initials_of_shan_tianfang_start_with_s():
    assert name_initials("单田芳") == "stf"


def test_initials_of_the_examples_in_the_brief():
    assert name_initials("曾国藩") == "zgf"
    assert name_initials("欧阳修") == "oyx"


def test_surname_table_readings_are_used_for_single_character_surnames():
    cases = {
        "区": "ou",
        "仇": "qiu",
        "解": "xie",
        "查": "zha",
        "朴": "piao",
        "盖": "ge",
        "缪": "miao",
        "乐": "yue",
        "翟": "zhai",
        "覃": "qin",
        "卜": "bu",
        "薄": "bo",
        "阚": "kan",
        "隗": "wei",
        "召": "shao",
        "么": "yao",
        "长": "chang",
        "牟": "mou",
    }
    for surname, reading in cases.items():
        assert name_pinyin(surname + "明")[0] == reading, surname


def test_wei_alone_is_read_wei_and_yuchi_only_as_the_compound():
    assert name_pinyin("尉缭")[0] == "wei"
    assert name_pinyin("尉迟恭") == ["yu", "chi", "gong"]


def test_compound_surname_readings_give_one_syllable_per_character():
    for surname, reading in SURNAME_READINGS.items():
        syllables = name_pinyin(surname + "明")[: len(surname)]
        assert len(syllables) == len(surname), surname
        assert "".join(syllables) == reading, surname


def test_surname_table_values_are_lowercase_ascii_without_tones():
    for reading in SURNAME_READINGS.values():
        assert reading.isascii() and reading.isalpha() and reading.islower()


# --- splitting --------------------------------------------------------------


def test_compound_surname_ouyang_is_split_as_one_surname():
    assert split_name("欧阳修") == ("欧阳", "修")


def test_every_compound_surname_is_split_off_when_a_given_name_follows():
    for surname in COMPOUND_SURNAMES:
        assert split_name(surname + "明") == (surname, "明")


def test_a_two_character_name_starting_like_a_compound_is_surname_plus_given():
    assert split_name("欧阳") == ("欧", "阳")


def test_an_ordinary_name_splits_after_the_first_character():
    assert split_name("张三丰") == ("张", "三丰")


def test_a_dotted_name_keeps_the_first_segment_in_the_surname_position():
    assert split_name("买买提·艾力") == ("买买提", "艾力")
    assert split_name("阿卜杜拉·艾力·买买提") == ("阿卜杜拉", "艾力·买买提")


# --- normalisation ----------------------------------------------------------


def test_dot_variants_are_unified_to_the_middle_dot():
    for dot in ["\u00b7", "\u2022", "\uff0e", "\u30fb", "\uff65", "\u0387", "."]:
        assert normalize_name(f"买买提{dot}艾力") == f"买买提{DOT}艾力", repr(dot)


def test_whitespace_inside_and_around_a_name_is_removed():
    assert normalize_name(" 曾\u3000国 藩\t") == "曾国藩"


def test_normalisation_applies_nfkc_and_changes_nothing_else():
    assert normalize_name("ＡＢＣ１２") == "ABC12"  # fullwidth -> ASCII, case kept
    assert normalize_name("曾国藩") == "曾国藩"


# --- pinyin, initials, sort key ---------------------------------------------


def test_the_dot_is_dropped_from_the_pinyin():
    assert name_pinyin("买买提·艾力") == ["mai", "mai", "ti", "ai", "li"]


def test_latin_letters_and_digits_pass_through_lowercased():
    assert name_pinyin("张ABC3") == ["zhang", "abc3"]


def test_u_umlaut_is_spelt_v():
    assert name_pinyin("吕布") == ["lv", "bu"]


def test_sort_key_is_the_pinyin_followed_by_the_name():
    assert sort_key("曾国藩") == "zengguofan曾国藩"
    names = ["张三", "曾国藩", "安然", "单田芳"]
    assert sorted(names, key=sort_key) == ["安然", "单田芳", "曾国藩", "张三"]


# --- search -----------------------------------------------------------------


def test_zeng_guofan_is_found_by_initials_full_pinyin_and_its_parts():
    for query in [
        "zgf",
        "zengguofan",
        "zengguo",
        "guofan",
        "曾",
        "国藩",
        "曾国藩",
        "ZengGuofan",
        " zeng guo fan ",
        "zeng国藩",
        "zeng'guofan",
    ]:
        assert finds(query, "曾国藩"), query


def test_zeng_guofan_is_not_found_by_the_dictionary_reading_ceng():
    assert not finds("cengguofan", "曾国藩")


def test_ouyang_xiu_is_found_by_full_pinyin_and_initials():
    assert finds("ouyangxiu", "欧阳修")
    assert finds("oyx", "欧阳修")


def test_a_uyghur_name_with_a_middle_dot_is_found_by_its_first_part():
    assert finds("买买提", "买买提·艾力")
    assert finds("maimaiti", "买买提·艾力")
    assert finds("aili", "买买提·艾力")
    assert finds("买买提•艾力", "买买提·艾力")


def test_a_polyphonic_given_name_is_found_by_its_other_readings():
    assert finds("wangzhaoyang", "王朝阳")
    assert finds("wangchaoyang", "王朝阳")
    assert finds("wcy", "王朝阳")


def test_heteronym_combinations_are_bounded():
    name = "张长乐行"  # three polyphonic given characters
    readings = [pinyin(c, style=Style.NORMAL, heteronym=True)[0] for c in name[1:]]
    every_full = {"zhang" + "".join(combo) for combo in product(*readings)}
    assert len(every_full) > 4
    indexed = every_full & search_tokens(name)
    assert "".join(name_pinyin(name)) in indexed
    assert len(indexed) <= 4


def test_tokens_are_chinese_characters_or_lowercase_ascii():
    for token in search_tokens("买买提·艾力") | search_tokens("曾国藩"):
        assert token.isascii() and token == token.lower() or all("\u4e00" <= c <= "\u9fff" for c in token)


def test_query_tokens_for_chinese_latin_and_empty_queries():
    assert query_tokens("曾") == ["曾"]
    assert query_tokens("国藩") == ["国藩"]
    assert query_tokens("曾国藩") == ["曾国", "国藩"]
    assert query_tokens("ZGF") == ["zgf"]
    assert query_tokens("zeng国藩") == ["zeng", "国藩"]
    assert query_tokens("") == []
    assert query_tokens(" \u3000 ") == []


def test_the_module_does_not_import_django():
    import tongzhan.core.names as names

    with open(names.__file__, encoding="utf-8") as f:
        source = f.read()
    assert "import django" not in source and "from django" not in source


# --- properties -------------------------------------------------------------


def _assert_found_by_its_parts(name):
    tokens = search_tokens(name)
    syllables = name_pinyin(name)
    full = "".join(syllables)
    surname, given_name = split_name(name)
    queries = [name[i : i + n] for n in (1, 2) for i in range(len(name) - n + 1)]
    queries += [name_initials(name), full, full[:3], "".join(syllables[len(surname) :])]
    for query in queries:
        assert set(query_tokens(query)) <= tokens, (name, query)


@settings(max_examples=300, deadline=None)
@given(common_names)
def test_a_common_name_is_found_by_its_substrings_initials_and_pinyin(name):
    _assert_found_by_its_parts(name)


@settings(max_examples=200, deadline=None)
@given(any_names)
def test_any_cjk_name_is_found_by_its_substrings_initials_and_pinyin(name):
    _assert_found_by_its_parts(name)
