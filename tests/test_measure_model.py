"""The learned measure model (themes.measures: crf, auto or agreed): trained on the development part only,
applied to the genre it was trained on, leaving carriers, mechanisms and problems to the rules."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import CORPUS, SEEDS, need_shared
from test_protocol import frames

from pipeline import catalog
from pipeline.config import RESOURCES, ROOT, load_params
from pipeline.errors import ParamError
from pipeline.stages import run
from pipeline.themes import crf
from pipeline.themes.codebook import load_codebook
from pipeline.themes.rules import dictionary_pos, extract_items

GOLD = ROOT / "tests" / "gold"
MODEL = RESOURCES / "measure_crf.crfsuite"
LEXICON = str(RESOURCES / "userdict.txt")


def test_the_shipped_model_is_trained_on_development_paragraphs_only(tmp_path):
    split = pd.read_csv(GOLD / "split.csv", dtype=str)
    dev = pd.read_csv(GOLD / "dev_paragraphs.csv", dtype=str)
    assert not set(dev.city) & set(split[split.part == "test"].city)
    rebuilt = tmp_path / "m.crfsuite"
    assert crf.main(["train", str(GOLD / "dev_paragraphs.csv"), str(GOLD / "dev_spans.csv"), str(rebuilt)]) == 0
    assert rebuilt.read_bytes() == MODEL.read_bytes()  # the shipped model is what the development part gives


def test_measures_by_the_model_in_work_reports_and_by_the_rules_elsewhere(seed_text):
    # a plan paragraph of a development report, and the seed from Harbin (an essay on community Party-building)
    report = need_shared("cities-2024", "txt") / "淮安.txt"
    plan = next(line for line in report.read_text(encoding="utf-8").splitlines() if "1小时工业配套服务圈" in line)
    texts = {"report": plan, "essay": seed_text["harbin"]}
    sentences, tokens = frames(texts)
    codebook, tags = load_codebook(RESOURCES / "codebook.yaml"), dictionary_pos(LEXICON)
    genres = {"report": "government_work_report", "essay": "research_report"}
    rules = extract_items(sentences, tokens, codebook, tags, genres)
    auto = extract_items(sentences, tokens, codebook, tags, genres, str(MODEL), {"government_work_report"})
    measures = auto[auto.theme == "measure"]
    assert set(measures[measures.doc_id == "report"].method) == {"crf"}
    assert "crf" not in set(measures[measures.doc_id == "essay"].method)
    # outside the report's measures, the two runs give the same items
    same = ["doc_id", "theme", "item", "item_start", "item_end"]
    a = auto[(auto.theme != "measure") | (auto.doc_id == "essay")][same].reset_index(drop=True)
    b = rules[(rules.theme != "measure") | (rules.doc_id == "essay")][same].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    # every model measure points at its words, and most carry the action the rules read off them
    for r in measures[measures.doc_id == "report"].itertuples():
        assert plan[int(r.item_start) : int(r.item_end)] == r.item
    assert measures[measures.doc_id == "report"].action.notna().mean() > 0.5


def test_agreed_measures_are_the_rules_measures_the_model_confirms(seed_text):
    report = need_shared("cities-2024", "txt") / "淮安.txt"
    lines = report.read_text(encoding="utf-8").splitlines()
    texts = {"report": "\n".join(ln for ln in lines if len(ln) > 150)[:6000], "essay": seed_text["harbin"]}
    sentences, tokens = frames(texts)
    codebook, tags = load_codebook(RESOURCES / "codebook.yaml"), dictionary_pos(LEXICON)
    genres = {"report": "government_work_report", "essay": "research_report"}
    model, work = str(MODEL), {"government_work_report"}
    rules = extract_items(sentences, tokens, codebook, tags, genres)
    by_model = extract_items(sentences, tokens, codebook, tags, genres, model, work)
    agreed = extract_items(sentences, tokens, codebook, tags, genres, model, work, agree=True)
    key = ["doc_id", "theme", "item", "item_start", "item_end", "method"]

    def spans(items, doc):
        m = items[(items.theme == "measure") & (items.doc_id == doc)]
        return {tuple(r) for r in m[key].itertuples(index=False)}

    kept, ruled, found = spans(agreed, "report"), spans(rules, "report"), spans(by_model, "report")
    assert kept < ruled  # the rules' own measures, the unconfirmed ones left out
    assert all(any(f[3] < k[4] and k[3] < f[4] for f in found) for k in kept)  # each overlaps a model measure
    assert not any(any(f[3] < r[4] and r[3] < f[4] for f in found) for r in ruled - kept)
    assert spans(agreed, "essay") == spans(rules, "essay")  # outside work reports the rules decide alone
    others = agreed[agreed.theme != "measure"][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, rules[rules.theme != "measure"][key].reset_index(drop=True))


def test_an_unknown_measure_source_is_named(tmp_path):
    corpus = tmp_path / "corpus" / "raw"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS / "raw" / f"{SEEDS['harbin']}.txt", corpus)
    params = load_params(overrides={"themes": {"measures": "neural"}})
    with pytest.raises(
        ParamError, match=r"unknown themes.measures 'neural' \(choose one of: rules, crf, auto, agreed\)"
    ):
        run(corpus.parent, tmp_path / "out", params, use_manifest=False)
    # what the stages before wrote stays whole
    assert catalog.read_artifact(tmp_path / "out", "tokens") is not None
