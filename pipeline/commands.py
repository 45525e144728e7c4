"""The commands that are not stages: they read a run's artifacts and write tables for people.

train, label   the sentence classifier and the labelling loop
evaluate       extracted items against a gold file; agreement between coders
export         results.xlsx, LaTeX tables, the REFI-QDA project, the HTML report
import-qdpx    a hand-edited .qdpx back into a gold and labels
"""

from __future__ import annotations

from pathlib import Path

from . import catalog
from .config import resource_files
from .errors import ParamError, PipelineError
from .stages import stage_context, theme_model


def _codebook(params: dict):
    from .themes.codebook import load_codebook

    return load_codebook(resource_files("codebook", params)[0])


TEXT_COLUMNS = ("text", "text_original")


def command_train(out: Path, params: dict) -> dict:
    """Cross-validate and train the classifier on every label file; print the metrics."""
    codebook = _codebook(params)
    _, labels = theme_model(stage_context("themes", out, params), codebook)
    metrics = catalog.read_artifact(out, "classifier_metrics")
    print(metrics.to_string(index=False))
    return {
        "labelled_sentences": len(labels),
        "files": sorted(set(labels.file)),
        "macro_f1": float(metrics[metrics.label == "macro"].f1.iloc[0]),
    }


def command_label(out: Path, params: dict, n: int | None = None) -> dict:
    """The sentences the classifier is least sure of → labels/to_label.csv (fill in `label`,
    save it under corpus/labels/, then `python -m pipeline train` or `run`)."""
    from .themes.classifier import least_confident

    codebook = _codebook(params)
    model, labels = theme_model(stage_context("themes", out, params), codebook)
    sentences = catalog.read_artifact(out, "sentences")
    documents = catalog.read_artifact(out, "documents", columns=["doc_id", "source_file"])
    pick = least_confident(model, sentences, n or int(params["themes"]["label_batch"]), set(labels.key))
    pick = pick.merge(documents, on="doc_id", how="left")
    cols = ["source_file", "doc_id", "sent_id", "text", "suggested", "confidence", "margin", "label"]
    catalog.write_artifact(pick[cols], out, "to_label", bom=True)
    return {
        "exported": len(pick),
        "file": str(catalog.artifact_path(out, "to_label")),
        "labels": sorted(list(codebook.themes) + ["none"]),
    }


def command_evaluate(out: Path, params: dict, gold: Path | None, coders) -> dict:
    """Per-theme precision/recall/F1 against a gold file; Cohen's kappa between two coders."""
    import pandas as pd

    from .themes.evaluate import coder_agreement, evaluate_items

    res: dict = {}
    if gold:
        codebook = _codebook(params)
        g = pd.read_csv(gold, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        missing = {"source_file", "theme", "key_phrase"} - set(g.columns)
        if missing:
            raise PipelineError(f"gold file {gold}: missing column(s) {sorted(missing)}")
        unknown = sorted(set(g.theme) - set(codebook.themes))
        if unknown:
            raise PipelineError(
                f"gold file {gold}: unknown theme(s) {unknown} (codebook: {', '.join(codebook.themes)})"
            )
        report, _, found, missing_docs = evaluate_items(
            catalog.read_artifact(out, "themes"), catalog.read_artifact(out, "documents"), g, codebook
        )
        catalog.write_artifact(report, out, "evaluation", bom=True)
        print(report.to_string(index=False))
        if missing_docs:
            print(f"gold documents not in this run: {', '.join(missing_docs)}")
        res["items"] = report.to_dict("records")
    if coders:
        a = pd.read_csv(coders[0], dtype=str, encoding="utf-8-sig", keep_default_na=False)
        b = pd.read_csv(coders[1], dtype=str, encoding="utf-8-sig", keep_default_na=False)
        stats, confusion = coder_agreement(a, b)
        print(
            f"coders: {stats['sentences']} sentences in common, agreement {stats['agreement']}, "
            f"Cohen's kappa {stats['kappa']}"
        )
        print(confusion.to_string())
        res["coders"] = stats
    return res


EXPORTS = ("xlsx", "latex", "qdpx", "report")


def stage_export(out: Path, params: dict, what: list[str] | None = None, lang: str = "en") -> dict:
    """results.xlsx, LaTeX tables, the REFI-QDA project and the HTML report."""
    from .compare import practice_matrix
    from .report.export import build_latex, build_qdpx, build_workbook, pack_qdpx
    from .report.html import build_report
    from .themes.tables import practices

    what = list(what or EXPORTS)
    unknown = [w for w in what if w not in EXPORTS + ("all",)]
    if unknown:
        raise ParamError(f"unknown export {unknown}; choose from: {', '.join(EXPORTS)}, all")
    if "all" in what:
        what = list(EXPORTS)
    catalog.check_generation(out)  # exports are built only from the tables of one finished run
    codebook = _codebook(params)
    # the texts only for the REFI-QDA project, which carries them; the other exports read the metadata
    documents = catalog.read_artifact(
        out, "documents", None if "qdpx" in what else catalog.artifact_columns(out, "documents", drop=TEXT_COLUMNS)
    )
    items = catalog.read_artifact(out, "themes")
    res: dict[str, object] = {}
    if "xlsx" in what or "latex" in what:
        import pandas as pd

        table = pd.read_csv(catalog.artifact_path(out, "theme_items"), encoding="utf-8-sig")
        matrix = pd.read_csv(catalog.artifact_path(out, "theme_matrix"), encoding="utf-8-sig")
    if "xlsx" in what:
        practice = practice_matrix(practices(items), documents, list(codebook.themes), top_n=10)
        quality_path = catalog.artifact_path(out, "quality_report")
        quality = pd.read_csv(quality_path, encoding="utf-8-sig", dtype=str) if quality_path.exists() else None
        catalog.write_bytes(
            catalog.artifact_path(out, "results_xlsx"),
            build_workbook(documents, table, matrix, practice, quality, lang),
        )
        res["xlsx"] = str(catalog.artifact_path(out, "results_xlsx"))
    if "latex" in what:
        for name, tex in build_latex(matrix, items, codebook).items():
            catalog.write_text(out / "tables" / name, tex)
        res["latex"] = ["tables/city_theme_matrix.tex", "tables/top_items.tex"]
    if "qdpx" in what:
        xml, texts = build_qdpx(documents, items, codebook)
        catalog.write_bytes(catalog.artifact_path(out, "qdpx"), pack_qdpx(xml, texts))
        res["qdpx"] = {"sources": len(texts), "selections": len(items)}
    if "report" in what:
        res["report"] = build_report(out)
    return res


def command_import_qdpx(out: Path, params: dict, path: Path) -> dict:
    """A hand-edited .qdpx → exports/qdpx_gold.csv (for evaluate) and corpus-ready labels."""
    from .report.export import read_qdpx

    codebook = _codebook(params)
    codings, gold, labels = read_qdpx(Path(path).read_bytes(), codebook)
    documents = catalog.read_artifact(out, "documents", columns=["doc_id", "source_file"])
    files = dict(zip(documents.doc_id, documents.source_file, strict=False))
    gold["source_file"] = gold.source_file.map(lambda d: files.get(d, d))
    catalog.write_table(codings, out / "exports" / "qdpx_codings.csv", bom=True)
    catalog.write_table(gold, out / "exports" / "qdpx_gold.csv", bom=True)
    catalog.write_table(labels, out / "exports" / "qdpx_labels.csv", bom=True)
    return {
        "codings": len(codings),
        "gold": str(out / "exports" / "qdpx_gold.csv"),
        "labels": str(out / "exports" / "qdpx_labels.csv"),
    }
