"""Comparison functions on small tables with known answers, and on the seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline import compare
from pipeline.report.figures import place_en


def test_log_odds_informative_dirichlet_against_hand_computation():
    counts = pd.DataFrame({"机制": [10, 2], "平台": [1, 9], "社区": [5, 5]}, index=["甲", "乙"])
    k = compare.keyness_log_odds(counts, "甲", prior_scale=1.0, min_count=1).set_index("term")
    total = counts.sum()
    alpha = total / total.sum() * counts.sum(axis=1).mean()
    a0 = alpha.sum()
    yi, yj = counts.loc["甲"], counts.loc["乙"]
    ni, nj = yi.sum(), yj.sum()
    t = "机制"
    delta = math.log((yi[t] + alpha[t]) / (ni + a0 - yi[t] - alpha[t])) - math.log(
        (yj[t] + alpha[t]) / (nj + a0 - yj[t] - alpha[t])
    )
    z = delta / math.sqrt(1 / (yi[t] + alpha[t]) + 1 / (yj[t] + alpha[t]))
    assert k.loc[t, "z"] == pytest.approx(z)
    assert k.loc["机制", "z"] > 0 > k.loc["平台", "z"]
    flipped = compare.keyness_log_odds(counts, "乙", min_count=1).set_index("term")
    assert flipped.loc["机制", "z"] == pytest.approx(-k.loc["机制", "z"])
    with pytest.raises(ValueError, match="not in the table"):
        compare.keyness_log_odds(counts, "丙")


def test_chi2_matches_scipy():
    from scipy.stats import chi2_contingency

    counts = pd.DataFrame({"机制": [10, 2], "平台": [1, 9], "社区": [5, 5]}, index=["甲", "乙"])
    c = compare.keyness_chi2(counts, "甲", min_count=1).set_index("term")
    table = np.array([[10, 16 - 10], [2, 16 - 2]])
    assert c.loc["机制", "chi2"] == pytest.approx(chi2_contingency(table)[0])
    assert c.loc["机制", "sign"] == 1 and c.loc["平台", "sign"] == -1


def test_term_counts_skip_stopwords_but_never_touch_tokens():
    tokens = pd.DataFrame(
        {
            "doc_id": ["a"] * 5,
            "token": ["加强", "的", "机制", "2024", "机制"],
            "sent_id": 0,
            "start": range(5),
            "end": range(1, 6),
        }
    )
    before = tokens.copy()
    counts = compare.term_counts(tokens, {"加强"}, min_chars=1)
    assert counts.loc["a"].to_dict() == {"机制": 2, "的": 1}
    pd.testing.assert_frame_equal(tokens, before)  # a step does not mutate its input


def test_practices_network_and_topics_on_the_seeds(seeds_inferred, params, tmp_path):
    from conftest import CORPUS

    from pipeline.stages import run

    run(CORPUS, tmp_path, params)
    items = pd.read_parquet(tmp_path / "data" / "themes.parquet")
    docs = pd.read_parquet(tmp_path / "data" / "documents.parquet")
    pm = compare.practice_matrix(items, docs, ["mechanism", "carrier"], top_n=5)
    assert "共同参与机制" in pm.loc["青岛市", "mechanism"]
    shared = compare.shared_practices(items, docs, ["carrier"]).set_index("canonical")
    assert shared.loc["结对共建", "n_cities"] >= 2 and shared.loc["结对共建", "kind"] == "shared"
    g = compare.cooccurrence_network(items, ["mechanism", "carrier"], min_count=2)
    assert "结对共建" in g and all(d["weight"] >= 1 for _, _, d in g.edges(data=True))
    sents = pd.read_parquet(tmp_path / "data" / "sentences.parquet")
    k = compare.kwic(sents, docs, "载体", width=5)
    text = docs.set_index("doc_id").text
    assert len(k) > 0 and all(text[r.doc_id][r.start : r.end] == "载体" for r in k.itertuples())
    toks = pd.read_parquet(tmp_path / "data" / "tokens.parquet")
    counts = compare.term_counts(toks, set(), docs.set_index("doc_id").city.fillna("(unknown)"))
    t1, p1 = compare.topics(counts, 3, seed=7)
    t2, p2 = compare.topics(counts, 3, seed=7)
    pd.testing.assert_frame_equal(t1, t2)
    assert np.allclose(p1.sum(axis=1), 1)
    sim = compare.cosine_similarity_table(compare.tfidf_matrix(counts))
    assert np.allclose(np.diag(sim), 1) and (sim.values <= 1.0001).all()
    assert sorted(compare.cluster_order(sim)) == sorted(sim.index)


def test_place_names_in_english():
    assert place_en("青岛市") == "Qingdao"
    assert place_en("凉山彝族自治州") == "Liangshan"
    assert place_en("黔东南苗族侗族自治州") == "Qiandongnan"
    assert place_en("(unknown)") == "(unknown)"
