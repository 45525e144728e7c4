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
    """corpus → documents, cleaning report, ingest log."""
    from .ingest import ingest_corpus

    opts = ctx.options
    assert ctx.corpus is not None  # the runner refuses a stage that reads the corpus without one
    documents, report, log, quality = ingest_corpus(
        ctx.corpus, ctx.params, opts.get("manifest"), opts.get("use_manifest", True), cache=ctx.cache, key=ctx.key
    )
    if documents.empty:
        raise NothingRead(f"no document in {ctx.corpus} could be read (see the messages above)")
    if (opts.get("strict") or ctx.params["ingest"]["strict"]) and (log["status"] == "skipped").any():
        raise NothingRead(f"--strict: {int((log['status'] == 'skipped').sum())} file(s) could not be read")
    catalog.write_artifact(documents, ctx.out, "documents")
    catalog.write_artifact(report, ctx.out, "cleaning_report", bom=True)
    catalog.write_artifact(log, ctx.out, "ingest_log", bom=True)
    catalog.write_artifact(quality, ctx.out, "quality_report", bom=True)
    errors = quality[quality.severity == "error"]
    if (opts.get("strict_audit") or ctx.params["audit"]["strict"]) and len(errors):
        raise AuditFailed(
            f"--strict-audit: {len(errors)} error finding(s) in {errors.doc_id.nunique()} document(s) "
            f"({', '.join(sorted(set(errors.check)))}); see {catalog.artifact_path(ctx.out, 'quality_report')}"
        )
    return {
        "documents": len(documents),
        "problems": len(log),
        "audit": {s: int((quality.severity == s).sum()) for s in ("error", "warning", "info")},
        "counted": int(documents.counted.sum()),
    }


# --------------------------------------------------------------------------- segment

SENTENCE_VERSION = ("param:segment.heading_max_chars", "param:segment.lead_max_chars", "code", "code:stage")


def segment(ctx: Context) -> dict:
    """documents → sentences + tokens, per document, cached by content and version."""
    from .segment.tokens import ENGINES, lexicon_version

    p = ctx.params["segment"]
    if p["engine"] not in ENGINES:
        raise ParamError(f"unknown segment.engine '{p['engine']}' (choose one of: {', '.join(ENGINES)})")
    lexicon = ctx.resource("userdict")
    import pyarrow as pa

    from .executor import parallel_map
    from .segment.tables import segment_document

    documents = catalog.read_artifact(ctx.out, "documents", columns=["doc_id", "title", "text"])
    jobs, results, keys = [], {}, {}
    for row in documents.itertuples():
        # sentences depend on the structure parameters only; tokens on everything the stage declares
        sk = ctx.key("sentences", row.text, row.title, only=SENTENCE_VERSION)
        tk = ctx.key("tokens", row.text, row.title)
        keys[row.doc_id] = (sk, tk)
        sent_df, tok_df = ctx.cache.get("sentences", sk), ctx.cache.get("tokens", tk)
        results[row.doc_id] = [sent_df, tok_df]
        if sent_df is None or tok_df is None:
            jobs.append((row.doc_id, row.text, row.title, sent_df is None, tok_df is None))
    if jobs:
        n_jobs = ctx.params.get("n_jobs", -1) if len(jobs) > 4 else 1
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="segment", unit="doc", disable=None if p["progress"] else True)
        work = parallel_map(
            segment_document,
            (
                (
                    d,
                    t,
                    ti,
                    ws,
                    wt,
                    str(lexicon),
                    p["engine"],
                    bool(p["pos"]),
                    int(p["heading_max_chars"]),
                    int(p["lead_max_chars"]),
                )
                for d, t, ti, ws, wt in jobs
            ),
            n_jobs=n_jobs,
            ordered=False,
        )
        for doc_id, sent_df, tok_df in work:
            sk, tk = keys[doc_id]
            if sent_df is not None:
                ctx.cache.put("sentences", sk, sent_df)
                results[doc_id][0] = sent_df
            if tok_df is not None:
                ctx.cache.put("tokens", tk, tok_df)
                results[doc_id][1] = tok_df
            bar.update()
        bar.close()
    order = sorted(results)
    sentences = pa.concat_tables([results[d][0] for d in order])
    tokens = pa.concat_tables([results[d][1] for d in order])
    catalog.write_artifact(sentences, ctx.out, "sentences")
    catalog.write_artifact(tokens, ctx.out, "tokens")
    return {
        "documents": len(documents),
        "segmented": len(jobs),
        "from_cache": len(documents) - len(jobs),
        "sentences_computed": sum(1 for j in jobs if j[3]),
        "tokens_computed": sum(1 for j in jobs if j[4]),
        "sentences": sentences.num_rows,
        "tokens": tokens.num_rows,
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


def theme_model(ctx: Context, codebook):
    """The sentence classifier for these labels, seed and lexicon, trained once per user: from the model store
    (:func:`pipeline.catalog.model_store`) with its cross-validated metrics, or trained now and kept there.
    The metrics go to data/classifier_metrics.csv either way."""
    import pandas as pd

    from .themes.classifier import cross_validate, load_labels, train

    p = ctx.params["themes"]
    label_files: list[Path] = list(resource_files("labels", ctx.params))
    labels = load_labels(list(label_files), list(codebook.themes))
    lexicon = ctx.resource("userdict")
    key = model_key(ctx, codebook, label_files)
    path = catalog.model_store() / f"{key}.joblib"
    metrics_path = path.with_name(f"{key}.metrics.csv")
    model = catalog.load_model(path) if path.exists() and metrics_path.exists() else None
    if model is not None:
        metrics = pd.read_csv(metrics_path, encoding="utf-8-sig")
    else:
        from tqdm.auto import tqdm

        show = None if ctx.params["segment"]["progress"] else True
        with tqdm(total=int(p["cv_folds"]) + 1, desc="classifier", unit="fit", disable=show) as bar:
            metrics = cross_validate(labels, str(lexicon), ctx.params["seed"], p["cv_folds"], bar.update)
            metrics.insert(0, "labelled_sentences", len(labels))
            model = train(labels, str(lexicon), ctx.params["seed"])
            bar.update()
        catalog.save_model(path, model)
        catalog.write_table(metrics, metrics_path, bom=True)
    catalog.write_artifact(metrics, ctx.out, "classifier_metrics", bom=True)
    return model, labels


def themes(ctx: Context) -> dict:
    """sentences + tokens → theme items (the codebook's rules, then the classifier), tables."""
    import pandas as pd
    import pyarrow as pa

    from .themes.codebook import load_codebook
    from .themes.rules import add_model_items, dictionary_pos, extract_items
    from .themes.tables import theme_tables

    p = ctx.params["themes"]
    codebook = load_codebook(ctx.resource("codebook"))
    lexicon = ctx.resource("userdict")
    documents = catalog.read_artifact(ctx.out, "documents")
    model, labels = theme_model(ctx, codebook)
    # items are cached per document: a changed document, and only it, is coded again
    keys = {r.doc_id: ctx.key("themes", r.text, r.title, upstream=["segment"]) for r in documents.itertuples()}
    parts, missing = [], []
    for doc_id in sorted(keys):
        hit = ctx.cache.get("themes", keys[doc_id])
        if hit is None:
            missing.append(doc_id)
        else:
            parts.append(hit.to_pandas())
    if missing:
        sentences = catalog.read_artifact(ctx.out, "sentences")
        tokens = catalog.read_artifact(ctx.out, "tokens", columns=["doc_id", "sent_id", "token", "start", "end"])
        sentences = sentences[sentences.doc_id.isin(missing)]
        tokens = tokens[tokens.doc_id.isin(missing)]
        new = extract_items(sentences, tokens, codebook, dictionary_pos(str(lexicon)))
        new = add_model_items(new, sentences, model, codebook, float(p["model_threshold"]), set(labels.key))
        for doc_id in missing:
            part = new[new.doc_id == doc_id].reset_index(drop=True)
            table = pa.Table.from_pandas(part, preserve_index=False)
            ctx.cache.put("themes", keys[doc_id], table)
            parts.append(table.to_pandas())  # as a warm run will read it back: cold and warm give the same bytes
    items = pd.concat([x for x in parts if len(x)] or parts[:1], ignore_index=True)
    items = items.sort_values(["doc_id", "start", "theme", "item"], kind="stable").reset_index(drop=True)
    items["item_start"] = items["item_start"].astype("Int64")
    items["item_end"] = items["item_end"].astype("Int64")
    catalog.write_artifact(items, ctx.out, "themes")
    table, matrix = theme_tables(items, documents, codebook)
    catalog.write_artifact(table, ctx.out, "theme_items", bom=True)
    catalog.write_artifact(matrix, ctx.out, "theme_matrix", bom=True)
    return {
        "items": len(items),
        **{t: int((items.theme == t).sum()) for t in codebook.themes},
        "documents_coded": len(missing),
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
        params=("ingest", "clean", "metadata", "places", "audit", "seed"),
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
        params=("segment.engine", "segment.pos", "segment.heading_max_chars", "segment.lead_max_chars"),
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
        params=("themes", "seed"),
        resources=("codebook", "userdict", "labels"),
        code=("pipeline.themes", "pipeline.text", "pipeline.segment.tokens"),
        packages=("scikit-learn", "jieba", "rjieba"),
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
