"""Theme items against the hand annotations of the held-out test part of the city reports.

The 24 test reports (tests/gold/split.csv) are never read to write rules, word lists or labels.  This test runs
the pipeline on them, prints the span-level scores per theme against the paragraphs two readers coded item by
item, and the recall of the problem clauses a third reader listed, and guards them against falling below what
docs/evaluation.md reports (floors are those figures rounded down; they only move up)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import need_shared

from pipeline import catalog
from pipeline.config import ROOT
from pipeline.stages import run
from pipeline.themes.evaluate import evaluate_spans, gold_spans, locate_paragraphs, problem_clause_recall

pytestmark = pytest.mark.slow

GOLD = ROOT / "tests" / "gold"
THEMES = ["problem", "mechanism", "carrier", "measure"]
# overlap F1 per theme and problem-clause recall reported in docs/evaluation.md (2026-11-28), rounded down
FLOORS = {"problem": 0.93, "mechanism": 0.88, "carrier": 0.81, "measure": 0.79, "all": 0.81}
CLAUSE_RECALL_FLOOR = 0.89


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLD / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def test_part(tmp_path_factory, params):
    cities = need_shared("cities-2024", "txt")
    split = read("split.csv")
    corpus = tmp_path_factory.mktemp("test_part") / "raw"
    corpus.mkdir()
    for city in split[split.part == "test"].city:
        shutil.copy(cities / f"{city}.txt", corpus / f"{city}.txt")
    out = corpus.parent / "out"
    rules = {**params, "themes": {**params["themes"], "measures": "rules"}}  # the rules alone; the model below
    run(corpus.parent, out, rules, use_manifest=False)
    return catalog.read_artifact(out, "documents"), catalog.read_artifact(out, "themes")


def test_the_split_is_the_seeded_one_and_no_label_comes_from_the_test_part():
    import random

    split = read("split.csv")
    cities = sorted(split.city)
    assert len(cities) == 72
    assert sorted(split[split.part == "test"].city) == sorted(random.Random(2024).sample(cities, 24))
    test = set(split[split.part == "test"].city)
    labels = pd.read_csv(ROOT / "pipeline" / "resources" / "training" / "sentences.csv", dtype=str)
    used = {s.rsplit("/", 1)[-1].removesuffix(".txt") for s in labels.source if s.startswith("cities-2024/")}
    assert not used & test


def test_span_scores_on_the_test_part(test_part):
    documents, items = test_part
    para_loc = locate_paragraphs(read("paragraphs.csv"), documents)
    spans = pd.concat([read("spans_part1.csv"), read("spans_part2.csv")], ignore_index=True)
    located = gold_spans(spans, para_loc, documents)
    assert para_loc.para_start.notna().mean() > 0.9 and located.start.notna().mean() > 0.9
    scores = evaluate_spans(items, located, para_loc, THEMES).set_index("theme")
    print(scores.to_string())
    for theme, floor in FLOORS.items():
        assert scores.loc[theme, "overlap_f1"] >= floor, (theme, scores.loc[theme, "overlap_f1"])


def test_problem_clauses_of_the_test_reports(test_part):
    documents, items = test_part
    res = problem_clause_recall(items, read("problem_clauses.csv"), documents)
    print(res)
    assert res["clauses"] > 250 and res["recall"] >= CLAUSE_RECALL_FLOOR


# overlap F1 of the model's measures on the test part reported in docs/evaluation.md, rounded down: it follows the
# shipped model as it is retrained on more development paragraphs (the CRF of 840 scored .866, that of 864 .857)
MODEL_MEASURE_FLOOR = 0.85


def test_model_measures_on_the_test_part(test_part, tmp_path, params):
    """themes.measures: auto (the CRF in government work reports) on the test reports: the measures are scored
    against the readers' spans; every other item is the rules' own."""
    documents, rule_items = test_part
    cities = need_shared("cities-2024", "txt")
    split = read("split.csv")
    corpus = tmp_path / "raw"
    corpus.mkdir()
    for city in split[split.part == "test"].city:
        shutil.copy(cities / f"{city}.txt", corpus / f"{city}.txt")
    p = {**params, "themes": {**params["themes"], "measures": "auto"}}
    run(corpus.parent, tmp_path / "out", p, use_manifest=False)
    items = catalog.read_artifact(tmp_path / "out", "themes")
    assert set(items[items.theme == "measure"].method) == {"crf"}  # every test report is a work report
    cols = ["doc_id", "theme", "item", "item_start", "item_end"]
    others = [x[x.theme != "measure"][cols].reset_index(drop=True) for x in (items, rule_items)]
    pd.testing.assert_frame_equal(others[0], others[1])
    para_loc = locate_paragraphs(read("paragraphs.csv"), documents)
    spans = pd.concat([read("spans_part1.csv"), read("spans_part2.csv")], ignore_index=True)
    scores = evaluate_spans(items, gold_spans(spans, para_loc, documents), para_loc, THEMES).set_index("theme")
    print(scores.to_string())
    assert scores.loc["measure", "overlap_f1"] >= MODEL_MEASURE_FLOOR
