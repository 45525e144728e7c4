"""Cleaning: raw decoded text in, clean text out, every removal accounted for.

``clean_text(raw, rules)`` runs a fixed sequence of passes over a
:class:`~pipeline.tracked.TrackedText`.  Each pass finds spans and names the
rule that removes them; nothing is removed without a rule name, so the
cleaning report can say what went and why.  The passes, in order:

1. control characters and line ends (counted)
2. the footer tail (everything after the first end-of-article marker)
3. spam blocks, page furniture lines, label/value bylines, breadcrumbs
4. sharing-site preview chunks "1、…2、…" rejoined into running text
5. repeated watermarks, page numbers, text injected by the host site
6. repeated titles and repeated lines
7. paragraph breaks restored in flattened (PDF/preview) lines, line-wrap
   spaces removed
8. whitespace tidied (counted), width/punctuation normalised (counted)
9. traditional → simplified script with OpenCC (the original script is kept)

The rules themselves (patterns, cue words, thresholds) live in
``resources/cleaning.yaml``; this module holds only the algorithms.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..text import CJK, ENUM_MARK
from .tracked import Edit, TrackedText

CJK_RE = re.compile(f"[{CJK}]")
_NON_CJK_RUN = re.compile(f"[^{CJK}]+")
SENT_END = "。！？!?；;"


def cjk_chars(text: str) -> str:
    """The text's Chinese characters (:data:`CJK_RE`), in order: what lies between them cut out in runs, which is
    much faster than collecting them one by one."""
    return _NON_CJK_RUN.sub("", text)


@dataclass
class CleanResult:
    text: str  # clean, simplified script
    text_original: str  # clean, original script
    removals: list  # list[Removal]
    counts: dict[str, int]
    script: str  # "simplified" | "traditional"


# --------------------------------------------------------------------------- helpers


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, line) for each line, end excluding the newline."""
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line), line
        pos += len(line) + 1


def _whole_line_edit(text: str, start: int, end: int, rule: str) -> Edit:
    """Remove a line together with its newline."""
    return Edit(start, min(end + 1, len(text)), "", rule)


# a leading run of any characters: ".*" (group 1), ".+" (group 2), ".{m,n}" (m in group 3), or ".{m}" (group 4)
_LEADING_ANY = re.compile(r"\.(?:(\*)|(\+)|\{(\d*),\d*\}|\{(\d+)\})(?![*+?{])")


def _search_form(pattern: str) -> str:
    """A pattern that finds a match somewhere in a text exactly when ``pattern`` does, with a leading run of
    any characters (".*", ".{2,80}") cut to its shortest length.  A search for ".*X" otherwise tries every
    length of the run at every position, which takes time in the square of the line length."""
    m = _LEADING_ANY.match(pattern)
    if m is None or m.group(4) is not None:
        return pattern
    shortest = 0 if m.group(1) else 1 if m.group(2) else int(m.group(3) or 0)
    return f".{{{shortest}}}{pattern[m.end() :]}"


class Rules:
    """Compiled cleaning rules from a dict (see resources/cleaning.yaml)."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.version = cfg.get("version", 0)
        self.line_rules = [
            (group, re.compile(rf"\s*(?:{p})\s*")) for group, pats in cfg["line_rules"].items() for p in pats
        ]
        self.max_line = int(cfg.get("max_line_chars", 150))
        self.label_value = re.compile(rf"\s*{cfg['label_value']}\s*")
        self.crumb_seps = set(cfg.get("breadcrumb_separators", [">"]))
        foot = cfg["footer"]
        self.footer_from = float(foot["footer_from"])
        self.footer = [re.compile(rf"\s*(?:{p})\s*") for p in foot["markers"]]
        spam = cfg["spam"]
        self.spam_min_items = int(spam["min_items"])
        self.spam_min_share = float(spam["min_share"])
        self.spam_markers = list(spam["markers"])
        self.spam_words = list(spam["words"])
        self.injected = [re.compile(p, re.M) for p in cfg["injected"]]
        self.page_jump = re.compile(cfg["page_jump"]) if cfg.get("page_jump") else None
        wm = cfg["watermark"]
        self.wm_repeats, self.wm_chars = int(wm["min_repeats"]), int(wm["min_chars"])
        self.wm_cues, self.wm_min_cues = list(wm["cues"]), int(wm["min_cues"])
        self.page_number = re.compile(cfg["page_number"])
        ch = cfg["chunks"]
        self.chunk_min, self.chunk_mean = int(ch["min_chunks"]), float(ch["min_mean_chars"])
        self.chunk_cut_share = float(ch["cut_share"])
        br = cfg.get("broken_lines") or {}
        self.broken_share = float(br.get("min_share", 0.5))
        self.broken_min = int(br.get("min_breaks", 5))
        self.broken_heading = int(br.get("heading_max_chars", 40))
        self.broken_sentences = float(br.get("max_sentences_per_line", 1.5))
        sharing = cfg["line_rules"].get("sharing_chrome", [])
        # only ever searched for (is there sharing-site furniture at all?), so in its faster search form
        self.sharing_signal = re.compile("|".join(f"(?:{_search_form(p)})" for p in sharing)) if sharing else None
        self.spam_word = re.compile("|".join(re.escape(w) for w in self.spam_words)) if self.spam_words else None


# --------------------------------------------------------------------------- passes


def normalise_controls(t: TrackedText) -> TrackedText:
    edits = []
    for m in re.finditer(
        r"\r\n?|[\u00a0\u2002\u2003\u2009]|[\u200b-\u200d\u2060\ufeff]|[\x00-\x08\x0b\x0e-\x1f]", t.text
    ):
        s = m.group()
        rep = "\n" if s[0] == "\r" else (" " if s in "\u00a0\u2002\u2003\u2009" else "")
        edits.append(Edit(m.start(), m.end(), rep, "control_chars"))
    return t.apply(edits, summarise=True)


_SPAM_SEPARATOR = re.compile(r"[,，|｜]")


def _is_spam_line(line: str, rules: Rules) -> bool:
    if any(m in line for m in rules.spam_markers):
        return True
    items = [x for x in _SPAM_SEPARATOR.split(line) if x.strip()]
    if len(items) < rules.spam_min_items:
        return False
    if sum(len(x.strip()) for x in items) / len(items) > 20:
        return False
    spam_word = rules.spam_word
    hits = sum(1 for x in items if spam_word.search(x)) if spam_word is not None else 0
    return hits / len(items) >= rules.spam_min_share


def drop_furniture_lines(t: TrackedText, rules: Rules) -> TrackedText:
    """Spam blocks, chrome lines, label/value bylines and breadcrumbs."""
    lines = list(_lines(t.text))
    edits = []
    skip = set()
    for i, (s, e, line) in enumerate(lines):
        if i in skip:
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if _is_spam_line(stripped, rules):
            edits.append(_whole_line_edit(t.text, s, e, "spam"))
            continue
        if len(stripped) > rules.max_line:
            continue
        # a label alone on its line, its value on the next short line
        if rules.label_value.fullmatch(line) and i + 1 < len(lines):
            ns, ne, nxt = lines[i + 1]
            edits.append(_whole_line_edit(t.text, s, e, "byline"))
            if 0 < len(nxt.strip()) <= 30:
                edits.append(_whole_line_edit(t.text, ns, ne, "byline"))
                skip.add(i + 1)
            continue
        # breadcrumbs: short items separated by lines that hold only ">"
        if i + 2 < len(lines) and lines[i + 1][2].strip() in rules.crumb_seps and len(stripped) <= 15:
            j = i
            while (
                j + 2 < len(lines)
                and lines[j + 1][2].strip() in rules.crumb_seps
                and len(lines[j + 2][2].strip()) <= 15
            ):
                j += 2
            last = lines[j][2].strip()
            while j + 1 < len(lines) and lines[j + 1][2].strip() == last:
                j += 1  # the section name repeated as a heading
            for k in range(i, j + 1):
                edits.append(_whole_line_edit(t.text, lines[k][0], lines[k][1], "site_chrome"))
                skip.add(k)
            continue
        for group, rx in rules.line_rules:
            if rx.fullmatch(line):
                edits.append(_whole_line_edit(t.text, s, e, group))
                break
    return t.apply(edits)


def cut_footer_tail(t: TrackedText, rules: Rules) -> TrackedText:
    n = len(t.text)
    for s, _e, line in _lines(t.text):
        if s < rules.footer_from * n or len(line.strip()) > 40 or not line.strip():
            continue
        if any(rx.fullmatch(line) for rx in rules.footer):
            return t.apply([Edit(s, n, "", "footer_tail")])
    return t


_CHUNK_START = re.compile(r"^[ \t\u3000]*(\d{1,3})、", re.M)


def rejoin_chunks(t: TrackedText, rules: Rules, sharing_site: bool) -> TrackedText:
    """Undo a sharing-site preview that cut the text into numbered chunks.

    A chunk marker is "N、" at the start of a line where the N form the
    sequence 1, 2, 3 … without gaps.  Real list numbering also looks like
    "1、", so the sequence is only taken as chunking when the chunks are long
    and either the page carries sharing-site furniture or most boundaries cut
    a sentence in two.  Each marker and the line break before it go, so the
    cut sentence reads whole again.
    """
    text = t.text
    marks = [m for m in _CHUNK_START.finditer(text)]
    seq: list[re.Match[str]] = []
    for m in marks:
        if int(m.group(1)) == len(seq) + 1:
            seq.append(m)
    if len(seq) < rules.chunk_min:
        return t
    bounds = [m.start() for m in seq] + [len(text)]
    sizes = [bounds[k + 1] - bounds[k] for k in range(len(seq))]
    if sum(sizes[:-1] or sizes) / max(len(sizes[:-1] or sizes), 1) < rules.chunk_mean:
        return t
    cuts = 0
    for m in seq[1:]:
        before = text[: m.start()].rstrip()
        if before and before[-1] not in SENT_END + "”』」）)":
            cuts += 1
    if not sharing_site and cuts / max(len(seq) - 1, 1) < rules.chunk_cut_share:
        return t
    edits = []
    for k, m in enumerate(seq):
        start = m.start()
        if k > 0:  # swallow the blank lines between the previous chunk and this marker
            prev_end = len(text[:start].rstrip(" \t\u3000\n"))
            start = prev_end
        edits.append(Edit(start, m.end(), "", "chunk_marker"))
    return t.apply(edits)


def _common_extension(text: str, positions: list[int], direction: int, limit: int) -> int:
    """How far the text around all positions agrees (by majority of 2/3)."""
    n = 0
    need = max(2, (2 * len(positions) + 2) // 3)
    while n < limit:
        chars = []
        for p in positions:
            q = p + n if direction > 0 else p - n - 1
            if 0 <= q < len(text):
                chars.append(text[q])
        if not chars:
            break
        best = max(set(chars), key=chars.count)
        if chars.count(best) < need or best == "\n":
            break
        n += 1
    return n


def drop_watermarks(t: TrackedText, rules: Rules) -> TrackedText:
    """Repeated runs with contact details (a hosting site's page watermark)."""
    text = t.text
    found: set[str] = set()
    for cue in rules.wm_cues:
        pos = [m.start() for m in re.finditer(re.escape(cue), text)]
        if len(pos) < rules.wm_repeats:
            continue
        left = _common_extension(text, pos, -1, 200)
        right = _common_extension(text, pos, +1, 200)
        # consensus string from the first occurrence that agrees on the whole run
        for p in pos:
            cand = text[p - left : p + right].strip().rstrip("-—– ")  # page number follows
            if len(cand) >= rules.wm_chars and text.count(cand) >= rules.wm_repeats:
                if sum(c in cand for c in rules.wm_cues) >= rules.wm_min_cues:
                    found.add(cand)
                break
    edits = []
    for wm in sorted(found, key=len, reverse=True):
        for m in re.finditer(re.escape(wm), text):
            edits.append(Edit(m.start(), m.end(), "", "watermark"))
        # a watermark cut off by the end of a preview
        tail = text.rstrip()
        for k in range(len(wm) - 1, 7, -1):
            if tail.endswith(wm[:k]):
                edits.append(Edit(len(tail) - k, len(tail), "", "watermark"))
                break
    t = t.apply(edits)
    edits = [Edit(m.start(), m.end(), "", "page_number") for m in rules.page_number.finditer(t.text)]
    return t.apply(edits)


def drop_injected(t: TrackedText, rules: Rules) -> TrackedText:
    edits = []
    for rx in rules.injected:
        edits += [Edit(m.start(), m.end(), "", "injected") for m in rx.finditer(t.text) if m.end() > m.start()]
    if rules.page_jump is not None:
        edits += [Edit(m.start(), m.end(), "", "page_jump") for m in rules.page_jump.finditer(t.text)]
    return t.apply(edits)


def _loose(s: str) -> str:
    """A regex matching s with any whitespace between its characters."""
    return r"\s*".join(re.escape(c) for c in s if not c.isspace())


def drop_repeats(t: TrackedText) -> TrackedText:
    """Title repeated at the top of the body, runs repeated back to back, duplicated head lines."""
    lines = [(s, e, ln) for s, e, ln in _lines(t.text) if ln.strip()]
    if lines:  # a title that carries its file name: "报告.doc"
        m = re.search(r"\.(docx?|pdf|wps|pptx?|txt|rtf)\s*$", lines[0][2], re.I)
        if m:
            t = t.apply([Edit(lines[0][0] + m.start(), lines[0][0] + m.end(), "", "file_extension")])
    text = t.text
    edits = []
    lines = [(s, e, ln) for s, e, ln in _lines(text) if ln.strip()]
    if lines:
        ts, te, title = lines[0]
        title = title.strip()
        if 6 <= len(title) <= 80:
            rx = re.compile(_loose(title))
            head_limit = max(len(text) // 5, 2000)
            for m in rx.finditer(text, te):
                if m.start() > head_limit:
                    break
                # an immediate repetition is dropped, a title inside a sentence is not
                before = text[: m.start()].rstrip(" \t\u3000")
                after = text[m.end() : m.end() + 1]
                if (
                    before.endswith(("\n", title[-1]))
                    or not before
                    or after in ("", "\n", " ", "\u3000")
                    or text[m.end() :].startswith(title[:4])
                ):
                    edits.append(Edit(m.start(), m.end(), "", "repeated_title"))
    t = t.apply(edits)
    text = t.text
    edits = [
        Edit(m.start(1) + len(m.group(1)), m.end(), "", "repeated_text")
        for m in re.finditer(r"^[ \t\u3000]*([^\n]{8,80}?)(?:[ \t\u3000]*\1)+", text, re.M)
        if CJK_RE.search(m.group(1))
    ]
    t = t.apply(edits)
    # a line repeated verbatim in the head of the page (site title blocks)
    seen: set[str] = set()
    edits = []
    limit = max(len(t.text) // 10, 1500)
    for s, e, line in _lines(t.text):
        if s > limit:
            break
        key = line.strip()
        if len(key) >= 4 and key in seen:
            edits.append(_whole_line_edit(t.text, s, e, "repeated_line"))
        seen.add(key)
    return t.apply(edits)


_HEADING_HEAD = re.compile(rf"^\s*{ENUM_MARK}")
_SENT_INSIDE = re.compile(r"[。！？；;：:]")
_ANY_PUNCT = re.compile(r"[，,、。！？；;：:“”（）()《》]")
# each of these starts at a space: the lookahead (?=[ \u3000]) says so first, so that the lookbehinds are only
# tried there and not at every character
_FLAT_GAP = re.compile(rf"(?=[ \u3000])(?<=[{CJK}，。、；：:）)”！？])[ \u3000]+(?=[{CJK}“（(0-9])")
_SPACE_RUN = re.compile(r"[ \u3000]+")
_CJK_DIGIT_SPACE = re.compile(
    rf"(?=[ \u3000])(?:(?<=[{CJK}，。、；：（）])[ \u3000]+(?=[0-9])|(?<=[0-9%])[ \u3000]+(?=[{CJK}，。、；：])|"
    rf"(?<=[，、,（])[ \u3000]+(?=[{CJK}])|(?<=[{CJK}])[ \u3000]+(?=[，。、；：,）]))"
)


def restore_breaks(t: TrackedText) -> TrackedText:
    """Undo flattening: text whose line breaks became spaces (PDF extraction,
    sharing-site previews).  Only long lines with several spaces between CJK
    characters are treated; headings and sentence ends get their break back,
    line-wrap spaces inside words go.  Spaces between CJK and digits go
    everywhere ("有 3 个" → "有3个")."""
    text = t.text
    edits = []
    for s, _e, line in _lines(text):
        if len(line) < 300:
            continue
        gaps = list(_FLAT_GAP.finditer(line))
        if len(gaps) < 3:
            continue
        # breaks turned into spaces fall after sentence ends; line wraps fall anywhere
        at_end = sum(1 for m in gaps if line[m.start() - 1] in "。！？；：:")
        paragraphs = at_end / len(gaps) >= 0.5
        for m in _SPACE_RUN.finditer(line):
            a, b = m.start(), m.end()
            prev, nxt = line[a - 1 : a], line[b : b + 1]
            if not prev or not nxt:
                continue
            seg_start = max(max((line.rfind(c, 0, a) for c in "。！？；"), default=-1), 0)
            seg_start += 1 if line[seg_start : seg_start + 1] in "。！？；" else 0
            segment = line[seg_start:a].strip()
            rest = line[b:]
            if (
                prev in "。！？；：:"
                or (prev in "”）)" and line[a - 2 : a - 1] in "。！？")
                or re.match(ENUM_MARK, rest)
                and not prev.isdigit()
                or _HEADING_HEAD.match(segment)
                and len(segment) <= 40
                and not _SENT_INSIDE.search(segment)
            ):
                edits.append(Edit(s + a, s + b, "\n", "restore_break"))
            elif (
                paragraphs
                and 4 <= len(segment) <= 30
                and not _ANY_PUNCT.search(segment)
                and (seg_start == 0 or line[seg_start - 1] in "。！？；")
            ):
                edits.append(Edit(s + a, s + b, "\n", "restore_break"))  # a short heading line
            elif (
                CJK_RE.match(prev)
                and (CJK_RE.match(nxt) or nxt in "“（")
                or prev in "，、,（“"
                or nxt in "，。、；：,）”"
            ):
                edits.append(Edit(s + a, s + b, "", "wrap_space"))
    t = t.apply(edits, summarise=True)
    fixed = [Edit(m.start(), m.end(), "", "cjk_digit_space") for m in _CJK_DIGIT_SPACE.finditer(t.text)]
    return t.apply(fixed, summarise=True)


_SENTENCE_END = "。！？!?；;…：:"
_CLOSERS = "”’」』）)》】"
_PUNCT_INSIDE = re.compile(r"[，,、。！？；;：:]")


def broken_breaks(text: str, rules: Rules) -> tuple[list[int], int]:
    """(positions of the line breaks that fall inside a sentence, number of line breaks between lines
    of text).  A break is inside a sentence when the line before it does not end a sentence (closing
    quotes and brackets looked through), and neither it nor the next line is a heading (numbered and
    short, or short without punctuation unless it has the document's wrap width), nor does the next line
    open a numbered item."""
    lines = [(e, line.strip()) for _s, e, line in _lines(text)]
    lines = [(e, ln) for e, ln in lines if ln]
    if len(lines) < 2:
        return [], 0
    widths: dict[int, int] = {}
    for _e, ln in lines:
        widths[len(ln)] = widths.get(len(ln), 0) + 1
    width, n = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
    wrap = width if n >= 5 and n >= 0.3 * len(lines) and width > 10 else None

    def heading(line: str) -> bool:
        return len(line) <= rules.broken_heading and bool(
            _HEADING_HEAD.match(line) or (not _PUNCT_INSIDE.search(line) and len(line) != wrap)
        )

    inside = []
    for (e, ln), (_e2, nxt) in zip(lines, lines[1:], strict=False):
        end = ln.rstrip(_CLOSERS)
        if not end or end[-1] in _SENTENCE_END:
            continue
        if heading(ln) or heading(nxt) or _HEADING_HEAD.match(nxt):
            continue
        inside.append(e)  # the newline ending this line (blank lines after it stay for tidy_whitespace)
    return inside, len(lines) - 1


def rejoin_broken_lines(t: TrackedText, rules: Rules) -> TrackedText:
    """Remove the line breaks inside sentences of a document where most breaks are (see
    :func:`broken_breaks`) and whose lines hold about one sentence end each; a space between two Latin
    letters or digits is kept as one space."""
    inside, total = broken_breaks(t.text, rules)
    if len(inside) < rules.broken_min or len(inside) < rules.broken_share * total:
        return t
    # a line cut short by a preview that drops the rest of each paragraph also ends inside a sentence,
    # but its lines are whole paragraphs of several sentences; broken lines hold about one sentence end
    if len(re.findall("[。！？]", t.text)) > rules.broken_sentences * (total + 1):
        return t
    text, edits = t.text, []
    for i in inside:
        a, b = i, i + 1
        while a > 0 and text[a - 1] in " \t\u3000":
            a -= 1
        while b < len(text) and text[b] in " \t\u3000\n":  # blank lines between the pieces go too
            b += 1
        latin = a > 0 and b < len(text) and text[a - 1].isascii() and text[a - 1].isalnum() and text[b].isascii()
        edits.append(Edit(a, b, " " if latin and text[b].isalnum() else "", "broken_line"))
    return t.apply(edits)


_LETTER_SPACED = re.compile(rf"[ \u3000]*(?:[{CJK}][ \u3000]+){{2,}}[{CJK}][ \u3000]*")
_INNER_SPACE = re.compile(r"(?<=\S)[ \u3000]+(?=\S)")
_SPACES_TO_ONE = re.compile(r"[ \u3000]{2,}|\u3000")


def tidy_whitespace(t: TrackedText) -> TrackedText:
    """Strip each line, drop blank lines: paragraphs end with a single newline.
    A letter-spaced title ("政 府 工 作 报 告") is closed up."""
    text = t.text
    edits = []
    for s, e, line in _lines(text):
        if len(line) <= 60 and _LETTER_SPACED.fullmatch(line):
            edits += [Edit(s + m.start(), s + m.end(), "", "whitespace") for m in _INNER_SPACE.finditer(line)]
        if not line.strip():
            edits.append(Edit(s, min(e + 1, len(text)), "", "whitespace"))
            continue
        lead = len(line) - len(line.lstrip(" \t\u3000\f"))
        trail = len(line) - len(line.rstrip(" \t\u3000\f"))
        if lead:
            edits.append(Edit(s, s + lead, "", "whitespace"))
        if trail:
            edits.append(Edit(e - trail, e, "", "whitespace"))
        # runs of spaces inside a line become one ASCII space (an ideographic space too)
        for m in _SPACES_TO_ONE.finditer(line.strip(" \t\u3000\f")):
            a = s + lead + m.start()
            edits.append(Edit(a, a + len(m.group()), " ", "whitespace"))
    t = t.apply(edits, summarise=True)
    if t.text.endswith("\n"):
        t = t.apply([Edit(len(t.text) - 1, len(t.text), "", "whitespace")], summarise=True)
    return t


# full-width ASCII letters/digits -> half-width; half-width punctuation next to
# CJK -> the full-width form Chinese text uses.  Both keep the length.
_FW_TABLE = {cp: chr(cp - 0xFEE0) for cp in range(0xFF10, 0xFF1A)}
_FW_TABLE.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF21, 0xFF3B)})
_FW_TABLE.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF41, 0xFF5B)})
_FW_CHAR = re.compile("[" + re.escape("".join(map(chr, _FW_TABLE))) + "]")
_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def normalise_width(t: TrackedText) -> TrackedText:
    if _FW_CHAR.search(t.text):  # mapping every character of a text that has none to map takes time
        t = t.map_chars(_FW_TABLE, "width_alnum")
    text = t.text
    chars = list(text)
    changed = 0
    for m in re.finditer(r"[,;:?!()]", text):
        i, c = m.start(), m.group()
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        near_cjk = bool(CJK_RE.match(prev) or CJK_RE.match(nxt) or prev in "”“）" or nxt in "“”（")
        if c == ":" and prev.isdigit() and nxt.isdigit():  # a time, 09:27
            continue
        if near_cjk:
            chars[i] = _TO_FULL[c]
            changed += 1
    if not changed:
        return t
    counts = dict(t.counts)
    counts["width_punct"] = counts.get("width_punct", 0) + changed
    return TrackedText("".join(chars), t.offsets, t.raw_length, list(t.removals), counts)


@lru_cache(maxsize=1)
def _opencc():
    import opencc  # imported lazily: the converter loads its dictionaries once

    return opencc.OpenCC("t2s")


def detect_script(text: str) -> str:
    """'traditional' when a notable share of CJK characters change under t2s."""
    sample = cjk_chars(text[:20000])
    if not sample:
        return "simplified"
    conv = _opencc().convert(sample)
    changed = 0 if conv == sample else sum(map(operator.ne, sample, conv))
    return "traditional" if changed / len(sample) >= 0.03 else "simplified"


def to_simplified(text: str) -> str:
    """OpenCC t2s, line by line so a length change stays local to its line."""
    conv = _opencc().convert(text)
    if len(conv) == len(text):
        return conv
    out = []
    for line in text.split("\n"):
        c = _opencc().convert(line)
        out.append(c if len(c) == len(line) else "".join(_opencc().convert(ch) or ch for ch in line))
    return "\n".join(out)


# --------------------------------------------------------------------------- entry point


def clean_text(raw: str, rules: Rules) -> CleanResult:
    """Raw decoded text → CleanResult (see module docstring for the passes)."""
    t = TrackedText.from_raw(raw)
    # sharing-site furniture sits at the head and the tail of the page
    sharing_site = bool(
        rules.sharing_signal and (rules.sharing_signal.search(raw[:4000]) or rules.sharing_signal.search(raw[-4000:]))
    )
    t = normalise_controls(t)
    t = cut_footer_tail(t, rules)
    t = drop_furniture_lines(t, rules)
    t = rejoin_chunks(t, rules, sharing_site)
    t = drop_watermarks(t, rules)
    t = drop_injected(t, rules)
    t = drop_repeats(t)
    t = restore_breaks(t)
    t = rejoin_broken_lines(t, rules)
    t = tidy_whitespace(t)
    t = normalise_width(t)
    script = detect_script(t.text)
    simplified = to_simplified(t.text) if script == "traditional" else t.text
    return CleanResult(simplified, t.text, t.removals, t.counts, script)
