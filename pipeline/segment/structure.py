"""Sentences and document structure: headings, their hierarchy, enumerations.

``sentences(text, title)`` returns one record per sentence with offsets into
the clean text (``text[start:end] == sentence`` always), its paragraph, its
section path (the headings above it), and for an enumerated item its marker
and lead phrase.

Sentences end at 。！？!? (with any closing quotes or brackets), at a closing
ellipsis, and at line breaks.  A colon or semicolon that introduces an
enumerated item ("问题：一是…；二是…") also ends a sentence, so that each item
stands alone.

Headings are recognised by their markers — 一、 / （一） / 1、 1. / （1） /
第一章 / ① — and, unnumbered, as short lines without punctuation followed by
a paragraph ("转变观念 确立新思路").  A numbered paragraph whose first sentence
is short is a heading with body text after it ("（一）组织形式发挥良好作用…。一是…").
Levels follow the order in which a document uses its marker types, as an
outline does: the first type met is level 1, a new type below it level 2,
and meeting a type again closes the deeper sections.
"""

from __future__ import annotations

import re

from ..text import CN_NUM, OUTLINE

CLOSERS = "”’」』）)】》\"'"
# sentence boundaries: terminators with closers, a closing ellipsis, a list-opening colon/semicolon
_ENUM_AHEAD = (
    rf"(?:[{CN_NUM}]{{1,3}}(?:是要|是|要)|第[{CN_NUM}]{{1,3}}[，,、：:]|[①-⑳]|"
    rf"[（(][{CN_NUM}\d]{{1,2}}[)）]|[{CN_NUM}]{{1,3}}、|\d{{1,2}}[、．.](?!\d)|(?:首先|其次|再次|最后)[，,])"
)
BOUNDARY = re.compile(
    rf"[。！？!?]+[{CLOSERS}]*|……[{CLOSERS}]+|……(?=\n|$)|[：；:;](?={_ENUM_AHEAD})|"
    rf"[，,](?=一是|第一[，,、])|\n"
)

# enumeration markers at the start of a sentence
INLINE = re.compile(
    rf"[{CN_NUM}]{{1,3}}(?:是要|是|要)(?![的否])|第[{CN_NUM}]{{1,3}}(?=[，,、：:])|"
    rf"(?:首先|其次|再次|再者|最后)(?=[，,])|[①-⑳]"
)
LEAD_END = re.compile(r"[。，：；！？,:;!?]")
HEADING_PUNCT = re.compile(r"[。！？；;，,：:、“”]")


def split_sentences(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph index) of every sentence; whitespace trimmed."""
    spans, start, para = [], 0, 0
    for m in BOUNDARY.finditer(text):
        end = m.end() if m.group() != "\n" else m.start()
        spans.append((start, end, para))
        if m.group() == "\n":
            para += 1
        start = m.end()
    spans.append((start, len(text), para))
    out = []
    for s, e, p in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e, p))
    return out


def _outline_marker(sentence: str) -> tuple[str, str] | None:
    for kind, rx in OUTLINE:
        m = rx.match(sentence)
        if m:
            return kind, m.group()
    return None


def item_lead(after_marker: str) -> str:
    """The lead phrase of an item: its text up to the first 。，：；."""
    s = after_marker.lstrip("，,、：: ")
    m = LEAD_END.search(s)
    return (s[: m.start()] if m else s).strip()


def sentences(text: str, title: str | None = None, plain_max: int = 40, lead_max: int = 60) -> list[dict]:
    """Sentence records of a document (see module docstring)."""
    spans = split_sentences(text)
    paragraphs: dict[int, list[int]] = {}
    for k, (_, _, p) in enumerate(spans):
        paragraphs.setdefault(p, []).append(k)
    para_len = {p: spans[ks[-1]][1] - spans[ks[0]][0] for p, ks in paragraphs.items()}
    stack: list[tuple[str, str]] = []  # (marker type, heading text)
    records = []
    seen_body = False  # an unnumbered heading needs body text before it (a byline under the title is none)
    for k, (s, e, p) in enumerate(spans):
        sent = text[s:e]
        first_in_para = paragraphs[p][0] == k
        rec = {
            "sent_id": k,
            "start": s,
            "end": e,
            "text": sent,
            "para_id": p,
            "is_heading": False,
            "heading_level": None,
            "enum_marker": None,
            "item_lead": None,
        }
        kind = None
        if first_in_para:
            om = _outline_marker(sent)
            if om and len(sent) <= lead_max:
                kind, marker = om
                rec["enum_marker"], rec["item_lead"] = marker, item_lead(sent[len(marker) :])
            elif om:  # a long numbered paragraph: an enumerated item, not a heading
                rec["enum_marker"], rec["item_lead"] = om[1], item_lead(sent[len(om[1]) :])
            elif (
                len(paragraphs[p]) == 1
                and len(sent) <= plain_max
                and not HEADING_PUNCT.search(sent)
                and len(re.findall(r"[\u4e00-\u9fff]", sent)) >= 4
                and para_len.get(p + 1, 0) > len(sent)
                and seen_body
            ):
                kind = "plain"
            if k == 0 and title and re.sub(r"\s", "", sent) == re.sub(r"\s", "", title):
                kind = None  # the document's title heads no section
                rec["is_heading"], rec["heading_level"] = True, 0
        if kind:
            types = [t for t, _ in stack]
            if kind in types:
                del stack[types.index(kind) :]
            stack.append((kind, sent.rstrip("。；;")))
            rec["is_heading"], rec["heading_level"] = True, len(stack)
        if rec["enum_marker"] is None:
            m = INLINE.match(sent)
            if m:
                rec["enum_marker"], rec["item_lead"] = m.group(), item_lead(sent[m.end() :])
        rec["section_path"] = [h for _, h in stack]
        records.append(rec)
        if not rec["is_heading"] and para_len[p] >= 60:
            seen_body = True
    return records
