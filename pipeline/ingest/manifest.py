"""The manifest: what a researcher states about each document, checked before any of it is applied.

A row names its document by its path relative to the corpus folder, relative to ``raw/``, or by its bare file
name (``name.csv#3`` for the third data row of a table).  A value is applied only when it can be trusted: a
reference that matches no file or several files, a second row for the same document, a ``doc_id`` used twice,
a date that is not a calendar date and a year that is not a year are reported with the manifest's row number
and the reason, and left out; the rest of the corpus goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

COLUMNS = ("file", "doc_id", "title", "date", "year", "province", "city", "district", "publisher", "genre", "url")


@dataclass
class ManifestProblem:
    row: int | None  # the line of the manifest file (the header is line 1); None for the whole file
    message: str


def parse_date(value: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from the common ways of writing one — 2008-12-31, 2008/12/31, 2008.12.31,
    2008年12月31日, 20081231, 31/12/2008 or 31.12.2008 when the day cannot be a month — or None when the value is
    not a calendar date or is ambiguous (01/02/2008)."""
    s = str(value).strip()
    m = re.fullmatch(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", s) or re.fullmatch(
        r"((?:19|20)\d{2})(\d{2})(\d{2})", s
    )
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d{2})", s)
        if not m:
            return None
        d, mo, y = (int(g) for g in m.groups())
        if mo > 12 and d <= 12:  # 12/31/2008: month first
            d, mo = mo, d
        elif d <= 12:  # 01/02/2008: either way round
            return None
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def _resolve(ref: str, rels: list[str]) -> list[str]:
    """The corpus files a manifest reference names: by path, by path under raw/, or by bare file name."""
    ref = ref.strip().replace("\\", "/").lstrip("./")
    exact = [r for r in rels if r == ref or r == f"raw/{ref}"]
    if exact:
        return exact
    return [r for r in rels if r.rsplit("/", 1)[-1] == ref]


def check_manifest(rows: list[dict], columns: list[str], rels: list[str]) -> tuple[dict[str, dict], list]:
    """(document key → the values to apply, problems).  ``rows`` are the manifest's data rows (strings),
    ``rels`` the corpus files relative to the corpus folder; a key is a file's path, or ``path#n`` for a
    table row."""
    problems: list[ManifestProblem] = []
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        problems.append(ManifestProblem(None, f"unknown column(s) {unknown} ignored (known: {', '.join(COLUMNS)})"))
    applied: dict[str, dict] = {}
    row_of: dict[str, int] = {}
    ids: dict[str, list[tuple[int, str]]] = {}
    for n, row in enumerate(rows, start=2):
        ref = str(row.get("file") or "").strip()
        if not ref:
            problems.append(ManifestProblem(n, "no file named: row ignored"))
            continue
        path, _, fragment = ref.partition("#")
        found = _resolve(path, rels)
        if not found:
            problems.append(ManifestProblem(n, f"file '{ref}' is not in the corpus: row ignored"))
            continue
        if len(found) > 1:
            problems.append(
                ManifestProblem(
                    n, f"file '{ref}' matches {len(found)} files ({', '.join(found)}): give its path; row ignored"
                )
            )
            continue
        key = found[0] + (f"#{fragment}" if fragment else "")
        if key in applied:
            problems.append(
                ManifestProblem(n, f"'{key}' is already described in row {row_of[key]}: this row is ignored")
            )
            continue
        values = {c: str(v).strip() for c, v in row.items() if c in COLUMNS and c != "file" and str(v).strip()}
        if "date" in values:
            iso = parse_date(values["date"])
            if iso is None:
                problems.append(ManifestProblem(n, f"date '{values['date']}' is not a calendar date: not applied"))
                del values["date"]
            else:
                values["date"] = iso
        if "year" in values and not re.fullmatch(r"(?:19|20)\d{2}", values["year"]):
            problems.append(ManifestProblem(n, f"year '{values['year']}' is not a year: not applied"))
            del values["year"]
        if "doc_id" in values:
            ids.setdefault(values["doc_id"], []).append((n, key))
        applied[key], row_of[key] = values, n
    for doc_id, uses in ids.items():
        if len(uses) > 1:
            rows_named = ", ".join(str(n) for n, _ in uses)
            problems.append(
                ManifestProblem(
                    uses[0][0], f"doc_id '{doc_id}' is given in rows {rows_named}: not applied to any of them"
                )
            )
            for _, key in uses:
                del applied[key]["doc_id"]
    return applied, problems
