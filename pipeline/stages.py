"""The pipeline, declared top to bottom.

Each stage says once what it reads (artifacts, parameter sections, resource
files), what it writes, and which code it runs; :mod:`pipeline.runner`
derives cache keys, up-to-date checks, the stage graph and ``run.json`` from
these declarations.  A stage function reads its inputs by name through
:mod:`pipeline.catalog`, calls plain functions that take and return tables,
and writes its outputs by name.

    corpus ─ingest→ documents ─segment→ sentences, tokens ─themes→ themes, theme_items, theme_matrix

The commands that are not stages (train, label, evaluate, export,
notebooks, import-qdpx) read the same artifacts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from . import catalog
from .config import resource_files
from .errors import AuditFailed, NothingRead, ParamError, PipelineError
from .runner import Context, Stage, context_for, run_record, run_stages

# Heavy libraries (pandas, joblib, jieba) are imported inside the stages that
# run: a stage whose inputs are unchanged returns before importing them.


# --------------------------------------------------------------------------- ingest


def ingest(ctx: Context) -> dict:
    """corpus → documents, cleaning report, ingest log, quality report (written a batch at a time)."""
    from .ingest import ingest_to

    opts = ctx.options
    assert ctx.corpus is not None  # the runner refuses a stage that reads the corpus without one
    strict = bool(opts.get("strict") or ctx.params["ingest"]["strict"])
    res = ingest_to(ctx.out, ctx.corpus, ctx.params, opts.get("manifest"), opts.get("use_manifest", True), ctx, strict)
    log, quality = res["log"], res["quality"]
    if not res["documents"]:
        raise NothingRead(f"no document in {ctx.corpus} could be read (see the messages above)")
    if not res["written"]:
        raise NothingRead(f"--strict: {int((log['status'] == 'skipped').sum())} file(s) could not be read")
    errors = quality[quality.severity == "error"]
    if (opts.get("strict_audit") or ctx.params["audit"]["strict"]) and len(errors):
        raise AuditFailed(
            f"--strict-audit: {len(errors)} error finding(s) in {errors.doc_id.nunique()} document(s) "
            f"({', '.join(sorted(set(errors.check)))}); see {catalog.artifact_path(ctx.out, 'quality_report')}"
        )
    return {
        "documents": res["documents"],
        "problems": len(log),
        "audit": {s: int((quality.severity == s).sum()) for s in ("error", "warning", "info")},
        "counted": res["counted"],
    }


# --------------------------------------------------------------------------- segment

SENTENCE_VERSION = ("param:segment.heading_max_chars", "param:segment.lead_max_chars", "code", "code:stage")


def _document_keys(
    ctx: Context, kinds: dict[str, tuple | None], upstream: list[str] | None = None
) -> dict[str, dict[str, str]]:
    """doc_id → {kind: cache key} for every document, reading the documents table a batch at a time (the texts of a
    large corpus are never all in memory).  ``kinds`` maps a cache kind to its ``only`` version parts (None: all)."""
    keys: dict[str, dict[str, str]] = {}
    for part in catalog.iter_artifact(ctx.out, "documents", ["doc_id", "title", "text"], _batch(ctx)):
        for d, text, title in zip(part.doc_id.tolist(), part.text.tolist(), part.title.tolist(), strict=True):
            keys[d] = {k: ctx.key(k, text, title, only=only, upstream=upstream or ()) for k, only in kinds.items()}
    return keys


def _batch(ctx: Context) -> int:
    n = ctx.params.get("batch_documents", 64)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ParamError(f"batch_documents must be a whole number of documents ≥ 1, got {n!r}")
    return n


def _missing_texts(ctx: Context, wanted: set[str]):
    """(doc_id, text, title) of the ``wanted`` documents, in doc_id order, read a batch at a time."""
    for part in catalog.iter_artifact(ctx.out, "documents", ["doc_id", "title", "text"], _batch(ctx)):
        for d, text, title in zip(part.doc_id.tolist(), part.text.tolist(), part.title.tolist(), strict=True):
            if d in wanted:
                yield d, text, title


def segment(ctx: Context) -> dict:
    """documents → sentences + tokens, per document, cached by content and version.  Documents stream through in
    doc_id order: the new ones are segmented by the workers while the tables are written ``batch_documents``
    documents at a time, so memory does not grow with the corpus."""
    from .segment.tokens import ENGINES, lexicon_version

    p = ctx.params["segment"]
    if p["engine"] not in ENGINES:
        raise ParamError(f"unknown segment.engine '{p['engine']}' (choose one of: {', '.join(ENGINES)})")
    lexicon = ctx.resource("userdict")
    import pyarrow as pa

    from .executor import parallel_map
    from .segment.tables import segment_document, sentence_schema, token_schema

    batch = _batch(ctx)
    # sentences depend on the structure parameters only; tokens on everything the stage declares
    keys = _document_keys(ctx, {"sentences": SENTENCE_VERSION, "tokens": None})
    want = {
        d: (not ctx.cache.has("sentences", k["sentences"]), not ctx.cache.has("tokens", k["tokens"]))
        for d, k in keys.items()
    }
    todo = {d for d, (ws, wt) in want.items() if ws or wt}
    n_jobs = ctx.params.get("n_jobs", -1) if len(todo) > 4 else 1
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc="segment", unit="doc", disable=None if p["progress"] else True)
    work = parallel_map(
        segment_document,
        (
            (
                d,
                text,
                title,
                *want[d],
                str(lexicon),
                p["engine"],
                bool(p["pos"]),
                int(p["heading_max_chars"]),
                int(p["lead_max_chars"]),
            )
            for d, text, title in _missing_texts(ctx, todo)
        ),
        n_jobs=n_jobs,
        ordered=True,  # the same order as the documents: written as they come
    )
    counts = {"sentences": 0, "tokens": 0}
    with (
        catalog.TableWriter(ctx.out, "sentences", sentence_schema()) as sw,
        catalog.TableWriter(ctx.out, "tokens", token_schema()) as tw,
    ):
        pending: dict[str, list] = {"sentences": [], "tokens": []}
        for n, doc_id in enumerate(sorted(keys), start=1):
            k = keys[doc_id]
            tables = {"sentences": None, "tokens": None}
            if doc_id in todo:
                done_id, sent_df, tok_df = next(work)
                assert done_id == doc_id  # ordered results, in the order of the documents
                for kind, table in (("sentences", sent_df), ("tokens", tok_df)):
                    if table is not None:
                        ctx.cache.put(kind, k[kind], table)
                        tables[kind] = table
                bar.update()
            for kind in tables:
                table = tables[kind] if tables[kind] is not None else ctx.cache.get(kind, k[kind])
                if table is None:  # removed since it was looked up: make it again here
                    one = catalog.read_artifact_rows(ctx.out, "documents", [doc_id], columns=["text", "title"])
                    d, text, title = doc_id, one.text.iloc[0], one.title.iloc[0]
                    made = segment_document(
                        d,
                        text,
                        title,
                        kind == "sentences",
                        kind == "tokens",
                        str(lexicon),
                        p["engine"],
                        bool(p["pos"]),
                        int(p["heading_max_chars"]),
                        int(p["lead_max_chars"]),
                    )
                    table = made[1] if kind == "sentences" else made[2]
                    ctx.cache.put(kind, k[kind], table)
                pending[kind].append(table)
                counts[kind] += table.num_rows
            if n % batch == 0 or n == len(keys):
                sw.write(pa.concat_tables(pending["sentences"]))
                tw.write(pa.concat_tables(pending["tokens"]))
                pending = {"sentences": [], "tokens": []}
    bar.close()
    return {
        "documents": len(keys),
        "segmented": len(todo),
        "from_cache": len(keys) - len(todo),
        "sentences_computed": sum(1 for d in todo if want[d][0]),
        "tokens_computed": sum(1 for d in todo if want[d][1]),
        "sentences": counts["sentences"],
        "tokens": counts["tokens"],
        "lexicon_version": lexicon_version(lexicon, p["engine"], bool(p["pos"])),
    }


# --------------------------------------------------------------------------- themes

# the code a trained classifier depends on (not the extraction rules: editing a rule never retrains)
MODEL_CODE = ("pipeline.themes.classifier", "pipeline.segment.tokens", "pipeline.text")


def model_key(ctx: Context, codebook, label_files: list[Path]) -> str:
    """What a trained classifier and its cross-validated metrics depend on: the labelled sentences, the themes,
    the lexicon, the seed and folds, the classifier's code and scikit-learn's version."""
    from .runner import code_hash, digest, package_version

    return digest(
        [
            sorted(catalog.sha256_file(f) for f in label_files),
            sorted(codebook.themes),
            catalog.sha256_file(ctx.resource("userdict")),
            ctx.params["seed"],
            int(ctx.params["themes"]["cv_folds"]),
            code_hash(MODEL_CODE),
            package_version("scikit-learn"),
        ]
    )[:32]


def shipped_model_path(key: str) -> Path:
    """Where the package keeps the classifier trained for its own labels (``make model`` writes it): a new user
    with the packaged labels never trains.  Part of the package, so loaded like its code."""
    from .config import RESOURCES

    return RESOURCES / "models" / f"{key}.joblib"


def theme_model(ctx: Context, codebook, unpickled: bool = True):
    """The sentence classifier for these labels, seed and lexicon, trained once per user: from the model store
    (:func:`pipeline.catalog.model_store`) with its cross-validated metrics, else the one shipped for the packaged
    labels (:func:`shipped_model_path`), else trained now and kept in the store.
    The metrics go to data/classifier_metrics.csv either way. Not ``unpickled``: the model in a form the workers
    load, as bytes: its arrays (:class:`pipeline.themes.classifier.ScorerBytes`, no scikit-learn needed), or, for a
    model of another make, its checked joblib file (:class:`pipeline.catalog.ModelBytes`)."""
    import pandas as pd

    from .themes.classifier import load_labels

    p = ctx.params["themes"]
    label_files: list[Path] = list(resource_files("labels", ctx.params))
    labels = load_labels(list(label_files), list(codebook.themes))
    lexicon = ctx.resource("userdict")
    key = model_key(ctx, codebook, label_files)
    path = catalog.model_store() / f"{key}.joblib"
    metrics_path = path.with_name(f"{key}.metrics.csv")
    read = catalog.load_model if unpickled else catalog.read_model
    model = read(path) if path.exists() and metrics_path.exists() else None
    shipped = shipped_model_path(key)
    if model is None and shipped.exists():  # trained for the packaged labels, shipped with the package
        model, metrics_path = catalog.ModelBytes(shipped.read_bytes()), shipped.with_name(f"{key}.metrics.csv")
        model = model.load() if unpickled else model
    if model is not None:
        metrics = pd.read_csv(metrics_path, encoding="utf-8-sig")
    else:
        from tqdm.auto import tqdm

        from .themes.classifier import cross_validate, train

        show = None if ctx.params["segment"]["progress"] else True
        with tqdm(total=int(p["cv_folds"]) + 1, desc="classifier", unit="fit", disable=show) as bar:
            metrics = cross_validate(labels, str(lexicon), ctx.params["seed"], p["cv_folds"], bar.update)
            metrics.insert(0, "labelled_sentences", len(labels))
            model = train(labels, str(lexicon), ctx.params["seed"])
            bar.update()
        catalog.save_model(path, model)
        catalog.write_table(metrics, metrics_path, bom=True)
    catalog.write_artifact(metrics, ctx.out, "classifier_metrics", bom=True)
    if not unpickled:
        scorer = _scorer_bytes(model, path.with_name(f"{key}.scorer.npz"), shipped.with_name(f"{key}.scorer.npz"))
        model = scorer if scorer is not None else model
    return model, labels


def _scorer_bytes(model, stored: Path, shipped: Path):
    """The classifier as a :class:`pipeline.themes.classifier.Scorer` (as bytes, for the workers): the one kept
    in the model store or shipped beside the model, else made now from ``model`` (once; it is kept in the store).
    None for a model the scorer cannot stand for (it is then sent as it is)."""
    from .themes.classifier import Scorer, ScorerBytes

    data = catalog.read_signed(stored) or (shipped.read_bytes() if shipped.exists() else None)
    if data is None:
        arrays = Scorer.arrays(model.load() if isinstance(model, catalog.ModelBytes) else model)
        if arrays is None:
            return None
        data = Scorer.to_bytes(arrays)
        catalog.save_signed(stored, data)
    return ScorerBytes(data)


def _chunks(ids: list[str], n_workers: int, most: int) -> list[list[str]]:
    """``ids`` cut into consecutive chunks: a few per worker so that none waits long for the last, at most
    ``most`` each (the classifier travels with every chunk)."""
    size = max(1, min(most, len(ids) // max(1, 4 * n_workers)))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# themes.measures: who cuts the measures (docs/themes.md): the rules, the CRF, the CRF in the genre it was trained
# on (government work reports) and the rules elsewhere, or in that genre the rules' measures the CRF confirms
MEASURE_SOURCES = ("rules", "crf", "auto", "agreed")
MODEL_GENRES = frozenset({"government_work_report"})


def themes(ctx: Context) -> dict:
    """sentences + tokens → theme items (the codebook's rules, then the classifier), tables.  New documents are
    coded by the workers, a chunk at a time, each reading only its own sentences and tokens; items, the item table
    and the matrix's counts are written ``batch_documents`` documents at a time, in doc_id order."""
    import os

    import pandas as pd
    import pyarrow as pa

    from .executor import parallel_map
    from .themes.codebook import load_codebook
    from .themes.coding import code_documents, item_schema
    from .themes.tables import ITEM_TABLE_COLUMNS, META_COLUMNS, item_counts, item_rows, matrix_from_counts

    p = ctx.params["themes"]
    if p["measures"] not in MEASURE_SOURCES:
        raise ParamError(f"unknown themes.measures '{p['measures']}' (choose one of: {', '.join(MEASURE_SOURCES)})")
    batch = _batch(ctx)
    codebook = load_codebook(ctx.resource("codebook"))
    lexicon = ctx.resource("userdict")
    meta = catalog.read_artifact(ctx.out, "documents", columns=META_COLUMNS)
    model, labels = theme_model(ctx, codebook, unpickled=False)
    # items are cached per document: a changed document, and only it, is coded again
    keys = {d: k["themes"] for d, k in _document_keys(ctx, {"themes": None}, upstream=["segment"]).items()}
    todo = [d for d in sorted(keys) if not ctx.cache.has("themes", keys[d])]
    n_jobs = ctx.params.get("n_jobs", -1) if len(todo) > 4 else 1
    workers = (os.cpu_count() or 1) if n_jobs == -1 else max(1, n_jobs)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc="themes", unit="doc", disable=None if ctx.params["segment"]["progress"] else True)
    crf = str(ctx.resource("measure_model")) if p["measures"] != "rules" else None
    genres = MODEL_GENRES if p["measures"] in ("auto", "agreed") else None
    # the same for every chunk
    agree = p["measures"] == "agreed"
    # the gazetteer's place names tell a park's own name (None: the national table shipped by cpca)
    gazetteer = str(resource_files("gazetteer", ctx.params)[0]) if ctx.params["places"]["gazetteer"] else None
    how = (codebook, str(lexicon), model, float(p["model_threshold"]), set(labels.key), crf, genres, agree, gazetteer)
    work = parallel_map(
        code_documents,
        ((str(ctx.out), chunk, *how) for chunk in _chunks(todo, workers, batch)),
        n_jobs=n_jobs,
        ordered=True,
    )
    coded: dict[str, pa.Table] = {}
    todo_set, schema = set(todo), item_schema()
    counts = []
    with (
        catalog.TableWriter(ctx.out, "themes", schema) as tw,
        catalog.CsvWriter(ctx.out, "theme_items", ITEM_TABLE_COLUMNS) as cw,
    ):
        pending: list[pa.Table] = []
        ordered_ids = sorted(keys)
        for n, doc_id in enumerate(ordered_ids, start=1):
            if doc_id in todo_set:
                while doc_id not in coded:
                    coded.update(next(work))
                table = coded.pop(doc_id)
                ctx.cache.put("themes", keys[doc_id], table)
                bar.update()
            else:
                table = ctx.cache.get("themes", keys[doc_id])
                if table is None:  # removed since it was looked up: code it here
                    table = dict(code_documents(str(ctx.out), [doc_id], *how))[doc_id]
                    ctx.cache.put("themes", keys[doc_id], table)
            pending.append(table)
            if n % batch == 0 or n == len(ordered_ids):
                part = pa.concat_tables([t.cast(schema) for t in pending])
                tw.write(part)
                items = part.to_pandas()
                cw.write(item_rows(items, meta, codebook))
                counts.append(item_counts(items))
                pending = []
    bar.close()
    all_counts = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(columns=["doc_id", "theme", "n"])
    per_theme = all_counts.groupby("theme").n.sum()
    totals = {t: int(per_theme.get(t, 0)) for t in codebook.themes}
    catalog.write_artifact(matrix_from_counts(all_counts, meta, codebook), ctx.out, "theme_matrix", bom=True)
    return {
        "items": sum(totals.values()),
        **totals,
        "documents_coded": len(todo),
        "codebook_version": codebook.version,
        "codebook_sha256": codebook.sha256[:16],
    }


# --------------------------------------------------------------------------- the declarations


def _ingest_line(r: dict) -> str:
    a = r.get("audit", {})
    return (
        f"{r['documents']} documents ({r['problems']} lines in ingest_log.csv); audit: {a.get('error', 0)} errors, "
        f"{a.get('warning', 0)} warnings, {a.get('info', 0)} notes (quality_report.csv)"
    )


def _segment_line(r: dict) -> str:
    return f"{r['sentences']:,} sentences, {r['tokens']:,} tokens ({r['segmented']} documents segmented)"


def _themes_line(r: dict) -> str:
    skip = {"items", "documents_coded", "codebook_version", "codebook_sha256", "up_to_date"}
    per = ", ".join(f"{k} {v:,}" for k, v in r.items() if k not in skip and isinstance(v, int))
    return f"{r['items']:,} theme items: {per} ({r['documents_coded']} documents coded)"


STAGES = [
    Stage(
        "ingest",
        ingest,
        doc="read, clean and describe every document of the corpus",
        summary=_ingest_line,
        inputs=("corpus",),
        outputs=("documents", "cleaning_report", "ingest_log", "quality_report"),
        params=("ingest", "clean", "metadata", "places", "audit", "seed", "batch_documents"),
        resources=("cleaning_rules", "genres", "gazetteer", "block_phrases", "audit_rules"),
        code=("pipeline.ingest", "pipeline.text", "pipeline.catalog"),
        packages=(
            "opencc",
            "python-docx",
            "pdfplumber",
            "charset-normalizer",
            "beautifulsoup4",
            "openpyxl",
            "datasketch",
            "networkx",
        ),
    ),
    Stage(
        "segment",
        segment,
        doc="sentences with their place in the outline, and tokens",
        summary=_segment_line,
        inputs=("documents",),
        outputs=("sentences", "tokens"),
        params=(
            "segment.engine",
            "segment.pos",
            "segment.heading_max_chars",
            "segment.lead_max_chars",
            "batch_documents",
        ),
        resources=("userdict",),
        code=("pipeline.segment", "pipeline.text"),
        packages=("jieba", "rjieba"),
    ),
    Stage(
        "themes",
        themes,
        doc="problems, mechanisms, carriers and measures, with their evidence",
        summary=_themes_line,
        inputs=("documents", "sentences", "tokens"),
        outputs=("themes", "theme_items", "theme_matrix", "classifier_metrics"),
        params=("themes", "seed", "batch_documents", "places"),
        resources=("codebook", "userdict", "labels", "measure_model", "gazetteer"),
        code=("pipeline.themes", "pipeline.text", "pipeline.segment.tokens", "pipeline.ingest.places"),
        packages=("scikit-learn", "jieba", "rjieba", "python-crfsuite"),
    ),
]
DATA_STAGES = tuple(s.name for s in STAGES)


def run(
    corpus: Path,
    out: Path,
    params: dict,
    manifest: Path | None = None,
    use_manifest: bool = True,
    strict: bool = False,
    until: str | None = None,
    start: str | None = None,
    strict_audit: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
) -> dict:
    """The data stages in order (from ``start``, up to ``until``), then the run record."""
    corpus, out = Path(corpus), Path(out)
    if not corpus.is_dir():
        raise PipelineError(f"corpus folder not found: {corpus}")
    if manifest is None and use_manifest and (corpus / "manifest.csv").exists():
        manifest = corpus / "manifest.csv"
    options = {"manifest": manifest, "use_manifest": use_manifest, "strict": strict, "strict_audit": strict_audit}
    with catalog.output_lock(out):
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{uuid.uuid4().hex[:8]}"
        catalog.mark_run(out, {"run_id": run_id, "status": "running"})
        from .executor import using

        with using(executor, scheduler):  # where per-document work runs; never what it produces
            results = run_stages(STAGES, out, params, corpus=corpus, options=options, start=start, until=until)
        catalog.write_run_record(out, {**run_record(STAGES, out, params, corpus, results), "run_id": run_id})
        catalog.mark_run(out, {"run_id": run_id, "status": "finished"})
    return results


def run_one(name: str, out: Path, params: dict, corpus: Path | None = None, options: dict | None = None) -> dict:
    """One stage on the artifacts already in ``out``, skipped when it is up to date."""
    return run_stages(
        STAGES, Path(out), params, corpus=corpus, options=options, start=name, until=name, force_start=False
    )[name]


def stage_context(name: str, out: Path, params: dict) -> Context:
    """The context a stage would run in (for the commands that reuse its model)."""
    return context_for(STAGES, name, Path(out), params)
