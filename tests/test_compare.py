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
    # documents with no tokens (an empty report, or a choice of cities that has none) count nothing, without failing
    none = compare.term_counts(tokens.iloc[:0].astype({"token": str}), set())
    assert none.empty and none.index.name == "doc_id"


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
    assert place_en("哈尔滨市") == "Harbin"  # the seed city: its English name, not the pinyin Haerbin


def test_every_province_has_an_english_name_of_its_own():
    """The 31 provinces of the shared 2026 reports get 31 different English labels: 陕西 and 山西 are both Shanxi
    in plain pinyin, and a figure of provinces would show two bars under one name."""
    import csv

    from conftest import need_shared

    names = set()
    for path in sorted(need_shared("provinces-2026").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as f:
            names.update(r["province"] for r in csv.DictReader(f))
    assert len(names) == 31
    english = {place_en(n) for n in names}
    assert len(english) == len(names), sorted(english)
    assert {"Shaanxi", "Shanxi", "Inner Mongolia"} <= english


# --------------------------------------------------------------------------- groups, keyness against, concordance


def _docs():
    return pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "city": ["青岛市", "青岛市", "大连市", None],
            "province": ["山东省", "山东省", "辽宁省", "辽宁省"],
            "year": [2023.0, 2024.0, 2024.0, np.nan],
            "genre": ["report"] * 4,
            "text": ["建立联席会议制度，完善考核机制。", "网格化管理机制", "结对共建机制好", "没有"],
            "n_chars": [16, 7, 7, 2],
            "city_source": ["manifest"] * 4,
        }
    )


def test_groups_by_any_document_variable():
    docs = _docs()
    assert compare.groups(docs, "province").to_dict() == {"a": "山东省", "b": "山东省", "c": "辽宁省", "d": "辽宁省"}
    assert compare.groups(docs, "year").tolist() == ["2023", "2024", "2024", "(unknown)"]
    assert compare.groups(docs, "city")["d"] == "(unknown)"
    assert "city_source" not in compare.group_columns(docs) and "text" not in compare.group_columns(docs)
    with pytest.raises(ValueError, match="unknown group_by 'text'; valid values: city, province, year"):
        compare.groups(docs, "text")


def test_keyness_against_a_chosen_reference():
    counts = pd.DataFrame(
        {"机制": [10, 2, 0], "平台": [1, 9, 5], "社区": [5, 5, 5]}, index=pd.Index(["甲", "乙", "丙"], name="g")
    )
    vs_rest = compare.keyness_against(counts, "甲", min_count=1).set_index("term")
    vs_b = compare.keyness_against(counts, "甲", "乙", min_count=1).set_index("term")
    # against 乙 alone is the two-row comparison
    two = compare.keyness_log_odds(counts.loc[["甲", "乙"]], "甲", min_count=1).set_index("term")
    assert vs_b.loc["机制", "z"] == pytest.approx(two.loc["机制", "z"])
    assert vs_rest.loc["机制", "count_rest"] == 2 and vs_b.loc["平台", "count_rest"] == 9
    with pytest.raises(ValueError, match="in both target and reference"):
        compare.keyness_against(counts, "甲", ["甲", "乙"])
    with pytest.raises(ValueError, match="needs a reference"):
        compare.keyness_against(counts.loc[["甲"]], "甲")
    chi = compare.keyness_against(counts, ["甲", "乙"], method="chi2", min_count=1)
    assert set(chi.columns) >= {"term", "chi2", "signed_chi2"}


def test_kwic_by_regular_expression_sorted_by_context():
    docs = _docs()
    sents = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "c"],
            "sent_id": [0, 1, 0, 0],
            "start": [0, 9, 0, 0],
            "end": [9, 16, 7, 7],
            "text": ["建立联席会议制度，", "完善考核机制。", "网格化管理机制", "结对共建机制好"],
        }
    )
    k = compare.kwic_regex(sents, docs, "机制|制度", width=4, sort="left")
    assert len(k) == 4 and set(k.keyword) == {"机制", "制度"}
    # sorted by the left context read backwards from the keyword: 共建 < 考核 < 管理 < 会议 by the last character
    assert [x[::-1] for x in k.left] == sorted(x[::-1] for x in k.left)
    row = k[k.doc_id == "a"].iloc[0]
    assert docs.set_index("doc_id").text["a"][row.start : row.end] == row.keyword
    right = compare.kwic_regex(sents, docs, "机制", width=4, sort="right")
    assert list(right.right) == sorted(right.right)
    by_prov = compare.kwic_regex(sents, docs, "机制", by="province")
    assert "province" in by_prov.columns and set(by_prov.province) == {"山东省", "辽宁省"}
    with pytest.raises(ValueError, match="not a regular expression"):
        compare.kwic_regex(sents, docs, "机制(")
    with pytest.raises(ValueError, match="unknown sort 'up'"):
        compare.kwic_regex(sents, docs, "机制", sort="up")
    # documents without their texts (as a notebook holds them): the texts are asked for the matched documents only
    asked = []

    def texts(ids):
        asked.append(list(ids))
        return docs.set_index("doc_id").text.loc[list(ids)].to_dict()

    lean = compare.kwic_regex(sents, docs.drop(columns="text"), "制度", width=4, texts=texts)
    pd.testing.assert_frame_equal(lean, compare.kwic_regex(sents, docs, "制度", width=4))
    assert asked == [["a"]]
    with pytest.raises(ValueError, match="texts"):
        compare.kwic_regex(sents, docs.drop(columns="text"), "制度")


def _items():
    return pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "c", "c"],
            "theme": ["mechanism", "mechanism", "mechanism", "mechanism", "carrier"],
            "item": ["联席会议制度", "考核机制", "联席会议制度", "结对共建机制", "服务中心"],
            "canonical": ["联席会议制度", "考核机制", "联席会议制度", "结对共建机制", "服务中心"],
            "method": ["enum_section", "noun_phrase", "enum_section", "action", "noun_phrase"],
            "score": [0.9, 0.2, 0.8, 0.5, 0.1],
            "evidence": [
                "建立联席会议制度，完善考核机制。",
                "建立联席会议制度，完善考核机制。",
                "联席会议制度",
                "结对共建机制好",
                "服务中心",
            ],
            "start": [0, 0, 0, 0, 0],
            "end": [16, 16, 6, 7, 4],
        }
    )


def test_practice_cells_give_counts_and_an_example_with_its_source():
    cells = compare.practice_cells(_items(), _docs(), ["mechanism", "carrier"])
    top = cells[(cells.city == "青岛市") & (cells.theme == "mechanism")].iloc[0]
    assert (top.canonical, top["items"], top.documents) == ("联席会议制度", 2, 2)
    assert top.example == "联席会议制度" and top.source_doc == "b"  # the shortest evidence
    grid = compare.practice_grid(cells, ["mechanism", "carrier"])
    assert "联席会议制度 (2): 联席会议制度 [b]" in grid.loc["青岛市", "mechanism"]
    assert grid.loc["青岛市", "carrier"] == ""
    by_prov = compare.practice_cells(_items(), _docs(), ["mechanism"], by="province")
    assert set(by_prov.province) == {"山东省", "辽宁省"}


def test_filter_items_by_score_and_method():
    items = _items()
    assert list(compare.filter_items(items, 0.5).score) == [0.9, 0.8, 0.5]
    assert set(compare.filter_items(items, methods=["noun_phrase"]).item) == {"考核机制", "服务中心"}
    with pytest.raises(ValueError, match="unknown method"):
        compare.filter_items(items, methods=["magic"])


def test_group_rates_per_10k_characters():
    rates = compare.group_rates(_items(), _docs(), ["mechanism", "carrier"], "province")
    assert rates.loc["山东省", "mechanism"] == pytest.approx(3 / 23 * 10000, rel=1e-3)
    assert rates.loc["辽宁省", "carrier"] == pytest.approx(1 / 9 * 10000, rel=1e-3)


def test_place_terms_hold_gazetteer_names_and_boilerplate():
    words = compare.place_terms()
    assert {"青岛市", "青岛", "黄岛区", "山东", "各位代表"} <= words
    assert "机制" not in words and "网格化管理" not in words


def test_communities_and_subgraphs_do_not_depend_on_the_hash_seed():
    """Louvain with a seed on a graph built in sorted order: the same partition in any Python process."""
    import subprocess
    import sys

    code = (
        "import networkx as nx, json;from pipeline import compare;"
        "g=nx.les_miserables_graph();g=compare.induced(g, list(g.nodes)[:50]);"
        "print(json.dumps(sorted(compare.communities(g, 42).items())))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": s},
        ).stdout
        for s in ("1", "2", "3")
    }
    assert len(outs) == 1 and len(next(iter(outs))) > 10
