"""The cleaner on the five seed scrapes: furniture and spam go, cut sentences
come back whole, real list numbering stays, every removal is accounted for."""

from __future__ import annotations

import re

import opencc
import pytest
from conftest import SEEDS

# furniture, spam and host text seen in the seeds; none may survive anywhere
FORBIDDEN = [
    "上传人",
    "文档编号",
    "上传时间",
    "展开阅读全文",
    "金锄头",
    "ICP",
    "版权所有",
    "地址:",
    "地址：",
    "电话",
    "传真",
    "邮编",
    "Email",
    "您的位置",
    "相关文章",
    "相关资源",
    "编辑:",
    "编辑：",
    "责任编辑",
    "蜘蛛池",
    "在线观看",
    "无码",
    "毛片",
    "下一页",
    "第1页",
    "共9页",
    "资源描述",
    "文本预览下载声明",
    "显示全部",
    "Copyright",
    "版权与免责声明",
    "首页",
    "专刊推荐",
    "发表评论",
    "关闭窗口",
    "由会员分享",
    "点击查看更多",
    "文秘",
    "大众网-大众日报",
    "- 2 -",
    "上一条",
    ".doc",
]


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_no_furniture_or_spam_survives(seed_text, name):
    text = seed_text[name]
    left = [f for f in FORBIDDEN if f in text]
    assert not left, f"{name}: still contains {left}"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_half_width_punctuation_is_normalised_inside_chinese(seed_text, name):
    text = seed_text[name]
    assert not re.search(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]", text)
    assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff](?=[^\n]{40})", text.split("\n", 1)[-1]), (
        "line-wrap spaces left inside running text"
    )


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_paragraphs_kept_and_title_once(seed_text, seeds_inferred, name):
    text = seed_text[name]
    docs = seeds_inferred[0]
    title = docs.loc[SEEDS[name], "title"]
    assert text.count("\n") >= 8, "paragraph breaks lost"
    assert text.startswith(title) and text.count(title) == 1, "title missing or repeated"


def test_sharing_site_chunks_rejoined_across_cuts_and_watermarks(seed_text):
    """001 is a PDF preview cut into 14 numbered chunks with a watermark in
    each; every sentence that crossed a cut or a watermark reads whole."""
    t = seed_text["mudanjiang"]
    for sentence in [
        "由于社区党组织书记都是由居委会工作主任一人兼，日常事务非常多",  # watermark inside the sentence
        "5年时间里党员增加了207人，增长幅度达241%",  # chunk cut + watermark between 207 and 人
        "这12个单位大部分在社区有困难找到他们寻求帮助的时候能给予一定的帮助",
        "并赋予社区党组织对社区成员代表会议",  # cut inside the word 党组织
        "影响党员参与活动的积极性",
        "长安街道现在有3个社区党组织",  # PDF spacing "有 3 个" closed up
    ]:
        assert sentence in t, sentence


def test_chunk_rejoin_keeps_real_list_numbering(seed_text):
    lines = seed_text["mudanjiang"].split("\n")
    items = [ln[:2] for ln in lines if re.match(r"[1-5]、", ln)]
    assert items == ["1、", "2、", "3、", "4、", "5、"]
    assert "1、社区党组织工作经费没有保障。" in seed_text["mudanjiang"]
    headings = [ln for ln in lines if re.match(r"[（(][一二三四五][)）]", ln)]
    assert len(headings) == 5
    assert "（三）为社区党组织提供必要的经费保障" in lines


def test_second_sharing_site_preview_with_injected_copyright(seed_text):
    t = seed_text["nocity"]
    for sentence in [
        "是一个国家兴旺发达的不竭动力，也是一个政党永葆生机的源泉",  # "文秘 114版权所有" injected mid-sentence
        "成立街道党工委社区党建工作协调委员会",
        "要注意将党建与社区精神文明建设有机结合",
        "只有将社区内一切积极因素充分调动起来",
        "既是对社区党建的一种规范，又是有条不紊地开展工作的重要保证",
    ]:
        assert sentence in t, sentence
    assert "\n开创社区党建工作新局面的关键在于创新\n" in t, "unnumbered heading not restored as its own line"


def test_news_page_keeps_article_and_headings(seed_text):
    t = seed_text["qingdao"].split("\n")
    for heading in ["转变观念 确立新思路", "创新载体 构建新纽带", "规范运行 完善新机制", "整合资源 形成新合力"]:
        assert heading in t
    assert t[-1].startswith("四是整合人才资源")


def test_traditional_report_is_simplified_and_original_kept(seeds_inferred, seed_text):
    docs = seeds_inferred[0]
    row = docs.loc[SEEDS["harbin"]]
    assert row.script == "traditional"
    assert row.text.startswith("关于市直机关党组织与社区党组织开展共建工作情况的调研报告")
    assert opencc.OpenCC("t2s").convert(row.text) == row.text
    assert row.text_original.startswith("關于市直機關黨組織")
    assert len(row.text_original) == len(row.text)  # offsets valid in both scripts
    assert "建立工作例会制度" in row.text
    for name in ("qingdao", "mudanjiang", "dalian", "nocity"):
        assert docs.loc[SEEDS[name], "script"] == "simplified"


def test_cleaning_report_accounts_for_every_removal(seeds_inferred, seed_raw):
    docs, report, _ = seeds_inferred
    by_stem = {v: k for k, v in SEEDS.items()}
    for doc_id, rows in report.groupby("doc_id"):
        raw = seed_raw[by_stem[doc_id]]
        assert (rows.chars_in == len(raw)).all()
        assert (rows.chars_out == len(docs.loc[doc_id, "text"])).all()
        spans = rows.dropna(subset=["raw_start"])
        assert len(spans) > 0
        for r in spans.itertuples():
            piece = raw[int(r.raw_start) : int(r.raw_end)].replace("\u00a0", " ")  # nbsp became a space first
            removed = r.text if isinstance(r.text, str) else ""
            # what was removed stands in the raw text at the reported place, in order
            it = iter(piece)
            assert all(ch in it for ch in removed), (doc_id, r.rule, removed[:40])
    rules = set(report.rule.dropna())
    assert {"spam", "watermark", "chunk_marker", "sharing_chrome", "site_chrome", "injected", "footer_tail"} <= rules


def test_raw_corpus_untouched(tmp_path, params):
    """The pipeline never writes into corpus/: the raw bytes hash the same before and after."""
    import hashlib

    from pipeline.config import ROOT
    from pipeline.stages import run

    def digest():
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((ROOT / "corpus").rglob("*"))
            if p.is_file()
        }

    before = digest()
    run(ROOT / "corpus", tmp_path / "out", params)
    assert digest() == before
    assert (tmp_path / "out" / "data" / "documents.parquet").exists()
