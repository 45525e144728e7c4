"""Tokens, sentences and document structure."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import CORPUS, SEEDS

from pipeline.config import RESOURCES
from pipeline.segment.structure import sentences, split_sentences
from pipeline.segment.tokens import cut, read_lexicon
from pipeline.stages import run, run_one

LEX = RESOURCES / "userdict.txt"


@pytest.fixture(scope="module")
def seg_out(tmp_path_factory, params):
    out = tmp_path_factory.mktemp("seg")
    run(CORPUS, out, params, use_manifest=False, until="ingest")
    run_one("segment", out, params)
    return out


@pytest.fixture(scope="module")
def seg(seg_out):
    docs = pd.read_parquet(seg_out / "data" / "documents.parquet").set_index("doc_id")
    sents = pd.read_parquet(seg_out / "data" / "sentences.parquet")
    toks = pd.read_parquet(seg_out / "data" / "tokens.parquet")
    return docs, sents, toks


def test_offsets_round_trip_on_every_seed(seg):
    docs, sents, toks = seg
    assert set(sents.doc_id) == set(SEEDS.values())
    for doc_id, group in sents.groupby("doc_id"):
        text = docs.loc[doc_id, "text"]
        for r in group.itertuples():
            assert text[r.start : r.end] == r.text
        assert list(group.sent_id) == list(range(len(group)))
        # sentences are in order, do not overlap, and cover every non-blank character
        assert (group.start.values[1:] >= group.end.values[:-1]).all()
        covered = "".join(text[r.start : r.end] for r in group.itertuples())
        assert "".join(covered.split()) == "".join(text.split())
    for doc_id, group in toks.groupby("doc_id"):
        text = docs.loc[doc_id, "text"]
        assert all(text[r.start : r.end] == r.token for r in group.itertuples())
        bounds = sents[sents.doc_id == doc_id].set_index("sent_id")
        s = bounds.loc[group.sent_id]
        assert ((group.start.values >= s.start.values) & (group.end.values <= s.end.values)).all()


def _items(sents, doc, heading):
    rows = sents[(sents.doc_id == doc) & sents.section_path.apply(lambda p: len(p) > 0 and p[-1] == heading)]
    return rows[rows.enum_marker.notna() & ~rows.is_heading]


def test_qingdao_mechanisms_and_carriers_are_enumerated_items(seg):
    _, sents, _ = seg
    doc = SEEDS["qingdao"]
    mech = _items(sents, doc, "规范运行 完善新机制")
    assert list(mech.enum_marker) == ["一是", "二是", "三是", "四是", "五是"]
    assert list(mech.item_lead) == ["共同参与机制", "利益驱动机制", "行为激励机制", "责任考核机制", "活动推进机制"]
    carriers = _items(sents, doc, "创新载体 构建新纽带")
    assert list(carriers.item_lead) == ["互联式载体", "协约式载体", "志愿式载体", "教育式载体", "拓展式载体"]
    heads = sents[(sents.doc_id == doc) & sents.is_heading & (sents.heading_level == 1)]
    assert list(heads.text) == [
        "转变观念 确立新思路",
        "创新载体 构建新纽带",
        "规范运行 完善新机制",
        "整合资源 形成新合力",
    ]
    byline = sents[(sents.doc_id == doc) & (sents.text == "中共青岛市市南区委")].iloc[0]
    assert not byline.is_heading  # a byline under the title heads no section


def test_mudanjiang_problems_are_items_under_the_difficulties_heading(seg):
    _, sents, _ = seg
    doc = sents[sents.doc_id == SEEDS["mudanjiang"]]
    items = doc[doc.enum_marker.isin(["1、", "2、", "3、", "4、", "5、"])]
    assert len(items) == 5
    for r in items.itertuples():
        assert r.section_path[0] == "一、当前社区党组织在开展工作遇到的困难"
        assert r.is_heading and r.heading_level == 2
    assert items.item_lead.iloc[0] == "社区党组织工作经费没有保障"
    measures = doc[
        doc.is_heading
        & (doc.heading_level == 2)
        & doc.section_path.apply(lambda p: len(p) > 0 and p[0] == "二、建议和对策")
    ]
    assert list(measures.enum_marker) == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    funding = doc[
        doc.section_path.apply(lambda p: list(p) == ["二、建议和对策", "（三）为社区党组织提供必要的经费保障"])
    ]
    assert list(funding[funding.enum_marker.notna() & ~funding.is_heading].enum_marker)[:3] == ["第一", "第二", "第三"]


def test_harbin_list_after_colon_splits_into_items(seg):
    _, sents, _ = seg
    doc = sents[sents.doc_id == SEEDS["harbin"]]
    problems = doc[
        doc.section_path.apply(lambda p: list(p) == ["市直机关党组织与社区党组织共建存在的主要问题"])
        & doc.enum_marker.notna()
    ]
    assert list(problems.item_lead) == [
        "思想认识不到位",
        "结合实际不紧密",
        "互动机制有待完善",
        "市直机关承担帮扶任务较为繁杂",
    ]
    assert problems.text.iloc[0].startswith("一是思想认识不到位")  # split off "…发现一些需要解决的问题："


def test_lexicon_terms_stay_whole_on_the_seeds(seg):
    docs, _, toks = seg
    lexicon = {w for w, _, _ in read_lexicon(LEX)}
    terms = sorted(lexicon, key=len, reverse=True)
    checked = exact = 0
    for doc_id, text in docs.text.items():
        doc_toks = toks[toks.doc_id == doc_id]
        spans = set(zip(doc_toks.start, doc_toks.end, strict=False))
        entry_spans = [
            (a, b) for a, b, w in zip(doc_toks.start, doc_toks.end, doc_toks.token, strict=False) if w in lexicon
        ]
        for term in terms:
            i = text.find(term)
            while i >= 0:
                j = i + len(term)
                # the term is a token, or lies inside a longer token, or yields to an
                # overlapping entry (社区党建 in 社区党建指导员 → 社区 | 党建指导员)
                inside = any(a <= i and j <= b for a, b in spans if b - a > len(term))
                yields = any(a < j and i < b for a, b in entry_spans)
                assert (i, j) in spans or inside or yields, (doc_id, term, text[i - 5 : j + 5])
                checked += 1
                exact += (i, j) in spans
                i = text.find(term, j)
    assert checked > 100 and exact / checked >= 0.95
    for term in ["社区党建", "党工委", "驻区单位", "结对共建", "在职党员", "联席会议", "共建互补", "共建对子"]:
        assert term in set(toks.token), term


def test_fast_engine_reproduces_jieba(seg, cities_txt):
    docs, _, _ = seg
    texts = (
        list(docs.text)
        + list(cities_txt.text)
        + [
            "C++语言程序设计",
            "增长3.5%-4%左右",
            "COVID-19疫情防控",
            "访问www.gov.cn网站",
            "第1.2.3条",
            "全省PM_2.5平均浓度",
            "推进5G+工业互联网",
            "一核多元“1+N”型",
            "学习c#和AT&T的经验",
            "建成1.1GW光伏",
            "  空格\r\n换行\t制表",
        ]
    )
    identical = sum(cut(t, LEX, "fast") == cut(t, LEX, "jieba") for t in texts)
    print(f"fast engine == jieba on {identical}/{len(texts)} texts")
    assert identical == len(texts)


def test_sentence_splitting_rules():
    text = (
        "他说：“创新是灵魂。”随后离开……\n要做到三点：一是要学习；二是要实践；三是要总结。"
        "问题主要有：第一，经费不足。第二，人手不够！真的吗？是的……”\n（一）加强领导"
    )
    spans = split_sentences(text)
    got = [text[s:e] for s, e, _ in spans]
    assert got == [
        "他说：“创新是灵魂。”",
        "随后离开……",
        "要做到三点：",
        "一是要学习；",
        "二是要实践；",
        "三是要总结。",
        "问题主要有：",
        "第一，经费不足。",
        "第二，人手不够！",
        "真的吗？",
        "是的……”",
        "（一）加强领导",
    ]
    recs = sentences("标题\n" + text)
    assert recs[-1]["is_heading"] and recs[-1]["enum_marker"] == "（一）" and recs[-1]["item_lead"] == "加强领导"
    assert [r["enum_marker"] for r in recs if r["enum_marker"]][:3] == ["一是要", "二是要", "三是要"]


def test_city_reports_have_an_outline(tmp_path, params, cities_txt):
    """On the 72 city reports, headings nest: 一、 at level 1, （一） below it."""
    good = 0
    for doc_id, text in cities_txt.text.items():
        recs = sentences(text, cities_txt.loc[doc_id, "title"])
        heads = [r for r in recs if r["is_heading"] and r["heading_level"]]
        level1 = [r for r in heads if r["heading_level"] == 1]
        nested = [r for r in heads if r["heading_level"] == 2 and len(r["section_path"]) == 2]
        if 2 <= len(level1) <= 12 and nested:
            good += 1
    print(f"city reports with a nested outline: {good}/72")
    assert good >= 65


def test_same_output_with_one_and_two_workers(tmp_path, params):
    outs = []
    for n in (1, 2):
        out = tmp_path / f"w{n}"
        p = {**params, "n_jobs": n}
        run(CORPUS, out, p, use_manifest=False, until="ingest")
        run_one("segment", out, p)
        outs.append(out)
    for name in ("sentences.parquet", "tokens.parquet"):
        assert (outs[0] / "data" / name).read_bytes() == (outs[1] / "data" / name).read_bytes()


def test_cache_invalidation(tmp_path, params):
    corpus = tmp_path / "c"
    shutil.copytree(CORPUS / "raw", corpus / "raw")
    out = tmp_path / "out"
    run(corpus, out, params, use_manifest=False, until="ingest")
    first = run_one("segment", out, params)
    assert first["tokens_computed"] == 5
    again = run_one("segment", out, params)
    assert again.get("up_to_date")  # nothing to do: the stage is skipped before reading any document
    # one document changes: only it is segmented again
    f = corpus / "raw" / f"{SEEDS['dalian']}.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("显示全部", "新增一句话。\n显示全部"), encoding="utf-8")
    run(corpus, out, params, use_manifest=False, until="ingest")
    one = run_one("segment", out, params)
    assert (one["sentences_computed"], one["tokens_computed"]) == (1, 1)
    # the dictionary changes: every document's tokens, no document's sentences
    lex = tmp_path / "userdict.txt"
    lex.write_text(LEX.read_text(encoding="utf-8") + "区域性党建 2000 nz\n", encoding="utf-8")
    p2 = {**params, "segment": {**params["segment"], "userdict": str(lex)}}
    two = run_one("segment", out, p2)
    assert (two["sentences_computed"], two["tokens_computed"]) == (0, 5)
    toks = pd.read_parquet(out / "data" / "tokens.parquet")
    assert "区域性党建" in set(toks.token)


def test_unknown_engine_is_a_clear_error(tmp_path, params):
    from pipeline.config import ParamError

    run(CORPUS, tmp_path, params, use_manifest=False, until="ingest")
    with pytest.raises(ParamError, match="segment.engine 'turbo'"):
        run_one("segment", tmp_path, {**params, "segment": {**params["segment"], "engine": "turbo"}})


def test_pos_tags_when_asked(seg):
    from pipeline.segment.tokens import tokenize

    docs, _, _ = seg
    text = docs.loc[SEEDS["qingdao"], "text"]
    words, tags, starts, ends = tokenize(text, LEX, pos=True)
    assert all(text[a:b] == w for w, a, b in zip(words, starts, ends, strict=False))
    tagged = dict(zip(words, tags, strict=False))
    assert tagged["社区党建"] == "nz" and tagged["机制"].startswith("n")
