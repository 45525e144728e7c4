"""Theme items against the hand annotations of the held-out city reports.

    python benchmarks/evaluate_themes.py [--part test|dev] [--out DIR]

Runs the pipeline on the 2024 city reports of one part of the fixed split (tests/gold/split.csv: the
test part is never used to write rules, word lists or labels) and prints span-level precision, recall
and F1 per theme (exact offsets, and any overlap) against the paragraphs annotated item by item, the
agreement of the second coder on the doubly coded paragraphs, and the recall of the problem clauses a
reader listed for the whole reports.  Needs ../shared/corpora beside the project.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
CITIES = ROOT.parent / "shared" / "corpora" / "cities-2024" / "txt"
THEMES = ["problem", "mechanism", "carrier", "measure"]


def read(name: str) -> pd.DataFrame | None:
    p = GOLD / name
    return pd.read_csv(p, dtype=str, keep_default_na=False) if p.exists() else None


def agreement(first: pd.DataFrame, second: pd.DataFrame, paragraphs: pd.DataFrame, documents) -> pd.DataFrame:
    """Span-level agreement of two coders on the paragraphs both coded: F1 of one against the other."""
    from pipeline.themes.evaluate import evaluate_spans, gold_spans, locate_paragraphs

    keys = set(second.para_key)
    para_loc = locate_paragraphs(paragraphs[paragraphs.para_key.isin(keys)], documents)
    a = gold_spans(first[first.para_key.isin(keys)], para_loc, documents).dropna(subset=["start"])
    b = gold_spans(second, para_loc, documents).dropna(subset=["start"])
    as_items = b.rename(columns={"start": "item_start", "end": "item_end"})
    return evaluate_spans(as_items, a, para_loc, THEMES)


def paragraph_spans(path: Path, para_loc: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Spans given by paragraph offsets (para_key, theme, start, end, span) as items with offsets in the clean text
    of their document; a span not found where its offsets say is looked for in the paragraph, else dropped."""
    pred = pd.read_csv(path, dtype={"para_key": str, "span": str}, keep_default_na=False)
    pred = pred.merge(para_loc[["para_key", "doc_id", "para_start"]], on="para_key").dropna(subset=["para_start"])
    text = dict(zip(documents.doc_id, documents.text, strict=True))
    rows = []
    for r in pred.itertuples():
        t, a = text[r.doc_id], int(r.para_start) + int(r.start)
        if t[a : a + len(r.span)] != r.span:
            a = t.find(r.span, int(r.para_start))
        if a >= 0:
            rows.append({"doc_id": r.doc_id, "theme": r.theme, "item_start": a, "item_end": a + len(r.span)})
    return pd.DataFrame(rows, columns=["doc_id", "theme", "item_start", "item_end"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--part",
        choices=["test", "dev", "seeds"],
        default="test",
        help="test or dev part of the city reports, or the seed reports in corpus/",
    )
    ap.add_argument("--out", type=Path, default=None, help="output folder of the run (default: a temp folder)")
    ap.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        help="spans another extractor predicted for the same paragraphs (para_key, theme, start, end, span; offsets "
        "in the paragraph's text, as benchmarks/crf_spans.py writes them), scored beside the rules",
    )
    ap.add_argument(
        "--measures",
        choices=["rules", "crf", "auto", "agreed"],
        default="rules",
        help="who cuts the measures (params.yaml themes.measures; default: rules)",
    )
    ap.add_argument(
        "--measure-model",
        type=Path,
        help="the CRF for --measures crf|auto|agreed (params.yaml themes.measure_model; default: the shipped one)",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from pipeline import catalog
    from pipeline.config import load_params
    from pipeline.stages import run
    from pipeline.themes.evaluate import evaluate_spans, gold_spans, locate_paragraphs, problem_clause_recall

    overrides = {"themes": {"measures": args.measures}}
    if args.measure_model:
        overrides["themes"]["measure_model"] = str(args.measure_model.resolve())
    if args.part == "seeds":
        from pipeline.themes.evaluate import locate_documents

        with tempfile.TemporaryDirectory() as tmp:
            out = args.out or Path(tmp) / "out"
            run(ROOT / "corpus", out, load_params(overrides=overrides))
            documents = catalog.read_artifact(out, "documents")
            items = catalog.read_artifact(out, "themes")
            located, para_loc = locate_documents(read("seed_spans.csv"), documents)
            scores = evaluate_spans(items, located, para_loc, THEMES)
        print(f"# Theme items on the five seed reports, {date.today()}")
        print(f"gold items: {located.start.notna().sum()} ({located.start.isna().sum()} not located)")
        print(scores.to_string(index=False))
        return 0
    split = pd.read_csv(GOLD / "split.csv", dtype=str)
    cities = sorted(split[split.part == args.part].city)
    paragraphs = read("paragraphs.csv" if args.part == "test" else "dev_paragraphs.csv")
    spans = [read(n) for n in (["spans_part1.csv", "spans_part2.csv"] if args.part == "test" else ["dev_spans.csv"])]
    spans = pd.concat([s for s in spans if s is not None], ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus" / "raw"
        corpus.mkdir(parents=True)
        for c in cities:
            shutil.copy(CITIES / f"{c}.txt", corpus / f"{c}.txt")
        out = args.out or Path(tmp) / "out"
        run(corpus.parent, out, load_params(overrides=overrides), use_manifest=False)
        documents = catalog.read_artifact(out, "documents")
        items = catalog.read_artifact(out, "themes")
        para_loc = locate_paragraphs(paragraphs, documents)
        located = gold_spans(spans, para_loc, documents)
        lost = located.start.isna().sum()
        scores = evaluate_spans(items, located, para_loc, THEMES)
        other = (
            evaluate_spans(paragraph_spans(args.compare_with, para_loc, documents), located, para_loc, THEMES)
            if args.compare_with
            else None
        )
        second = read("spans_second_coding.csv") if args.part == "test" else None
        agree = agreement(spans, second, paragraphs, documents) if second is not None else None
        clauses = read("problem_clauses.csv" if args.part == "test" else "dev_problem_clauses.csv")
        recall = problem_clause_recall(items, clauses, documents) if clauses is not None else None
    version = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"# Theme items on the {args.part} part ({len(cities)} reports), {date.today()}, code {version}, "
        f"measures by {args.measures}" + (f" (model {args.measure_model})" if args.measure_model else "")
    )
    print(
        f"annotated paragraphs: {para_loc.para_start.notna().sum()} of {len(para_loc)} located, "
        f"gold items: {len(located) - lost}" + (f" ({lost} not located in the clean text)" if lost else "")
    )
    cols = [
        "theme",
        "gold",
        "extracted",
        "exact_precision",
        "exact_recall",
        "exact_f1",
        "overlap_precision",
        "overlap_recall",
        "overlap_f1",
    ]
    print(scores[cols].to_string(index=False))
    if other is not None:
        print(f"\n{args.compare_with.name}, on the same paragraphs:")
        print(other[cols].to_string(index=False))
    if agree is not None:
        print("\nsecond coder against the first, on the doubly coded paragraphs:")
        print(agree[cols].rename(columns={"gold": "first", "extracted": "second"}).to_string(index=False))
    if recall is not None:
        print(
            f"\nproblem clauses of the whole reports found: {recall['found']} of {recall['clauses']} "
            f"({recall['recall']:.0%}); problem items on a listed clause: {recall['items_on_a_clause']} of "
            f"{recall['items']} ({recall['precision']:.0%})"
            + (f"; {recall['not_located']} clauses not located" if recall["not_located"] else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
