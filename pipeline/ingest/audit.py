"""The corpus audit: documents that contradict their metadata, are cut short, repeat each other or are
not what a city comparison can use, each reported with the evidence that decided.

Checks (rules and thresholds in ``resources/audit.yaml`` and ``params.yaml``'s ``audit`` section):

- ``place_conflict``  the place from the manifest, a table or the file name against the text: a text
  that speaks as the State Council or a provincial government, or never names its city while naming
  another one often.  An ``error`` leaves the place empty (``*_source`` = ``contradicted``).
- ``year_conflict``   the stated year against the years the text reports on and plans for.
- ``truncated``       ends mid-sentence, lacks a part its genre always has, or is far shorter than its
  genre's median.
- ``near_duplicate``  most of the text shared with another document (MinHash over character shingles,
  LSH with datasketch); comparisons count each group once.
- ``broken_lines``    line breaks inside sentences, rejoined by the cleaner (reported, not an error).
- ``not_chinese`` / ``too_short``  other-language or almost no text (from the ingest checks).

Nothing here changes the text; the audit writes ``quality_report.csv`` and the ``flags`` column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from .metadata import year_counts
from .places import MUNICIPALITIES, short_name

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported by the corpus-wide checks only: the per-document checks run in worker processes, which
# need not load it

CHECKS = ("place_conflict", "year_conflict", "truncated", "near_duplicate", "broken_lines", "not_chinese", "too_short")
SEVERITIES = ("error", "warning", "info")
REPORT_COLUMNS = ["doc_id", "check", "severity", "message", "evidence"]
# where a value was stated rather than read from the text itself
STATED = {"manifest", "table", "filename", "date", "title", "journal_issue", "docx", "pdf", "html", "jsonl"}
PLACE_FIELDS = ("province", "city", "district")


@dataclass(frozen=True)
class Finding:
    doc_id: str
    check: str
    severity: str
    message: str
    evidence: str = ""


class AuditRules:
    """Compiled audit rules (see resources/audit.yaml)."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        voice = cfg["voice"]
        self.national = re.compile(voice["national"])
        self.provincial = re.compile(voice["provincial"])
        self.city = re.compile(voice["city"])
        self.self_named = re.compile(voice["self_named"])
        self.level_of = {kind: level for level, kinds in cfg["levels"].items() for kind in kinds}
        self.prefecture_voice = {end: set(kinds) for end, kinds in cfg["prefecture_voice"].items()}
        self.outline_top = re.compile(cfg["outline_top"])
        self.outline_sub = re.compile(cfg["outline_sub"])
        self.repaired_min = {k: int(v) for k, v in cfg["repaired_min"].items()}
        self.one_line_chars = int(cfg["one_line_chars"])
        self.one_line_share = float(cfg["one_line_share"])
        self.provincial_ratio = float(cfg["provincial_ratio"])
        self.provincial_min = int(cfg["provincial_min"])
        self.unnamed_min_chars = int(cfg["unnamed_min_chars"])
        self.other_city_min = float(cfg["other_city_min"])
        self.other_city_ratio = float(cfg["other_city_ratio"])
        self.sentence_end = str(cfg["sentence_end"])
        self.closers = str(cfg["closers"])
        self.signature_max = int(cfg["signature_max_chars"])
        self.short_share = float(cfg["short_share"])
        self.min_genre_docs = int(cfg["min_genre_docs"])
        self.stale_years = int(cfg["stale_years"])
        self.min_year_mentions = int(cfg["min_year_mentions"])
        self.review_heading = re.compile(cfg["review_heading"])
        self.plan_heading = re.compile(cfg["plan_heading"])
        default = cfg.get("default") or {}
        self.genres = {}
        for name, g in {**(cfg.get("genres") or {}), None: default}.items():
            g = g or {}
            self.genres[name] = (
                str(g.get("year", default.get("year", "any"))),
                {part: re.compile(p) for part, p in (g.get("parts") or {}).items()},
            )

    def genre(self, name: str | None) -> tuple[str, dict[str, re.Pattern]]:
        return self.genres.get(name, self.genres[None])

    @classmethod
    def load(cls, path: Path) -> AuditRules:
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- per document


def _mentions(value: str | None) -> list[tuple[str, float]]:
    out = []
    for part in (value or "").split(","):
        if "×" in part:
            name, n = part.rsplit("×", 1)
            out.append((name, float(n)))
    return out


def check_place(rec: dict, rules: AuditRules, gaz=None) -> list[Finding]:
    """The place a document was given (manifest, table, file name, title) against what its text says.
    ``gaz`` (a :class:`pipeline.ingest.places.Gazetteer`) gives the ways a text writes a place and the
    city a file name names; without it only the plain names are looked for."""
    doc_id, text = rec["doc_id"], rec["text"]
    claimed = {f: rec.get(f) for f in PLACE_FIELDS if rec.get(f) and rec.get(f"{f}_source") in STATED}
    stem = Path(str(rec.get("source_file", "")).split("#")[0]).stem
    in_stem = _stem_city(gaz, stem) if gaz is not None else None
    if (
        in_stem
        and rec.get("city")
        and rec.get("city_source") not in ("filename", "manifest")
        and in_stem != rec["city"]
    ):
        return [
            Finding(
                doc_id,
                "place_conflict",
                "warning",
                f"the file name names {in_stem}, the text {rec['city']} ({rec.get('city_source')}), which is used",
                f"file name “{stem}”; mentions: {rec.get('place_mentions') or '(none)'}",
            )
        ]
    if not claimed:
        return []
    said = ", ".join(f"{v} ({rec[f + '_source']})" for f, v in claimed.items())
    national = rules.national.search(text)
    if national:
        return [
            Finding(
                doc_id,
                "place_conflict",
                "error",
                f"given {said}, but the text speaks as the State Council (a national report); place left empty",
                f"“{_context(text, national)}”",
            )
        ]
    city = claimed.get("city")
    if not city or city == claimed.get("province"):  # a municipality is its own province
        return []
    voice = _self_named(text, rules)
    names = (gaz.surfaces.get(city) if gaz is not None else None) or {city, short_name(city, "city", []) or city}
    if voice is not None:
        kind, name, m = voice
        level = rules.level_of.get(kind)
        expected = next((v for end, v in rules.prefecture_voice.items() if city.endswith(end)), None)
        why = None
        if level in ("province", "county"):
            why = f"the text speaks for a {'provincial' if level == 'province' else 'district or county'} government"
        elif expected is not None and kind not in expected:
            why = f"the text speaks for a {kind} government, and {city} is a {'/'.join(sorted(expected))}"
        elif name and not any(name in n or n in name for n in names):
            why = f"the text speaks for the government of {name}{kind}"
        if why:
            return [
                Finding(
                    doc_id,
                    "place_conflict",
                    "error",
                    f"given {said}, but {why}; place left empty",
                    f"“{_context(text, m)}”",
                )
            ]
    n_prov, n_city = len(rules.provincial.findall(text)), len(rules.city.findall(text))
    if voice is None and n_prov >= rules.provincial_min and n_prov >= rules.provincial_ratio * max(n_city, 1):
        first = rules.provincial.search(text)
        assert first is not None  # found n_prov > 0 times
        return [
            Finding(
                doc_id,
                "place_conflict",
                "error",
                f"given {said}, but the text speaks as a provincial government "
                f"({n_prov} provincial against {n_city} city forms of address); place left empty",
                f"“{_context(text, first)}”",
            )
        ]
    ranked = _mentions(rec.get("place_mentions"))
    district = claimed.get("district")
    if district:  # a district's own report names its district more than its city
        names = names | ((gaz.surfaces.get(district) if gaz is not None else None) or {district})
    own = _count_any(text, names)
    others = [(n, c) for n, c in ranked if n != city]
    top = others[0] if others else None
    if own == 0 and len(text) >= rules.unnamed_min_chars:
        if top and top[1] >= rules.other_city_min:
            return [
                Finding(
                    doc_id,
                    "place_conflict",
                    "error",
                    f"given {said}, but the text never names it and names {top[0]} {top[1]:g} times; place left empty",
                    f"mentions: {rec.get('place_mentions') or '(none)'}",
                )
            ]
        return [
            Finding(
                doc_id,
                "place_conflict",
                "warning",
                f"given {said}, but the text never names it",
                f"mentions: {rec.get('place_mentions') or '(none)'}",
            )
        ]
    if top and top[1] >= rules.other_city_min and top[1] >= rules.other_city_ratio * max(own, 1):
        return [
            Finding(
                doc_id,
                "place_conflict",
                "warning",
                f"given {said}, but the text names {top[0]} {top[1]:g} times and {city} {own} times",
                f"mentions: {rec.get('place_mentions')}",
            )
        ]
    return []


def _self_named(text: str, rules: AuditRules) -> tuple[str, str, re.Match] | None:
    """(kind of government, name or "", the match) a report says it speaks for ("我代表市人民政府"), when
    every such phrase names the same kind; else None."""
    found = list(rules.self_named.finditer(text))
    kinds = {m.group(2) for m in found}
    if len(kinds) != 1:
        return None
    named = [m for m in found if m.group(1)]
    m = named[0] if named else found[0]
    return m.group(2), m.group(1), m


def _stem_city(gaz, stem: str) -> str | None:
    """The one city (or municipality) a file name names, if it names exactly one."""
    found = set()
    for _s, _e, _surface, cands in gaz.mentions(stem):
        cities = {
            p.name for p, _ in cands if p.level == "city" or (p.level == "province" and p.code[:2] in MUNICIPALITIES)
        }
        if len(cities) == 1:
            found |= cities
    return found.pop() if len(found) == 1 else None


def _count_any(text: str, names: set[str]) -> int:
    """Occurrences of any of the names, the longest first, without counting one inside another."""
    rx = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return len(rx.findall(text))


def _context(text: str, m: re.Match, width: int = 12) -> str:
    return text[max(0, m.start() - width) : m.end() + width].replace("\n", " ")


def _missing(value) -> bool:
    """None, or a missing value of pandas (NaN, NA) in a row read from a table; an int or str is never missing."""
    if value is None:
        return True
    if isinstance(value, (int, str)):
        return False
    import pandas as pd

    return bool(pd.isna(value))


def check_year(rec: dict, rules: AuditRules) -> list[Finding]:
    """The stated year (manifest, table, file name, date or title) against the years the text speaks of."""
    doc_id, text = rec["doc_id"], rec["text"]
    stated = []
    if not _missing(rec.get("year")) and rec.get("year_source") in STATED:
        stated.append((int(rec["year"]), str(rec["year_source"])))
    m = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", Path(str(rec.get("source_file", "")).split("#")[0]).stem)
    if m and all(int(m.group(1)) != y for y, _ in stated):
        stated.append((int(m.group(1)), "file name"))
    if not stated:
        return []
    kind, _ = rules.genre(rec.get("genre"))
    counts = year_counts(text)
    frequent = sorted(y for y, n in counts.items() if n >= rules.min_year_mentions)
    out = []
    for year, source in stated:
        if kind == "plan":
            plan, review = rules.plan_heading.search(text), rules.review_heading.search(text)
            if review:
                spoken, evidence = int(review.group(1)) + 1, f"“{_context(text, review)}”"
            elif plan:
                spoken, evidence = int(plan.group(1)), f"“{_context(text, plan)}”"
            else:
                continue
            if spoken != year:
                out.append(
                    Finding(
                        doc_id,
                        "year_conflict",
                        "error",
                        f"stated year {year} ({source}), but the text is the report for {spoken}; year left empty",
                        evidence,
                    )
                )
        elif counts:
            later = [y for y in frequent if y > year]
            if later:
                out.append(
                    Finding(
                        doc_id,
                        "year_conflict",
                        "warning",
                        f"stated year {year} ({source}), but the text reports on {later[-1]}",
                        "years named: " + _year_list(counts),
                    )
                )
            elif max(counts) <= year - rules.stale_years:
                out.append(
                    Finding(
                        doc_id,
                        "year_conflict",
                        "warning",
                        f"stated year {year} ({source}), but the latest year the text names is {max(counts)}",
                        "years named: " + _year_list(counts),
                    )
                )
    return out[:1]


def _year_list(counts: Counter[int]) -> str:
    return ", ".join(f"{y}×{n}" for y, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5])


_SYMBOLS = "■□▲△◆◇●○★☆※—-_=*#~ "


_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}


def _numeral(s: str) -> int | None:
    """一 … 九十九 as a number; None for anything else."""
    if len(s) == 1:
        return _NUMERALS.get(s)
    if s[0] == "十":
        return 10 + _NUMERALS[s[1]] if len(s) == 2 and s[1] in _NUMERALS and s[1] != "十" else None
    if len(s) >= 2 and s[1] == "十" and s[0] in _NUMERALS:
        rest = s[2:]
        return 10 * _NUMERALS[s[0]] + (_NUMERALS.get(rest, 0) if rest else 0)
    return None


def outline_gaps(text: str, rules: AuditRules) -> list[str]:
    """Numbers the outline skips: top-level headings 一、二、… across the text, and （一）（二）… within each
    top-level part (numbering restarts there).  A sequence that restarts at 一 is a new list, not a gap."""

    def gaps(numbers: list[int], fmt) -> list[str]:
        out, last = [], 0
        for n in numbers:
            if n == 1:
                last = 1
            elif last and n > last + 1:
                out += [fmt(k) for k in range(last + 1, n)]
                last = n
            elif last and n == last + 1:
                last = n
        return out

    names = "一二三四五六七八九十"
    # a marker broken over two lines ("（\n三）") is still a marker
    if "（\n" in text or "(\n" in text or "\n）" in text or "\n)" in text:
        text = re.sub(r"([（(])[ \u3000]*\n[ \u3000]*|\n[ \u3000]*(?=[）)])", r"\1", text)

    def zh(n: int) -> str:
        return names[n - 1] if n <= 10 else ("十" + names[n - 11] if n < 20 else str(n))

    numbered = [(m.start(), _numeral(m.group(1))) for m in rules.outline_top.finditer(text)]
    top = [(i, n) for i, n in numbered if n is not None]
    found = gaps([n for _, n in top], lambda k: f"{zh(k)}、")
    subs = [(m.start(), _numeral(m.group(1))) for m in rules.outline_sub.finditer(text)]
    bounds = [i for i, _ in top] + [len(text)]
    for a, b in [(0, bounds[0]), *zip(bounds, bounds[1:], strict=False)]:
        found += gaps([n for i, n in subs if a <= i < b and n], lambda k: f"（{zh(k)}）")
    return list(dict.fromkeys(found))


def check_truncated(rec: dict, rules: AuditRules) -> list[Finding]:
    """Ends mid-sentence, or lacks a part its genre always has."""
    doc_id, text = rec["doc_id"], rec["text"]
    out = []
    last = text.rstrip().rsplit("\n", 1)[-1].strip().rstrip(_SYMBOLS).strip()
    end = last.rstrip(rules.closers)
    signature = len(last) <= rules.signature_max and not re.search(r"[，,、；;]", last)
    if end and end[-1] not in rules.sentence_end and not signature:
        out.append(Finding(doc_id, "truncated", "warning", "the text ends mid-sentence", f"ends with “…{last[-30:]}”"))
    gaps = outline_gaps(text, rules)
    if gaps:
        out.append(
            Finding(
                doc_id,
                "truncated",
                "warning",
                "the outline skips " + ", ".join(gaps) + ": parts of the text may be missing",
                "numbered headings at line starts",
            )
        )
    _, parts = rules.genre(rec.get("genre"))
    missing = [name for name, rx in parts.items() if not rx.search(text)]
    if missing:
        out.append(
            Finding(
                doc_id,
                "truncated",
                "error",
                f"a {rec.get('genre')} always has these parts: {', '.join(parts)}; not found: {', '.join(missing)}",
                "; ".join(f"{n}: /{parts[n].pattern}/" for n in missing),
            )
        )
    return out


REPAIRS = {
    "broken_line": "rejoined {n} line breaks inside sentences",
    "wrap_space": "closed {n} line-wrap spaces inside sentences",
    "restore_break": "restored {n} paragraph breaks in text that had lost them",
}


def check_lines(rec: dict, repairs: dict[str, int], rules: AuditRules) -> list[Finding]:
    """What the cleaner repaired in the line structure (info), and a text it could not: one run-on line."""
    done = [REPAIRS[k].format(n=n) for k, n in repairs.items() if k in REPAIRS and n >= rules.repaired_min.get(k, 1)]
    out = []
    if done:
        rule_names = ", ".join(k for k, n in repairs.items() if k in REPAIRS and n >= rules.repaired_min.get(k, 1))
        out.append(
            Finding(
                rec["doc_id"],
                "broken_lines",
                "info",
                "the line breaks were broken; the cleaner " + "; ".join(done),
                f"rules {rule_names} in cleaning_report.csv",
            )
        )
    text = rec["text"]
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest >= rules.one_line_chars and longest >= rules.one_line_share * len(text):
        out.append(
            Finding(
                rec["doc_id"],
                "broken_lines",
                "warning",
                f"{longest} of {len(text)} characters stand on one line: headings and paragraphs run together",
                "no line or paragraph breaks to restore",
            )
        )
    return out


def check_document(rec: dict, repairs: dict[str, int], rules: AuditRules, gaz=None) -> list[Finding]:
    """Every per-document check on one documents.parquet row (as a dict).  ``repairs``: how many edits the
    cleaner made per line-structure rule (broken_line, wrap_space, restore_break); ``gaz`` as in
    :func:`check_place`."""
    return (
        check_place(rec, rules, gaz)
        + check_year(rec, rules)
        + check_truncated(rec, rules)
        + check_lines(rec, repairs, rules)
    )


def apply_errors(rec: dict, findings: list[Finding]) -> None:
    """What the text contradicts is left empty, never kept: the place or year an error names."""
    for f in findings:
        if f.severity != "error":
            continue
        if f.check == "place_conflict":
            for field in PLACE_FIELDS:
                rec[field], rec[f"{field}_source"] = None, "contradicted"
            rec["adcode"] = None
        elif f.check == "year_conflict":
            rec["year"], rec["year_source"] = None, "contradicted"


# --------------------------------------------------------------------------- across documents


_M61 = np.uint64((1 << 61) - 1)
_M32 = np.uint64((1 << 32) - 1)


def shingle_hashes(text: str, k: int, sample: int = 1) -> np.ndarray:
    """Distinct 32-bit hashes of the text's k-character shingles (Chinese characters, Latin letters and
    digits only, so punctuation, spaces and page layout do not count).  With ``sample`` > 1 only the
    shingles whose hash is divisible by it are kept: the same shingles in every document, so the
    Jaccard similarity of two documents is kept in expectation (unless fewer than 50 would remain)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    keep = ((codes >= 0x4E00) & (codes <= 0x9FA5)) | ((codes >= 0x30) & (codes <= 0x39))
    keep |= ((codes | 0x20) >= 0x61) & ((codes | 0x20) <= 0x7A)
    codes = codes[keep].astype(np.uint64)
    if len(codes) < k:
        codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            h = h * np.uint64(1000003) + codes[i : n + i]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    h &= _M32
    if sample > 1:
        kept = np.unique(h[h % np.uint64(sample) == 0])
        if len(kept) >= 50:
            return kept
    return np.unique(h)


@lru_cache(maxsize=4)
def _empty_minhash(num_perm: int, seed: int):
    """A MinHash with nothing in it: its permutations are drawn once and shared by every copy."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed, hashfunc=int)


def signature(text: str, params: dict) -> list[int]:
    """The MinHash signature (datasketch, its default affine scheme) of the text's shingles, under
    ``params`` (``audit.shingle_chars``, ``audit.num_perm``, ``audit.shingle_sample`` and ``seed``)."""
    p = params["audit"]
    m = _empty_minhash(int(p["num_perm"]), int(params["seed"])).copy()
    m.update_batch(shingle_hashes(text, int(p["shingle_chars"]), int(p["shingle_sample"])).tolist())
    return [int(x) for x in m.hashvalues]


def near_duplicates(signatures: dict[str, list[int]], params: dict) -> list:
    """Pairs (a, b, similarity) of documents whose shingle sets are at least ``audit.near_duplicate_threshold``
    alike (Jaccard, estimated from their signatures), found with datasketch's MinHash LSH; sorted."""
    from datasketch import MinHash, MinHashLSH

    threshold, num_perm = float(params["audit"]["near_duplicate_threshold"]), int(params["audit"]["num_perm"])
    empty = _empty_minhash(num_perm, int(params["seed"]))
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs = {}
    for doc_id in sorted(signatures):
        values = np.array(signatures[doc_id], dtype=empty.hashvalues.dtype)
        sigs[doc_id] = MinHash(seed=empty.seed, hashvalues=values, permutations=empty.permutations, scheme=empty.scheme)
        lsh.insert(doc_id, sigs[doc_id])
    pairs = set()
    for doc_id in sorted(sigs):
        for other in lsh.query(sigs[doc_id]):
            if other != doc_id:
                a, b = sorted((doc_id, other))
                sim = float(sigs[a].jaccard(sigs[b]))
                if sim >= threshold:
                    pairs.add((a, b, round(sim, 3)))
    return sorted(pairs)


def duplicate_groups(pairs: list, n_chars: dict[str, int]) -> dict[str, str]:
    """doc_id → the document its group is counted by (the longest text; then the first doc_id), for
    every document of a group but that one."""
    if not pairs:
        return {}
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from((a, b) for a, b, _ in pairs)
    out = {}
    for comp in nx.connected_components(g):
        keep = min(comp, key=lambda d: (-n_chars.get(d, 0), d))
        out.update({d: keep for d in comp if d != keep})
    return out


def near_duplicate_findings(pairs: list, counted_by: dict[str, str]) -> list[Finding]:
    """One line per document of a group of near duplicates (not one per pair: a report scraped from twenty sites
    gives twenty lines, not 380): a copy names the document it is counted as, with their similarity; the document
    counted names its copies."""
    sims: dict[tuple[str, str], float] = {}
    for a, b, sim in pairs:
        sims[(a, b)] = sims[(b, a)] = sim
    best: dict[str, float] = {}
    for (a, _), sim in sims.items():
        best[a] = max(best.get(a, 0.0), sim)
    copies: dict[str, list[str]] = {}
    out = []
    for x in sorted(counted_by):
        keep = counted_by[x]
        copies.setdefault(keep, []).append(x)
        sim = sims.get((x, keep), best[x])
        out.append(
            Finding(
                x,
                "near_duplicate",
                "warning",
                f"shares most of its text with {keep} (counted once, as {keep})",
                f"similarity {sim:.3f}",
            )
        )
    for keep, others in sorted(copies.items()):
        named = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        out.append(
            Finding(
                keep,
                "near_duplicate",
                "warning",
                f"shares most of its text with {named} (counted as this one)",
                f"similarity {best[keep]:.3f}",
            )
        )
    return out


def audit_corpus(
    documents: pd.DataFrame,
    findings: list[Finding],
    params: dict,
    rules: AuditRules,
    signatures: dict[str, list[int]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corpus-wide checks (near duplicates, length against the genre), then the quality report and
    the documents with ``flags``, ``duplicate_of`` and ``counted``.  ``signatures`` are MinHash
    signatures already at hand (from the cache), by doc_id."""
    import pandas as pd

    p = params["audit"]
    findings = list(findings)
    signatures = dict(signatures or {})
    for r in documents.itertuples():
        if r.doc_id not in signatures:
            signatures[r.doc_id] = signature(r.text, params)
    pairs = near_duplicates(signatures, params) if len(documents) > 1 else []
    n_chars = dict(zip(documents.doc_id, documents.n_chars, strict=True))
    counted_by = duplicate_groups(pairs, n_chars)
    findings += near_duplicate_findings(pairs, counted_by)
    for genre, group in documents.groupby("genre"):
        if len(group) < rules.min_genre_docs:
            continue
        median = float(group.n_chars.median())
        for r in group.itertuples():
            if r.n_chars < rules.short_share * median:
                findings.append(
                    Finding(
                        r.doc_id,
                        "truncated",
                        "warning",
                        f"{r.n_chars} characters, far shorter than the median {median:.0f} of its genre ({genre})",
                        f"below {rules.short_share:g} × median",
                    )
                )
    report = pd.DataFrame([vars(f) for f in findings], columns=REPORT_COLUMNS)
    order = {c: i for i, c in enumerate(CHECKS)}
    report = (
        report.assign(_o=report.check.map(order))
        .sort_values(["doc_id", "_o", "severity", "message"], kind="stable")
        .drop(columns="_o")
        .drop_duplicates()
        .reset_index(drop=True)
    )
    fired = {
        doc_id: ";".join(sorted(set(group.check), key=order.__getitem__)) for doc_id, group in report.groupby("doc_id")
    }
    docs = documents.copy()
    docs["flags"] = [fired.get(d, "") for d in docs.doc_id]
    docs["duplicate_of"] = docs.doc_id.map(counted_by)
    docs["counted"] = docs.duplicate_of.isna() | bool(p["keep_near_duplicates"])
    return report, docs
