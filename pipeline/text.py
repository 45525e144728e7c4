"""Text helpers shared by every stage: character classes, enumeration markers,
and the normal form used to match phrases.

Government and Party documents number their parts in a small set of styles
(一、 （一） 1、 （1） ① 一是 第一); the cleaner, the structure reader, the
metadata reader and the theme rules all recognise them from the pieces here,
so a new style is added once.
"""

from __future__ import annotations

import re
import unicodedata

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CN_NUM = "一二三四五六七八九十"

# enumeration markers, one pattern per style
CN_COMMA = rf"[{CN_NUM}]{{1,3}}、"  # 一、
CN_PAREN = rf"[（(][{CN_NUM}]{{1,3}}[)）]"  # （一）
NUM_COMMA = r"\d{1,2}[、．.](?!\d)"  # 1、 1． 1.
NUM_PAREN = r"[（(]\d{1,2}[)）]"  # （1）
CIRCLED = r"[①-⑳]"  # ①
CN_SEQ = rf"[{CN_NUM}]{{1,3}}是"  # 一是
CN_ORDINAL = rf"第[{CN_NUM}]{{1,3}}"  # 第一
CHAPTER = rf"第[{CN_NUM}百]+[章节篇]|第[{CN_NUM}]+部分"

# a marker that opens a heading or list item
ENUM_MARK = rf"(?:{CN_COMMA}|{CN_PAREN}|{CN_SEQ}|{NUM_COMMA}|{NUM_PAREN}|{CIRCLED}|{CN_ORDINAL}[，,、])"

# outline markers at the start of a paragraph, by type (the heading hierarchy)
OUTLINE = [
    ("chapter", re.compile(CHAPTER)),
    ("cn", re.compile(CN_COMMA)),
    ("cn_paren", re.compile(CN_PAREN)),
    ("num", re.compile(NUM_COMMA)),
    ("num_paren", re.compile(NUM_PAREN)),
    ("circled", re.compile(CIRCLED)),
]

# the first item of a list, in any style
FIRST_MARKER = re.compile(r"一是要|一是|一要|第一|首先|1[、．.]|[（(][一1][)）]|①|一、")
# a token that is only an enumeration word (一是, 第三, 首先)
ENUM_WORD = re.compile(rf"[{CN_NUM}]+[是要]|第[{CN_NUM}]+|首先|其次")

# a cell opening with one of these is a formula to a spreadsheet (OWASP, "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so that it stays text; anything
    else unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


PUNCT = re.compile(r"[\s\u3000，,。.；;：:、！!？?“”\"'（）()《》【】\[\]—\-…·]")


def norm(text: str) -> str:
    """Width-folded text without punctuation or spaces, for matching."""
    return PUNCT.sub("", unicodedata.normalize("NFKC", str(text)))
