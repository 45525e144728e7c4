"""Metadata inference: title, date, year, publisher and genre, each with the
rule that decided it (``*_source``).  Places are in :mod:`pipeline.places`.

Inference reads the *raw* head of a page for bylines ("来源：… 2004-12-11")
because the cleaner removes those lines from the text, and the *clean* text
for titles and years.  A sharing site's upload date is never a document
date.  Unknown stays None.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..text import CN_COMMA, CN_NUM

CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

UPLOAD_CUES = re.compile(r"上传(时间|于|日期)|下载(时间|次数)|收藏")
DATE_NUM = r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
BYLINE_DATE = [
    re.compile(rf"(?:来源|发布时间|发表时间|时间|日期|发布日期|稿源)[:：]?[^\n]{{0,40}}?{DATE_NUM}"),
    re.compile(rf"^\s*{DATE_NUM}(?:日)?\s*(?:\d{{1,2}}[:时]\d{{2}})", re.M),
    re.compile(rf"^\s*{DATE_NUM}\s*$", re.M),
]
DELIVERY = re.compile(
    r"[—―-]{0,2}\s*[（(]?\s*([0-9〇零○一二三四五六七八九十]{4}|(?:19|20)\d{2})\s*年\s*"
    r"([0-9一二三四五六七八九十]{1,3})\s*月\s*([0-9一二三四五六七八九十]{1,3})\s*日\s*在"
)
JOURNAL = re.compile(r"^\s*(\S{2,20}?)\s*((?:19|20)\d{2})\s*年\s*(?:第\s*)?(\d{1,3})\s*期", re.M)
SOURCE = re.compile(r"(?:来源|稿源)\s*[:：]\s*([^\s\d|｜:：]{2,30})")
SOURCE_ALONE = re.compile(r"^\s*(?:来源|稿源)\s*[:：]?\s*\n\s*([^\n\d]{2,30})\s*$", re.M)
YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
TARGET_BEFORE = (
    "到",
    "至",
    "于",
    "为",
    "前",
    "截至",
    "计划",
    "力争",
    "预计",
    "目标",
    "获得",
    "获",
    "—",
    "-",
    "～",
    "~",
)
TARGET_AFTER = ("前", "底前", "远景", "目标", "）", ")")
# "2026年主要工作" heads the plan as often as the review, so it is not a review heading
REVIEW = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:工作回顾|回顾|主要工作回顾|工作总结)")
NOT_TITLE = re.compile(rf"^(?:[（(]|——|—|各位代表)|回顾$|主要工作$|^{CN_COMMA}|^第[{CN_NUM}]+[章部分]")


def _cn_number(s: str) -> int | None:
    """'二〇二六' → 2026, '二十七' → 27, '12' → 12."""
    if s.isdigit():
        return int(s)
    if all(c in CN_DIGITS for c in s):
        return int("".join(str(CN_DIGITS[c]) for c in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)
    return None


def _iso(y: int, m: int, d: int) -> str | None:
    if 1949 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


@dataclass
class Inferred:
    value: object = None
    source: str = "none"


def infer_title(clean: str, stated: str | None, stated_source: str, stem: str) -> Inferred:
    if stated:
        return Inferred(stated.strip(), stated_source)
    for line in clean.split("\n")[:3]:
        line = line.strip()
        if not line:
            continue
        if 4 <= len(line) <= 80 and line[-1] not in "。！？；：:，," and not NOT_TITLE.search(line):
            return Inferred(line, "first_line")
        break
    return Inferred(stem, "filename")


def infer_date(raw: str) -> Inferred:
    """The document's own date: a delivery line ("2026年1月27日在…会议上"),
    else a byline date near the top of the page."""
    head = raw[: max(3000, len(raw) // 5)]
    m = DELIVERY.search(head)
    if m:
        y, mo, d = (_cn_number(x) for x in m.groups())
        if y and mo and d and _iso(y, mo, d):
            return Inferred(_iso(y, mo, d), "delivery_line")
    for rx in BYLINE_DATE:
        for m in rx.finditer(head):
            line_start = head.rfind("\n", 0, m.start()) + 1
            line_end = head.find("\n", m.end())
            line = head[line_start : line_end if line_end >= 0 else None]
            if UPLOAD_CUES.search(line):
                continue  # a sharing site's upload date is not the document's
            iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if iso:
                return Inferred(iso, "byline")
    return Inferred()


def year_counts(text: str) -> Counter[int]:
    """Mentions of each year the text reports on ("2023年"), leaving out targets ("到2035年"), ranges
    ("2021—2035年") and events named after a year ("获得2026年…")."""
    counts: Counter[int] = Counter()
    for m in YEAR.finditer(text):
        before = text[max(0, m.start() - 3) : m.start()]
        after = text[m.end() : m.end() + 3]
        if any(before.endswith(t) for t in TARGET_BEFORE) or after.startswith(TARGET_AFTER):
            continue
        counts[int(m.group(1))] += 1
    return counts


def infer_year(date: str | None, date_source: str, title: str | None, raw: str, clean: str) -> Inferred:
    if date:
        return Inferred(int(date[:4]), "date")
    if title:
        m = YEAR.search(title)
        if m:
            return Inferred(int(m.group(1)), "title")
    m = JOURNAL.search(raw[:3000])
    if m:
        return Inferred(int(m.group(2)), "journal_issue")
    m = REVIEW.search(clean)
    if m:  # "一、2023年工作回顾": a report given the year after the one it reviews
        return Inferred(int(m.group(1)) + 1, "review_heading")
    # the latest year the text reports on
    counts = year_counts(clean)
    if not counts:
        return Inferred()
    years = sorted(counts)
    while len(years) > 1 and years[-1] - years[-2] > 1:
        years.pop()  # a lone far-off year is a plan or a name, not the report's time
    return Inferred(years[-1], "body_latest_year")


def infer_publisher(raw: str) -> Inferred:
    head = raw[: max(3000, len(raw) // 5)]
    for rx in (SOURCE, SOURCE_ALONE):
        m = rx.search(head)
        if m:
            return Inferred(m.group(1).strip(" -—·"), "byline")
    m = JOURNAL.search(head)
    if m:
        return Inferred(m.group(1).strip(), "journal_issue")
    return Inferred()


def infer_genre(title: str | None, clean: str, genres: dict[str, list[str]], publisher_source: str) -> Inferred:
    """Genre from title keywords (resources/genres.yaml), else from the opening of the text (a government
    work report addresses 各位代表, reports 向大会, or opens with its review heading 2023年工作回顾)."""
    for genre, cues in genres.items():
        if title and any(c in title for c in cues):
            return Inferred(genre, "title")
    opening = clean[:300]
    if "各位代表" in opening or "向大会报告" in opening or REVIEW.match(opening.lstrip("一、 \n")):
        return Inferred("government_work_report", "body")
    if publisher_source == "journal_issue":
        return Inferred("journal_article", "byline")
    return Inferred()
