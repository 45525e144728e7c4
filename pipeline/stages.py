"""The pipeline, wired top to bottom.

Each stage reads the artifacts it needs by name, calls plain functions that
take and return DataFrames, and writes its artifacts by name.  ``run`` calls
the stages in order; the command line (``python -m pipeline``) calls them
one by one or all together.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path

from . import io
from .config import PACKAGE, ROOT, ParamError, resource
from .segment import ENGINES, lexicon_version

# Heavy libraries (pandas, joblib, jieba) are imported inside the stages that
# run: a stage whose inputs are unchanged returns before importing them.

SENTENCE_COLUMNS = ["doc_id", "sent_id", "start", "end", "text", "para_id", "section_path", "heading_level",
                    "is_heading", "enum_marker", "item_lead"]
TOKEN_COLUMNS = ["doc_id", "sent_id", "token", "pos", "start", "end"]


def _sentence_types():
    import pyarrow as pa
    return {"sent_id": pa.int64(), "start": pa.int64(), "end": pa.int64(), "text": pa.string(),
            "para_id": pa.int64(), "section_path": pa.list_(pa.string()), "heading_level": pa.int64(),
            "is_heading": pa.bool_(), "enum_marker": pa.string(), "item_lead": pa.string()}




TRACKED_PACKAGES = ["pandas", "pyarrow", "jieba", "opencc", "python-docx", "pdfplumber", "charset-normalizer",
                    "cpca", "scikit-learn", "seaborn", "matplotlib", "papermill", "networkx", "joblib"]


class NothingRead(RuntimeError):
    """No document of the corpus could be read."""


def _fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _outputs_exist(out: Path, names: list[str]) -> bool:
    return all(io.artifact_path(out, n).exists() for n in names)


def stage_ingest(corpus: Path, out: Path, params: dict, manifest: Path | None = None,
                 use_manifest: bool = True, strict: bool = False) -> dict:
    cache = io.Cache(out / "cache")
    if manifest is None and use_manifest and (corpus / "manifest.csv").exists():
        manifest = corpus / "manifest.csv"
    corpus_sha = corpus_hash(corpus, list(params["ingest"]["exclude"]))
    fp = _fingerprint("ingest", corpus_sha,
                      io.sha256_file(manifest) if (manifest and use_manifest and Path(manifest).exists()) else None,
                      {k: params[k] for k in ("ingest", "clean", "metadata", "places")}, strict,
                      [io.sha256_file(resource(params["clean"]["rules"], "cleaning.yaml")),
                       io.sha256_file(resource(params["metadata"]["genres"], "genres.yaml"))],
                      io.code_version(PACKAGE))
    done = cache.fingerprint_matches("ingest", fp)
    if done is not None and _outputs_exist(out, ["documents", "cleaning_report", "ingest_log"]):
        return {**done, "up_to_date": True}
    from .ingest import ingest_corpus
    documents, report, log = ingest_corpus(corpus, params, manifest, use_manifest, cache=cache)
    if documents.empty:
        raise NothingRead(f"no document in {corpus} could be read (see the messages above)")
    if (strict or params["ingest"]["strict"]) and (log["status"] == "skipped").any():
        raise NothingRead(f"--strict: {int((log['status'] == 'skipped').sum())} file(s) could not be read")
    io.write_artifact(documents, out, "documents")
    io.write_artifact(report, out, "cleaning_report", bom=True)
    io.write_artifact(log, out, "ingest_log", bom=True)
    result = {"documents": len(documents), "problems": len(log), "corpus_sha256": corpus_sha}
    cache.store_fingerprint("ingest", fp, result)
    return result


def segment_one(doc_id: str, text: str, title: str | None, want_sentences: bool, want_tokens: bool,
                lexicon: str, engine: str, pos: bool, plain_max: int, lead_max: int):
    """Sentences and/or tokens of one document as Arrow tables (a worker's job)."""
    import numpy as np
    import pyarrow as pa

    from .segment import tokenize
    from .structure import sentences as document_sentences
    sents = document_sentences(text, title, plain_max=plain_max, lead_max=lead_max)
    sent_tab = tok_tab = None
    if want_sentences:
        cols = {c: [r[c] for r in sents] for c in SENTENCE_COLUMNS[1:]}
        types = _sentence_types()
        sent_tab = pa.table({"doc_id": pa.array([doc_id] * len(sents), pa.string()),
                             **{c: pa.array(cols[c], types[c]) for c in SENTENCE_COLUMNS[1:]}})
    if want_tokens:
        words, tags, starts, ends = tokenize(text, lexicon, engine, pos)
        s_start = np.array([r["start"] for r in sents], dtype=np.int64)
        s_end = np.array([r["end"] for r in sents], dtype=np.int64)
        k = np.searchsorted(s_start, starts, side="right") - 1
        inside = (k >= 0) & (starts < s_end[np.clip(k, 0, None)]) if len(sents) else np.zeros(len(words), bool)
        idx = np.flatnonzero(inside)
        tok_tab = pa.table({
            "doc_id": pa.array([doc_id] * len(idx), pa.string()),
            "sent_id": pa.array(k[idx], pa.int64()),
            "token": pa.array([words[i] for i in idx], pa.string()),
            "pos": pa.array([tags[i] for i in idx] if tags is not None else [None] * len(idx), pa.string()),
            "start": pa.array(starts[idx], pa.int64()),
            "end": pa.array(ends[idx], pa.int64()),
        })
    return doc_id, sent_tab, tok_tab


def stage_segment(out: Path, params: dict) -> dict:
    """documents → sentences + tokens, per document, cached by content and version."""
    p = params["segment"]
    if p["engine"] not in ENGINES:
        raise ParamError(f"unknown segment.engine '{p['engine']}' (choose one of: {', '.join(ENGINES)})")
    lexicon = resource(p["userdict"], "userdict.txt")
    lex_v = lexicon_version(lexicon, p["engine"], bool(p["pos"]))
    code_v = io.code_version(PACKAGE)
    struct_v = f"{code_v}:{p['heading_max_chars']}:{p['lead_max_chars']}"
    cache = io.Cache(out / "cache")
    fp = _fingerprint("segment", io.sha256_file(io.artifact_path(out, "documents")), lex_v, struct_v)
    done = cache.fingerprint_matches("segment", fp)
    if done is not None and _outputs_exist(out, ["sentences", "tokens"]):
        return {**done, "segmented": 0, "from_cache": done["documents"], "sentences_computed": 0,
                "tokens_computed": 0, "up_to_date": True}
    import pyarrow as pa
    from joblib import Parallel, delayed
    documents = io.read_artifact(out, "documents", columns=["doc_id", "title", "text"])
    jobs, results, keys = [], {}, {}
    for row in documents.itertuples():
        text_hash = io.sha256_bytes(row.text.encode("utf-8") + b"\0" + str(row.title).encode("utf-8"))
        sk = io.sha256_bytes(f"{text_hash}:{struct_v}".encode())[:32]
        tk = io.sha256_bytes(f"{text_hash}:{struct_v}:{lex_v}".encode())[:32]
        keys[row.doc_id] = (sk, tk)
        sent_df, tok_df = cache.get("sentences", sk), cache.get("tokens", tk)
        results[row.doc_id] = [sent_df, tok_df]
        if sent_df is None or tok_df is None:
            jobs.append((row.doc_id, row.text, row.title, sent_df is None, tok_df is None))
    if jobs:
        n_jobs = params.get("n_jobs", -1) if len(jobs) > 4 else 1
        from tqdm.auto import tqdm
        bar = tqdm(total=len(jobs), desc="segment", unit="doc", disable=None if p["progress"] else True)
        work = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(segment_one)(d, t, ti, ws, wt, str(lexicon), p["engine"], bool(p["pos"]),
                                 int(p["heading_max_chars"]), int(p["lead_max_chars"]))
            for d, t, ti, ws, wt in jobs)
        for doc_id, sent_df, tok_df in work:
            sk, tk = keys[doc_id]
            if sent_df is not None:
                cache.put("sentences", sk, sent_df)
                results[doc_id][0] = sent_df
            if tok_df is not None:
                cache.put("tokens", tk, tok_df)
                results[doc_id][1] = tok_df
            bar.update()
        bar.close()
    order = sorted(results)
    sentences = pa.concat_tables([results[d][0] for d in order])
    tokens = pa.concat_tables([results[d][1] for d in order])
    io.write_artifact(sentences, out, "sentences")
    io.write_artifact(tokens, out, "tokens")
    result = {"documents": len(documents), "segmented": len(jobs), "from_cache": len(documents) - len(jobs),
              "sentences_computed": sum(1 for j in jobs if j[3]), "tokens_computed": sum(1 for j in jobs if j[4]),
              "sentences": sentences.num_rows, "tokens": tokens.num_rows, "lexicon_version": lex_v}
    cache.store_fingerprint("segment", fp, result)
    return result


def load_theme_model(out: Path, params: dict, codebook):
    """The sentence classifier for these labels, seed and lexicon: from the cache, or trained
    now (with its cross-validated metrics written to data/classifier_metrics.csv)."""
    from .classifier import cross_validate, label_files, load_labels, train
    p = params["themes"]
    files = label_files(p["labels"], ROOT)
    labels = load_labels(files, list(codebook.themes))
    lexicon = resource(params["segment"]["userdict"], "userdict.txt")
    key = _fingerprint("model", labels[["key", "label"]].values.tolist(), params["seed"], p["cv_folds"],
                       io.sha256_file(lexicon), io.code_version(PACKAGE))[:24]
    path = out / "cache" / "models" / f"theme_classifier_{key}.joblib"
    model = io.load_model(path) if path.exists() else None
    if model is None or not io.artifact_path(out, "classifier_metrics").exists():
        metrics = cross_validate(labels, str(lexicon), params["seed"], p["cv_folds"])
        metrics.insert(0, "labelled_sentences", len(labels))
        io.write_artifact(metrics, out, "classifier_metrics", bom=True)
        model = train(labels, str(lexicon), params["seed"])
        io.save_model(path, model)
    return model, labels, key


def theme_tables(items, documents, codebook, lang: str = "zh"):
    """theme_items and theme_matrix (city × theme counts and rates per 10,000 characters)."""
    import pandas as pd
    meta = documents[["doc_id", "title", "province", "city", "year", "n_chars"]]
    it = items.merge(meta, on="doc_id", how="left")
    it["theme_label"] = it.theme.map(lambda t: codebook.label(t, lang))
    it["section"] = it.section_path.map(lambda p: " / ".join(p) if p is not None else "")
    table = it[["doc_id", "city", "province", "year", "theme", "theme_label", "item", "canonical", "method", "score",
                "evidence", "start", "end", "section"]].sort_values(["doc_id", "start", "theme", "item"], kind="stable")
    docs = documents.assign(city=documents.city.fillna("(unknown)"))
    it["city"] = it.city.fillna("(unknown)")
    counts = it.pivot_table(index="city", columns="theme", values="item", aggfunc="count", fill_value=0)
    base = docs.groupby("city").agg(n_docs=("doc_id", "count"), n_chars=("n_chars", "sum"))
    matrix = base.join(counts, how="left").fillna(0)
    for t in codebook.themes:
        if t not in matrix:
            matrix[t] = 0
        matrix[t] = matrix[t].astype(int)
    for t in codebook.themes:
        matrix[f"{t}_per_10k"] = (matrix[t] / matrix.n_chars * 10000).round(3)
    cols = ["n_docs", "n_chars"] + list(codebook.themes) + [f"{t}_per_10k" for t in codebook.themes]
    return table.reset_index(drop=True), matrix[cols].reset_index().sort_values("city").reset_index(drop=True)


def stage_themes(out: Path, params: dict) -> dict:
    """sentences + tokens → theme items (rules, then the classifier), tables."""
    from .codebook import load_codebook
    from .themes import add_model_items, dictionary_pos, extract_items
    p = params["themes"]
    codebook = load_codebook(resource(p["codebook"], "codebook.yaml"))
    lexicon = resource(params["segment"]["userdict"], "userdict.txt")
    cache = io.Cache(out / "cache")
    from .classifier import label_files
    fp = _fingerprint("themes", [io.sha256_file(io.artifact_path(out, n)) for n in ("documents", "sentences", "tokens")],
                      codebook.sha256, p, params["seed"], io.sha256_file(lexicon), io.code_version(PACKAGE),
                      [io.sha256_file(f) for f in label_files(p["labels"], ROOT)])
    done = cache.fingerprint_matches("themes", fp)
    if done is not None and _outputs_exist(out, ["themes", "theme_items", "theme_matrix", "classifier_metrics"]):
        return {**done, "up_to_date": True}
    import pandas as pd
    documents = io.read_artifact(out, "documents")
    model, labels, model_key = load_theme_model(out, params, codebook)
    # items are cached per document: a changed document, and only it, is coded again
    version = _fingerprint("theme-doc", codebook.sha256, p, params["seed"], params["segment"],
                           io.sha256_file(lexicon), io.code_version(PACKAGE), model_key)
    keys = {r.doc_id: _fingerprint(version, r.text, r.title)[:32] for r in documents.itertuples()}
    parts, missing = [], []
    for doc_id in sorted(keys):
        hit = cache.get_object("themes", keys[doc_id])
        if hit is None:
            missing.append(doc_id)
        else:
            parts.append(hit)
    if missing:
        sentences = io.read_artifact(out, "sentences")
        tokens = io.read_artifact(out, "tokens", columns=["doc_id", "sent_id", "token", "start", "end"])
        sentences = sentences[sentences.doc_id.isin(missing)]
        tokens = tokens[tokens.doc_id.isin(missing)]
        new = extract_items(sentences, tokens, codebook, dictionary_pos(str(lexicon)))
        new = add_model_items(new, sentences, model, codebook, float(p["model_threshold"]), set(labels.key))
        for doc_id in missing:
            part = new[new.doc_id == doc_id].reset_index(drop=True)
            cache.put_object("themes", keys[doc_id], part)
            parts.append(part)
    items = pd.concat([x for x in parts if len(x)] or parts[:1], ignore_index=True)
    items = items.sort_values(["doc_id", "start", "theme", "item"], kind="stable").reset_index(drop=True)
    items["item_start"] = items["item_start"].astype("Int64")
    items["item_end"] = items["item_end"].astype("Int64")
    io.write_artifact(items, out, "themes")
    table, matrix = theme_tables(items, documents, codebook)
    io.write_artifact(table, out, "theme_items", bom=True)
    io.write_artifact(matrix, out, "theme_matrix", bom=True)
    result = {"items": len(items), **{t: int((items.theme == t).sum()) for t in codebook.themes},
              "documents_coded": len(missing), "codebook_version": codebook.version,
              "codebook_sha256": codebook.sha256[:16]}
    cache.store_fingerprint("themes", fp, result)
    return result


def command_train(out: Path, params: dict) -> dict:
    """Cross-validate and train the classifier on every label file; print the metrics."""
    from .codebook import load_codebook
    codebook = load_codebook(resource(params["themes"]["codebook"], "codebook.yaml"))
    _, labels, _ = load_theme_model(out, params, codebook)
    metrics = io.read_artifact(out, "classifier_metrics")
    print(metrics.to_string(index=False))
    return {"labelled_sentences": len(labels), "files": sorted(set(labels.file)),
            "macro_f1": float(metrics[metrics.label == "macro"].f1.iloc[0])}


def command_label(out: Path, params: dict, n: int | None = None) -> dict:
    """The sentences the classifier is least sure of → labels/to_label.csv (fill in `label`,
    save it under corpus/labels/, then `python -m pipeline train` or `run`)."""
    from .classifier import least_confident
    from .codebook import load_codebook
    codebook = load_codebook(resource(params["themes"]["codebook"], "codebook.yaml"))
    model, labels, _ = load_theme_model(out, params, codebook)
    sentences = io.read_artifact(out, "sentences")
    documents = io.read_artifact(out, "documents", columns=["doc_id", "source_file"])
    pick = least_confident(model, sentences, n or int(params["themes"]["label_batch"]), set(labels.key))
    pick = pick.merge(documents, on="doc_id", how="left")
    cols = ["source_file", "doc_id", "sent_id", "text", "suggested", "confidence", "margin", "label"]
    io.write_artifact(pick[cols], out, "to_label", bom=True)
    return {"exported": len(pick), "file": str(io.artifact_path(out, "to_label")),
            "labels": sorted(list(codebook.themes) + ["none"])}


def command_evaluate(out: Path, params: dict, gold: Path | None, coders) -> dict:
    """Per-theme precision/recall/F1 against a gold file; Cohen's kappa between two coders."""
    import pandas as pd

    from .codebook import load_codebook
    from .evaluate import coder_agreement, evaluate_items
    res: dict = {}
    if gold:
        codebook = load_codebook(resource(params["themes"]["codebook"], "codebook.yaml"))
        g = pd.read_csv(gold, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        missing = {"source_file", "theme", "key_phrase"} - set(g.columns)
        if missing:
            raise ValueError(f"gold file {gold}: missing column(s) {sorted(missing)}")
        unknown = sorted(set(g.theme) - set(codebook.themes))
        if unknown:
            raise ValueError(f"gold file {gold}: unknown theme(s) {unknown} (codebook: {', '.join(codebook.themes)})")
        report, _, found, missing_docs = evaluate_items(io.read_artifact(out, "themes"),
                                                        io.read_artifact(out, "documents"), g, codebook)
        io.write_artifact(report, out, "evaluation", bom=True)
        print(report.to_string(index=False))
        if missing_docs:
            print(f"gold documents not in this run: {', '.join(missing_docs)}")
        res["items"] = report.to_dict("records")
    if coders:
        a = pd.read_csv(coders[0], dtype=str, encoding="utf-8-sig", keep_default_na=False)
        b = pd.read_csv(coders[1], dtype=str, encoding="utf-8-sig", keep_default_na=False)
        stats, confusion = coder_agreement(a, b)
        print(f"coders: {stats['sentences']} sentences in common, agreement {stats['agreement']}, "
              f"Cohen's kappa {stats['kappa']}")
        print(confusion.to_string())
        res["coders"] = stats
    return res


KERNEL = "policy-pipeline"


def ensure_kernel(name: str = KERNEL) -> str:
    """The named Jupyter kernel for this environment, registered into it when missing
    (so papermill finds it on a fresh machine and in CI)."""
    from jupyter_client.kernelspec import KernelSpecManager
    if name not in KernelSpecManager().find_kernel_specs():
        import subprocess
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name,
                        "--display-name", "Python (policy-pipeline)"], check=True, capture_output=True)
    return name


def run_notebooks(out: Path, parameters: dict | None = None, only: list[str] | None = None) -> dict:
    """Execute the notebook suite with papermill: executed copies to <out>/notebooks/, figures to
    <out>/figures/.  A parameter no notebook declares is an error naming it."""
    import papermill as pm
    nb_dir = ROOT / "notebooks"
    books = sorted(p for p in nb_dir.glob("[0-9][0-9]_*.ipynb") if not only or p.name[:2] in only)
    if not books:
        raise ParamError(f"no notebooks to run in {nb_dir}" + (f" matching {only}" if only else ""))
    parameters = dict(parameters or {})
    declared = {b.name: pm.inspect_notebook(str(b)) for b in books}
    known = set().union(*[set(d) for d in declared.values()])
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParamError(f"unknown notebook parameter(s) {unknown}; valid: {', '.join(sorted(known))}")
    kernel = ensure_kernel()
    done = []
    for book in books:
        params = {"data_dir": str(out), "out_dir": str(out), **parameters}
        params = {k: v for k, v in params.items() if k in declared[book.name]}
        target = out / "notebooks" / book.name
        with io.atomic_path(target) as tmp:
            pm.execute_notebook(str(book), str(tmp), parameters=params, kernel_name=kernel, cwd=str(ROOT),
                                progress_bar=False, log_output=False)
        done.append(book.name)
    record_path = io.artifact_path(out, "run")
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    record["notebooks"] = {"executed": done, "parameters": parameters,
                           "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    io.write_run_record(out, record)
    return {"executed": done, "figures": len(list((out / "figures").glob("*.pdf")))}


EXPORTS = ("xlsx", "latex", "qdpx", "report")


def stage_export(out: Path, params: dict, what: list[str] | None = None) -> dict:
    """results.xlsx, LaTeX tables, the REFI-QDA project and the HTML report."""
    from .codebook import load_codebook
    from .compare import practice_matrix
    from .export import build_latex, build_qdpx, build_workbook, pack_qdpx
    what = list(what or EXPORTS)
    unknown = [w for w in what if w not in EXPORTS + ("all",)]
    if unknown:
        raise ParamError(f"unknown export {unknown}; choose from: {', '.join(EXPORTS)}, all")
    if "all" in what:
        what = list(EXPORTS)
    codebook = load_codebook(resource(params["themes"]["codebook"], "codebook.yaml"))
    documents = io.read_artifact(out, "documents")
    items = io.read_artifact(out, "themes")
    res = {}
    if "xlsx" in what or "latex" in what:
        import pandas as pd
        table = pd.read_csv(io.artifact_path(out, "theme_items"), encoding="utf-8-sig")
        matrix = pd.read_csv(io.artifact_path(out, "theme_matrix"), encoding="utf-8-sig")
    if "xlsx" in what:
        practice = practice_matrix(items, documents, list(codebook.themes), top_n=10)
        io.write_bytes(io.artifact_path(out, "results_xlsx"), build_workbook(documents, table, matrix, practice))
        res["xlsx"] = str(io.artifact_path(out, "results_xlsx"))
    if "latex" in what:
        for name, tex in build_latex(matrix, items, codebook).items():
            io.write_text(out / "tables" / name, tex)
        res["latex"] = ["tables/city_theme_matrix.tex", "tables/top_items.tex"]
    if "qdpx" in what:
        xml, texts = build_qdpx(documents, items, codebook)
        io.write_bytes(io.artifact_path(out, "qdpx"), pack_qdpx(xml, texts))
        res["qdpx"] = {"sources": len(texts), "selections": len(items)}
    if "report" in what:
        res["report"] = build_report(out)
    return res


def build_report(out: Path) -> dict:
    """report/index.html with every executed notebook rendered to HTML and every figure, readable offline:
    no script or style is fetched from the network, and the CJK font travels with the report."""
    import re as _re

    import nbformat
    from nbconvert import HTMLExporter

    from .export import build_report_index
    from .figures import cjk_font_path
    report = out / "report"
    font_url = None
    try:  # a plain TrueType file: browsers do not load font collections (.ttc)
        from fontTools.ttLib import TTCollection, TTFont
        src = cjk_font_path()
        target = report / "fonts" / "cjk.ttf"
        if not target.exists():
            font = TTCollection(str(src)).fonts[0] if src.suffix.lower() == ".ttc" else TTFont(str(src))
            with io.atomic_path(target) as tmp:
                font.save(str(tmp))
        font_url = "fonts/cjk.ttf"
    except (FileNotFoundError, ImportError, OSError):
        pass
    face = (f"<style>@font-face{{font-family:'WenQuanYi Micro Hei';src:url('../{font_url}') format('truetype')}}"
            "body,td,th,pre,code,.jp-RenderedHTMLCommon{font-family:'WenQuanYi Micro Hei',sans-serif !important}</style>"
            if font_url else "")
    exporter = HTMLExporter(template_name="lab")
    books = []
    for nb_path in sorted((out / "notebooks").glob("*.ipynb")):
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
        body = _re.sub(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", "", body)
        body = _re.sub(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>", "", body)
        body = _re.sub(r"<script type=\"text/x-mathjax-config\">.*?</script>", "", body, flags=_re.S)
        body = body.replace("</head>", face + "</head>", 1)
        io.write_text(report / "notebooks" / f"{nb_path.stem}.html", body)
        books.append((nb_path.stem, f"notebooks/{nb_path.stem}.html"))
    figures = sorted(p.stem for p in (out / "figures").glob("*.png"))
    run = {}
    if io.artifact_path(out, "run").exists():
        run = json.loads(io.artifact_path(out, "run").read_text(encoding="utf-8"))
    io.write_text(io.artifact_path(out, "report"), build_report_index(books, figures, run, font_url))
    return {"notebooks": len(books), "figures": len(figures), "index": str(io.artifact_path(out, "report"))}


def command_import_qdpx(out: Path, params: dict, path: Path) -> dict:
    """A hand-edited .qdpx → exports/qdpx_gold.csv (for evaluate) and corpus-ready labels."""
    from .codebook import load_codebook
    from .export import read_qdpx
    codebook = load_codebook(resource(params["themes"]["codebook"], "codebook.yaml"))
    codings, gold, labels = read_qdpx(Path(path).read_bytes(), codebook)
    documents = io.read_artifact(out, "documents", columns=["doc_id", "source_file"])
    files = dict(zip(documents.doc_id, documents.source_file))
    gold["source_file"] = gold.source_file.map(lambda d: files.get(d, d))
    io.write_table(codings, out / "exports" / "qdpx_codings.csv", bom=True)
    io.write_table(gold, out / "exports" / "qdpx_gold.csv", bom=True)
    io.write_table(labels, out / "exports" / "qdpx_labels.csv", bom=True)
    return {"codings": len(codings), "gold": str(out / "exports" / "qdpx_gold.csv"),
            "labels": str(out / "exports" / "qdpx_labels.csv")}


def manifest_hash(corpus: Path) -> str | None:
    m = corpus / "manifest.csv"
    return io.sha256_file(m) if m.exists() else None


def corpus_hash(corpus: Path, exclude: list[str]) -> str:
    """Hash over every document's path and bytes: changes when any input changes."""
    h = hashlib.sha256()
    for p in io.list_files(corpus, exclude):
        h.update(p.relative_to(corpus).as_posix().encode("utf-8"))
        h.update(io.sha256_file(p).encode("ascii"))
    return h.hexdigest()


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_record(corpus: Path, params: dict, stages: dict) -> dict:
    rules = resource(params["clean"]["rules"], "cleaning.yaml")
    codebook = resource(params["themes"]["codebook"], "codebook.yaml")
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "corpus": str(corpus),
        "corpus_sha256": stages["ingest"]["corpus_sha256"],
        "manifest_sha256": manifest_hash(corpus),
        "params": params,
        "resources": {"cleaning_rules_sha256": io.sha256_file(rules),
                      "userdict_sha256": io.sha256_file(resource(params["segment"]["userdict"], "userdict.txt")),
                      "stopwords_sha256": io.sha256_file(resource(params["segment"]["stopwords"], "stopwords.txt")),
                      "lexicon_version": stages.get("segment", {}).get("lexicon_version"),
                      "codebook_sha256": io.sha256_file(codebook),
                      "codebook_version": stages.get("themes", {}).get("codebook_version")},
        "packages": package_versions(),
        "git_commit": io.git_commit(ROOT),
        "stages": stages,
    }


DATA_STAGES = ("ingest", "segment", "themes")


def run(corpus: Path, out: Path, params: dict, manifest: Path | None = None, use_manifest: bool = True,
        strict: bool = False, until: str | None = None) -> dict:
    """Every data stage in order (or up to ``until``), then the run record."""
    if until is not None and until not in DATA_STAGES:
        raise ParamError(f"unknown stage '{until}' (stages: {', '.join(DATA_STAGES)})")
    stages = {"ingest": stage_ingest(corpus, out, params, manifest, use_manifest, strict)}
    if until != "ingest":
        stages["segment"] = stage_segment(out, params)
    if until not in ("ingest", "segment"):
        stages["themes"] = stage_themes(out, params)
    io.write_run_record(out, run_record(corpus, params, stages))
    return stages
