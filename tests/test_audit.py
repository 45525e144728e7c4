"""The corpus audit on real text: synthetic defects built from the seeds and the shared reports fire
their checks; the seeds and the shared city reports stay silent except where a reader confirms a defect."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
import yaml
from conftest import CORPUS, SEEDS, need_shared

from pipeline import catalog
from pipeline.config import ROOT
from pipeline.errors import AuditFailed
from pipeline.ingest import ingest_corpus
from pipeline.ingest.clean import Rules, clean_text
from pipeline.stages import run


def _city(name: str) -> str:
    return (need_shared("cities-2024", "txt") / f"{name}.txt").read_text(encoding="utf-8")


def _province(name: str) -> str:
    path = need_shared("provinces-2026") / f"2026_{name}_政府工作报告.csv"
    return next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))["full_text"]


def _seed(name: str) -> str:
    return (CORPUS / "raw" / f"{SEEDS[name]}.txt").read_text(encoding="utf-8")


def _clean(raw: str) -> str:
    rules = yaml.safe_load((ROOT / "pipeline" / "resources" / "cleaning.yaml").read_text(encoding="utf-8"))
    return clean_text(raw, Rules(rules)).text


def _before_plan(report: str) -> str:
    """A government work report cut in the middle of a sentence of its review, before the plan's heading."""
    heading = re.search(r"(?m)^[一二三四五六七八九十]+、\s*(?:20\d{2}年|今年)(?!.{0,6}回顾)", report)
    assert heading and heading.start() > 0.2 * len(report)
    return _cut(report, 0.8 * heading.start() / len(report))


def _cut(text: str, share: float) -> str:
    """The text cut at ``share`` of its length, in the middle of a sentence."""
    i = int(len(text) * share)
    while text[i - 1] in "。！？；：\n" or text[i] in "。！？；：\n":
        i += 1
    return text[:i]


@pytest.fixture(scope="module")
def audited(tmp_path_factory, params):
    """One corpus holding every synthetic defect, with a manifest for the stated years."""
    root = tmp_path_factory.mktemp("audit")
    raw = root / "raw"
    raw.mkdir()
    qingdao = _seed("qingdao")
    chrome = qingdao.split("转变观念", 1)[0]
    harbin = _clean(_seed("harbin")).replace("\n", "")  # the report's text, hard-wrapped below
    other_chrome = "首页 > 新闻中心 > 基层党建\n字号：大 中 小 打印本页\n" + chrome.split("\n", 3)[-1]
    files = {
        "温州.txt": _city("杭州"),  # another city's report under this city's name
        "南京.txt": _province("江苏省"),  # a provincial report under a city's name
        "合肥.txt": _city("合肥").replace("我代表市人民政府", "我代表国务院"),  # speaks as the State Council
        "广州.txt": _before_plan(_city("广州")),  # stops inside the review
        "三亚.txt": _city("三亚"),  # its manifest row states another year
        "qingdao.txt": qingdao,
        "qingdao-elsewhere.txt": other_chrome + qingdao[len(chrome) :] + "\n（来源：另一网站）\n",
        "harbin-wrapped.txt": "\n".join(harbin[i : i + 30] for i in range(0, len(harbin), 30)),
        "english.txt": "Community Party building in Qingdao: notes from a field visit. " * 20,
        "short.txt": "社区党建工作简讯：本周召开社区党建工作推进会，各社区党组织书记参加。",
    }
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    pd.DataFrame(
        [{"file": "raw/三亚.txt", "year": 2025}, {"file": "raw/qingdao.txt", "year": 2004}],
    ).to_csv(root / "manifest.csv", index=False)
    docs, report, _log, quality = ingest_corpus(root, params)
    return docs.set_index("doc_id", drop=False), report, quality


def _fired(quality: pd.DataFrame, doc_id: str) -> dict[str, set[str]]:
    q = quality[quality.doc_id == doc_id]
    return {c: set(q[q.check == c].severity) for c in q.check.unique()}


def test_a_report_under_another_citys_name_is_not_given_that_city(audited):
    docs, _, quality = audited
    # the file name says 温州, the text is 杭州's own report and names 杭州 throughout
    assert "place_conflict" in _fired(quality, "温州")
    row = docs.loc["温州"]
    assert row.city != "温州市" and "place_conflict" in row["flags"].split(";")


def test_a_provincial_or_national_report_under_a_citys_name_is_left_without_a_city(audited):
    docs, _, quality = audited
    for doc_id, voice in (("南京", "provincial"), ("合肥", "State Council")):
        assert _fired(quality, doc_id)["place_conflict"] == {"error"}
        message = quality[(quality.doc_id == doc_id) & (quality.check == "place_conflict")].message.iloc[0]
        assert voice in message
        row = docs.loc[doc_id]
        assert pd.isna(row.city) and row.city_source == "contradicted"


def test_a_report_that_stops_in_its_review_is_truncated(audited):
    docs, _, quality = audited
    q = quality[(quality.doc_id == "广州") & (quality.check == "truncated")]
    assert set(q.severity) == {"warning", "error"}  # ends mid-sentence; no plan part
    assert any("plan" in m for m in q.message)


def test_a_stated_year_the_text_contradicts_is_left_empty(audited):
    docs, _, quality = audited
    assert _fired(quality, "三亚")["year_conflict"] == {"error"}
    assert pd.isna(docs.loc["三亚", "year"]) and docs.loc["三亚", "year_source"] == "contradicted"
    assert "year_conflict" not in _fired(quality, "qingdao")  # a news story of its own year


def test_the_same_report_with_other_page_chrome_is_a_near_duplicate_counted_once(audited):
    docs, _, quality = audited
    q = quality[quality.check == "near_duplicate"]
    assert set(q.doc_id) == {"qingdao", "qingdao-elsewhere"}
    assert float(q.evidence.iloc[0].split()[-1]) >= 0.8
    assert docs.loc[["qingdao", "qingdao-elsewhere"], "counted"].sum() == 1
    kept = docs.loc[["qingdao", "qingdao-elsewhere"]].query("counted").doc_id.iloc[0]
    other = ({"qingdao", "qingdao-elsewhere"} - {kept}).pop()
    assert docs.loc[other, "duplicate_of"] == kept
    assert docs.drop(index=["qingdao", "qingdao-elsewhere"]).counted.all()


def test_a_text_with_a_newline_every_30_characters_is_rejoined_and_reported(audited, params):
    docs, report, quality = audited
    assert _fired(quality, "harbin-wrapped")["broken_lines"] == {"info"}
    rejoined = report[(report.doc_id == "harbin-wrapped") & (report.rule == "broken_line")]
    assert len(rejoined) > 100
    text = docs.loc["harbin-wrapped", "text"]
    assert text.count("\n") < len(rejoined) / 10
    # the sentences of the report are whole again
    sentences = [s for s in re.split(r"(?<=[。！？])", _clean(_seed("harbin")).replace("\n", "")) if len(s) > 20]
    whole = sum(1 for s in sentences if s in text)
    assert whole >= 0.9 * len(sentences)


def test_foreign_and_near_empty_documents_are_in_the_report(audited):
    docs, _, quality = audited
    assert _fired(quality, "english") == {"not_chinese": {"error"}} and "english" not in docs.index
    assert _fired(quality, "short") == {"too_short": {"warning"}} and docs.loc["short", "flags"] == "too_short"


def test_on_the_seeds_and_the_shared_reports_the_audit_flags_what_a_reader_confirms(
    seeds_inferred, cities_txt, provinces
):
    """An independent reader went through the 72 city reports, the 31 provincial reports and the seeds
    (tests/gold/audit_reading.csv; `audit_check` maps each defect to the check that should find it).
    The audit flags exactly the defects the reader found with high or medium confidence, and nothing
    else (the reader's low-confidence 河北: a short but complete report)."""
    gold = pd.read_csv(ROOT / "tests" / "gold" / "audit_reading.csv", dtype=str).fillna("")
    gold = gold[(gold.audit_check != "") & gold.confidence.isin(["high", "medium"])]
    expected = {
        (c, f.rsplit(".", 1)[0].split("/")[-1], check)
        for c, f, check in zip(gold.corpus, gold.file, gold.audit_check, strict=True)
        if not f.startswith("docx/")
    }
    found = set()
    for corpus, docs in (("cities-2024", cities_txt), ("seeds", seeds_inferred[0]), ("provinces-2026", provinces[0])):
        for doc_id, flags in zip(docs.doc_id, docs["flags"], strict=True):
            stem = doc_id.split("#")[0]
            found |= {(corpus, stem, check) for check in flags.split(";") if check}
    assert found == expected


def test_strict_audit_fails_the_run_and_keeps_the_report(tmp_path, params):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "合肥.txt").write_text(_city("合肥").replace("我代表市人民政府", "我代表国务院"), encoding="utf-8")
    (corpus / "qingdao.txt").write_text(_seed("qingdao"), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(AuditFailed, match="1 error finding"):
        run(corpus, out, params, use_manifest=False, strict_audit=True)
    quality = pd.read_csv(catalog.artifact_path(out, "quality_report"), encoding="utf-8-sig")
    assert list(quality.columns) == ["doc_id", "check", "severity", "message", "evidence"]
    assert "合肥" in set(quality.doc_id)
    results = run(corpus, out, params, use_manifest=False)  # without it, the run goes on
    assert results["ingest"]["audit"]["error"] == 1 and results["themes"]["items"] > 0


def test_the_audit_reaches_the_notebook_the_workbook_and_the_report(tmp_path, params):
    """Notebook 01's figure and table, the corpus_audit sheet of results.xlsx (filterable) and the
    report's audit section carry the findings."""
    import openpyxl

    from pipeline.commands import stage_export
    from pipeline.report.notebook import audit_overview, quality_report
    from pipeline.report.notebook import setup as notebook_setup

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "合肥.txt").write_text(_city("合肥").replace("我代表市人民政府", "我代表国务院"), encoding="utf-8")
    (corpus / "qingdao.txt").write_text(_seed("qingdao"), encoding="utf-8")
    (corpus / "dalian.txt").write_text(_seed("dalian"), encoding="utf-8")
    out = tmp_path / "out"
    run(corpus, out, params, use_manifest=False)
    ctx = notebook_setup(out, tmp_path / "figs", formats=["png"], dpi=60)
    table = quality_report(ctx)
    assert {("合肥", "place_conflict", "error"), ("dalian", "truncated", "warning")} <= set(
        zip(table.doc_id, table.check, table.severity, strict=True)
    )
    fig, data = audit_overview(ctx)
    assert data.set_index("check").loc["place_conflict", "error"] == 1
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["地名与正文矛盾", "文本不完整"]
    stage_export(out, params, ["xlsx", "report"])
    book = openpyxl.load_workbook(catalog.artifact_path(out, "results_xlsx"))
    sheet = book["corpus_audit"]
    assert sheet.auto_filter.ref and [c.value for c in sheet[1]] == [
        "doc_id",
        "check",
        "severity",
        "message",
        "evidence",
    ]
    assert any(row[0].value == "合肥" for row in sheet.iter_rows(min_row=2))
    index = catalog.artifact_path(out, "report").read_text(encoding="utf-8")
    assert "Corpus audit" in index and "State Council" in index


def test_a_group_of_near_duplicates_gives_one_line_per_document():
    """Twenty copies of one report are twenty lines of the quality report, not one per pair (380): each copy names
    the document it is counted as, and that one names its copies."""
    from itertools import combinations

    from pipeline.ingest.audit import duplicate_groups, near_duplicate_findings

    docs = [f"copy{k:02d}" for k in range(20)]
    pairs = [(a, b, 0.95) for a, b in combinations(docs, 2)]
    n_chars = {d: 1000 + (50 if d == "copy07" else 0) for d in docs}
    counted_by = duplicate_groups(pairs, n_chars)
    found = near_duplicate_findings(pairs, counted_by)
    assert len(found) == 20 and {f.doc_id for f in found} == set(docs)
    kept = [f for f in found if f.doc_id == "copy07"]
    assert len(kept) == 1 and "copy00" in kept[0].message and "14 more" in kept[0].message
    assert all("counted once, as copy07" in f.message for f in found if f.doc_id != "copy07")
