"""Theme items: problems, mechanisms, carriers and measures, each with its evidence.

``extract_items(sentences, tokens, codebook, tags)`` runs the rules the codebook lists (``rules:``) on each
document and returns one row per item: the document, the theme, a short normalised phrase (``item``) and its
canonical name, the evidence sentence with its offsets into the clean text, the section it stands in, the rule
that found it (``method``) and, once the classifier has scored it, ``score``.

Each rule is a small function registered by name with :func:`rule`; it receives a :class:`Document` and
yields item rows.  The registered rules:

- ``problem_passage``: the clauses of a passage that admits problems ("我们也清醒看到…：…；…。");
- ``enum``: an enumerated item (一是…, 1、…, （一）…) of a section whose heading carries a theme's cue
  (method ``enum_section``) or whose lead says its theme itself (``enum_content``);
- ``pattern``: a codebook regular expression ("缺人才，社区服务难组织");
- ``noun_phrase``: a noun phrase ending in a theme's suffix (…机制, …平台), read off the jieba tokens;
- ``admission``: an admission standing anywhere in a sentence that concedes;
- ``model``: a sentence the classifier is sure of that no rule coded (:func:`add_model_items`).

When two rules find the same item in a sentence, the one earlier in the codebook's ``rules:`` wins; an item that
fits several themes takes the first in the codebook's precedence (problem > mechanism > carrier > measure):
"互动机制有待完善" is a problem, not a mechanism.  Within a document an item appears once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from ..text import ENUM_WORD, FIRST_MARKER, norm
from .codebook import Codebook

CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")
ITEM_COLUMNS = [
    "doc_id",
    "theme",
    "item",
    "canonical",
    "method",
    "score",
    "evidence",
    "start",
    "end",
    "item_start",
    "item_end",
    "sent_id",
    "section_path",
    "action",
    "object",
    "target",
    "repeat",
]


# --------------------------------------------------------------------------- POS from the dictionary


@lru_cache(maxsize=2)
def dictionary_pos(lexicon: str) -> dict[str, str]:
    """word → POS tag from jieba's dictionary and the user dictionary.

    Noun phrases are read off the tokens with these tags: a dictionary lookup
    is what jieba.posseg does for dictionary words, without its slow HMM
    pass for the rest (unknown words count as nouns here)."""
    from ..segment.tokens import read_lexicon

    tags = dict(_jieba_dictionary()[0])
    for word, _, pos in read_lexicon(Path(lexicon)):
        tags[word] = pos or "n"
    return tags


@lru_cache(maxsize=1)
def _jieba_dictionary() -> tuple[dict[str, str], dict[str, tuple[int, str]], frozenset[str]]:
    """jieba's dictionary, read once per process for all the rules ask of it (a third of a second, in each worker):
    every word's tag, the two-character words with their frequency and tag, and the three-character nouns."""
    import jieba

    tags: dict[str, str] = {}
    two: dict[str, tuple[int, str]] = {}
    three_nouns = set()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            word, tag = parts[0], parts[2]
            tags[word] = tag
            if len(word) == 2:
                two[word] = (int(parts[1]), tag)
            elif len(word) == 3 and tag == "n":
                three_nouns.add(word)
    return tags, two, frozenset(three_nouns)


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=512)
def _any_of(words: tuple[str, ...]) -> re.Pattern | None:
    """One regular expression for a word list: a single scan of the text instead of one per word."""
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))) if words else None


_PER_LIST: dict[tuple[int, str], tuple[object, object]] = {}


def _per_list(words, fn):
    """``fn(tuple(words))``, kept per list object: the codebook's word lists are asked at every clause, and making
    one a cache key each time (a tuple, hashed word by word) costs more than the answer. The list is held with the
    value, so its id is never taken by another; a list built for one call must be passed as a tuple."""
    if not isinstance(words, list):  # a tuple (maybe built for this call): the function's own cache, if any
        return fn(tuple(words))
    key = (id(words), fn.__name__)
    hit = _PER_LIST.get(key)
    if hit is not None and hit[0] is words:
        return hit[1]
    value = fn(tuple(words))
    _PER_LIST[key] = (words, value)
    return value


def _has_any(text: str, words) -> bool:
    rx = _per_list(words, _any_of)
    return rx is not None and rx.search(text) is not None


@lru_cache(maxsize=512)
def _by_first_char(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The words of a (non-empty-word) list grouped by their first character, longest first."""
    out: dict[str, list[str]] = {}
    for w in sorted(words, key=len, reverse=True):
        out.setdefault(w[0], []).append(w)
    return {c: tuple(ws) for c, ws in out.items()}


def _words_at(text: str, i: int, words) -> list[str]:
    """The words of ``words`` that stand at ``text[i]``, longest first."""
    if i >= len(text):
        return []
    return [w for w in _per_list(words, _by_first_char).get(text[i], ()) if text.startswith(w, i)]


def _longest_at(text: str, i: int, words) -> str | None:
    found = _words_at(text, i, words)
    return found[0] if found else None


def _longest_in(text: str, i: int, table: dict[str, tuple[str, ...]]) -> str | None:
    """:func:`_longest_at` with the words already grouped by :func:`_by_first_char`: a long word list asked at
    every offset of a clause is not turned into a cache key at each."""
    return next((w for w in table.get(text[i : i + 1], ()) if text.startswith(w, i)), None)


def section_theme(path, codebook: Codebook) -> str | None:
    """The theme of the innermost heading (of ``path``) that carries a heading cue."""
    for heading in reversed(list(path)):
        theme = _heading_theme(heading, codebook)
        if theme is not None:
            return theme
    return None


@lru_cache(maxsize=4096)  # a document has a few dozen headings, and every sentence under them asks again
def _heading_theme(heading: str, codebook: Codebook) -> str | None:
    """The first theme (in precedence) whose heading cue ``heading`` carries, not after one of its remedies."""
    for name in codebook.precedence:
        t = codebook.themes[name]
        if _has_any(heading, t.heading_cues) and not _has_any(heading, t.heading_remedies):
            return name
    return None


def content_theme(phrase: str, codebook: Codebook) -> str | None:
    """A theme the phrase itself states: an admission (problem cue words) or a suffix it ends in."""
    for name in codebook.precedence:
        t = codebook.themes[name]
        if name == "problem" and _has_any(phrase, t.cue_words):
            return name
        if t.suffixes and phrase.endswith(tuple(t.suffixes)):
            return name
    return None


def is_section_title(lead: str, codebook: Codebook) -> bool:
    """A numbered heading that names a theme itself ("一、当前…遇到的困难", "二、建议和对策"),
    or whose phrase is generic once its verb is gone ("（三）建立工作机制"): a section title, not an item."""
    for t in codebook.themes.values():
        if _has_any(lead, t.section_words):
            return True
        if t.suffixes and lead.endswith(tuple(t.suffixes)) and codebook.phrases.lead_verbs.sub("", lead) in t.generic:
            return True
    return False


def is_admission(clause: str, codebook: Codebook) -> bool:
    t = codebook.themes.get("problem")
    return bool(t and _has_any(clause, t.cue_words))


@lru_cache(maxsize=16_384)  # called twice per item, and the same phrases recur across a document's rules
def _strip_quotes(s: str) -> str:
    """Drop quote marks and brackets at the ends unless they pair with one inside."""
    pairs = {"“": "”", "（": "）", "(": ")", "《": "》"}
    changed = True
    while changed and s:
        changed = False
        for o, c in pairs.items():
            if s.endswith(c) and o not in s:
                s, changed = s[:-1], True
            if s.startswith(o) and c not in s:
                s, changed = s[1:], True
        if s and s[0] in "”）)》":
            s, changed = s[1:], True
        if s and s[-1] in "“（(《":
            s, changed = s[:-1], True
    return s


# what opens a clause, never a name: a conjunction or preposition, an area or amount (3.02万亩森林可持续经营试点)
NAME_OPENER = re.compile(
    r"^(?:[和与及并同]|[\d.]+[万亿千百]?(?:亩|公顷|平方公里|公里|千米|个|家|项|所|座|条|批|处))(?=[\u4e00-\u9fff“])"
)
LIST_CLOSE = re.compile(r"[，,]?等等$")
# verbs that never modify a generic head like an adjective (创新工作机制 is a kind; 建立长效机制 names none)
PLAIN_VERBS = frozenset(
    {"建立", "健全", "完善", "落实", "重塑", "构建", "推行", "实行", "执行", "形成", "深化", "建立健全", "打造", "搭建"}
)
LEADING_COUNT = re.compile(r"^\d+(?:\.\d+)?[个家项所座批处条](?=[\u4e00-\u9fff“])")
TOTAL_AFTER = re.compile(r"[、，,](?:累计|总计|共计)[^、，,]{1,14}$")
# a ranking claimed after an action's quantity (…12万亩、历年最多; …、居全省第一)
RANK_AFTER = re.compile(
    r"[、，,](?:居|位居|创)?(?:全国|全省|全市|全区|全州|历年|历史|同类城市)[\u4e00-\u9fff]{0,4}?"
    r"(?:最多|最高|最大|最好|最快|第[一二三]|首位|前列|之最|新高)$"
)


@lru_cache(maxsize=16_384)  # several rules find the same phrase in a sentence, and phrases recur across a document
def normalise_item(phrase: str, theme: str, codebook: Codebook) -> str:
    """Trim an item to its phrase: markers, punctuation, and for mechanisms and
    carriers the leading verb ("建立工作例会制度" → "工作例会制度") unless that
    leaves a generic phrase ("创新工作机制" stays, "工作机制" says nothing)."""
    generic = codebook.themes[theme].generic
    conj, verbs = codebook.phrases.lead_conjunctions, codebook.phrases.lead_verbs
    s = _strip_quotes(phrase.strip(" \t　，,。；;：:、\"'"))
    marker = ENUM_LEAD.match(s)  # 一是…, （三）…: list markers are never part of an item
    s = s[marker.end() :] if marker and len(s) - marker.end() >= 2 else s
    s = conj.sub("", s) if len(conj.sub("", s)) >= 4 else s
    if theme == "measure":
        s = FOOTNOTE.sub("", s)  # 实施“酒城人才聚集行动”[9]: a footnote marker is no part of the item (protocol B9)
        s = RANK_AFTER.sub("", s)  # 改造老旧小区1053万平方米、全省最多: the ranking is a claim, not the action
        s = TOTAL_AFTER.sub("", s)  # 新建高标准农田42.3万亩、累计达399万亩: the running total is a statistic
    if theme == "problem":
        s = LIST_CLOSE.sub("", s)  # …干事创业的精气神不足等等: 等等 closes the list, it is no part of the item
    if theme in ("mechanism", "carrier"):
        s = NAME_OPENER.sub("", s) if len(NAME_OPENER.sub("", s)) >= 4 else s  # 与省产业技术研究院, 3.02万亩…试点
        for _ in range(2):  # 迭代升级…, 升级推出…: a chain of verbs
            stripped = verbs.sub("", s)
            # not 执行者行动 → 者行动; 建立健全长效机制 → 长效机制, which says nothing (an item of no name is dropped)
            if (
                len(stripped) >= 3
                and not (
                    stripped.startswith(("者", "员")) or _opens_a_noun(s[: len(s) - len(stripped)], stripped, codebook)
                )
                and (stripped not in generic or s[: len(s) - len(stripped)] in PLAIN_VERBS)
            ):
                s = stripped
                if s.startswith("了") and len(s) > 4:
                    s = s[1:]  # 建立了|社区党建协调委员会: the verb's particle goes with it
        # 市“551”计划, 建立完善|市“三级三类”规划体系: who runs a quoted name is no part of it (once the verb is off)
        s = OWNER_BEFORE_QUOTE.sub("", s)
        if theme == "mechanism":
            s = PLACE_BEFORE_QUOTE.sub("", s)  # the gazetteer's places: Document.item (PLACE_QUOTE)
        stripped = NOUN_DESCRIPTORS.sub("", s)  # 新一轮, 一批, 全省首个: not part of a name (protocol B8)
        if len(stripped) >= 3 and stripped not in generic:
            s = stripped
        counted = LEADING_COUNT.sub("", s)  # 首批25个城中村现代化治理试点: the count is no part of the name (B8)
        s = counted if len(counted) >= 4 else s
    return _strip_quotes(s.strip(" ，,。；;：:、"))


def _opens_a_noun(verb: str, rest: str, codebook: Codebook) -> bool:
    """``verb`` + the first character of ``rest`` make one noun of the dictionary (供应链, 执行者, 推广员), unless
    that character starts a word with the next one (建设|人力资源…, 建设|区域…): then the verb is no verb (B1)."""
    if "measure" not in codebook.themes or not rest:
        return False
    nouns, pairs = _verb_nouns(codebook)
    return verb[-2:] + rest[0] in nouns and rest[:2] not in pairs


def _clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, offsets within text."""
    out, start = [], 0
    for m in CLAUSE_SPLIT.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


# --------------------------------------------------------------------------- rules


# a token that is a number (with its measure word), not a name that starts with a numeral character (六枝)
NUMERAL = re.compile(r"[\d.０-９一二三四五六七八九十百千万亿两几第首多半]+[个家项所座条批年期轮次级大名位户亩倍]?")
ZONE_HEADS = ("开发区", "高新区", "经开区", "园区", "产业园", "综保区", "自贸区", "保税区")
# a word of a name: Chinese characters, Latin letters, digits (compiled once: tested token by token)
NAME_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
HAN = re.compile(r"[\u4e00-\u9fff]")
DURATION = re.compile(r"[一二三四五六七八九十两\d]+年")


def _nominal(w: str, tags: dict[str, str], phrases) -> bool:
    return bool(NAME_WORD.fullmatch(w)) and w not in phrases.stop_words and tags.get(w, "n") in phrases.nominal_pos


def _noun_phrases(
    tokens: list[tuple[str, int, int]],
    suffixes: tuple[str, ...],
    tags: dict[str, str],
    phrases,
    max_tokens: int = 7,
    max_chars: int = 18,
):
    """(start, end) of noun phrases ending in a suffix: the suffix token, or a token
    ending with it, extended leftwards over nominal tokens."""
    last = _last_chars(suffixes)
    for k, (_, _, b) in enumerate(tokens):
        head = _head(tokens, k, suffixes, last)
        if head is None:
            continue
        start, j = head
        head_start = start
        start, j = _extend_left(tokens, k, start, j, tags, phrases, max_tokens, max_chars)
        # two single characters the tokenizer split belong together (中|柬（北海）产业园)
        first = next((t for t in tokens[j + 1 : k + 1] if t[1] == start), None)
        if (
            j >= 0
            and first is not None
            and len(first[0]) == 1
            and len(tokens[j][0]) == 1
            and tokens[j][2] == start
            and HAN.fullmatch(tokens[j][0])
            and tokens[j][0] not in phrases.stop_words
            and tags.get(tokens[j][0], "n") not in ("p", "c", "u", "uj", "d", "r", "m", "q", "v")
        ):
            start = tokens[j][1]
        # a phrase does not open on a lone verb or adjective character ("优|做强|制造业主平台")
        for w, wa, wb in tokens[j + 1 : k]:  # (never inside the head: 教|联体 is one name, 教联体)
            if (
                wa == start < head_start
                and len(w) == 1
                and tags.get(w, "n") not in ("n", "ng", "j", "nz", "ns", "nr", "zg")
            ):
                start = wb
        # a quoted name keeps its quotes: “碳达峰十大行动”
        yield _quoted(tokens, start, b)


def _extend_left(tokens, k: int, start: int, j: int, tags, phrases, max_tokens: int, max_chars: int):
    """(start, index of the first token left of it) once a phrase ending with token ``k`` is extended leftwards
    over nominal tokens, bracketed insertions, quoted parts, durations and dashes between place names."""
    b = tokens[k][2]
    while j >= 0 and k - j <= max_tokens:
        w, wa, wb = tokens[j]
        if w == "—" and wb == start and j > 0 and tokens[j - 1][2] == wa and _nominal(tokens[j - 1][0], tags, phrases):
            start, j = wa, j - 1  # 北京—银海协同创新中心: a dash between two names of places
            continue
        if (
            w in ("和", "与", "及")
            and wb == start
            and j > 0
            and tokens[j - 1][2] == wa
            and _nominal(tokens[j - 1][0], tags, phrases)
            and tags.get(tokens[j - 1][0], "n") in ("n", "nz", "ns", "nt", "nr", "vn", "j", "ng", "l")  # not 对外开放
            and not tokens[j - 1][0].endswith(NAME_HEADS)  # 合作模式和利益联结机制: two names
            and tokens[j - 1][0] not in ADMIN_UNITS  # 乡镇和太平经开区: the units and the zone, not one name
            # a name's rank opens it (…对外开放和|国家级加工贸易产业园): after the conjunction a name begins
            and not RANK_START.match("".join(t[0] for t in tokens[j + 1 : j + 3]))
            and b - tokens[j - 1][1] <= max_chars
        ):
            # 能耗和碳排放双控制度, 政府和社会资本合作新机制: modifiers share the head
            start, j = tokens[j - 1][1], j - 2
            continue
        if wb == start and DURATION.fullmatch(w):
            start, j = wa, j - 1  # a programme's duration belongs to its name: …产业地标三年行动
            continue
        if wb == start and w.endswith(ZONE_HEADS) and tags.get(w, "n") != "v":
            break  # a zone names where the facility stands (水城经开区|煤炭储配中心): not part of its name
        if w == "”" and wb == start:  # a quoted part belongs to the name: 招商引资“一把手”工程
            o = next((i for i in range(j - 1, max(-1, j - 8), -1) if tokens[i][0] in "“”，,；;。：:、（）()"), None)
            if o is None or tokens[o][0] != "“":
                break
            start, j = tokens[o][1], o - 1
            continue
        if w in "）)" and wb == start:  # a bracketed insertion belongs to the name: 长三角（东台）康养基地
            o = next((i for i in range(j - 1, max(-1, j - 5), -1) if tokens[i][0] in "（("), None)
            if (
                o is not None
                and o > 0
                and tokens[o - 1][2] == tokens[o][1]
                and tags.get(tokens[o - 1][0], "n") in phrases.nominal_pos
                and tokens[o - 1][0] not in phrases.stop_words
            ):
                start, j = tokens[o - 1][1], o - 2
                continue
            break
        if (
            w == "建设"
            and wb == start
            and tokens[k][0].endswith(PILOT_HEADS)
            and j > 0
            and tokens[j - 1][2] == wa
            and _nominal(tokens[j - 1][0], tags, phrases)
        ):
            start, j = wa, j - 1  # 县城新型城镇化建设试点: the work a pilot (PILOT_HEADS) is named by (§10.52)
            continue
        if wb != start or w in phrases.stop_words or not NAME_WORD.fullmatch(w) or ENUM_WORD.fullmatch(w):
            break
        if (
            tags.get(w, "n") not in phrases.nominal_pos
            and w not in ERA_WORDS
            and not (len(w) == 1 and tags.get(w) in ("zg", "q"))
            and not (tags.get(w) == "m" and not NUMERAL.fullmatch(w))  # 六枝 is a place, 三年 a numeral
        ):
            break  # function words, numerals, adverbs end the phrase (级 and one-character names do not)
        if b - wa > max_chars:
            break
        start = wa
        j -= 1
    return start, j


# parks and zones: a carrier only with a name of its own (protocol §10.22); the tags of words that make one
PARK_HEADS = ("园区", "开发区", "高新区", "经开区", "自贸区")
PROPER_TAGS = frozenset(("ns", "nr", "nz", "nt", "nrt", "nrfg", "eng", "j"))
PLACE_WORD = re.compile(r"(?![省市县区乡镇村]+$)[\u4e00-\u9fff]{1,3}[城州县镇乡山江河湖港湾岛]")
ADMIN_UNITS = frozenset(("乡镇", "街道", "村", "社区", "县", "区", "市", "镇", "乡", "县区", "县市区", "村居", "园区"))
# time words that modify a name as adjectives do (国家现代农业产业科技创新中心, 国家未来产业先导区)
ERA_WORDS = frozenset(("现代", "当代", "未来"))
# a name followed by what happened to it (…监测平台上线运行, …产业园开园): the name does not modify the next word
DONE_TO_IT = frozenset(
    ("上线", "运行", "建成", "投用", "启用", "开园", "获批", "揭牌", "落地", "投运", "开工", "签约", "挂牌")
    # what is said of it: recognised, listed, awarded (“智慧救助”模式|得到国务院高度肯定, …模式|获中央农办…刊发)
    + ("得到", "获", "获得", "荣获", "获评", "入选", "入围", "受到", "列入", "写入", "被")
)


# a word ending in one of these names a thing of its own: 和 after it joins two names, not two modifiers
NAME_HEADS = (
    *(
        "机制",
        "制度",
        "体制",
        "模式",
        "体系",
        "制",
        "平台",
        "中心",
        "工作",
        "基地",
        "园区",
        "工程",
        "行动",
        "计划",
        "试点",
    ),
    *("集团", "医共体", "联合体", "联盟", "走廊", "生活圈", "飞地", "驿站", "品牌", "教育", "试验区", "示范区"),
)


def _head(tokens, k: int, suffixes, last: frozenset[str] | None = None) -> tuple[int, int] | None:
    """(start, index of the token before it) of the suffix ending with token ``k``: the token itself, or a
    suffix of two tokens (试点|城市, 攻坚|年); None when no suffix ends there.  ``last``: the last characters of
    the suffixes (:func:`_last_chars`), a quick refusal of most tokens."""
    tok, a, _ = tokens[k]
    if last is not None and tok[-1:] not in last:
        return None
    if tok.endswith(suffixes):
        return a, k - 1
    if k > 0 and tokens[k - 1][2] == a:
        both = tokens[k - 1][0] + tok
        if both.endswith(suffixes) and any(both[-n:] in _set_of(suffixes) for n in range(len(tok) + 1, len(both) + 1)):
            return tokens[k - 1][1], k - 2
    return None


# a key laboratory named by its field (生物活性分子研究与评价重点实验室, 稀土全国重点实验室, 曜灵时代省重点实验室):
# a name of its own before the rank; the rank alone (省重点实验室, 全国重点实验室) or a kind (学科重点实验室) names a
# category, and one built by someone (企业建设重点实验室) is a clause (protocol §10.22, §10.70)
NAMED_LAB = re.compile(
    r"(?!(?:全国|全省|全市|国家级?|省级?|市级?|自治区级?|部级?|省部级|[省市国家]级以上|学科|企业|高校|"
    r"[一-龥]{2}首[个家]|首[个家批])?(?:全国|国家|省级?|市级?|自治区)?重点实验室$)"
    r"(?!.*建设)[一-龥“”（）()A-Za-z0-9]{2,}?(?:全国|国家|省级?|市级?|自治区)?重点实验室"
)


@lru_cache(maxsize=64)
def _long_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words of five characters or more (a generic phrase an item may not end with)."""
    return tuple(w for w in words if len(w) >= 5 and not w.endswith("委员会"))  # a named committee is no generic


@lru_cache(maxsize=64)
def _last_chars(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w[-1] for w in words if w)


@lru_cache(maxsize=64)
def _set_of(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


def _quoted(tokens, start: int, b: int) -> tuple[int, int]:
    """A quoted name keeps its quotes (“碳达峰十大行动”); a head that closes a quotation takes the whole
    quoted name (“开发区建设攻坚年”, not 攻坚年)."""
    before = next((t for t in tokens if t[2] == start), None)
    after = next((t for t in tokens if t[1] == b), None)
    if before and after and before[0] == "“" and after[0] == "”":
        return before[1], after[2]
    if before and before[0] == "”":  # a quoted name before the head: “抚务周到”营商环境品牌
        inside = [t for t in tokens if t[2] <= before[1] and t[1] >= before[1] - 15]
        opening = next((t for t in reversed(inside) if t[0] in "“”，,；;。：:、"), None)
        if opening is not None and opening[0] == "“":
            return opening[1], b
    if after and after[0] == "”":
        inside = [t for t in tokens if t[2] <= start and t[1] >= start - 15]
        opening = next((t for t in reversed(inside) if t[0] in "“”，,；;。：:"), None)
        if opening is not None and opening[0] == "“":
            return opening[1], after[2]
    return start, b


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Rule:
    """A named extraction rule: ``func(document)`` yields item rows; ``methods`` are the
    ``method`` values its items carry, in the order the rule prefers them."""

    name: str
    methods: tuple[str, ...]
    func: Callable[[Document], Iterator[dict]] | None
    doc: str


RULES: dict[str, Rule] = {}


def rule(name: str, methods: tuple[str, ...] | None = None):
    """Register a rule under ``name`` (the codebook's ``rules:`` lists it to switch it on)."""

    def register(func):
        RULES[name] = Rule(name, methods or (name,), func, (func.__doc__ or "").strip() if func else "")
        return func

    return register


def default_rules() -> list[str]:
    """Every registered rule, in the order of registration (a codebook without ``rules:``)."""
    return list(RULES)


def method_rank(codebook: Codebook) -> dict[str, int]:
    """method → rank, from the codebook's order of rules: where two rules find the same item, the lower wins."""
    methods = [m for r in codebook.rules for m in RULES[r].methods]
    methods += [m for r in RULES.values() for m in r.methods if m not in methods]
    return {m: k for k, m in enumerate(methods)}


def _rows(df) -> list:
    """The rows of a table as named tuples (what ``itertuples`` gives, read column by column: much faster on
    Arrow-backed columns)."""
    from collections import namedtuple

    row = namedtuple("Row", ["Index", *df.columns], rename=True)  # type: ignore[misc]
    return [row(*v) for v in zip(df.index.tolist(), *(df[c].tolist() for c in df.columns), strict=True)]


# an evaluative modifier says how good an arrangement is, not what it is (protocol §10.9): not part of its name
EVALUATIVE = re.compile(
    r"(?:且|并|又)?(?:更加|更|比较|较为|十分|一套)?(?:行之有效|有效|完善|健全|必要|良好|科学|规范|合理|长效|有力|切实可行|最严格|严格|"
    r"可行|有利于[^的，。；“”]{0,12}|更有利于[^的，。；“”]{0,12})的"
)

# modifiers that praise or size a thing without naming it (实际行动, 广阔平台, 更高能级大平台, 综合性平台)
# a size or a landmark claimed before a name is a descriptor (protocol B8): 百亿元以上产业集群工业互联网平台,
# 地标性数字电影产业园, 示范性长者幸福食堂
SIZE_OR_LANDMARK = re.compile(r"(?:地标性|标志性|示范性|[\d百千万亿]+(?:亿|万)?元?(?:以上|级))(?=[\u4e00-\u9fff“])")
GENERIC_MODIFIER = re.compile(
    r"^(?:实际|广阔|更广阔|重要|有力|坚强|更高能级|高能级|高水平|高层次|高品质|高标准|一流|更大|更多|更好|全新|新型|"
    r"综合性|多元|多层次|多元化|各类|各种|一批|更高|大型|小型|专业化|特色|优质|重大|重点|国家级|省级|市级|县级|"
    r"省级以上|市级以上|国家级以上|全省重要|全国重要|重要)+的?大?"
)

# verbs that never stand inside a carrier's or mechanism's name: what follows them is the name
INNER_ACTION = re.compile(r"(?:开展|探索|争创|联建|鼓励|引导|承担|承办|牵头|申报|申建|用足|打响)的?")
DESCRIBED = re.compile(r"[的、]")


def _excluded_head(phrase: str, theme) -> bool:
    """``phrase`` ends in one of the theme's excluded heads (a venue, a building, a statutory body) and in none of its
    suffixes that is longer: the longest head decides (保税物流中心, a bonded zone, is a carrier; 物流中心 is not)."""
    heads = _per_list(theme.excluded_heads, tuple)
    if not phrase.endswith(heads):
        return False
    excluded = [h for h in heads if phrase.endswith(h)]
    longest = max(map(len, excluded))
    return not any(phrase.endswith(x) and len(x) > longest for x in theme.suffixes)


def _after_inner_action(name: str) -> str:
    """A carrier's or mechanism's name without who does what before it (岑巩县开展义务教育教学改革试点 →
    义务教育教学改革试点; 国务院部署开展的安全生产治本攻坚三年行动 → 安全生产治本攻坚三年行动); a verb inside
    quotes is part of a quoted name (“三社联建”)."""
    inner = None
    for m in INNER_ACTION.finditer(name):
        before = name[: m.start()]
        if len(name) - m.end() >= 4 and before.count("“") == before.count("”"):
            inner = m
    if inner is None or name[inner.end()] in "和及与、" or DESCRIBED.search(name[inner.end() :]):
        return name  # 鼓励创新、宽容失败的制度机制: the verb belongs to a description of the name
    return name[inner.end() :]


# what a construction work is built on or does (…水库增容工程, …航道整治工程, …城际架梁工程), not a programme's aim
WORKS = re.compile(
    r"水库|河道?|湖|渠|航道|港|码头|高速|铁路|城际|公路|国道|省道|大桥|桥|隧道|管网|路网|管廊|枢纽|机场|电站|水厂|堤|闸|"
    r"泵站|线路|干线|支线|附属|[一二三四]期|扩建|改建|增容|扩容|架梁|通航|水土保持|连通|廊道|"
    r"饮水|灌区|互通|贯通|棚改|[东南西北]延|延伸|站网|复流|水资源配置|安防|"  # protocol §10.62
    r"高铁|号线|控制性"  # §10.69
)

# a role a city aims at (打造中国北方清洁能源中心, 打造成为面向东盟的国际科技创新中心): a wide scope, a hub-like head
POSITION_VERB = re.compile(r"(?:打造|建成|建设|成为|争当|跻身|定位为|当好|构建)[^，。；：]{0,14}$")
WORLD_CLASS = re.compile(
    r"^(?:世界级|世界一流|国际一流|全球一流|国际领先|全球领先|全国一流|国内一流|全国领先|国内领先)的?"
)
POSITION_SCOPE = re.compile(
    r"^(?:全国|中国|国际|全球|世界|区域|全省|全区|省域|[东西南北中]部|东北|西北|西南|东南|华东|华南|"
    r"华北|华中|长三角|粤港澳|成渝|京津冀|长江|黄河|沿海|沿边|北方|南方|[\u4e00-\u9fff]{2}地区)"
)
HONOUR = re.compile(r"^(?:全国|全省|省级|市级)?(?:模范|先进|优秀|标兵|最美)")
RANK_CLAIMED = re.compile(r"(?:重要|重要影响力|影响力)的[\u4e00-\u9fff]?$")
POSITION_HEADS = ("中心", "高地", "枢纽", "门户", "目的地", "之都", "名城", "集散地", "桥头堡", "增长极", "生产基地")


def _positioning(text: str, a: int, at: int, name: str) -> bool:
    """``name`` (found at ``text[at:]``, in a phrase that began at ``a``) is a role the city means to play, after
    打造/建成/成为…, not a named carrier."""
    bare = re.sub(r"^面向[^，。；]{1,10}的", "", re.sub(r"[“”]", "", name))
    if re.match(r"^(?:全国|全省|区域|国内)?重要的", bare) or RANK_CLAIMED.search(text, max(0, at - 12), max(0, at)):
        return True  # 全省重要的智能装备产业基地, 国内重要的新型盐化工产业基地: a rank claimed, in whatever sentence
    return POSITION_VERB.search(text, max(0, a - 20), a) is not None and (
        (bare.endswith(POSITION_HEADS) and POSITION_SCOPE.match(bare) is not None)
        or WORLD_CLASS.match(bare) is not None  # 打造世界级碳纤维产业基地: a world rank claimed, whatever the head
    )


def _carrier_in_context(text: str, i: int, phrase: str) -> str | None:
    """A carrier's name read with what stands around it (at ``text[i:]``): None for a name the city means to prevent
    or one inside an award's title; a pilot city keeps its 城市 (protocol §10.55)."""
    if phrase.startswith("“") and AVOIDED.search(CLAUSE_SPLIT.split(text[:i])[-1]):
        return None  # 防范“新形象工程”, 杜绝搞“三个工程”: what the city means to prevent
    if phrase.endswith("中心") and text.startswith(("村", "镇", "校", "城"), i + len(phrase)):
        # 美丽乡村省级中心村: 中心村 is a village, no centre (protocol B1); 国家中心城市, 鲁南苏北区域中心城市: 中心城市
        # is a role the city plays (§10.69)
        return None
    if AWARD_AFTER.match(text, i + len(phrase)):
        return None  # “五个一工程”优秀作品奖: part of an award's title (§10.8)
    if phrase.endswith("试点") and (tail := PILOT_TAIL.match(text, i + len(phrase))):
        phrase += tail.group(1)  # 国家知识产权强市建设试点城市: a pilot city is named with 城市 (§10.23)
    return phrase


class Document:
    """One document's sentences and tokens, with what several rules need to know about them:
    which sentences stand in a problem passage, and which the enumeration rule has coded."""

    genre: str | None = None  # the document's genre, when known
    places: AbstractSet[str] = frozenset()  # the gazetteer's place names (:func:`pipeline.ingest.places.place_words`)

    def __init__(
        self, doc_id: str, sentences, tokens: list[tuple[int, str, int, int]], codebook: Codebook, tags: dict[str, str]
    ):
        self.doc_id, self.codebook, self.tags = doc_id, codebook, tags
        self.rows = _rows(sentences.sort_values("sent_id"))
        self.tokens: dict[int, list[tuple[str, int, int]]] = {}
        # a sentence's tokens come in one run: taken run by run, their columns converted by zip and map rather
        # than token by token (a document has tens of thousands)
        for sid, run in groupby(tokens, key=itemgetter(0)):
            _, words, starts, ends = zip(*run, strict=True)
            self.tokens.setdefault(int(sid), []).extend(zip(words, map(int, starts), map(int, ends), strict=True))
        self.problem = codebook.themes.get("problem")

    def _names_itself(self, r, at: int, phrase: str) -> bool:
        """Whether ``phrase`` (at ``r.text[at:]``) holds a name of its own before its head: a place or another
        proper name (a word the dictionary tags ns, nr, nz, nt or does not know), Latin letters or digits, or a
        quoted part (夷陵经济开发区, 中科创源人工智能产业园, “飞地”园区), not only words for kinds (绿色工业园区)."""
        if at < 0 or "“" in phrase or re.search(r"[A-Za-z0-9０-９]", phrase):
            return True
        lo, hi = int(r.start) + at, int(r.start) + at + len(phrase)
        head = max((h for h in PARK_HEADS if phrase.endswith(h)), key=len, default="")
        before = phrase[: len(phrase) - len(head)]
        if any(before[i : i + n] in self.places for n in (2, 3, 4) for i in range(len(before) - n + 1)):
            return True  # 合肥经开区, 天柱工业园区: a place of the gazetteer
        words = [w for w, wa, wb in self.tokens.get(int(r.sent_id), []) if lo <= wa < hi - len(head) and wb <= hi]
        return any(
            self.tags.get(w) in PROPER_TAGS
            or (w not in self.tags and len(w) > 1)  # a word the dictionary does not know: mostly a name (肥西经开区)
            or (self.tags.get(w) == "m" and not NUMERAL.fullmatch(w))  # 六枝: a place, not a numeral
            or PLACE_WORD.fullmatch(w) is not None  # 水城, 龙港: a word that ends like a place's name
            for w in words
        )

    def _name(self, r, theme: str, a: int, b: int, phrase: str) -> str | None:
        """The name of a mechanism or carrier found at ``text[a:b]`` (``phrase`` trimmed), or None when the phrase
        names none: praise, a clause, an honour, a role, a construction work, a park of no name of its own."""
        text, generic = r.text, self.codebook.themes[theme].generic
        if theme == "carrier" and text[max(0, a - 4) : a].endswith(RUNS_PROGRAMME) and PROGRAMME_END.search(phrase):
            own = self.codebook.phrases.lead_verbs.match(text[a:b])  # 实施|提升农业产业化发展水平三年行动
            if own and own.end() and text[a + own.end() : b] == phrase and not own.group(0).endswith(RUNS_PROGRAMME):
                phrase = text[a:b]  # a programme's name may open with its own verb (protocol §10.55)
        if theme not in ("mechanism", "carrier"):
            return phrase
        bare = phrase
        while (m := EVALUATIVE.match(bare) or SIZE_OR_LANDMARK.match(bare)) and len(bare) - m.end() >= 2:
            bare = bare[m.end() :]  # 必要的奖惩机制 → 奖惩机制; 行之有效的且比较完善的运行机制 → 运行机制 (generic)
        phrase = _after_inner_action(bare)
        core = GENERIC_MODIFIER.sub("", phrase)
        if core != phrase and (not core or core in generic or core in self.codebook.themes[theme].suffixes):
            return None  # 实际行动, 广阔平台, 更高能级大平台: a kind of thing praised, not one named
        if NOT_IN_NAME.search(phrase) or phrase.count("《") != phrase.count("》"):
            return None  # 高新区成为国家级绿色工业园区, …荣获国家示范工程: a clause, not a name (protocol B11)
        if theme == "carrier" and HONOUR.match(phrase):
            return None  # 全国模范人民调解委员会: an honour, not a carrier (protocol §10.8, §10.43)
        if theme == "carrier" and _positioning(text, a, text.find(phrase, a), phrase):
            return None  # 打造中国北方清洁能源中心: a role the city aims at, not a carrier (protocol §10.38)
        if theme == "carrier" and phrase.endswith("工程") and "“" not in phrase and WORKS.search(phrase[:-2]):
            return None  # 冶源水库增容工程, 城际架梁工程: a construction work, not a programme (§10.22, §10.34)
        # 省级生态工业园区, 教育园区, 市县开发区: a kind of park, no name of its own (protocol §10.22, §10.53)
        if (
            theme == "carrier"
            and phrase.endswith(PARK_HEADS)
            and not self._names_itself(r, text.find(phrase, a), phrase)
        ):
            return None
        return phrase

    def _word_start(self, r, i: int, phrase: str) -> tuple[int, str]:
        """(start, name) of a name found at ``r.text[i:]``, moved back to the start of the word it opens inside:
        a numeral, noun or name of the dictionary (第三|代半导体… → 第三代…, 建成和|美乡村… → 和美乡村…,
        打造起|亚… → 起亚…); not a verb, adverb or conjunction the name follows (protocol B1)."""
        at = int(r.start) + i
        for w, wa, wb in self.tokens.get(int(r.sent_id), []):
            if wa < at < wb:
                head = w[: at - wa]
                verbs = self.codebook.phrases.lead_verbs
                before = r.text[max(0, i - len(head) - 6) : i]  # 建成投用|户外…: the head ends a verb before it
                ends_verb = any(before.endswith(v) for vs in _action_verbs(self.codebook).values() for v in vs)
                if (
                    self.tags.get(w, "")[:1] in NAME_WORD_TAGS
                    and len(head) <= 3
                    and not verbs.match(head)
                    and not ends_verb
                ):
                    return i - (at - wa), r.text[i - (at - wa) : i] + phrase
                break
        return i, phrase

    def item(self, r, theme: str, a: int, b: int, method: str, **fields) -> dict | None:
        """The row of an item found at ``text[a:b]`` of sentence ``r``, trimmed; None when it says nothing."""
        text, s0 = r.text, int(r.start)
        generic = self.codebook.themes[theme].generic
        phrase = self._name(r, theme, a, b, normalise_item(text[a:b], theme, self.codebook))
        if phrase is None:
            return None
        if (
            len(phrase) < 2
            or phrase in generic
            or (phrase.endswith(_per_list(generic, _long_words)) and not NAMED_LAB.fullmatch(phrase))
            or COUNTED_GENERIC.fullmatch(phrase)
            # 延|工程 (瀛洲路南延工程 cut by the tokenizer): one character before a generic head names nothing
            or (theme in ("mechanism", "carrier") and len(phrase) == 3 and phrase[1:] in generic)
            or _excluded_head(phrase, self.codebook.themes[theme])
            # 深化…体制改革, 农村宅基地制度改革: an area of reform, not a mechanism (protocol §10.29, §10.50)
            or (theme == "mechanism" and (phrase.endswith("体制机制") or REFORMED.match(text, b - 2)))
            or (phrase.endswith(tuple(self.codebook.themes[theme].quoted_heads)) and "“" not in phrase)
            or (theme in ("mechanism", "carrier") and re.fullmatch(r"以[^，。；的]{1,20}为[^的]*", phrase))
            # 对…的领导核心机制, 围绕完善…机制, 有力助推…体系: a preposition or an adverb opens no name
            or (theme in ("mechanism", "carrier") and FUNCTION_OPENER.match(phrase))
        ):  # 以人民为中心, 以县城为载体: a frame, not a name
            return None
        if theme == "mechanism" and (m := PLACE_QUOTE.match(phrase)) and m.group(1) in self.places:
            phrase = phrase[m.end(1) :]  # 泸州“康联体”模式: where a model comes from is no part of its name
        i = text.find(phrase, a)
        if theme == "carrier" and i >= 0:
            phrase = _carrier_in_context(text, i, phrase)
            if phrase is None:
                return None
            part = SUB_AREA.match(text, i + len(phrase))
            if part and part.group(1) in self.places:
                phrase += part.group(0)  # 中国—东盟产业合作区南宁片区: a zone's part in a city is named with the zone
        if theme in ("mechanism", "carrier") and i > 0:
            i, phrase = self._word_start(r, i, phrase)
        # an item never starts inside a quotation or a bracket: 市场评估”的…机制 → “…市场评估”的…机制
        for o, c in (("“", "”"), ("（", "）"), ("(", ")")):
            if i > 0 and phrase.count(c) > phrase.count(o):
                j = text.rfind(o, max(0, i - 25), i)
                if j >= 0:
                    phrase, i = text[j : i + len(phrase)], j
        return {
            "doc_id": self.doc_id,
            "theme": theme,
            "item": phrase,
            "method": method,
            "evidence": text,
            "start": s0,
            "end": int(r.end),
            "item_start": s0 + i if i >= 0 else None,
            "item_end": s0 + i + len(phrase) if i >= 0 else None,
            "sent_id": int(r.sent_id),
            "section_path": list(r.section_path) if r.section_path is not None else [],
            **fields,
        }

    @cached_property
    def passage(self) -> dict[int, str]:
        """sentence index → "open" (the sentence that opens a problem passage) or "in" (a later sentence
        of the passage's paragraph, before its closing words)."""
        out: dict[int, str] = {}
        problem, para = self.problem, None
        if problem is None:
            return out
        for k, r in enumerate(self.rows):
            text = r.text
            if problem.opens_passage(text) and not r.is_heading:
                out[k], para, after_cue = "open", r.para_id, False
                for a, b in _clauses(text):
                    clause = text[a:b]
                    cue_here = _has_any(clause, (*problem.passage_cues, *problem.passage_weak_cues))
                    if cue_here or not after_cue:
                        after_cue = after_cue or cue_here
                        continue
                    if _has_any(clause, problem.passage_end):
                        para = None
                        break
                continue
            if para is not None:
                if r.para_id != para or text.startswith(tuple(problem.passage_end)) or r.is_heading:
                    para = None
                else:
                    out[k] = "in"
        return out

    def free(self):
        """(index, sentence) of the sentences outside problem passages."""
        return ((k, r) for k, r in enumerate(self.rows) if k not in self.passage)

    @cached_property
    def review_end(self) -> int:
        """Index of the first sentence after the review of a government report (0 when it has none)."""
        return _review_end(self.rows)

    @cached_property
    def actions(self) -> list[tuple]:
        """(sentence, start, end, verb, object) of each concrete action the document states."""
        return _actions(self)

    @cached_property
    def enumerated(self) -> tuple[list[dict | None], set[int]]:
        """The enumeration rule's items, and the sentences it coded."""
        return _enumerated(self)


def extract_items(
    sentences,
    tokens,
    codebook: Codebook,
    tags: dict[str, str],
    genres: dict[str, str] | None = None,
    measure_model: str | None = None,
    model_genres: AbstractSet[str] | None = None,
    agree: bool = False,
    places: AbstractSet[str] | None = None,
):
    """Items of every document by the codebook's rules (see module docstring); a DataFrame with
    ITEM_COLUMNS, ``score`` empty.  ``genres`` (doc_id → genre) lets the rules read each genre its own way.
    With ``measure_model`` (the path of a CRF, :mod:`pipeline.themes.crf`) the measures are the model's, not the
    rules', in the documents of ``model_genres`` (None: in every document); with ``agree`` they are the rules'
    measures that a model measure overlaps (fewer, surer measures).  ``places``: the place names that give a park
    a name of its own (None: those of the national gazetteer)."""
    import pandas as pd

    from ..ingest.places import place_words

    place_names = place_words(None) if places is None else places

    rows: list[dict] = []
    toks_by_doc = {d: g for d, g in tokens.groupby("doc_id", sort=False)} if len(tokens) else {}
    for doc_id, sents in sentences.groupby("doc_id", sort=True):
        t = toks_by_doc.get(doc_id)
        doc = Document(
            doc_id,
            sents,
            list(zip(t.sent_id.tolist(), t.token.tolist(), t.start.tolist(), t.end.tolist(), strict=False))
            if t is not None
            else [],
            codebook,
            tags,
        )
        doc.genre = (genres or {}).get(doc_id)
        doc.places = place_names
        model = measure_model if model_genres is None or doc.genre in model_genres else None
        mine: list[dict] = []
        for name in codebook.rules:
            func = RULES[name].func
            if func is not None:
                mine += [r for r in func(doc) if r is not None]
        if model and "measure" in codebook.themes:
            found = [row for row in crf_measures(doc, model) if row is not None]
            if agree:  # the rules' measures the model confirms
                mine = [r for r in mine if r["theme"] != "measure" or _overlaps_any(r, found)]
            else:  # the model's measures; the rules' actions still led to the carriers and mechanisms they name
                mine = [r for r in mine if r["theme"] != "measure"] + found
        rows += mine
    items = pd.DataFrame(rows, columns=[c for c in ITEM_COLUMNS if c not in ("canonical", "score")])
    return finish_items(items, codebook)


def _overlaps_any(item: dict, others: list[dict]) -> bool:
    """Whether ``item`` shares a character of its document with one of ``others``."""
    a, b = item["item_start"], item["item_end"]
    return a is not None and any(
        o["item_start"] is not None and o["item_start"] < b and a < o["item_end"] for o in others
    )


def crf_measures(doc: Document, model: str) -> Iterator[dict | None]:
    """The measures the CRF at ``model`` finds, a paragraph at a time, outside headings and problem passages; each
    with the action, object and target the rules read off its words when they can (protocol §6)."""
    from .crf import measure_spans

    k = 0
    while k < len(doc.rows):
        j = k
        while j + 1 < len(doc.rows) and doc.rows[j + 1].para_id == doc.rows[k].para_id:
            j += 1
        rows = doc.rows[k : j + 1]
        base, text = int(rows[0].start), ""
        for r in rows:  # the paragraph's text, its sentences where they stand (a gap between them as spaces)
            text += " " * (int(r.start) - base - len(text)) + r.text
        for s, e in measure_spans(text, model):
            at = next((i for i, r in enumerate(rows) if int(r.start) - base <= s < int(r.end) - base), None)
            if at is None or rows[at].is_heading or k + at in doc.passage:
                continue
            r = rows[at]
            a, b = s - (int(r.start) - base), min(e - (int(r.start) - base), len(r.text))
            found = action_of(r.text[a:b], doc.codebook)
            verb, obj = (found[1], found[2]) if found else (None, r.text[a:b])
            target = QUANTITY.search(obj)
            if target and target.start() > 0:
                obj = obj[: target.start()]
            yield doc.item(
                r,
                "measure",
                a,
                b,
                "crf",
                action=verb,
                object=obj.strip("了 　") if verb else None,
                target=target.group(0) if target else None,
            )
        k = j + 1


# --------------------------------------------------------------------------- the rules


@rule("problem_passage")
def problem_passage(doc: Document) -> Iterator[dict | None]:
    """The clauses of a passage that admits problems ("我们也清醒看到…：…；…。"), as government work
    reports have: after the opening cue, to the end of the paragraph or its closing words."""
    problem = doc.problem
    if problem is None:
        return
    for k, where in sorted(doc.passage.items()):
        r = doc.rows[k]
        text, after_cue, context = r.text, False, False
        for a, b in _clauses(text):
            clause = text[a:b]
            # national formulae after a national frame (当前外部环境…上升，有效需求不足，社会预期偏弱，我市…) are
            # context, not the city's problems (protocol §10.11)
            if context and NATIONAL_FORMULA.match(clause):
                continue
            context = problem.frames(clause) and NATIONAL_FRAME.match(clause) is not None
            if where == "open":
                cue_here = _has_any(clause, (*problem.passage_cues, *problem.passage_weak_cues))
                if cue_here or not after_cue:
                    after_cue = after_cue or cue_here
                    # the cue clause is an item when it admits something itself (民生领域还有不少短板弱项)
                    if cue_here and is_admission(clause, doc.codebook) and not problem.frames(clause):
                        yield doc.item(r, "problem", a, b, "problem_passage")
                    continue  # words before the cue (我们将永葆…，清醒地认识到…) do not close the passage
            if _has_any(clause, problem.passage_end):
                break
            if problem.frames(clause):
                continue
            if where == "open":
                if len(clause) >= 4 and clause not in ("等等", "等"):
                    yield doc.item(r, "problem", a, b, "problem_passage")
            elif is_admission(clause, doc.codebook):
                yield doc.item(r, "problem", a, b, "problem_passage")


NATIONAL_FRAME = re.compile(
    r"^(?:当前|目前)?(?:外部环境|国际环境|国内外环境|国际国内环境|国内|我国|全国|世界经济|全球|外部|宏观)"
)
NATIONAL_FORMULA = re.compile(
    r"^(?:国内)?(?:有效需求不足|部分行业产能过剩|社会预期偏弱|预期偏弱|风险隐患(?:仍然|依然)?较多|国内大循环存在堵点|"
    r"外部环境的复杂性、严峻性、不确定性上升)$"
)


@rule("problem_section")
def problem_section(doc: Document) -> Iterator[dict | None]:
    """Each clause admitting a shortcoming in a section about problems (a community report's 存在的主要问题 or
    遇到的困难): the clause holds one of the problem theme's ``section_cues`` and is not a frame or a remedy."""
    problem, codebook = doc.problem, doc.codebook
    if problem is None or not problem.section_cues:
        return
    for _, r in doc.free():
        path = list(r.section_path) if r.section_path is not None else []
        if r.is_heading or section_theme(path, codebook) != "problem":
            continue
        for a, b in _clauses(r.text):
            clause = r.text[a:b]
            if (
                len(clause) >= 4
                and _has_any(clause, problem.section_cues)
                and not _remedies(clause, problem.remedy_words)
                and not problem.frames(clause)
            ):
                yield doc.item(r, "problem", a, b, "problem_section")


def _remedies(clause: str, words) -> bool:
    """A clause that opens with a remedy (着力解决…, 要加强…, 研究解决…): a measure, not an admission.  A remedy
    word further in is part of what is lacking (共建工作内容缺乏针对性, 偏重于帮助社区解决难题), and a negated
    one admits it (思想认识问题没有完全解决, 解决不了根本问题)."""
    lead = ENUM_LEAD.match(clause)
    body = clause[lead.end() :] if lead else clause
    for w in words:
        at = body.find(w)
        if 0 <= at <= 3 and not body.startswith(("不", "不了"), at + len(w)):
            return True
    return False


@rule("enum", methods=("enum_section", "enum_content"))
def enum(doc: Document) -> Iterator[dict | None]:
    """An enumerated item (一是…, 1、…, （一）…) in a section whose heading carries a theme's heading cue
    (``enum_section``: 困难 → problem, 对策 → measure …), or whose lead itself says its theme
    (``enum_content``: an admission, a phrase ending in 机制 or 平台)."""
    yield from doc.enumerated[0]


def _enumerated(doc: Document) -> tuple[list[dict | None], set[int]]:
    codebook = doc.codebook
    out: list[dict | None] = []
    coded: set[int] = set()
    intro, prev = None, None  # the theme announced by the sentence that opens a list
    for k, r in doc.free():
        text = r.text
        path = list(r.section_path) if r.section_path is not None else []
        if r.is_heading:
            intro = None
        elif isinstance(r.enum_marker, str) and FIRST_MARKER.fullmatch(r.enum_marker):
            # "…提出以下三点建议：一是…": the opening sentence says what the list is
            intro = None
            if prev is not None and not prev.is_heading and r.para_id - prev.para_id <= 1:
                intro = "none" if _has_any(prev.text, codebook.neutral_intro) else section_theme([prev.text], codebook)
        prev = r
        if not (isinstance(r.enum_marker, str) and isinstance(r.item_lead, str) and len(r.item_lead) >= 2) or (
            r.is_heading and is_section_title(r.item_lead, codebook)
        ):
            continue
        parent = path[:-1] if r.is_heading else path
        sec = (intro if not r.is_heading and intro else None) or section_theme(parent, codebook)
        sec = None if sec == "none" else sec
        lead_at = text.find(r.item_lead)
        lead_end = lead_at + len(r.item_lead) if lead_at >= 0 else len(text)
        ct = content_theme(r.item_lead, codebook)
        theme = next((name for name in codebook.precedence if name in (ct, sec)), None)
        if theme == "measure" and not (
            action_of(r.item_lead, codebook)
            and (not r.is_heading or _has_any(" ".join(parent), codebook.themes["measure"].section_words))
        ):
            continue  # a heading or slogan is context (section_path), not a measure; actions are coded as such
        if not theme:
            continue
        coded.add(k)
        method = "enum_content" if theme == ct and theme != sec else "enum_section"
        out.append(doc.item(r, theme, max(lead_at, 0), lead_end, method))
        if theme == "problem":  # further admissions in the same sentence are problems too
            out += [
                doc.item(r, "problem", a, b, method)
                for a, b in _clauses(text)
                if a >= lead_end and is_admission(text[a:b], codebook)
            ]
    return out, coded


@rule("pattern")
def pattern(doc: Document) -> Iterator[dict | None]:
    """A match of a theme's ``item_patterns`` ("缺人才，社区服务难组织")."""
    for _, r in doc.free():
        for name, t in doc.codebook.themes.items():
            for rx in t.item_patterns:
                for m in rx.finditer(r.text):
                    yield doc.item(r, name, m.start(), m.end(), "pattern")


@rule("noun_phrase")
def noun_phrase(doc: Document) -> Iterator[dict | None]:
    """A noun phrase ending in a theme's suffix (…机制, …制度, …平台, …委员会), read off the jieba tokens
    with their dictionary POS; not in a clause that admits a problem."""
    codebook = doc.codebook
    suffix_themes = [
        (n, tuple(sorted(t.suffixes, key=len, reverse=True))) for n, t in codebook.themes.items() if t.suffixes
    ]
    any_suffix = _any_of(tuple(x for _, sfxs in suffix_themes for x in sfxs))
    for _, r in doc.free():
        text, s0 = r.text, int(r.start)
        stoks = doc.tokens.get(int(r.sent_id), [])
        if not stoks or any_suffix is None or not any_suffix.search(text):
            continue
        local = [(w, a - s0, b - s0) for w, a, b in stoks]
        clause_spans = _clauses(text)
        for name, sfxs in suffix_themes:
            for a, b in _noun_phrases(local, sfxs, doc.tags, codebook.phrases):
                x, y = next(((x, y) for x, y in clause_spans if x <= a < y), (0, len(text)))
                if name != "problem" and is_admission(text[x:y], codebook):
                    continue
                if _not_a_name(text, a, b, x, y, local, doc.tags, codebook.phrases):
                    continue
                # 守牢|意识形态主阵地, 丰富|世界知名消费载体: the clause's own action verb opens the phrase; the
                # name is its object (protocol B1)
                start = _action_start(text[x:y], codebook) if a - x <= 6 else None
                if start is not None and x + start[1] == a and b - a - len(start[2]) >= 3:
                    a += len(start[2])
                yield doc.item(r, name, a, b, "noun_phrase")


VERBS_IN_XING = frozenset(
    ("推行", "实行", "执行", "运行", "进行", "试行", "施行", "先行", "践行", "奉行", "发行", "通行")
)
CATEGORY_BEFORE = re.compile(r"(?:等(?:[\d一二三四五六七八九十百千]+[个家所座项批类])?|各类|各种|各级)$")
QUOTED_AFTER = re.compile(r"“[^“”]{1,12}”[\u4e00-\u9fff]")
MODIFIER_HEADS = ("模式", "平台", "体系", "品牌", "体制")


def _not_a_name(text: str, a: int, b: int, x: int, y: int, tokens, tags, phrases) -> bool:
    """A noun phrase ``text[a:b]`` (in the clause ``text[x:y]``) that is no carrier's or mechanism's name: a
    category after 等 or 各类 (湾谷科技园等5个创新园区, 各类科技创新平台), a member of a list of construction
    projects (…产业园等重点项目建设), or a 模式/平台/体系 that only modifies the noun after it
    (换电模式应用试点城市, 向海平台重大项目)."""
    if CATEGORY_BEFORE.search(text[x:a]) or re.search(r"(?:认定|认定为|评为|获评|命名为)$", text[x:a]):
        return True  # a category, or a designation conferred (成功认定省级化工园区)
    if designated(text[x:a], text[a:b]) or text.startswith(TITLE_AFTER[:-3] if _pilot(text[a:b]) else TITLE_AFTER, b):
        return True  # a title conferred (入选国家级绿色工业园区; 争创“五个一工程”奖, …称号)
    if PROJECT_LIST.search(re.sub(r"(?:建设|前期工作)$", "", text[b:y])) or re.search(
        r"^[^，。；]*等(?:\d+个)?(?:重[点大])?(?:产业)?项目", text[b:y]
    ):
        return True
    if text[a:b].endswith(("体制", "机制", "制度")) and QUOTED_AFTER.match(text, b):
        return True  # 科技及体制“双创新”改革试点: the name goes on past the quote, its head is not here
    if text[a:b].endswith("行动") and text[b - 3 : b - 1] in VERBS_IN_XING:
        return True  # 全域推行动中备勤…: 推行|动中, the tokenizer's 行动 is no head here (protocol B1)
    if text[a:b].endswith(MODIFIER_HEADS):
        nxt = next((w for w, wa, _ in tokens if wa == b), None)
        acts = text[a:b].endswith("平台") and tags.get(nxt) == "v"  # what a platform does: 政务服务平台|受理群众诉求
        if nxt is not None and _nominal(nxt, tags, phrases) and nxt not in DONE_TO_IT and not acts:
            return True
    return False


# a title conferred on the city or one of its parks or firms (入选国家级绿色工业园区, 获评全省首批数字经济标杆园区,
# 成功创建…示范区, …称号): no carrier, unless it is a pilot the city now runs (获批…试点, 入选…实验区)
DESIGNATION = re.compile(
    r"(?:获评|荣获|被评为|评为|认定为|获认定|创成|成功创建|获批创建|入选|获批(?!建设|设立|筹建|组建)|成为|跻身)"
    r"[^，。；：]{0,16}$"
)
PILOT_HEADS = ("试点", "试点城市", "试点项目", "试验区", "实验区", "试点市", "试点县")


def _pilot(name: str) -> bool:
    return "试点" in name or name.endswith(PILOT_HEADS)


NEW_ACTION = re.compile(r"建设|设立|打造|推进|实施|开展|的")


def designated(before: str, name: str) -> bool:
    """``name`` is a title the text says was conferred (``before`` is the clause up to it)."""
    m = DESIGNATION.search(before)
    if m is None or _pilot(name) or name.endswith(("制", "制”", "模式", "体系")):
        return False
    if name.endswith(ZONE_HEADS[:3] + ZONE_HEADS[5:]):
        return False  # an official zone is a carrier however it came (protocol §10.7)
    if m.group(0).startswith("获批") and not m.group(0).startswith("获批创建") and name.endswith(SET_UP_HEADS):
        return False  # 获批…中心: approved to set one up
    between = m.group(0)[2:]
    # the words between the verb and the name are descriptors or earlier list members, not a new action or a clause
    return not NEW_ACTION.search(between)


TITLE_AFTER = ("奖", "称号", "百强", "合格城市", "名单", "院校", "荣誉")  # the last three do not undo a pilot
SET_UP_HEADS = ("中心", "实验室", "工作站", "研究院", "孵化器", "联合体")


@rule("admission")
def admission(doc: Document) -> Iterator[dict | None]:
    """An admission standing anywhere in a sentence that concedes ("…但也存在着一些缺陷，相关职责和责任有待
    进一步明确"), outside problem sections and sentences the enumeration rule coded."""
    problem, codebook = doc.problem, doc.codebook
    if not (problem and problem.admission_cues):
        return
    coded = doc.enumerated[1]
    # an analysis states a shortcoming plainly (现在，宣传社区党建重要性的工作不够深入); a government report concedes
    plain = doc.genre in problem.plain_admission_genres
    for k, r in doc.free():
        path = list(r.section_path) if r.section_path is not None else []
        if (
            k in coded
            or r.is_heading
            or section_theme(path, codebook) == "problem"
            or not (plain or _has_any(r.text, problem.concession_words))
        ):
            continue
        for a, b in _clauses(r.text):
            clause = r.text[a:b]
            if (
                _has_any(clause, problem.admission_cues)
                and not _has_any(clause, problem.remedy_words)
                and len(clause) >= 6
                and not problem.frames(clause)
                # stated plainly, a prescription (要重视薄弱环节) or a sanction (对…不到位的进行通报) admits nothing
                and not (plain and not _has_any(r.text, problem.concession_words) and PRESCRIPTION.search(clause))
            ):
                yield doc.item(r, "problem", a, b, "admission")


PRESCRIPTION = re.compile(r"(?<![需主重只想])要(?!求)|应当|应该|必须|进行通报|重视")


# --------------------------------------------------------------------------- measures as actions

ENUM_LEAD = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、．.](?!\d)|[①-⑳]|[一二三四五六七八九十]+是要?|第[一二三四五六七八九十]+[，,、]?|首先|其次|再次|最后|"
    r"\d{4}年(?:底前|内|底)?|今年|明年|年内|全年|同时)[，,]?"
)
# a quantity at the end of a phrase (105个, 1.42万个以上); not a programme's duration or count (三年行动, 十大工程)
QUANTITY = re.compile(
    r"(?:[\d.]+|[一二三四五六七八九十百千万两]+)(?![年大][\u4e00-\u9fff]|行动|工程|计划)"
    r"(?:[万亿千百]?[\u4e00-\u9fff%‰]{0,3})(?:以上|左右|以内)?$"
)
FOOTNOTE = re.compile(r"(?:\[\d+\]|[（(]\d+[)）])$")


# "六大行动", "十大工程": a count of the report's own programmes, not a name
COUNTED_GENERIC = re.compile(
    r"[一二三四五六七八九十两\d]+[大项个]?[\u4e00-\u9fff]{0,2}(?:行动|工程|计划|平台|机制|基地|试点|中心)"
)
COPULA = re.compile(r"(?<![一二三四五六七八九十])是(?![否])")
# what is said of a work or a year, not a work (做好今年工作意义重大, 发展成效鼓舞人心, …再出发之年; protocol §10.69)
JUDGED = re.compile(r"(?:意义重大|意义深远|至关重要|鼓舞人心|振奋人心|来之不易|责任重大|任务艰巨|之年)$")


def _modal(clause: str, i: int, verb_at, adverbs) -> str | None:
    """将 as "will" (我们将深入推进…, 将把…), not the preposition (将…纳入…): followed by a verb, an adverb and a
    verb, or 把."""
    if not clause.startswith("将", i):
        return None
    j = i + 1
    if clause.startswith("把", j):
        return "将"
    if JIANG_PREPOSITION.search(clause, j):
        return None
    if verb_at(j):
        return "将"
    if any(verb_at(j + len(w)) for w in _words_at(clause, j, adverbs)):
        return "将"
    return None


# "把…作为…", "将今年作为…攻坚年": a principle or a designation, not an action
AS_PRINCIPLE = re.compile(
    r"^[把将][^，。；]{1,40}?作为[^，。；]*(?:重点|关键|方向|重中之重|硬道理|政治|生命线|首要任务|之举|年|主线|核心|根本|"
    r"前提|底线|目标|任务)"
)
# a 将 whose clause goes on to one of these is the preposition (将共建工作纳入目标管理), not "will"
JIANG_PREPOSITION = re.compile(r"纳入|列入|作为|融入|转化为|打造成|建设成|发展成|变为|成为|落实到|延伸到|覆盖到")


MANNER_END = re.compile(r"(?:方式|形式|措施|途径|手段|办法|渠道|举措)$")
# the head of a subject that acts: a body or group of people (市直机关工委和各区委, 各机关党支部, 机关党员干部)
ACTOR_HEAD = re.compile(
    r"(?:党组织|党委|党工委|工委|党支部|机关|政府|部门|单位|区委|市委|县委|委员会|协作区|党员干部|党员|干部|街道|"
    r"(?:社会|经济)组织)"
    r"(?:[（(][^（）()]{1,8}[）)])?"  # 街道党工委（社区委）
    r"(?:都|也|还|均|分别|先后|共同|统一|负责|要|应当|应|进一步|已经|已|全部|相继|陆续|立即|随即|普遍|定期|主动|率先)*"
)


HEAD_BREAK = re.compile(r"[，,；;：:、“”《》。的对把将向为]")


def _actor(clause: str, i: int, verb_at, ph) -> str | None:
    """The subject of an action, when the clause opens with a body that acts and then its verb or preposition
    (市直机关工委和各区委负责制定…, 各机关党支部建立…, 96个直属机关党组织分别与…结成…): left out of the measure."""
    if verb_at(i) or clause[i : i + 1] in ph.prepositions + ("在", "从", "向", "围绕", "按照"):
        return None
    heads = list(ACTOR_HEAD.finditer(clause, i, min(len(clause), i + 24)))
    inside = {k for h in heads for k in range(h.start(), h.end())}
    for m in heads:
        head = clause[i : m.start()]
        if (
            len(head) > 12
            or HEAD_BREAK.search(head)
            or any(
                verb_at(k) or ph.lead_verbs.match(clause[k:])  # the pattern is anchored: match it on the rest
                for k in range(i, m.start() + 1)
                if k not in inside or k == m.start()
            )
        ):
            return None
        j = m.end()
        if clause.startswith(NOUN_VERBS, j):
            return None  # 法治政府建设, 市委部署: the verb is a noun of the phrase, not the action of a subject
        if (
            clause[j : j + 1] in ph.prepositions
            and clause[j] != "对"  # 社区干部对…给予了充分认可: a judgement, not an action
            and clause[j : j + 2] not in _dictionary_words()  # 负责同志, 同时: no preposition
            and _after_preposition(clause, j, verb_at) is not None
        ):
            return clause[i:j]  # 96个直属机关党组织分别|与91个街工委结成…: the action opens with its preposition
        v = verb_at(j)
        rest = clause[j + len(v) :] if v else ""
        if (
            v
            and len(v) >= 2
            and len(HAN.findall(rest)) >= 3
            and not rest.startswith("的")
            and not rest.startswith(tuple(ph.manner_adverbs))
        ):
            return clause[i:j]  # not 基本单位清理全面完成, 人民满意政府加快建设: a result reported
    return None


# verbs that after a body's name make a noun phrase with it (政府建设, 市委部署, 党组织建设)
NOUN_VERBS = ("建设", "部署", "创建", "发展", "治理", "改革", "管理", "服务", "工作")


@lru_cache(maxsize=16)
def _action_verbs(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """The measure theme's action verbs by first character, longest first (:func:`_by_first_char`), once per
    codebook."""
    return _by_first_char(tuple(codebook.themes["measure"].action_verbs))


@lru_cache(maxsize=8)
def _verb_nouns(codebook: Codebook) -> tuple[frozenset[str], frozenset[str]]:
    """Nouns of jieba's dictionary made of an action verb and one more character (供应链, 开发区, 服务站), and the
    two-character words that open with such a last character (区域, 站点): at the start of such a noun the verb is
    no verb (protocol B1), unless its last character starts a word with the next one (建设|区域医疗中心)."""
    two, three_nouns = _short_words()
    verb_set = set(codebook.themes["measure"].action_verbs)
    nouns = {w for w in three_nouns if w[:2] in verb_set and w[2] not in "和出成化到"}
    lasts = {w[-1] for w in nouns}
    return frozenset(nouns), frozenset(p for p in two if p[0] in lasts)


def _short_words() -> tuple[dict[str, tuple[int, str]], frozenset[str]]:
    """What the rules ask of jieba's dictionary besides tags: its two-character words with their frequency and
    tag, and its three-character nouns."""
    _, two, three_nouns = _jieba_dictionary()
    return two, three_nouns


@lru_cache(maxsize=1)
def _dictionary_adverbs() -> frozenset[str]:
    """Two-character adverbs of jieba's dictionary in common use (共同, 再次, 并肩): a one-character word that
    opens one of them is no word of its own there."""
    return frozenset(w for w, (f, t) in _short_words()[0].items() if t == "d" and f >= 100)


@lru_cache(maxsize=1)
def _dictionary_words() -> dict[str, str]:
    """Two-character words of jieba's dictionary in common use, with their tags (同志 n, 同时 c, 党组 n): a
    preposition that opens one is no preposition there, a verb that a noun of them cuts is no verb."""
    return {w: t for w, (f, t) in _short_words()[0].items() if f >= 100}


def _after_preposition(clause: str, i: int, verb_at) -> tuple[int, str] | None:
    """(offset, verb) of the verb that ends the prepositional phrase at ``clause[i]`` (为社区党组织|提供…,
    与合肥工业大学|共建…); for 将 and 把 the verb they lead to (将共建工作|纳入目标管理); None when there is
    none within 20 characters, or it describes rather than acts (…共建工作开展得比较扎实)."""
    if clause[i] in "将把" and (m := JIANG_PREPOSITION.search(clause, i + 1, i + 24)):
        found = verb_at(m.start())
        if found:
            return m.start(), found
    if DEGREE_COMPLEMENT.search(clause, i):
        return None  # …共建工作开展得比较扎实有效: how a work went, not an action
    if clause[i] == "为" and "以" in clause[:i]:
        return None  # 以街道党工委为牵头单位: a frame, not a preposition
    for k in range(i + 1, min(len(clause), i + 20)):
        found = verb_at(k)
        if clause[i:k].count("“") > clause[i:k].count("”"):
            continue  # not a verb inside a quoted name (将今年作为“开发区…”)
        if not found or clause[k - 1] in "的是" or _dictionary_words().get(clause[k - 1 : k + 1], "").startswith("n"):
            continue  # not 党|组织: a verb that a noun cuts is none
        if clause[i] != "在" and clause.startswith("的", k + len(found)):
            continue  # 以协议的形式: a verb before 的 is a modifier
        return None if LACKING.search(clause, max(i, k - 4), k) else (k, found)  # …缺乏横向联系: what is missing
    return None


# a verb with a complement of degree (开展得比较扎实) describes how a work went
DEGREE_COMPLEMENT = re.compile(r"[\u4e00-\u9fff]得(?:比较|很|较|更|十分|非常|不|还|到)")
LACKING = re.compile(r"缺乏|缺少|没有|未能|难以")


def _subject_at(clause: str, i: int, subjects, verb_at) -> str | None:
    """The subject, time or total word at ``clause[i]`` that is set aside before a verb; not a one-character one
    that opens a longer adverb or verb (共 in 共同搞好, 再 in 再次, 共 in 共建10个产业园区: protocol B1, no item
    starts inside a word)."""
    word = _longest_at(clause, i, subjects)
    if word is not None and len(word) == 1:
        if clause[i : i + 2] in _dictionary_adverbs():
            return None
        whole, after = verb_at(i) or "", verb_at(i + 1) or ""
        if len(whole) > 1 and len(after) < len(whole):  # 共建|10个… is a verb; 共|建成… keeps the total word
            return None
    return word


@lru_cache(maxsize=16_384)  # a clause is read whole and again piece by piece (_action_pieces)
def _action_start(clause: str, codebook: Codebook, subject: bool = True) -> tuple[int, int, str] | None:
    """(start, verb offset, verb) where the action of ``clause`` starts, once its list marker, subject, time words
    and manner
    adverbs are set aside; None when it does not open with an action verb."""
    measure, ph = codebook.themes.get("measure"), codebook.phrases
    if measure is None or not measure.action_verbs:
        return None
    verbs = _action_verbs(codebook)

    def verb_at(i: int) -> str | None:
        v = _longest_in(clause, i, verbs)
        if v and clause.startswith(("性", "型", "率"), i + len(v)):
            return None  # 开放性, 创新型, 交付率: an adjective or a rate, not the verb
        if v and _opens_a_noun(v, clause[i + len(v) : i + len(v) + 2], codebook):
            return None  # 供应链, 服务站: a noun that opens with the verb (protocol B1)
        return None if v == "开发" and clause.startswith(("区", "园"), i + len(v)) else v  # 开发区 is no verb

    i, n = 0, len(clause)
    for _ in range(6):  # a few layers: marker, subject, time, adverbs
        m = ENUM_LEAD.match(clause[i:])
        if m and m.end():
            i += m.end()
            continue
        word = (
            _subject_at(clause, i, ph.subjects, verb_at)
            or (subject and _actor(clause, i, verb_at, ph))
            or (
                "通过"  # 通过打造…联合体: the means is the action, unless the clause names a manner (…等方式)
                if clause.startswith("通过", i) and verb_at(i + 2) and not MANNER_END.search(clause)
                else None
            )
            or next((w for w in _words_at(clause, i, ph.manner_adverbs) if verb_at(i + len(w))), None)
            or (modal if (modal := _modal(clause, i, verb_at, ph.manner_adverbs)) else None)
        )
        if word is None:
            break
        i += len(word)
    v = verb_at(i)
    if v is None and i < n and clause[i] in ph.prepositions + ("在",):
        # 为社区党组织提供…, 将…纳入财政预算, 与合肥工业大学共建…: the action opens with its preposition;
        # a place (在街道层面成立了…) is set aside like a subject
        after = _after_preposition(clause, i, verb_at)
        if after is not None:
            return (after[0] if clause[i] == "在" else i), *after
    if v is None or i >= n:
        return None
    return i, i, v


# a clause that ends like this is an adverbial of time or frame (在推进…实践中, …的基础上), not an action
ADVERBIAL_END = re.compile(r"(?:实践中|过程中|进程中|工作中|发展中|之中|的基础上|基础上|之际|以来|(?<![以线])上)$")
# an object that names no work in particular
VAGUE_OBJECT = re.compile(
    r"(?:各项|具体|相关|有关|日常|以上|上述|[一二三四五六七八九十]+[个大]?方面)?"
    r"(?:工作|措施|任务|活动|联系|投入|保障|力度|举措|管理|服务|支持|建设|目标)"
)
# a share, standing or feeling raised (提升…市场占有率, 提高政府工作的…公信力, 提升老百姓幸福质感), and more of
# something moved somewhere (推动更多“合肥造”走向世界, 引导更多金融活水流向实体经济): aims, with no quantity
RAISED_QUALITY = re.compile(r"(?:占有率|公信力|影响力|竞争力|美誉度|知名度|满意度|幸福感|获得感|安全感|质感|烟火气)$")
RAISES = ("提升", "提高", "增强")
MORE_MOVED = ("推动", "引导", "鼓励", "吸引", "带动")
MORE_DONE = re.compile(r"纳入|事项|”$")  # 推动更多项目纳入…盘子, 推动更多事项“即来即办”: a work of the government
# 确保 + a state to keep (稳定, 可控, 不发生…) states an aim; 确保 + a target or a work done (确保瑞金机场通航) commits
SECURED_STATE = re.compile(
    r"(?:稳定|可控|安全|安定|安宁|安乐|平稳|有序|前进|运行|落地落实|落实|到位|见效|实效|检验|认可|发力|保障|不减|方向|底线|"
    r"良好|向好|好转|提升|提高|改善|增强|合力|实处|公正|群众)$|^不发生"
)
DIGIT = re.compile(r"\d")
# a quality or a capacity as the whole object (稳定性, 覆盖面, 精准度, 减排力度, 新质生产力): an aim, not a work
ABSTRACT_OBJECT = re.compile(r"[\u4e00-\u9fff]{0,4}(?:性|面|度|率|感|生产力)")
# carrying out the superiors' decisions in general (落实…决策部署, 贯彻…会议精神, 执行…工作要求) is the frame of all
# work; a rule or programme named (中央八项规定精神, 省“十百千万”工程部署要求, 《条例》) is a work of its own
CARRIES_OUT = ("落实", "贯彻", "执行", "落实好", "贯彻好", "执行好")
DIRECTIVE = re.compile(
    r"(?:决策部署|工作部署|部署要求|工作要求|工作安排|大政方针|方针政策|会议精神|全会精神|指示精神|讲话精神|批示精神|"
    r"指示要求|重要指示|殷切嘱托|各项部署)$"
)
NAMED_DIRECTIVE = re.compile(r"八项规定|[“《]")
# a sector or kind of economy as the whole object of 发展 (现代物流业, 新型农村集体经济, 运动时尚等体育产业)
SECTOR = re.compile(
    r"[^，,；;“”]{1,12}?(?:业|经济|产业|事业)|[^，,；;“”]{1,40}?等[^，,；;“”等]{0,8}?(?:产业|经济|事业)"
)
# what a city means to become (打造…高地, …先行区, …样板, …升级版): with no count, quote or quantity, an aim
ROLE_HEADS = (
    "目的地",
    "先行区",
    "引领区",
    "承载区",
    "核心区",
    "集聚地",
    "高地",
    "之都",
    "名城",
    "升级版",
    "新前沿",
    "热点",
    "地标",
    "社会",
    "政府",
    "城市",
    "样板",
    "示范区",
    "排头兵",
    "桥头堡",
    "增长极",
    "枢纽",
)
COUNTED = re.compile(r"\d|“|[一二三四五六七八九十两]+[个家处条座]|一批")


def _claims_a_role(obj: str) -> bool:
    """``obj`` of 打造 is a role claimed (a scope, a world rank, a role's head or 具有…的), not a thing built."""
    if COUNTED.search(obj):
        return False
    return bool(
        POSITION_SCOPE.match(obj)
        or WORLD_CLASS.match(obj)
        or obj.endswith(ROLE_HEADS)
        or re.search(r"具有[^的]{1,12}的", obj)
    )


# the role a named body is put to (发挥“淮链通”供需对接平台作用, 发挥上市公司联盟带动作用)
ROLE = re.compile(
    r"(?:的)?(?:[\u4e00-\u9fff]{0,4}?(?:带动|引领|龙头|主导|支撑|示范|桥梁纽带|牵引|赋能|主力军|主阵地))?作用$"
)
BODY_WORDS = ("集团", "公司", "学院", "大学", "研究院", "联盟", "基金", "专班", "工作队", "中心", "平台", "协会")


def _names_a_role(obj: str, codebook: Codebook) -> bool:
    """``obj`` of 发挥 puts a named body to work (…人才发展集团作用, “全科网格”作用), not a principle or a kind."""
    m = ROLE.search(obj)
    if m is None or m.start() < 2:
        return False
    body = obj[: m.start()]
    suffixes = tuple(x for n in ("carrier", "mechanism") if n in codebook.themes for x in codebook.themes[n].suffixes)
    return "“" in body or body.endswith(BODY_WORDS) or (bool(suffixes) and body.endswith(suffixes))


# verbs that grow or promote (做大做强…产业集群, 壮大金融业, 促进…就业): with no quantity, an aim (protocol §10.59)
GROWS = ("做大做强", "做强做优", "做优做强", "做强做优做大", "做大做优", "做大", "做强", "做优", "壮大", "发展壮大")
GROWN = re.compile(r"[^，,；;]{1,40}?(?:产业集群|(?<!企)业|经济|业态|资本|规模)")


def _aims(verb: str, obj: str, measure) -> bool:
    """``verb`` + ``obj`` (which holds no quantity) states an aim, not a work: a quality raised (提升稳定性,
    加大减排力度, 提升…市场占有率), a sector grown (发展现代物流业, 壮大金融业, 做大|做强), a change promoted
    (促进人口向城区集聚), more of something moved somewhere (推动更多…走向世界) (protocol §10.56, §10.59, §10.70)."""
    return bool(
        ABSTRACT_OBJECT.fullmatch(obj)
        or (verb.endswith("发展") and SECTOR.fullmatch(obj.rstrip("等")))
        or verb == "促进"
        or (verb in GROWS and GROWN.fullmatch(obj.rstrip("等")))
        or obj in measure.aim_verbs
        or (verb in RAISES and RAISED_QUALITY.search(obj))
        or (verb in MORE_MOVED and obj.startswith("更多") and not MORE_DONE.search(obj))
    )


@lru_cache(maxsize=16_384)  # a piece of a clause is read when it is cut (_action_pieces) and again as an action
def action_of(clause: str, codebook: Codebook) -> tuple[int, str, str] | None:
    """(offset, verb, object) of the concrete action ``clause`` states, or None: a statistic, an award,
    a bare aim (提升…水平) or a verb with no object is not an action."""
    measure = codebook.themes.get("measure")
    start = _action_start(clause, codebook)
    if start is None or measure is None:
        return None
    i, at, verb = start
    if AS_PRINCIPLE.match(clause[i:]):
        return None
    obj = clause[at + len(verb) :].strip()
    if len(HAN.findall(obj)) < 2:
        return None
    committed = verb in ("力争", "确保") and DIGIT.search(obj)  # 力争外贸进出口额增长15%以上 (protocol §6)
    if (_has_any(clause, measure.not_actions) and not committed) or COPULA.search(obj) or JUDGED.search(obj):
        return None  # a statistic, an award, or a statement about the action (推进…是…的需要, …意义重大)
    if ADVERBIAL_END.search(obj) or VAGUE_OBJECT.fullmatch(obj):
        return None  # 加强城市基层党建过程中: an adverbial; 推进工作, 完善各项措施: no object of work named
    if verb == "确保" and not DIGIT.search(obj) and SECURED_STATE.search(obj):
        return None  # 确保全市安全生产形势持续稳定, 确保不发生规模性返贫: an aim, not an action (protocol §6)
    if obj.startswith("了") and (verb in measure.aim_verbs or verb in ("加强", "了解", "密切", "加深")):
        return None  # 促进了…水平的提高, 提升了…: an effect reported, not an action
    if verb.endswith(CARRIES_OUT) and DIRECTIVE.search(obj) and not NAMED_DIRECTIVE.search(obj):
        return None  # 落实省委省政府决策部署和市委工作要求: the frame of all work, no work of its own (§10.66)
    if not DIGIT.search(obj) and _aims(verb, obj, measure):
        return None
    if obj.startswith("的"):
        return None  # 发展的成果来之不易: the verb is a noun here
    if verb == "发挥" and not _names_a_role(obj, codebook):
        return None  # 发挥政府主导作用: a principle; 发挥…人才发展集团作用 puts a named body to work (protocol §10.59)
    if verb == "形成" and not _names_a_practice(obj, codebook):
        return None  # 形成…发展格局, 形成现实生产力: an outcome; 形成共建互补党建联合体 builds a carrier (protocol §6)
    aim = _longest_at(clause, at, measure.aim_verbs)
    aimed = clause[at + len(aim) :].strip().rstrip("等") if aim else ""
    if aim and aimed.endswith(tuple(measure.aim_heads)) and not DIGIT.search(obj):
        # 培育壮大新质生产力, 推动人口集聚: the longest verb decides whether the clause states an aim; with a quantity
        # it commits to a work (推动总投资572亿元的74个项目尽快落地见效, protocol §10.61)
        return None
    return i, verb, obj


@rule("action")
def action(doc: Document) -> Iterator[dict | None]:
    """One concrete action per clause (docs/coding_protocol.md §6): a clause that opens with an action verb
    and names its object (改造老旧小区245个, 实施城市更新行动), outside headings, problem passages and the
    list of a year's expected targets."""
    for r, a, b, verb, obj in doc.actions:
        if verb == "打造" and _claims_a_role(obj.strip()):
            continue  # 打造人才高地, 打造世界级碳纤维产业基地: a role the city means to play, no measure (§10.59)
        span = r.text[a:b]
        at = span.find(verb)
        rest = span[at + len(verb) :] if at >= 0 else span
        target = QUANTITY.search(rest)
        obj = rest[: target.start()] if target and target.start() > 0 else rest
        yield doc.item(
            r,
            "measure",
            a,
            b,
            "action",
            action=verb,
            object=obj.strip("了 　"),
            target=target.group(0) if target else None,
        )


def _actions(doc: Document) -> list[tuple]:
    out: list[tuple] = []
    targets_para, targets_at = None, -1
    measure = doc.codebook.themes.get("measure")
    if measure is None:
        return out
    for k, r in doc.free():
        path = list(r.section_path) if r.section_path is not None else []
        if r.is_heading or section_theme(path, doc.codebook) == "problem":
            continue  # headings are context; a section about problems states no measures
        if _run_in_heading(doc, k) and not _names_a_practice(r.text, doc.codebook):
            continue  # 推进教育优质均衡发展。…: a paragraph title, unless it names what it does (实施城市更新行动。)
        if GUIDING.search(r.text) and not REQUIREMENTS.search(r.text):
            continue  # 一年来，我们坚持以…思想为指导，…落实…部署: the frame of the year's work, not a work (§10.65)
        if "预期目标" in r.text or REQUIREMENTS.search(r.text):
            # the headline targets of the year are outcomes, not actions; the overall requirements
            # (政府工作的总体要求是：以…为指导，…统筹…) are principles (protocol §1, §10.56)
            targets_para, targets_at = r.para_id, k
        if r.para_id == targets_para:
            # the list of targets ends with its paragraph, or, in a text whose line breaks were lost, at the next
            # outline marker or a few sentences on (六、聚焦生态文明建设…)
            if k - targets_at > TARGET_SENTENCES or (k > targets_at and OUTLINE_START.match(r.text)):
                targets_para = None
            else:
                continue
        out += _sentence_actions(doc, k, r)
    return out


def _sentence_actions(doc: Document, k: int, r) -> list[tuple]:
    """(sentence, start, end, verb, object) of the actions sentence ``r`` (the ``k``-th) states, clause by
    clause."""
    out = []
    for a, b in _clauses(r.text):
        if r.text.startswith("通过", a) and MANNER_END.search(r.text[a:b].rstrip("等")):
            continue  # 通过提供就业岗位、…等形式: a manner, not the action itself
        falls_short = SHORTFALL_END.search(r.text, a, b) is not None
        for x, y in _action_pieces(r.text, a, b, doc.codebook):
            found = action_of(r.text[x:y], doc.codebook)
            if not found:
                continue
            i, verb, obj = found
            if falls_short and not verb.startswith(REMEDIES):
                continue  # 驻街单位参与社区党建工作不够: a shortcoming admitted, not an action (§10.68)
            if k < doc.review_end and verb in TALLY_VERBS and MARKET_OUTCOME.search(obj):
                continue  # 新增国家级专精特新企业27家 in the review: a statistic (protocol §10.2)
            end = y
            while end > x + i and r.text[end - 1] in " 　等":
                end -= 1
            out.append((r, x + i, end, verb, obj))
    return out


# a clause that ends by saying the work falls short admits a problem; a verb that remedies it still acts
SHORTFALL_END = re.compile(
    r"(?:不够|不足|不高|不强|不深|不实|不到位|不健全|不完善|不平衡|不充分|不紧密|不明显|不理想|滞后|薄弱|偏低|偏弱|较弱|乏力)"
    r"[。；，,;]?$"
)
REMEDIES = ("解决", "弥补", "补齐", "补足", "破解", "改变", "扭转", "克服", "应对", "化解", "改善")
# in the review, these verbs with what a city gains (新培育专精特新企业15家, 实现工业税收118.4亿元) tally a result
TALLY_VERBS = frozenset({"新增", "新设", "新培育", "培育", "实现"})
TARGET_SENTENCES = 4  # the headline targets take a few sentences at most, the overall requirements one or two
REQUIREMENTS = re.compile(r"(?:总体要求|总的要求|总体思路|指导思想)(?:是|为)?[：:]|总的要(?=以)")
# the sentence that names the guiding thought frames the year's work or its review
GUIDING = re.compile(r"以[^，。；]{2,24}思想为指导")
OUTLINE_START = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、．.](?!\d))")

# what a city gains rather than provides: 新增 + one of these in the review reports a statistic (protocol §10.2)
MARKET_OUTCOME = re.compile(
    r"企业|经营主体|市场主体|个体工商户|上市公司|小巨人|专精特新|高企|就业|贷款|存款|外资|税收|收入|产值|营收|人才|人口|"
    r"游客|专利|商标|品牌|用户"
)
# a heading that opens the year's plan (2024年工作安排, 今年的主要任务); the review comes before it
PLAN_HEADING = re.compile(
    r"(?:(20\d\d)年|今年)(?:的)?(?:政府)?(?:工作|主要|重点|发展|目标)|工作安排|主要任务|重点任务|预期目标|总体要求|工作思路"
)


def _review_end(rows) -> int:
    """Index of the first sentence of a government report's plan (a heading like 2024年工作安排, with the latest
    year any such heading names); every sentence before it belongs to the review.  0 when there is none."""
    found = [(k, PLAN_HEADING.search(r.text)) for k, r in enumerate(rows) if r.is_heading]
    heads = [(k, m) for k, m in found if m is not None and "回顾" not in rows[k].text and "过去" not in rows[k].text]
    years = [int(m.group(1)) for _, m in heads if m.group(1)]
    latest = max(years) if years else None
    return next((k for k, m in heads if latest is None or (m.group(1) and int(m.group(1)) == latest)), 0)


def _run_in_heading(doc: Document, k: int) -> bool:
    """The first sentence of a paragraph that goes on, one short clause with no list marker: a run-in title
    (深化改革开放。…, 持续提升临港枢纽功能。…)."""
    r = doc.rows[k]
    if (k > 0 and doc.rows[k - 1].para_id == r.para_id) or k + 1 >= len(doc.rows):
        return False
    if doc.rows[k + 1].para_id != r.para_id or isinstance(r.enum_marker, str) and r.enum_marker:
        return False
    text = r.text.rstrip("。！!")
    return len(text) <= 20 and not CLAUSE_SPLIT.search(text)


def _names_a_practice(text: str, codebook: Codebook) -> bool:
    """A title that names a carrier or mechanism (实施城市更新行动) or a quantity states a concrete action."""
    text = text.rstrip("。！!")
    if DIGIT.search(text):
        return True
    return any(
        text.endswith(x) and text not in t.generic
        for n in ("mechanism", "carrier")
        if n in codebook.themes
        for t in [codebook.themes[n]]
        for x in t.suffixes
    )


def _action_pieces(text: str, a: int, b: int, codebook: Codebook) -> list[tuple[int, int]]:
    """A clause cut at each 、 that opens a new action (新增绿地6942.7亩、栽植乔灌木919.9万株 is two measures;
    改造棚户区住房4432套、老旧小区325个 is one)."""
    cuts = [a]
    if _shared_mechanism_head(text[a:b]):
        return [(a, b)]  # 完善监测预警、灾害防御、协调联动、抢险救援机制: one arrangement, not four actions
    if SHARED_LIST_END.search(text, a, b) and not DIGIT.search(text, a, b):
        return [(a, b)]  # 处置中小金融机构、非法集资等涉众型风险: a list closed by 等 or a count shares its head
    verbs = _action_verbs(codebook)
    for k in range(a, b):
        if text[k] != "、":
            continue
        nxt = text.find("、", k + 1, b)
        member = text[k + 1 : nxt if nxt >= 0 else b]
        # 组织、指导、督促、检查…: verbs sharing one object stay one action; a cut needs an object before it, and
        # one after it (开工…项目500个、竣工300个: the second verb counts the same projects)
        start = _action_start(text[k + 1 : b], codebook, subject=False)
        if (
            start is not None
            and _verb_and_object(text[cuts[-1] : k], codebook)
            and not QUANTITY.fullmatch(member[start[1] + len(start[2]) :])
        ):
            cuts.append(k + 1)
            continue
        # 开工改造老旧小区477个、既有住宅加装电梯455台: a member with its own subject, verb and quantity after an
        # action with its quantity is an action of its own; a work named by its object and verb (危桥改造15座,
        # 退化林修复8万亩) is one more member of the list the first verb governs (实施…新改建260公里、危桥改造15座)
        if (
            QUANTITY.search(text, cuts[-1], k)
            and QUANTITY.search(member)
            and any(
                (v := _longest_in(member, j, verbs)) and not QUANTITY.match(member, j + len(v))
                for j in range(2, min(7, len(member) - 3))
            )
            and _verb_and_object(text[cuts[-1] : k], codebook)
        ):
            cuts.append(k + 1)
    return [(x, (cuts[j + 1] - 1) if j + 1 < len(cuts) else b) for j, x in enumerate(cuts)]


# a list closed by 等 or a count and the head its members share (protocol §6): …、续建四个项目库, …等涉众型风险
SHARED_LIST_END = re.compile(r"、[^，,；;。、]*(?:等|[一二三四五六七八九十两]+[个大项类])[\u4e00-\u9fff“”]{2,12}$")
# a list whose members share the head of the last one (protocol B2): 专班推进、联挂服务、协同破难机制
SHARED_MECHANISM_HEAD = re.compile(r"(?:机制|体系|模式|制度|体制)$")


def _shared_mechanism_head(clause: str) -> bool:
    """``clause`` (verb + list, no clause punctuation) names one mechanism whose modifiers are listed with 、: the
    first member is short, so are the others (at most six characters before the head), and only the last one ends
    in a head."""
    *members, last = clause.split("、")
    head = SHARED_MECHANISM_HEAD.search(last)
    return (
        bool(members)
        and head is not None
        and 2 <= head.start() <= 8
        and len(members[0]) <= 12
        and all(2 <= len(m) <= 6 and not SHARED_MECHANISM_HEAD.search(m) for m in members[1:])
    )


def _verb_and_object(piece: str, codebook: Codebook) -> bool:
    """``piece`` opens with a verb and has an object: an action, or an aim (扩大就业创业渠道、提高兜底保障标准 is an aim
    and an action, not one lump)."""
    if action_of(piece, codebook) is not None:
        return True
    head = _action_start(piece, codebook, subject=False)
    return head is not None and len(piece) - head[1] - len(head[2]) >= 2


NOUN_DESCRIPTORS = re.compile(
    r"^(?:(?:省市县|市县|市、县|县乡|县、乡)(?:两|三)级|一批|一个|一套|多个|[\d一二三四五六七八九十两]+[个家项所座条批件]|全[省市国区州县]首[个家]|首[个家批]|"
    r"新一轮|一系列|各类|各级|第[一二三四五六七八九十\d]+[轮批期届])"
)


@rule("named_object")
def named_object(doc: Document) -> Iterator[dict | None]:
    """The carrier or mechanism an action works on, with its full name: the action's object, when it ends in a
    carrier's or mechanism's suffix (实施城市更新行动 → 城市更新行动; 落实耕地保护和粮食安全责任制 → the whole
    name, coordinated modifiers kept). Objects listed with 、 are read one by one, unless they share a head
    (…等机制)."""
    codebook = doc.codebook
    suffixes = [
        (n, tuple(sorted(t.suffixes, key=len, reverse=True)))
        for n, t in codebook.themes.items()
        if t.suffixes and n in ("mechanism", "carrier")
    ]
    all_suffixes = tuple(x for _, sfx in suffixes for x in sfx)
    mechanism_heads = next((sfx for n, sfx in suffixes if n == "mechanism"), ())
    verbs = (
        tuple(sorted(codebook.themes["measure"].action_verbs, key=len, reverse=True))
        if "measure" in codebook.themes
        else ()
    )
    verbs_from = _by_first_char(verbs)
    manner = codebook.phrases.manner_adverbs
    could_name = _name_hint(all_suffixes)
    for r, a, b, verb, obj in doc.actions:
        text = r.text
        if not could_name.search(text, a, b):
            continue  # no head of a name, no quoted system or campaign: the object names nothing (most actions)
        o0 = b - len(obj) if obj and text[:b].endswith(obj) else a + len(verb)
        # 实施好…, 建立了…: the object starts after the verb's particle. A second verb is not taken off here: a
        # programme's name may open with one (创新创业主体培育工程, 全面对接服务RCEP行动; protocol §10.55)
        while o0 < b and text[o0] in " 　好了起":
            o0 += 1
        # 认真谋划、强力推进|贵州航空产业城建设: two verbs share the object, the name starts after both (§10.70)
        if text.startswith("、", o0):
            k = o0 + 1
            k += len(next((w for w in manner if text.startswith(w, k)), ""))
            second = next((v for v in verbs_from.get(text[k], ()) if text.startswith(v, k)), None) if k < b else None
            if second:
                o0 = k + len(second)
        # a verb inside the object begins another one (辽宁材料实验室创建国家材料实验室沈阳基地)
        inner = next(
            (
                (k, end)
                for k in range(o0 + 2, b - 2)
                if text.startswith(verbs_from.get(text[k], ()), k)
                and text[o0:k].endswith(all_suffixes)
                and (end := k + len(next(v for v in verbs_from[text[k]] if text.startswith(v, k))))
                # …医疗集团建设试点: a verb right before a programme's head names the programme, it begins nothing
                and not PROGRAMME_HEAD.match(text, end)
                # 专班推进、联挂服务…机制: a verb that closes a list member is part of the member
                and not text.startswith("、", end)
                # …科创带建设运作机制: 建设 names the work the mechanism governs, it begins nothing
                and not (text.startswith("建设", k) and text[o0:b].endswith(mechanism_heads))
            ),
            None,
        )
        if inner is not None:
            yield from _named(doc, r, _members(text, o0, inner[0], suffixes), suffixes)
            o0 = inner[1]
        o0 = _created(text, o0, b, suffixes, mechanism_heads)
        members = _members(text, o0, b, suffixes)
        # 支持枝江创建…示范区、当阳创建…产业园: each member names what its own inner verb creates
        members = [(_created(text, s, e, suffixes, mechanism_heads), e) for s, e in members]
        yield from _named(doc, r, members, suffixes)


@lru_cache(maxsize=8)
def _name_hint(suffixes: tuple[str, ...]) -> re.Pattern:
    """What every name :func:`_named` finds holds: a carrier's or mechanism's head, a quoted …制, or the head of
    a quoted campaign (:data:`QUOTED_SYSTEM`, :data:`QUOTED_CAMPAIGN`)."""
    words = sorted({*suffixes, "制”", "活动", "专项整治", "主题年"}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


def _created(text: str, s: int, e: int, suffixes, mechanism_heads) -> int:
    """Where the name in ``text[s:e]`` starts: after an inner verb that creates it (支持…企业组建|产业创新联盟),
    else at ``s``. A body co-built is named after 共建 (科研机构共建|创新联合体); not an arrangement named with
    its partners (市校共建相融互促机制), nor where 共建 joined to 互补, 共享… describes the name
    (形成|共建互补党建联合体)."""
    made = CREATED.search(text, s, e)
    if not made:
        return s
    named = _bare(text, made.end(), e)[2]
    cobuilt = made.group(0) == "共建"
    described = cobuilt and CO_BUILT_NAME.match(text, made.end()) is not None
    if _ends_in(named, suffixes) and not (described or (cobuilt and named.endswith(mechanism_heads))):
        return made.end()
    return s


# the dictionary's tags of words a name may open with (numerals, nouns, names): 第三代, 和美乡村, 起亚
NAME_WORD_TAGS = ("m", "n")
CO_BUILT_NAME = re.compile(r"互补|共[享治管用赢]")
QUOTED_MEMBER = re.compile(r"“[^“”]{1,16}”")
PROGRAMME_HEAD = re.compile(r"(?:试点|工程|行动|计划|项目|攻坚)")
PROGRAMME_TAIL = re.compile(r"(?:试点|工程|行动|计划|攻坚战)$")
PLACE_MEMBER = re.compile(r"[省市县区乡镇村]$")
CAMPAIGN_YEAR = re.compile(r"[\u4e00-\u9fff](?<![一二三四五六七八九十两百千])年”?$")
AVOIDED = re.compile(r"(?:防范|杜绝|反对|严禁|禁止|防止|力戒|纠治)")
AWARD_AFTER = re.compile(r"[\u4e00-\u9fff]{0,6}奖")
PILOT_TAIL = re.compile(r"(城市|项目|[市县](?![\u4e00-\u9fff])|[市县](?=建设|创建))")
# verbs that run a programme; a verb right after them opens the programme's name when the object ends in one
RUNS_PROGRAMME = ("实施", "开展", "启动", "部署", "组织实施", "组织开展", "全面实施", "全面开展")
PROGRAMME_END = re.compile(r"(?:[三五十]年|专项)?(?:行动|计划|工程|攻坚行动|攻坚战)(?:”|\[\d+\])?$")
CREATED = re.compile(r"(?<=[\u4e00-\u9fff])(?:组建|成立|设立|创建|建立|构建|搭建|打造|共建(?!共))(?=[\u4e00-\u9fff“])")
# words that never stand inside a carrier's or mechanism's name: the member is a clause (…3个园区成功认定省级化工园区)
FUNCTION_OPENER = re.compile(r"(?:对(?![象外口岸标接话])|围绕|有力|为了|按照|根据|通过)")
NOT_IN_NAME = re.compile(r"成功|认定|获批|入选|达到|成为|荣获|获评|纳入|列入|结成")
RANK_START = re.compile(r"^(?:国家级|国家|省级|市级|全国|中国)")
# the last member counts or closes the list, so its head is shared: …等特色产业示范区, …五大行动, “三个专项行动”
SHARED_COUNT = re.compile(r"等|[一二三四五六七八九十两\d]+[大项个类]|“[一二三四五六七八九十两\d]+个")
PROJECT_LIST = re.compile(r"等(?:\d+个)?(?:重[点大])?(?:产业)?(?:项目|工程)(?:建设|前期工作)?$")
NAME_TAIL = re.compile(r"(?:建设|提档升级|提质增效|扩容提质|创建工作|建设工作|工作)$")
# who runs a quoted programme is not part of its name: 自治区“碳达峰十大行动” → “碳达峰十大行动”
OWNER_BEFORE_QUOTE = re.compile(
    r"^(?:自治区|全省|全市|全区|全州|全县|全国|中央|省委|市委|我市|我省|我区|新时代|省|市|州|县)(?=“)"
)
# a zone's part in a city, named with the zone when the city is a place (…产业合作区南宁片区)
SUB_AREA = re.compile(r"([\u4e00-\u9fff]{2,3})(?:片区|扩展区|协同发展区|功能区|分中心|分园)")
# a place of the gazetteer before a quoted model (泸州“康联体”模式): checked in Document.item, which has the places
PLACE_QUOTE = re.compile(r"^([\u4e00-\u9fff]{2,3})“")
# a county or town before a quoted model or method is where it comes from (公安县“三块田”模式, 太伏镇“一站式”…工作法);
# before a body it is part of the body's name (叙永县“石榴籽”人民调解委员会)
PLACE_BEFORE_QUOTE = re.compile(r"^[\u4e00-\u9fff]{1,4}(?:县|镇|乡|街道)(?=“)")


@lru_cache(maxsize=16_384)  # a list's members are looked at several times over (whether named, shared, joined)
def _bare(text: str, s: int, e: int) -> tuple[int, int, str]:
    """(start, end, bare name) of a member ``text[s:e]`` without its quantity, footnote, 建设-like tail and
    descriptors (一批, 全省首个, 第三轮); the bare name also loses a final bracketed alternation and quote."""
    piece = NAME_TAIL.sub("", FOOTNOTE.sub("", QUANTITY.sub("", text[s:e])).rstrip())
    m = NOUN_DESCRIPTORS.match(piece) or OWNER_BEFORE_QUOTE.match(piece)
    start = s + (m.end() if m else 0)
    name = text[start : s + len(piece)]
    return start, s + len(piece), re.sub(r"[（(][^（）()]{1,6}[)）]$", "", name).rstrip('”"')


def _ends_in(bare: str, suffixes) -> bool:
    return any(bare.endswith(sfx) and any(bare.endswith(x) and len(bare) > len(x) for x in sfx) for _, sfx in suffixes)


def _members(text: str, o0: int, b: int, suffixes) -> list[tuple[int, int]]:
    """The names an action's object ``text[o0:b]`` lists (docs/coding_protocol.md B2): members cut at 、 when
    each is a name of its own (浑南科技城、沈北科教园等创新空间 → two names) or carries its own quantity; one
    span when they share the last member's head (蓝天、碧水、净土保卫战; 食用菌、人参等特色产业示范区); two
    names joined by 和/及/与 are cut there when both are whole names (…发展基地和长三角（东台）康养基地)."""
    if PROJECT_LIST.search(QUANTITY.sub("", text[o0:b]).rstrip()):
        return []  # a list of construction projects (…产业园等项目建设): projects, not carriers
    parts, s = [], o0
    depth = 0
    for k in range(o0, b + 1):
        if k < b and text[k] in "“（(":
            depth += 1
        elif k < b and text[k] in "”）)":
            depth = max(0, depth - 1)
        if k == b or (text[k] == "、" and depth == 0):
            parts.append((s, k))
            s = k + 1
        elif (
            text[k] == "“"
            and k > s
            and text[s] == "“"
            and text[k - 1] == "”"
            and depth == 1
            and _ends_in(_bare(text, s, k)[2], suffixes)
        ):
            parts.append((s, k))  # “专家教授天门行”“万名大学生回归工程”: two quoted names side by side
            s = k
    if len(parts) > 1:
        last_s, last_e = parts[-1]
        cut = text.rfind("等", last_s, last_e)
        named = [_ends_in(_bare(text, x, y)[2], suffixes) for x, y in parts[:-1]]
        own_qty = [bool(QUANTITY.search(text[x:y])) for x, y in parts[:-1]]
        # how long a member may be and still share the last member's head: a mechanism's or a programme's head is
        # shared by longer members (城乡居民、灵活就业人员、新业态就业人员…专项行动) than a place's
        shared_width = (
            6
            if SHARED_MECHANISM_HEAD.search(text[o0:b])
            else 7
            if len(last := _bare(text, last_s, last_e)[2]) >= 6
            and PROGRAMME_TAIL.search(last)
            and not any(PLACE_MEMBER.search(text, x, y) for x, y in parts[:-1])  # 新丰乡盛洪村、…试点: who runs it
            and not any(CAMPAIGN_YEAR.search(text, x, y) for x, y in parts[:-1])  # 招商引资突破年、…: a name of its own
            else 4
        )
        if cut > last_s and all(named) and _ends_in(_bare(text, last_s, cut)[2], suffixes):
            parts[-1] = (last_s, cut)  # 浑南科技城、沈北科教园等创新空间: the category after 等 is not a name
        elif (
            cut > last_s
            and not any(named)
            and all(y - x <= 4 for x, y in parts[:-1])
            and cut - last_s <= 4
            and not text.startswith(("领域", "方面", "行业"), cut + 1)  # …交通等领域…整治行动: areas of one name
            and _ends_in(_bare(text, cut + 1, last_e)[2], suffixes)
        ):
            parts = [
                (cut + 1, last_e)
            ]  # 安远、全南等县域物流配送体系建设试点: places run the pilot, the name follows 等
        elif (
            not all(n or q for n, q in zip(named, own_qty, strict=True))
            and _ends_in(_bare(text, o0, b)[2], suffixes)
            and (
                all(
                    n or len(text[x:y].rsplit("的", 1)[-1]) <= shared_width
                    for n, (x, y) in zip(named, parts[:-1], strict=True)
                )
                # “走企纾困解难”、“走企护商治乱”、“走企问政督效”专项行动: quoted members share the last one's head
                or (
                    text[last_s] == "“"
                    and not any(named)
                    and all(QUOTED_MEMBER.fullmatch(text, x, y) for x, y in parts[:-1])
                )
                or SHARED_COUNT.search(text, last_s, last_e)
                # 市委组织部、市直机关工委、市民政局和各区委的例会制度: the list names who owns the one arrangement
                or (
                    "的" in text[last_s:last_e]
                    and not any(named)
                    and all("的" not in text[x:y] and y - x <= 7 for x, y in parts[:-1])
                )
            )
        ):
            parts = [(o0, b)]  # the members share one head: 蓝天、碧水、净土保卫战; …、服务效能提升“三个专项行动”
    elif (cut := text.rfind("等", o0, b)) > o0 + 2 and _ends_in(_bare(text, o0, cut)[2], suffixes):
        parts = [(o0, cut)]  # 碳中和联合研究院等重大平台: one name, then the category it belongs to
    out = []
    for x, y in parts:
        sx, sy, _ = _bare(text, x, y)
        joint = next(
            (
                k
                for k in range(sx + 2, sy - 2)
                if text[k] in "和及与或"
                and (
                    text[k - 1 : k + 2] == "”或“"  # “青年公寓”或“青年驿站”: two quoted alternatives, two names
                    or _ends_in(_bare(text, sx, k)[2], suffixes)
                    or text.startswith("建设", k - 2)
                    or RANK_START.match(text[k + 1 : sy])
                )
                and "的" not in text[k + 1 : sy]  # …和“社区各项事务”的领导核心机制: the head is shared
                and _ends_in(_bare(text, k + 1, sy)[2], suffixes)
            ),
            None,
        )
        out += [(x, joint), (joint + 1, y)] if joint is not None else [(x, y)]
    return out


def _named(doc: Document, r, members: list[tuple[int, int]], suffixes) -> Iterator[dict | None]:
    """Carrier or mechanism items among ``members`` (spans of sentence ``r``): a member whose name, without its
    quantity, footnote and descriptors (一批, 全省首个), ends in a suffix."""
    text = r.text
    for s, e in members:
        start, end, bare = _bare(text, s, e)
        if QUOTED_SYSTEM.search(text[start:end]):
            yield doc.item(r, "mechanism", start, end, "named_object")  # 工业“赛马制”: a quoted …制 (protocol §4)
            continue
        if QUOTED_CAMPAIGN.fullmatch(text, start, end):
            yield doc.item(r, "carrier", start, end, "named_object")  # 开展“两拖欠”专项整治 (protocol no. 49)
            continue
        # 用好“岳阳·金融港”等服务平台: the quoted name is the carrier, what follows 等 is its kind (protocol §10.70)
        kind = QUOTED_OF_A_KIND.fullmatch(text, start, end)
        if kind:
            theme = next((t for t, sfx in suffixes if kind.group(2).endswith(sfx)), None)
            if theme:
                yield doc.item(r, theme, start, kind.end(1), "named_object")
            continue
        for theme, sfx in suffixes:
            head = next((x for x in sfx if bare.endswith(x)), None) if bare.endswith(sfx) else None  # the longest
            if head and theme == "carrier" and designated(text[:start], bare):
                break  # 创成全国气象防灾减灾示范区: a title conferred
            if head and len(bare) > len(head):
                yield doc.item(r, theme, start, end, "named_object")
                break


# a system reformed: what ends at b - 2 (…制度|改革, …体制|改革) is an area of reform
REFORMED = re.compile(r"(?:制度|体制|机制)改革|[\u4e00-\u9fff]{2}[和与及、][\u4e00-\u9fff]{1,10}?(?:制度|体制)改革")
# a campaign named in quotes: “政府工作落实年”活动, “九查九改”干部作风整顿活动, “两拖欠”专项整治 (not …等活动, a kind)
QUOTED_CAMPAIGN = re.compile(r"“[^“”]{2,16}”(?:(?![等和及与])[\u4e00-\u9fff]){0,8}?(?:活动|专项整治|主题年)")
QUOTED_SYSTEM = re.compile(r"“[^“”]{1,10}[^体机控编限抑管节]制”$")
# a quoted name and then its kind after 等 (“岳阳·金融港”等服务平台, “国际月”等对外平台)
QUOTED_OF_A_KIND = re.compile(r"(“[^“”]{2,16}”)等([\u4e00-\u9fff]{1,8})")


# the classifier's items are added after the rules, by add_model_items
rule("model")(None)


GRADE = re.compile(r"^(?:A{1,5}级?|[一二三四五]星级?)(?=[\u4e00-\u9fff])")
BRACKETED = re.compile(r"[（(]([^（）()]{1,8})[)）]")
QUOTE_MARKS = re.compile(r"[“”\"'《》]")


@lru_cache(maxsize=16_384)  # every item is named twice: by the rules' finish_items, then after the classifier's
def canonical_name(item: str, theme: str, codebook: Codebook) -> str:
    """The name one practice goes by across spellings and documents (docs/coding_protocol.md §9): the codebook's
    alias, else the item without quotes, footnotes, quantities and grades, a one- or two-character alternation
    joined (河（湖）长制 → 河湖长制) and other bracketed insertions dropped (长三角（东台）康养基地 → 长三角康养基地);
    a carrier or mechanism also without its governing verb (调整社区养老服务驿站 → 社区养老服务驿站)."""
    alias = codebook.canonical_of(item)
    if alias != item:
        return alias
    s = FOOTNOTE.sub("", item)
    s = BRACKETED.sub(lambda m: m.group(1) if len(m.group(1)) <= 2 and m.end() < len(s) else "", s)
    if theme == "measure":  # quotes still in place: a quoted name (推进“六水共治”, 纠治“四风”) is not a quantity
        s = QUANTITY.sub("", s).rstrip("、，, ")
    s = QUOTE_MARKS.sub("", s)
    if theme != "measure":
        s = codebook.phrases.lead_verbs.sub("", s) if len(codebook.phrases.lead_verbs.sub("", s)) >= 3 else s
        s = GRADE.sub("", s)
    s = s.strip()
    return codebook.canonical_of(s) if len(s) >= 2 else item


def finish_items(items, codebook: Codebook):
    """Canonical names, one row per (document, theme, canonical item), sorted."""
    import pandas as pd

    if items.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    items = items.copy()
    items["canonical"] = [
        canonical_name(i, t, codebook) for i, t in zip(items["item"].tolist(), items["theme"].tolist(), strict=True)
    ]
    rank = method_rank(codebook)
    items["_rank"] = items["method"].map(rank).fillna(len(rank))
    # an item coded under two themes keeps the theme that comes first in the precedence
    prec = {t: k for k, t in enumerate(codebook.precedence)}
    items["_prec"] = items["theme"].map(prec)
    items = items.sort_values(["doc_id", "start", "_prec", "_rank"], kind="stable")
    items = items.drop_duplicates(["doc_id", "sent_id", "item"], keep="first")
    # a noun phrase inside a longer item of the same sentence adds nothing ("参与机制" in "共同参与机制"), nor
    # does a carrier inside a mechanism's name (产业园区|“一把手”招商引资激励机制, protocol §7) or a 模式 that
    # only modifies a carrier's name (换电模式|应用试点城市)
    spans: dict[tuple, list[tuple]] = {}
    # columns as lists first: iterating an Arrow-backed column value by value is slow
    cols = {c: items[c].tolist() for c in ("doc_id", "sent_id", "theme", "item_start", "item_end", "item", "method")}
    for d, sid, t, a, b in zip(
        cols["doc_id"], cols["sent_id"], cols["theme"], cols["item_start"], cols["item_end"], strict=True
    ):
        if not pd.isna(a):
            spans.setdefault((d, sid), []).append((t, int(a), int(b)))

    def nested(d, sid, t, a, b, it) -> bool:
        if pd.isna(a):
            return False
        for t2, a2, b2 in spans.get((d, sid), []):
            if (a2, b2) == (int(a), int(b)) or not (a2 <= a and b <= b2):
                continue
            if (
                t2 == t
                or (t, t2) == ("carrier", "mechanism")
                or ((t, t2) == ("mechanism", "carrier") and it.endswith(MODIFIER_HEADS))
            ):
                return True
        return False

    inside = [
        m == "noun_phrase" and nested(d, sid, t, a, b, it)
        for d, sid, t, a, b, it, m in zip(*cols.values(), strict=True)
    ]
    items = items[~pd.Series(inside, index=items.index)]
    items = items.sort_values(["doc_id", "_rank", "start"], kind="stable")
    # every mention is an item, once per sentence (a coder codes each one); a later mention of a practice (carrier,
    # mechanism, problem) the document already named is marked ``repeat``, and the tables that count practices leave
    # it out. A measure never repeats: the plan's 改造老旧小区67个 is another action than the review's
    # 改造老旧小区139个 (protocol §6, §9)
    items = items.drop_duplicates(["doc_id", "theme", "canonical", "sent_id"], keep="first")
    if "score" not in items:
        items["score"] = None
    items = items.drop(columns=["_rank", "_prec"]).sort_values(["doc_id", "start", "theme", "item"], kind="stable")
    later = items.duplicated(["doc_id", "theme", "canonical"], keep="first") & (items["theme"] != "measure")
    items["repeat"] = later.astype(bool)
    items["item_start"] = items["item_start"].astype("Int64")
    items["item_end"] = items["item_end"].astype("Int64")
    return items[ITEM_COLUMNS].reset_index(drop=True)


def _predict(model, texts):
    """:func:`pipeline.themes.classifier.predict`, to the last bit: by the model's :class:`Scorer` (its arrays,
    no scikit-learn), or for a fitted pipeline with the term counts built faster: for the classifier's TF-IDF
    features (:func:`pipeline.themes.classifier.build_model`) each vectorizer's counts come from
    :func:`pipeline.themes.classifier.term_counts` and go through its own TF-IDF weighting, then to the logistic
    regression; any other model is asked as it is."""
    from .classifier import Scorer, predict, term_counts

    if isinstance(model, Scorer):
        return model.predict_proba(texts)
    import pandas as pd
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    features, clf = model.named_steps.get("features"), model.named_steps.get("clf")
    parts = getattr(features, "transformer_list", None)
    if clf is None or not parts or features.transformer_weights is not None or len(model.steps) != 2:
        return predict(model, texts)
    if not all(isinstance(v, TfidfVectorizer) and hasattr(v, "_tfidf") for _, v in parts):  # scikit-learn internals
        return predict(model, texts)
    docs = [norm(t) for t in texts]
    # what FeatureUnion.transform does: each part's TF-IDF matrix, side by side, as CSR
    counts = [term_counts(v.build_analyzer(), v.vocabulary_, docs, v.dtype) for _, v in parts]
    X = sp.hstack([v._tfidf.transform(c, copy=False) for (_, v), c in zip(parts, counts, strict=True)]).tocsr()
    return pd.DataFrame(clf.predict_proba(X), columns=list(model.classes_))


def add_model_items(
    items, sentences, model, codebook: Codebook, threshold: float, labelled: AbstractSet[str] = frozenset()
):
    """Score every item by the classifier's probability of its theme for its evidence
    sentence, and add sentences the classifier is sure of (≥ threshold) that no rule
    coded.  Sentences the classifier was trained on (``labelled``, normalised texts)
    are not added: its answer there is a memory, not a finding."""
    import pandas as pd

    if sentences.empty:
        return items
    adding = "model" in codebook.rules
    sents = sentences.sort_values(["doc_id", "sent_id"]).reset_index(drop=True)
    if not adding:  # the classifier only scores items: the sentences without one need no prediction
        with_items = set(zip(items.doc_id.tolist(), items.sent_id.tolist(), strict=True))
        keep = [k in with_items for k in zip(sents.doc_id.tolist(), sents.sent_id.tolist(), strict=True)]
        sents = sents[keep].reset_index(drop=True)
        if sents.empty:
            return finish_items(items.assign(score=None) if len(items) else items, codebook)
    proba = _predict(model, sents.text)
    proba.index = pd.MultiIndex.from_frame(sents[["doc_id", "sent_id"]])
    items = items.copy()
    if len(items):
        values, column = proba.to_numpy(), {c: j for j, c in enumerate(proba.columns)}
        row = {k: i for i, k in enumerate(zip(sents.doc_id.tolist(), sents.sent_id.tolist(), strict=True))}
        keys = zip(items.doc_id.tolist(), items.sent_id.tolist(), strict=True)
        items["score"] = [
            round(float(values[row[k], column[t]]), 3) if t in column else None
            for k, t in zip(keys, items.theme.tolist(), strict=True)
        ]
    coded = set(zip(items.doc_id.tolist(), items.sent_id.tolist(), strict=True))
    themes = [t for t in proba.columns if t in codebook.themes]
    best = proba[themes].idxmax(axis=1)
    top = proba[themes].max(axis=1)
    rows = []
    for k, ((doc_id, sid), theme, p) in enumerate(zip(proba.index, best, top, strict=False)):
        if not adding or p < threshold or (doc_id, sid) in coded:
            continue
        r = sents.iloc[k]
        if norm(r.text) in labelled:
            continue
        if r.is_heading or len(r.text) < 15:
            continue
        text = r.text
        lead = (
            r.item_lead
            if isinstance(r.item_lead, str) and r.item_lead
            else next((text[a:b] for a, b in _clauses(text) if b - a >= 4), text)
        )
        phrase = normalise_item(lead[:40], theme, codebook)
        if len(phrase) < 4 or phrase.endswith(("方面", "是", "如下", "要求")):
            continue
        i = text.find(phrase)
        rows.append(
            {
                "doc_id": doc_id,
                "theme": theme,
                "item": phrase,
                "method": "model",
                "score": round(float(p), 3),
                "evidence": text,
                "start": int(r.start),
                "end": int(r.end),
                "item_start": int(r.start) + i if i >= 0 else None,
                "item_end": int(r.start) + i + len(phrase) if i >= 0 else None,
                "sent_id": int(sid),
                "section_path": list(r.section_path) if r.section_path is not None else [],
            }
        )
    if rows:
        items = pd.concat([items, pd.DataFrame(rows)], ignore_index=True)
    return finish_items(items, codebook)
