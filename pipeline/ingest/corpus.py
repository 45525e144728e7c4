"""Ingest: a corpus folder in, one row per document out.

``ingest_corpus`` reads every supported file below the corpus's ``raw/``
folder (or the folder itself when it has no ``raw/``), cleans the text,
infers metadata where the manifest is silent, flags duplicates, and returns
three tables: documents, the cleaning report and the ingest log.  It writes
nothing; :mod:`pipeline.stages` hands the tables to :mod:`pipeline.io`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from .. import catalog
from ..config import resource_files
from ..executor import parallel_map
from .audit import AuditRules, Finding, apply_errors, audit_corpus, check_document, signature
from .clean import CleanResult, Rules, cjk_chars, clean_text, to_simplified
from .manifest import check_manifest, parse_date
from .metadata import infer_date, infer_genre, infer_publisher, infer_title, infer_year
from .places import Attribution, attribute, load_gazetteer
from .readers import RawDoc, ReadError, read_bytes
from .tracked import Removal

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where the tables are made (ingest_to, ingest_corpus): the per-file work (_ingest_file) runs
# in worker processes, which need not load it

FIELDS = ["title", "date", "year", "province", "city", "district", "publisher", "genre", "url"]
DOC_COLUMNS = (
    [
        "doc_id",
        "source_file",
        "title",
        "date",
        "year",
        "province",
        "city",
        "district",
        "publisher",
        "genre",
        "url",
        "text",
        "text_original",
        "n_chars",
        "sha256",
        "encoding",
        "format",
        "script",
    ]
    + [f"{f}_source" for f in FIELDS]
    + ["adcode", "place_evidence", "place_mentions", "extra"]
)
REPORT_COLUMNS = ["doc_id", "source_file", "chars_in", "chars_out", "rule", "raw_start", "raw_end", "n_chars", "text"]
LOG_COLUMNS = ["source_file", "status", "message"]


@dataclass
class Problem:
    source_file: str
    status: str  # skipped | duplicate | warning
    message: str


def documents_root(corpus: Path) -> Path:
    raw = corpus / "raw"
    return raw if raw.is_dir() else corpus


def _doc_id(source_file: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]+(#|$)", r"\1", source_file)
    stem = stem[4:] if stem.startswith("raw/") else stem
    return stem


def _clean_one(doc: RawDoc, rules: Rules) -> CleanResult | str:
    if not doc.raw_text.strip():
        return "empty text"
    try:
        return clean_text(doc.raw_text, rules)
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the corpus
        return f"cleaning failed ({type(e).__name__}: {e})"


def _too_big(path: Path, rel: str, max_bytes: int):
    size = path.stat().st_size
    if size > max_bytes:
        return (
            [],
            "",
            [
                Problem(
                    rel,
                    "skipped",
                    f"file is {size / 1e6:.1f} MB, above the limit of "
                    f"{max_bytes / 1e6:.0f} MB (raise ingest.max_file_mb to read it)",
                )
            ],
        )
    return None


# what a cleaned file's cache key depends on, besides the file (see Context.key)
CLEAN_VERSION = ("param:ingest", "param:clean", "resource:cleaning_rules", "code", "code:stage")


def _processed_to_json(result) -> dict:
    """A read and cleaned file as plain data, for the cache (which holds no pickles)."""
    pairs, sha, problems = result
    return {
        "sha": sha,
        "problems": [asdict(p) for p in problems],
        "docs": [{"doc": asdict(d), "clean": asdict(c) if isinstance(c, CleanResult) else c} for d, c in pairs],
    }


def _processed_from_json(data: dict):
    pairs = []
    for entry in data["docs"]:
        c = entry["clean"]
        if isinstance(c, dict):
            c = CleanResult(**{**c, "removals": [Removal(**r) for r in c["removals"]]})
        pairs.append((RawDoc(**entry["doc"]), c))
    return pairs, data["sha"], [Problem(**p) for p in data["problems"]]


def _read_and_clean(
    path: Path, rel: str, setup: Setup, cache: catalog.Cache | None, used: list[str]
) -> tuple[list[tuple[RawDoc, CleanResult | str]], str, list[Problem]]:
    """Read and clean one file: from the cache when its bytes and the cleaning rules are unchanged, else now (and
    then cached).  The key used is appended to ``used``."""
    big = _too_big(path, rel, setup.max_bytes)
    if big:
        return big
    try:
        data = catalog.read_file_bytes(path)
    except OSError as e:
        return [], "", [Problem(rel, "skipped", f"cannot be read ({e.strerror or e})")]
    sha = catalog.sha256_bytes(data)
    key = None
    if cache is not None and setup.clean_key is not None:
        key = setup.clean_key(sha, rel)
        used.append(key)
        hit = cache.get_json("clean", key)
        if hit is not None:
            return _processed_from_json(hit)
    result: tuple[list[tuple[RawDoc, CleanResult | str]], str, list[Problem]]
    try:
        docs = read_bytes(data, rel)
    except ReadError as e:
        result = ([], sha, [Problem(rel, "skipped", str(e))])
    else:
        rules = Rules(setup.rules_cfg)
        result = ([(d, _clean_one(d, rules)) for d in docs], sha, [])
    if cache is not None and key is not None:
        cache.put_json("clean", key, _processed_to_json(result))
    return result


def _unreachable(root: Path, corpus: Path, exclude: list[str]) -> list[Problem]:
    """What lies below the corpus folder but cannot be read at all: a link to nothing, a link loop, a folder
    that cannot be opened.  Each gets a line instead of vanishing."""
    import os

    out: list[Problem] = []

    def rel(p) -> str:
        return Path(p).relative_to(corpus).as_posix()

    def unreadable(e: OSError) -> None:
        out.append(Problem(rel(e.filename), "skipped", f"folder cannot be read ({e.strerror})"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in exclude]
        for name in dirs + files:
            p = Path(folder) / name
            if not name.startswith(".") and name not in exclude and p.is_symlink() and not p.exists():
                out.append(Problem(rel(p), "skipped", "a link to nothing (or a loop of links)"))
    return out


def _text_problems(doc: RawDoc, res: CleanResult | str, p_ing: dict) -> tuple[str | None, list[Problem], str | None]:
    """(why the document is not kept, or None; notes on what is suspicious about it; the audit check
    that names it, not_chinese or too_short, or None)."""
    notes = [Problem(doc.source_file, "warning", w) for w in doc.warnings]
    if isinstance(res, str):
        return res, notes, None
    if not res.text.strip():
        return "no text left after cleaning (all page furniture?)", notes, "too_short"
    n_cjk = len(cjk_chars(res.text))
    if n_cjk < int(p_ing["min_chinese_chars"]):
        return (
            f"no Chinese text to speak of ({n_cjk} Chinese characters of {len(res.text)}; "
            f"ingest.min_chinese_chars is {p_ing['min_chinese_chars']})",
            notes,
            "not_chinese",
        )
    if len(res.text) < int(p_ing["short_chars"]):
        msg = f"only {len(res.text)} characters of text after cleaning"
        notes.append(Problem(doc.source_file, "warning", msg))
        return None, notes, "too_short"
    return None, notes, None


def _with_checked_date(doc: RawDoc, problems: list[Problem]) -> RawDoc:
    """The document without a stated date that is not a calendar date (a table's 待定), which is reported."""
    stated = doc.meta.get("date")
    if not stated or parse_date(stated) is not None:
        return doc
    problems.append(Problem(doc.source_file, "warning", f"date '{stated}' is not a calendar date: not used"))
    return replace(doc, meta={k: v for k, v in doc.meta.items() if k != "date"})


def _manifest(path: Path | str | None, rels: list[str]) -> tuple[dict[str, dict], list[Problem]]:
    """The checked manifest (document key → values to apply) and one problem line per row or value refused."""
    if not path:
        return {}, []
    manifest = catalog.read_manifest(path)
    lookup, found = check_manifest(manifest.to_dict("records"), list(manifest.columns), rels)
    name = Path(str(path)).name
    return lookup, [Problem(f"{name}:{p.row}" if p.row else name, "manifest", p.message) for p in found]


# what a document's MinHash signature depends on, besides its text
MINHASH_VERSION = ("param:audit", "param:seed", "code", "code:stage")

# what a place attribution's cache key depends on, besides the text
PLACE_VERSION = ("param:places", "resource:gazetteer", "resource:block_phrases", "code", "code:stage")


def build_document(
    doc: RawDoc,
    cleaned: CleanResult,
    sha: str,
    manifest_row: dict,
    gaz,
    genres: dict,
    place_params: dict,
    cache: catalog.Cache | None = None,
    key=None,
) -> dict:
    """One documents.parquet row: manifest values win, then what the file states, then inference."""
    rec: dict[str, Any] = {
        "source_file": doc.source_file,
        "text": cleaned.text,
        "text_original": cleaned.text_original,
        "n_chars": len(cleaned.text),
        "sha256": sha,
        "encoding": doc.encoding,
        "format": doc.fmt,
        "script": cleaned.script,
        "extra": json.dumps(doc.extra, ensure_ascii=False, sort_keys=True) if doc.extra else None,
    }
    stated_source = "table" if doc.fmt in ("csv", "xlsx", "jsonl") else doc.fmt
    stem = Path(doc.source_file.split("#")[0]).stem

    def pick(field: str, inferred_value=None, inferred_source: str = "none"):
        if manifest_row.get(field):
            return manifest_row[field], "manifest"
        if doc.meta.get(field):
            return doc.meta[field], stated_source
        return inferred_value, inferred_source if inferred_value is not None else "none"

    title = infer_title(cleaned.text, None, "", stem)
    rec["title"], rec["title_source"] = pick("title", title.value, title.source)
    date = infer_date(doc.raw_text)
    rec["date"], rec["date_source"] = pick("date", date.value, date.source)
    if rec["date"]:
        m = re.match(r"((?:19|20)\d{2})[-/.年]?(\d{1,2})?[-/.月]?(\d{1,2})?", str(rec["date"]))
        if m and m.group(2) and m.group(3):
            rec["date"] = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    year = infer_year(
        rec["date"] if rec["date_source"] != "none" else None,
        rec["date_source"],
        rec["title"],
        doc.raw_text,
        cleaned.text,
    )
    rec["year"], rec["year_source"] = pick("year", year.value, year.source)
    try:
        rec["year"] = int(str(rec["year"])[:4]) if rec["year"] is not None else None
    except ValueError:
        rec["year"], rec["year_source"] = None, "none"
    pub = infer_publisher(doc.raw_text)
    if pub.value and cleaned.script == "traditional":
        pub.value = to_simplified(cast(str, pub.value))  # a publisher is a str when there is one
    rec["publisher"], rec["publisher_source"] = pick("publisher", pub.value, pub.source)
    genre = infer_genre(rec["title"], cleaned.text, genres, rec["publisher_source"])
    rec["genre"], rec["genre_source"] = pick("genre", genre.value, genre.source)
    rec["url"], rec["url_source"] = pick("url")

    place_title = rec["title"] if rec["title_source"] != "filename" else None
    att = None
    if cache is not None:
        k = key("places", cleaned.text, place_title, stem, only=PLACE_VERSION)
        hit = cache.get_json("places", k)
        att = Attribution(**hit) if hit is not None else None
    if att is None:  # scanning a text for every place name of China is the slow part: cached
        att = attribute(gaz, place_title, cleaned.text, filename_stem=stem, **place_params)
        if cache is not None:
            cache.put_json("places", k, asdict(att))
    for f in ("province", "city", "district"):
        value, source = pick(f, getattr(att, f), getattr(att, f"{f}_source"))
        rec[f], rec[f"{f}_source"] = value, source
    rec["adcode"] = att.adcode
    rec["place_evidence"] = att.evidence or None
    rec["place_mentions"] = att.mentions or None
    return rec


@dataclass
class Setup:
    """What every file's worker needs to read, clean, describe and check it (small and picklable: the gazetteer
    is loaded in the worker, once per process)."""

    max_bytes: int
    rules_cfg: dict
    p_ing: dict
    genres: dict
    place_params: dict
    gazetteer: tuple[str | None, str]
    audit_rules: AuditRules
    params: dict
    clean_key: Any = None  # KeyRecipe or None (no cache)
    place_key: Any = None
    minhash_key: Any = None


def _ingest_file(path: Path, rel: str, setup: Setup, cache: catalog.Cache | None, rows: dict[str, dict]) -> dict:
    """One file read, cleaned, and each of its documents described, checked and fingerprinted (MinHash); what is
    decided across files — duplicates, doc_id clashes, the corpus-wide checks — is left to the caller.  Results
    that do not change with the corpus (cleaned text, places, signatures) are cached."""
    keys: dict[str, list[str]] = {"clean": [], "places": [], "minhash": []}
    processed = _read_and_clean(path, rel, setup, cache, keys["clean"])
    pairs, sha, problems = processed
    gaz = load_gazetteer(*setup.gazetteer)

    def key(kind, *content, only=None):  # build_document's key recipe: its only cache is the places'
        k = setup.place_key(*content)
        keys[kind].append(k)
        return k

    docs = []
    for doc, res in pairs:
        refused, notes, check = _text_problems(doc, res, setup.p_ing)
        entry: dict[str, Any] = {"source_file": doc.source_file, "notes": notes, "check": check}
        if refused is not None or isinstance(res, str):
            entry["refused"] = refused or str(res)
            entry["doc_id"] = rows.get(doc.source_file, {}).get("doc_id") or doc.meta.get("doc_id")
            docs.append(entry)
            continue
        entry["same"] = hashlib.sha1(re.sub(r"\s+", "", res.text).encode("utf-8")).hexdigest()
        row = rows.get(doc.source_file, {})
        date_notes: list[Problem] = []
        doc = _with_checked_date(doc, date_notes)
        rec = build_document(doc, res, sha, row, gaz, setup.genres, setup.place_params, cache, key if cache else None)
        rec["doc_id"] = row.get("doc_id") or doc.meta.get("doc_id") or _doc_id(doc.source_file)
        repairs = {k: res.counts.get(k, 0) for k in ("wrap_space", "restore_break")}
        repairs["broken_line"] = sum(1 for r in res.removals if r.rule == "broken_line")
        found = check_document(rec, repairs, setup.audit_rules, gaz)
        apply_errors(rec, found)  # a place or year the text contradicts is left empty
        if cache is not None and setup.minhash_key is not None:
            mk = setup.minhash_key(rec["text"])
            keys["minhash"].append(mk)
            sig = cache.get_json("minhash", mk)
            if sig is None:
                sig = signature(rec["text"], setup.params)
                cache.put_json("minhash", mk, sig)
        else:
            sig = signature(rec["text"], setup.params)
        n_in, n_out = len(doc.raw_text), len(res.text)
        report = [
            [doc.source_file, n_in, n_out, r.rule, r.raw_start, r.raw_end, len(r.text), r.text] for r in res.removals
        ]
        report += [[doc.source_file, n_in, n_out, rule, None, None, n, None] for rule, n in sorted(res.counts.items())]
        if not res.removals and not res.counts:
            report.append([doc.source_file, n_in, n_out, None, None, None, 0, None])
        entry.update(rec=rec, found=found, report=report, signature=sig, date_notes=date_notes)
        docs.append(entry)
    return {"problems": problems, "docs": docs, "keys": keys}


def document_schema():
    """documents.parquet: one fixed schema (a column is never typed by what one corpus happens to hold), with the
    pandas metadata that reads ``year`` back as a nullable integer."""
    import pyarrow as pa

    types = {"year": pa.int64(), "n_chars": pa.int64(), "counted": pa.bool_()}
    columns = [*DOC_COLUMNS, "flags", "duplicate_of", "counted"]
    return catalog.pandas_schema([(c, types.get(c, pa.string())) for c in columns], ("year",))


def ingest_to(  # noqa: C901 - one pass over the files, then one over the documents; helpers above
    out: Path | str,
    corpus: Path | str,
    params: dict,
    manifest_path: Path | str | None = None,
    use_manifest: bool = True,
    ctx=None,
    strict: bool = False,
    keep_report: bool = False,
) -> dict:
    """Read, clean, describe and audit every document of a corpus, writing documents.parquet, the cleaning report,
    the ingest log and the quality report into ``out``.

    Files stream through the workers in order; each kept document is set aside on disk as it comes, so only a
    few numbers per document stay in memory (length, genre, MinHash signature) until the corpus-wide checks are
    done; the tables are then written in doc_id order, ``batch_documents`` documents at a time.  Problems with
    single files are logged and do not stop the run.  With ``ctx`` (a stage context), what does not change with
    the corpus is cached.  Returns the counts, the ingest log and the quality report; nothing is written when no
    document could be kept, or when ``strict`` and a file could not be read (``written`` is False).  With
    ``keep_report`` the cleaning report is also returned as it was made (the CSV neutralises text that a
    spreadsheet would read as a formula)."""
    import tempfile

    import pandas as pd
    import pyarrow as pa

    corpus, out = Path(corpus), Path(out)
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    p_ing = params["ingest"]
    root = documents_root(corpus)
    if manifest_path is None and use_manifest and (corpus / "manifest.csv").exists():
        manifest_path = corpus / "manifest.csv"
    files = catalog.list_files(root, list(p_ing["exclude"]))
    rels = [p.relative_to(corpus).as_posix() for p in files]
    lookup, problems = _manifest(manifest_path if use_manifest else None, rels)
    problems += _unreachable(root, corpus, list(p_ing["exclude"]))
    p_places = dict(params["places"])
    gaz_file, _ = p_places.pop("gazetteer"), p_places.pop("block_phrases")
    cache = ctx.cache if ctx is not None else None
    setup = Setup(
        max_bytes=int(float(p_ing["max_file_mb"]) * 1e6),
        rules_cfg=yaml.safe_load(resource_files("cleaning_rules", params)[0].read_text(encoding="utf-8")),
        p_ing=dict(p_ing),
        genres=yaml.safe_load(resource_files("genres", params)[0].read_text(encoding="utf-8")),
        place_params=p_places,
        gazetteer=(
            str(resource_files("gazetteer", params)[0]) if gaz_file else None,
            str(resource_files("block_phrases", params)[0]),
        ),
        audit_rules=AuditRules.load(resource_files("audit_rules", params)[0]),
        params={"audit": dict(params["audit"]), "seed": params["seed"]},
        clean_key=ctx.recipe("clean", only=CLEAN_VERSION) if ctx is not None else None,
        place_key=ctx.recipe("places", only=PLACE_VERSION) if ctx is not None else None,
        minhash_key=ctx.recipe("minhash", only=MINHASH_VERSION) if ctx is not None else None,
    )
    by_file: dict[str, dict[str, dict]] = {}
    for k, v in lookup.items():  # manifest rows by the file they belong to (a table's rows are file#n)
        by_file.setdefault(k.split("#")[0], {})[k] = v
    n_jobs = params.get("n_jobs", -1) if len(files) > 8 else 1  # workers only pay off for real work
    results = parallel_map(
        _ingest_file,
        ((path, rel, setup, cache, by_file.get(rel, {})) for path, rel in zip(files, rels, strict=True)),
        n_jobs=n_jobs,
    )
    findings: list[Finding] = []
    light: list[dict] = []  # what stays in memory per document
    signatures: dict[str, list[int]] = {}
    seen_ids: set[str] = set()
    seen_text: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix=".ingest-", dir=out if out.is_dir() else None) as spill:
        for res in results:
            problems += res["problems"]
            if ctx is not None:
                for kind, ks in res["keys"].items():
                    ctx.used(kind, ks)
            for entry in res["docs"]:
                src = entry["source_file"]
                problems += entry["notes"]
                if "refused" in entry:
                    problems.append(Problem(src, "skipped", entry["refused"]))
                    if entry["check"]:
                        skipped_id = entry["doc_id"] or _doc_id(src)
                        findings.append(
                            Finding(skipped_id, entry["check"], "error", f"not kept: {entry['refused']}", src)
                        )
                    continue
                if entry["same"] in seen_text:
                    problems.append(
                        Problem(src, "duplicate", f"same text as {seen_text[entry['same']]}; kept that one")
                    )
                    continue
                seen_text[entry["same"]] = src
                problems += entry["date_notes"]
                rec = entry["rec"]
                given = rec["doc_id"]
                doc_id = src if given in seen_ids else given
                seen_ids.add(doc_id)
                rec["doc_id"] = doc_id
                if entry["check"]:
                    findings.append(Finding(doc_id, entry["check"], "warning", entry["notes"][-1].message, src))
                findings += [replace(f, doc_id=doc_id) if f.doc_id != doc_id else f for f in entry["found"]]
                signatures[doc_id] = entry["signature"]
                name = f"{len(light):08d}.json"
                Path(spill, name).write_text(
                    json.dumps({"rec": rec, "report": entry["report"]}, ensure_ascii=False), encoding="utf-8"
                )
                light.append({"doc_id": doc_id, "n_chars": rec["n_chars"], "genre": rec["genre"], "_spill": name})
        log = pd.DataFrame([[p.source_file, p.status, p.message] for p in problems], columns=LOG_COLUMNS)
        log = log.sort_values(["source_file", "status"], kind="stable").reset_index(drop=True)
        if not light or (strict and (log.status == "skipped").any()):
            _say_problems(problems)  # nothing is written: the tables of an earlier run stay as they were
            return {"documents": len(light), "counted": 0, "log": log, "quality": None, "written": False}
        documents = pd.DataFrame(light).sort_values("doc_id", kind="stable").reset_index(drop=True)
        quality, documents = audit_corpus(documents, findings, params, setup.audit_rules, signatures)
        schema, batch = document_schema(), int(params.get("batch_documents", 64))
        kept: list[pd.DataFrame] = []
        with (
            catalog.TableWriter(out, "documents", schema) as dw,
            catalog.CsvWriter(out, "cleaning_report", REPORT_COLUMNS) as rw,
        ):
            for i in range(0, len(documents), batch):
                part = documents.iloc[i : i + batch]
                spilled = [json.loads(Path(spill, f).read_text(encoding="utf-8")) for f in part["_spill"]]
                frame = pd.DataFrame([x["rec"] for x in spilled], columns=DOC_COLUMNS)
                frame["year"] = frame["year"].astype("Int64")
                frame["flags"] = part["flags"].tolist()
                frame["duplicate_of"] = [None if pd.isna(x) else x for x in part.duplicate_of]
                frame["counted"] = part.counted.tolist()
                dw.write(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
                rows = [[d, *r] for d, x in zip(part.doc_id, spilled, strict=True) for r in x["report"]]
                report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
                report["raw_start"] = report["raw_start"].astype("Int64")
                report["raw_end"] = report["raw_end"].astype("Int64")
                report = report.sort_values(["doc_id", "raw_start", "rule"], kind="stable", na_position="last")
                rw.write(report)
                if keep_report:
                    kept.append(report)
    catalog.write_artifact(log, out, "ingest_log", bom=True)
    catalog.write_artifact(quality, out, "quality_report", bom=True)
    _say_problems(problems)
    for f in quality[quality.severity != "info"].itertuples():
        if f.check not in ("not_chinese", "too_short"):  # those two are in the lines above
            print(f"{f.doc_id}: audit {f.check} ({f.severity}): {f.message}", file=sys.stderr)
    return {
        "documents": len(documents),
        "counted": int(documents.counted.sum()),
        "log": log,
        "quality": quality,
        "written": True,
        "report": pd.concat(kept, ignore_index=True) if kept else None,
    }


def _say_problems(problems: list[Problem]) -> None:
    for p in sorted(problems, key=lambda p: p.source_file):
        print(f"{p.source_file}: {p.status}: {p.message}", file=sys.stderr)


def ingest_corpus(
    corpus: Path | str,
    params: dict,
    manifest_path: Path | str | None = None,
    use_manifest: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(documents, cleaning_report, ingest_log, quality_report) of a corpus as DataFrames, sorted by doc_id /
    source_file: :func:`ingest_to` into a temporary folder, read back (for small corpora and tests; the stage
    writes its tables directly).  A corpus with nothing readable gives empty tables and the log."""
    import tempfile

    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        res = ingest_to(tmp, corpus, params, manifest_path, use_manifest, keep_report=True)
        if not res["written"]:
            empty = pd.DataFrame(columns=[*DOC_COLUMNS, "flags", "duplicate_of", "counted"])
            return empty, pd.DataFrame(columns=REPORT_COLUMNS), res["log"], pd.DataFrame()
        docs, log, quality = (catalog.read_artifact(tmp, n) for n in ("documents", "ingest_log", "quality_report"))
        return docs, res["report"], log, quality
