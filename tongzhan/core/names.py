"""Chinese personal names: normalisation, pinyin, initials, sort keys, search tokens.

Pure Python (no Django).  Built on pypinyin, which (as of 0.55) has no surname
mode: ``lazy_pinyin("单")`` is ``dan`` and ``lazy_pinyin("曾国藩")`` starts with
``ceng``.  ``SURNAME_READINGS`` supplies the surname readings and is applied
only to the surname position of a Han name (not to transliterated minority
names written with a middle dot).

Search model: ``search_tokens(name)`` is stored at index time; a query matches
when every token of ``query_tokens(query)`` is among the stored tokens.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin, pinyin

DOT = "\u00b7"  # MIDDLE DOT, the canonical separator in minority names
# Variants seen in data entry.  Checked after NFKC, which already turns
# U+0387 into U+00B7, U+FF65 into U+30FB and U+FF0E (fullwidth full stop)
# into ".", so the ASCII full stop is treated as a separator too.
_DOT_VARIANTS = frozenset("\u00b7\u2022\u30fb\u2027\u2219\u22c5\u16eb.")

# Surname reading (toneless) where it differs from, or is easily confused
# with, pypinyin's default reading.  Readings follow 现代汉语词典 / 新华字典.
# Deliberately absent: 尉 alone is Wèi (yù only in 尉迟); 牟 as a surname is
# Móu (mù is the place name 牟平); 黑 is hēi in the dictionaries.
_READINGS_TABLE = (
    "曾:zeng 单:shan 区:ou 仇:qiu 解:xie 查:zha 朴:piao 盖:ge 缪:miao "
    "乐:yue 燕:yan 翟:zhai 种:chong 覃:qin 蕃:pi 员:yun 褚:chu 宓:mi "
    "繁:po 秘:bi 那:na 华:hua 任:ren 纪:ji 过:guo 沈:shen 贲:ben 召:shao "
    "牟:mou 冼:xian 柏:bai 薄:bo 卜:bu 藏:zang 隗:wei 郇:huan 句:gou "
    "阚:kan 殷:yin 葛:ge 重:chong 莘:shen 么:yao 长:chang 能:nai 折:she "
    "洗:xian 乜:nie 祭:zhai 都:du 粘:nian 蔚:yu 炅:gui "
    "长孙:zhangsun 澹台:tantai 令狐:linghu 尉迟:yuchi 万俟:moqi "
    "单于:chanyu 乐正:yuezheng"
)
SURNAME_READINGS: dict[str, str] = dict(pair.split(":") for pair in _READINGS_TABLE.split())

# Common two-character surnames.  A name starting with one of these is split
# after it only when at least one character is left for the given name.
# Note 单于: 单 + a given name starting with 于 is read as the compound.
_COMPOUND_TABLE = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 澹台 "
    "夏侯 轩辕 端木 百里 呼延 南宫 万俟 单于 闻人 东郭 西门 拓跋 独孤 司空 "
    "钟离 申屠 太史 赫连 左丘 第五 濮阳 淳于 宗政 公羊 公冶 仲孙 乐正 颛孙 "
    "巫马 漆雕 壤驷"
)
COMPOUND_SURNAMES: frozenset[str] = frozenset(_COMPOUND_TABLE.split())

MAX_COMBINATIONS = 4  # bound on heteronym variants of concatenated tokens

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{_HAN}]+")
# Han runs, or runs of other letters/digits (punctuation is a separator).
_RUN = re.compile(f"([{_HAN}]+)|((?:(?![{_HAN}])[^\\W_])+)")


def _is_han(ch: str) -> bool:
    return bool(_HAN_RUN.fullmatch(ch))


def _fold(s: str) -> str:
    """Lower-case, ü -> v (pypinyin's spelling), strip other diacritics
    (pypinyin gives 'ê' for a few characters)."""
    decomposed = unicodedata.normalize("NFKD", s.lower().replace("ü", "v"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_name(raw: str | None) -> str:
    """NFKC, dot variants -> U+00B7, all whitespace removed; nothing else."""
    s = unicodedata.normalize("NFKC", raw or "")
    s = "".join(DOT if c in _DOT_VARIANTS else c for c in s)
    return "".join(s.split())


def _split(norm: str) -> tuple[str, str, bool]:
    """(surname, given, dotted) of an already normalised name."""
    if DOT in norm:
        segments = [seg for seg in norm.split(DOT) if seg]
        if not segments:
            return "", "", True
        return segments[0], DOT.join(segments[1:]), True
    if not norm or not _is_han(norm[0]):
        return "", norm, False
    if len(norm) > 2 and norm[:2] in COMPOUND_SURNAMES:
        return norm[:2], norm[2:], False
    return norm[:1], norm[1:], False


def split_name(name: str) -> tuple[str, str]:
    """Split into (surname, given name).

    Compound surnames are recognised.  For a dotted (minority) name the first
    segment takes the surname position and the rest, dots kept, is the given
    part, so ``surname + "·" + given`` is the whole name.
    """
    surname, given, _ = _split(normalize_name(name))
    return surname, given


@functools.lru_cache(maxsize=65536)
def _units(text: str) -> tuple[tuple[str, str], ...]:
    """(syllable, source) pairs: one reading (in context) per Han character;
    other letter/digit runs pass through lower-cased as one item with an
    empty source; dots and punctuation are dropped.  Cached per text (a
    surname or a given name): an import of 100,000 rows repeats them."""
    out: list[tuple[str, str]] = []
    for m in _RUN.finditer(text):
        run = m.group(1)
        if run:
            readings = lazy_pinyin(run, style=Style.NORMAL)
            if len(readings) != len(run):  # defensive: keep 1 char = 1 item
                readings = [lazy_pinyin(c, style=Style.NORMAL)[0] for c in run]
            out.extend((_fold(r), c) for r, c in zip(readings, run, strict=True))
        else:
            out.append((_fold(m.group(2)), ""))
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def _readings(ch: str) -> tuple[str, ...]:
    """All readings pypinyin knows for one character, folded, deduplicated (cached per character)."""
    seen: dict[str, None] = {}
    for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
        seen[_fold(r)] = None
    return tuple(seen)


def _surname_syllables(surname: str) -> list[str]:
    """Surname syllables per SURNAME_READINGS (one per character)."""
    reading = SURNAME_READINGS[surname]
    if len(surname) == 1:
        return [reading]
    first, second = surname
    for r in _readings(first):
        if reading.startswith(r) and reading[len(r) :] in _readings(second):
            return [r, reading[len(r) :]]
    return [syl for syl, _ in _units(surname)]  # unsplittable entry: fall back


@functools.lru_cache(maxsize=4096)
def _segments(name: str) -> tuple[tuple[tuple[tuple[str, tuple[str, ...]], ...], ...], bool]:
    """Syllables grouped as [surname, given] (dotted names: one group per
    segment).  Each syllable comes with its alternatives for search: none for
    the surname of a Han name, pypinyin's heteronyms otherwise.  Cached (and
    so immutable): a bulk import asks for a name's sort key and its search
    tokens in turn."""
    norm = normalize_name(name)
    surname, given, dotted = _split(norm)

    def group(text: str, alternatives: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple(
            (syl, tuple(r for r in _readings(src) if r != syl) if alternatives and src else ())
            for syl, src in _units(text)
        )

    if dotted:
        return tuple(group(seg, True) for seg in norm.split(DOT) if seg), True
    if surname in SURNAME_READINGS:
        head = tuple((syl, ()) for syl in _surname_syllables(surname))
    else:
        head = group(surname, False)
    return (head, group(given, True)), False


def name_pinyin(name: str) -> list[str]:
    """Toneless lower-case pinyin, one syllable per Han character."""
    return [syl for seg in _segments(name)[0] for syl, _ in seg]


def name_initials(name: str) -> str:
    """First letter of each syllable: 曾国藩 -> 'zgf', 欧阳修 -> 'oyx'."""
    return "".join(s[0] for s in name_pinyin(name) if s)


def sort_key(name: str) -> str:
    """Concatenated pinyin followed by the name: 'zengguofan曾国藩'.

    Order with a bytewise ("C") collation; locale collations may ignore or
    reorder characters."""
    return "".join(name_pinyin(name)) + normalize_name(name)


def _combinations(options: list[list[str]], limit: int = MAX_COMBINATIONS) -> list[list[str]]:
    """The primary choice first, then single-position substitutions, at most
    ``limit`` in total.  ``options[i][0]`` is the primary choice at i."""
    primary = [opts[0] for opts in options]
    combos = [primary]
    for i, opts in enumerate(options):
        for alt in opts[1:]:
            if len(combos) >= limit:
                return combos
            combos.append(primary[:i] + [alt] + primary[i + 1 :])
    return combos


def _with_prefixes(tokens: set[str], s: str) -> None:
    tokens.update(s[:i] for i in range(1, len(s) + 1))


def _han_ngrams(text: str) -> list[str]:
    """Single characters and bigrams within each Han run of ``text``."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def search_tokens(name: str) -> set[str]:
    """Index-side tokens for a name (see module docstring)."""
    norm = normalize_name(name)
    if not norm:
        return set()
    flat = norm.replace(DOT, "")
    tokens: set[str] = set(_han_ngrams(flat))

    segments, dotted = _segments(norm)
    options: list[list[str]] = []  # per syllable: primary reading first
    bounds: list[tuple[int, int]] = []  # syllable range of each group
    for seg in segments:
        start = len(options)
        options.extend([syl, *alts] for syl, alts in seg if syl)
        bounds.append((start, len(options)))
    if not options:
        return tokens

    for opts in options:
        tokens.update(opts)
    head_end = bounds[0][1]
    for combo in _combinations(options):
        _with_prefixes(tokens, "".join(combo))
        tokens.add("".join(combo[:head_end]))
        _with_prefixes(tokens, "".join(combo[head_end:]))
        if dotted:
            for start, end in bounds[1:]:
                _with_prefixes(tokens, "".join(combo[start:end]))
    initial_options = [list(dict.fromkeys(r[0] for r in opts)) for opts in options]
    for combo in _combinations(initial_options):
        _with_prefixes(tokens, "".join(combo))
    tokens.discard("")
    return tokens


def query_tokens(query: str) -> list[str]:
    """Query-side tokens: a lone Han character, Han bigrams, or lower-cased
    Latin/digit runs (matched against pinyin and initial prefixes)."""
    q = normalize_name(query).replace(DOT, "")
    out: list[str] = []
    for m in _RUN.finditer(q):
        run = m.group(1)
        if run:
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            out.append(_fold(m.group(2)))
    return list(dict.fromkeys(out))
