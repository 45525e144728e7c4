"""Readers, encodings, tables and bad input."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from conftest import CORPUS, SEEDS, need_shared

from pipeline.errors import NothingRead
from pipeline.ingest import ingest_corpus
from pipeline.ingest.readers import ReadError, decode_bytes, read_bytes
from pipeline.stages import run

QINGDAO = (CORPUS / "raw" / f"{SEEDS['qingdao']}.txt").read_text(encoding="utf-8")
HARBIN = (CORPUS / "raw" / f"{SEEDS['harbin']}.txt").read_text(encoding="utf-8")


def _corpus(tmp_path, files: dict[str, bytes]):
    raw = tmp_path / "corpus" / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return tmp_path / "corpus"


def test_gb18030_and_big5_round_trip(tmp_path, params):
    """Legacy encodings written here are detected, recorded and decoded to the same text."""
    body = QINGDAO.split("转变观念", 1)[1].split("编辑:", 1)[0].strip()  # the article only
    trad = HARBIN.split("為全面了解", 1)[1][:1500]
    parts = {
        "gb": (body[:1200], "gb18030"),
        "bom": (body[1200:2400], "utf-8-sig"),
        "utf16": (body[2400:], "utf-16"),
        "big5": (trad, "big5"),
    }
    files = {}
    for name, (text, enc) in parts.items():
        files[f"{name}.txt"] = (b"\xef\xbb\xbf" + text.encode("utf-8")) if enc == "utf-8-sig" else text.encode(enc)
    docs, _, log, _q = ingest_corpus(_corpus(tmp_path, files), params, use_manifest=False)
    assert log.empty
    by = docs.set_index("doc_id")
    for name, (text, enc) in parts.items():
        assert by.loc[name, "encoding"] == enc
        sentence = max(text.split("。")[1:-1], key=len)  # a whole sentence from inside the slice
        assert sentence.replace(",", "，").replace(";", "；") in by.loc[name, "text_original"]
    assert by.loc["big5", "script"] == "traditional" and "研究解决共建工作中存在的问题" in by.loc["big5", "text"]


def test_utf16_without_a_byte_order_mark_is_text_and_binary_stays_binary():
    """Some Windows tools save UTF-16 with no BOM: both byte orders are read as the text they hold,
    while binary data of the same even length is still refused."""
    text = QINGDAO.split("转变观念", 1)[1][:3000]
    for enc in ("utf-16-le", "utf-16-be"):
        assert decode_bytes(text.encode(enc), "x.txt") == (text, enc)
    with pytest.raises(ReadError, match="binary"):
        decode_bytes(bytes(range(256)) * 20, "x.txt")


def test_undecodable_bytes_message():
    with pytest.raises(ReadError, match="undecodable"):
        decode_bytes(bytes(range(0x80, 0x100)) * 40, "x.txt")


def test_bad_inputs_each_get_one_clear_line_and_the_rest_goes_on(tmp_path, params, capsys):
    files = {
        "good.txt": QINGDAO.encode("utf-8"),
        "empty.txt": b"",
        "blank.txt": b"   \n\n  ",
        "binary.txt": bytes(range(256)) * 20,
        "corrupt.docx": b"PK\x03\x04 this is not a real zip archive",
        "corrupt.pdf": b"%PDF-1.4\n%garbage without objects\n",
        "undecodable.txt": bytes(range(0x80, 0x100)) * 40,
        "copy_of_good.txt": QINGDAO.encode("utf-8"),
        "notes.rtf": b"{\\rtf1 hello}",
    }
    corpus = _corpus(tmp_path, files)
    with open(corpus / "raw" / "huge.txt", "wb") as f:  # 50 MB, never read into memory
        f.seek(50 * 1024 * 1024 - 1)
        f.write(b"\0")
    out = tmp_path / "out"
    run(corpus, out, params, use_manifest=False, until="ingest")
    err = capsys.readouterr().err.strip().split("\n")
    docs = pd.read_parquet(out / "data" / "documents.parquet")
    log = pd.read_csv(out / "data" / "ingest_log.csv")
    assert list(docs.source_file) == ["raw/copy_of_good.txt"] or list(docs.source_file) == ["raw/good.txt"]
    problems = {r.source_file.split("/")[-1]: r.message for r in log.itertuples()}
    assert set(problems) == {
        "empty.txt",
        "blank.txt",
        "binary.txt",
        "corrupt.docx",
        "corrupt.pdf",
        "undecodable.txt",
        "good.txt",
        "huge.txt",
        "notes.rtf",
    } - {docs.source_file[0].split("/")[-1]} | {"copy_of_good.txt"} - {docs.source_file[0].split("/")[-1]}
    assert "empty" in problems["empty.txt"] and "empty" in problems["blank.txt"]
    assert "binary" in problems["binary.txt"]
    assert "docx" in problems["corrupt.docx"] and "PDF" in problems["corrupt.pdf"]
    assert "undecodable" in problems["undecodable.txt"]
    assert "50.0 MB" in problems["huge.txt"] or "52.4 MB" in problems["huge.txt"]
    assert "unsupported" in problems["notes.rtf"]
    dup = [m for f, m in problems.items() if "same text as" in m]
    assert len(dup) == 1
    # one line per problem, each naming its file
    assert len(err) == len(log)
    for line in err:
        assert line.split(":", 1)[0].startswith("raw/")


def test_nothing_readable_fails_and_strict_fails(tmp_path, params):
    corpus = _corpus(tmp_path, {"empty.txt": b"", "bin.txt": b"\x00\x01\x02" * 100})
    with pytest.raises(NothingRead):
        run(corpus, tmp_path / "out", params, use_manifest=False, until="ingest")
    corpus2 = _corpus(tmp_path / "b", {"good.txt": QINGDAO.encode(), "bin.txt": b"\x00\x01" * 100})
    with pytest.raises(NothingRead, match="strict"):
        run(corpus2, tmp_path / "out2", params, use_manifest=False, strict=True, until="ingest")
    run(corpus2, tmp_path / "out3", params, use_manifest=False, until="ingest")  # not strict: goes on


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    from pipeline.__main__ import main

    assert main(["ingest", "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 1
    assert "corpus folder not found" in capsys.readouterr().err


def test_docx_with_table_and_html(tmp_path, params):
    import docx

    d = docx.Document()
    d.add_paragraph("青岛市市南区社区党建工作报告")
    d.add_paragraph("一、基本情况")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "机制", "共同参与机制"
    t.cell(1, 0).text, t.cell(1, 1).text = "载体", "互联式载体"
    d.add_paragraph("市南区建立了联席会议制度。")
    path = tmp_path / "r.docx"
    d.save(path)
    html = (
        "<html><head><title>社区党建_新闻网</title><script>var x=1;</script></head><body>"
        "<div class='nav'>首页 | 新闻 | 山东 | 教育 | 体育 | 财经</div><h1>青岛创新社区党建</h1>"
        "<p>市南区委积极探索新形势下城市社区建设。</p><p>编辑：张三</p></body></html>"
    ).encode()
    corpus = _corpus(tmp_path, {"r.docx": path.read_bytes(), "page.html": html})
    docs, _, log, _q = ingest_corpus(corpus, params, use_manifest=False)
    # both are read; the only notes are that these test files are very short
    assert log.message.str.contains("characters of text after cleaning").all() and (log.status == "warning").all()
    by = docs.set_index("doc_id")
    assert "机制\t共同参与机制" in by.loc["r", "text"] and "联席会议制度" in by.loc["r", "text"]
    page = by.loc["page", "text"]
    assert "市南区委积极探索" in page and "var x" not in page and "首页" not in page and "张三" not in page
    assert by.loc["page", "title"] == "社区党建_新闻网" and by.loc["page", "title_source"] == "html"


def test_pdf_text_layer(tmp_path, params):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "Community Party building report, page one.")
    fig.savefig(tmp_path / "doc.pdf")
    plt.close(fig)
    docs = read_bytes((tmp_path / "doc.pdf").read_bytes(), "doc.pdf")
    assert "Community Party building report" in docs[0].raw_text


def test_provincial_csv_ingests_with_metadata_and_loses_chrome(provinces):
    docs, report = provinces
    assert len(docs) == 31
    assert docs.source_file.str.match(r".+\.csv#1$").all()
    assert (docs.title_source == "table").all() and (docs.date_source == "table").all()
    assert (docs.province_source == "table").all()
    assert docs.year.eq(2026).all()
    for text in docs.text:
        for chrome in ("【字号", "下载\n打印", "分享到", "扫一扫", "打印本页", "您的位置", "当前位置"):
            assert chrome not in text
        assert not re.search(r"^(相关报道|相关文档|来源|时间)[:：]?$", text, re.M)
        assert text.rstrip()[-1] in "。！”）"
    assert report[report.rule == "footer_tail"].doc_id.nunique() >= 20
    sh = docs[docs.province == "陕西省"].iloc[0]
    assert sh.text.count("陕西省2026年政府工作报告") == 1  # repeated page header dropped


def test_xlsx_and_jsonl_tables(tmp_path, params):
    src = need_shared("provinces-2026", "2026_上海市_政府工作报告.csv")
    df = pd.read_csv(src, encoding="utf-8-sig", dtype=str)
    df2 = df.rename(columns={"full_text": "content"})
    raw = tmp_path / "c" / "raw"
    raw.mkdir(parents=True)
    df2.to_excel(raw / "sh.xlsx", index=False)
    with open(raw / "sh.jsonl", "w", encoding="utf-8") as f:
        for rec in df.to_dict("records"):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    shutil.copy(src, raw / "sh.csv")
    docs, _, log, _q = ingest_corpus(tmp_path / "c", params, use_manifest=False)
    # the same report three times: one kept, two flagged as duplicates
    assert len(docs) == 1 and (log.status == "duplicate").sum() == 2
    assert docs.iloc[0].province == "上海市" and docs.iloc[0].title == "2026年上海市政府工作报告"
    assert docs.iloc[0].url.startswith("https://") and pd.isna(docs.iloc[0].extra)  # every column mapped
    bad = tmp_path / "d" / "raw"
    bad.mkdir(parents=True)
    (bad / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (bad / "ok.txt").write_text(QINGDAO, encoding="utf-8")
    _, _, log, _q = ingest_corpus(tmp_path / "d", params, use_manifest=False)
    assert "no text column" in log.message.iloc[0]


def test_partial_manifest_wins_where_it_has_a_value(tmp_path, params):
    corpus = tmp_path / "c"
    shutil.copytree(CORPUS / "raw", corpus / "raw")
    (corpus / "manifest.csv").write_text(
        "doc_id,file,city,year\nqd,000_5fcd6df6dad751d5.txt,,1999\nhb,raw/002_64762f88fb4236a6.txt,齐齐哈尔市,\n",
        encoding="utf-8",
    )
    docs, _, _, _q = ingest_corpus(corpus, params)
    by = docs.set_index("doc_id")
    assert by.loc["qd", "year"] == 1999 and by.loc["qd", "year_source"] == "manifest"
    assert by.loc["qd", "city"] == "青岛市" and by.loc["qd", "city_source"] == "title"  # empty cell: inferred
    assert by.loc["hb", "city"] == "齐齐哈尔市" and by.loc["hb", "city_source"] == "manifest"
    assert by.loc["hb", "year"] == 2008
    assert "001_df366a2ac09a5700" in by.index  # not in the manifest: all inferred


def test_atomic_writes_keep_the_old_artifact(tmp_path, params, monkeypatch):
    out = tmp_path / "out"
    run(CORPUS, out, params)
    target = out / "data" / "documents.parquet"
    before = target.read_bytes()

    import pyarrow.parquet as pq

    written = pq.ParquetWriter.write_table

    def explode(self, table, *a, **k):  # the first row group reaches the file, then the run is interrupted
        written(self, table, *a, **k)
        raise KeyboardInterrupt("interrupted mid-write")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", explode)
    changed = {**params, "ingest": {**params["ingest"], "max_file_mb": 19}}  # so the stage really runs again
    with pytest.raises(KeyboardInterrupt):
        run(CORPUS, out, changed)
    assert target.read_bytes() == before
    assert not [p for p in (out / "data").iterdir() if p.name.startswith(".")]
    assert not [p for p in out.iterdir() if p.name.startswith(".ingest-")]  # nor the documents set aside


def test_same_inputs_give_byte_identical_tables(tmp_path, params):
    run(CORPUS, tmp_path / "a", params)
    run(CORPUS, tmp_path / "b", params)
    for name in ("documents.parquet", "cleaning_report.csv", "ingest_log.csv"):
        assert (tmp_path / "a" / "data" / name).read_bytes() == (tmp_path / "b" / "data" / name).read_bytes()
