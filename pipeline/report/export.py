"""Exports for the tools researchers already use: Excel, LaTeX, REFI-QDA (.qdpx) and an HTML report.

Each ``build_*`` function takes tables and returns what to write (a workbook's
bytes, LaTeX text, an XML tree and source texts); :mod:`pipeline.stages`
writes them.  ``read_qdpx`` turns a project edited by hand in NVivo,
ATLAS.ti, MAXQDA or QualCoder back into a gold and a labels table.
"""

from __future__ import annotations

import io as _io
import re
import uuid
import zipfile
from typing import cast
from xml.etree import ElementTree as ET

import pandas as pd

NS = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.UUID("6f1c1f0e-8d5b-4b7a-9a55-3f0f2a0d1c2e")


def guid(*parts) -> str:
    """A stable GUID for an object: the same run gives the same project file."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


# --------------------------------------------------------------------------- Excel

# Chinese sheet names and column headers for results.xlsx when lang is zh (unknown columns keep their names)
SHEETS_ZH = {
    "documents": "文档",
    "theme_items": "主题条目",
    "city_theme_matrix": "城市×主题",
    "practice_matrix": "实践矩阵",
    "corpus_audit": "语料审查",
}
HEADERS_ZH = {
    "doc_id": "文档编号",
    "source_file": "源文件",
    "title": "标题",
    "date": "日期",
    "year": "年份",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "publisher": "发布者",
    "genre": "文体",
    "url": "网址",
    "n_chars": "字数",
    "sha256": "SHA-256",
    "encoding": "编码",
    "format": "格式",
    "script": "字形",
    "adcode": "行政区划代码",
    "place_evidence": "地名依据",
    "place_mentions": "正文提及的城市",
    "flags": "审查标记",
    "duplicate_of": "重复于",
    "counted": "计入比较",
    "theme": "主题",
    "theme_label": "主题名称",
    "item": "条目",
    "canonical": "规范名称",
    "method": "规则",
    "score": "得分",
    "action": "动作",
    "object": "对象",
    "target": "目标",
    "evidence": "证据",
    "start": "起",
    "end": "止",
    "section": "所在章节",
    "n_docs": "文档数",
    "check": "检查",
    "severity": "严重程度",
    "message": "说明",
    **{
        f"{f}_source": f"{zh}来源"
        for f, zh in (
            ("title", "标题"),
            ("date", "日期"),
            ("year", "年份"),
            ("province", "省份"),
            ("city", "城市"),
            ("district", "区县"),
            ("publisher", "发布者"),
            ("genre", "文体"),
            ("url", "网址"),
        )
    },
}


def build_workbook(
    documents: pd.DataFrame,
    table_items: pd.DataFrame,
    matrix: pd.DataFrame,
    practice: pd.DataFrame,
    quality: pd.DataFrame | None = None,
    lang: str = "en",
) -> bytes:
    """results.xlsx: documents (metadata, no full text), theme items, the city × theme matrix, the
    practice matrix and the corpus audit's findings; header rows frozen and filterable, column widths
    set to the content.  With ``lang="zh"`` sheet names and headers are Chinese (the values are not
    translated: codes such as ``place_conflict`` stay as they are in the CSV files)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    docs = documents.drop(columns=[c for c in ("text", "text_original", "extra") if c in documents.columns])
    sheets = {
        "documents": docs,
        "theme_items": table_items,
        "city_theme_matrix": matrix,
        "practice_matrix": practice.reset_index(),
    }
    if quality is not None:
        sheets["corpus_audit"] = quality
    if lang == "zh":

        def header(c: object) -> str:
            name = str(c)
            for t in ("problem", "mechanism", "carrier", "measure"):
                if name.startswith(t):  # matrix columns: problem, problem_per_10k …
                    return name.replace(
                        t, {"problem": "问题", "mechanism": "机制", "carrier": "载体", "measure": "对策"}[t]
                    ).replace("_per_10k", "（每万字）")
            return HEADERS_ZH.get(name, name)

        sheets = {SHEETS_ZH[k]: v.rename(columns=header) for k, v in sheets.items()}
    buf = _io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
            for row in ws.iter_rows(min_row=2):  # scraped text opening with = is a string here, never a formula
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for j, col in enumerate(df.columns, start=1):
                values = [str(col)] + [str(v) for v in df[col].head(500).tolist()]
                # a CJK character is about two Latin characters wide
                width = max(len(v) + sum(1 for ch in v if ord(ch) > 0x2E80) for v in values)
                ws.column_dimensions[get_column_letter(j)].width = min(max(8, width + 2), 60)
                if width > 60:
                    for cell in ws[get_column_letter(j)][1:]:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return buf.getvalue()


# --------------------------------------------------------------------------- LaTeX

LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text) -> str:
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def latex_table(df: pd.DataFrame, caption: str, label: str, align: str | None = None, floatfmt: str = "{:.2f}") -> str:
    """A booktabs table; every cell escaped.  Compile with xelatex and \\usepackage{booktabs,xeCJK}."""
    align = align or "l" + "r" * (len(df.columns) - 1)

    def cell(v):
        if isinstance(v, float):
            return floatfmt.format(v)
        return latex_escape(v)

    lines = [
        "\\begin{table}[htbp]",
        "\\centering",
        f"\\caption{{{latex_escape(caption)}}}",
        f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{align}}}",
        "\\toprule",
        " & ".join(latex_escape(c) for c in df.columns) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(cell(v) for v in row) + " \\\\" for row in df.itertuples(index=False)]
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(lines)


def build_latex(matrix: pd.DataFrame, items: pd.DataFrame, codebook, top_n: int = 10) -> dict[str, str]:
    """city_theme_matrix.tex and top_items.tex."""
    themes = list(codebook.themes)
    m = matrix[["city", "n_docs"] + themes + [f"{t}_per_10k" for t in themes]].copy()
    m.columns = (
        ["城市", "文档"]
        + [codebook.themes[t].label_zh for t in themes]
        + [f"{codebook.themes[t].label_zh}/万字" for t in themes]
    )
    out = {"city_theme_matrix.tex": latex_table(m, "各城市主题条目数与每万字条目数", "tab:city-theme")}
    rows = []
    for t in themes:
        counts = items[items.theme == t].groupby("canonical").doc_id.nunique().sort_values(ascending=False)
        counts = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]
        rows += [(codebook.themes[t].label_zh, name, n) for name, n in counts]
    top = pd.DataFrame(rows, columns=["主题", "条目", "文档数"])
    out["top_items.tex"] = latex_table(top, f"各主题最常见的条目（前{top_n}）", "tab:top-items", "llr")
    return out


# --------------------------------------------------------------------------- REFI-QDA


def _el(parent, tag, **attrs):
    e = ET.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    return e


def build_qdpx(
    documents: pd.DataFrame,
    items: pd.DataFrame,
    codebook,
    project_name: str = "policy-pipeline",
    created: str = "2000-01-01T00:00:00Z",
) -> tuple[bytes, dict[str, str]]:
    """project.qde (XML bytes) and the source texts {file name in sources/: text}.

    Documents become TextSources with their clean text; themes become parent Codes, the canonical
    practices that recur (in two documents or more) child Codes, and the practices named in one document
    only share one child Code per theme; every item becomes a PlainTextSelection (named by the item)
    over its evidence with a Coding; cities become Cases with province and year as variables.  Positions
    count Unicode code points of the clean text, as the standard does."""
    ET.register_namespace("", NS)
    user = guid("user", "pipeline")
    root = ET.Element(
        f"{{{NS}}}Project",
        {"name": project_name, "origin": "pipeline", "creatingUserGUID": user, "creationDateTime": created},
    )
    users = _el(root, "Users")
    _el(users, "User", guid=user, name="pipeline (machine coding)", id="pipeline")
    codes = _el(_el(root, "CodeBook"), "Codes")
    code_guid = {}
    for t, theme in codebook.themes.items():
        parent = _el(
            codes,
            "Code",
            guid=guid("code", t),
            name=f"{theme.label_zh} {theme.label_en}",
            isCodable="true",
            color=theme.colour,
        )
        ET.SubElement(parent, f"{{{NS}}}Description").text = f"theme:{t}"
        code_guid[t] = guid("code", t)
        # a code per practice that recurs (in at least two documents); the others share one code, so a QDA
        # user works with practices, not with one code per spelling (the item's own words name its selection)
        in_docs = items[items.theme == t].groupby("canonical").doc_id.nunique()
        for canon in sorted(in_docs[in_docs >= 2].index):
            g = guid("code", t, canon)
            child = _el(parent, "Code", guid=g, name=canon, isCodable="true", color=theme.colour)
            ET.SubElement(child, f"{{{NS}}}Description").text = f"theme:{t}"
            code_guid[(t, canon)] = g
        once = sorted(in_docs[in_docs < 2].index)
        if once:
            g = guid("code", t, "(in one document)")
            name = f"其他{theme.label_zh}（仅见于一份文档） Other {theme.label_en.lower()} (one document)"
            child = _el(parent, "Code", guid=g, name=name, isCodable="true", color=theme.colour)
            ET.SubElement(child, f"{{{NS}}}Description").text = f"theme:{t}; practices named in one document only"
            code_guid.update({(t, canon): g for canon in once})
    variables = _el(root, "Variables")
    var_guid = {name: guid("variable", name) for name in ("province", "year")}
    for name, kind in (("province", "Text"), ("year", "Integer")):
        _el(variables, "Variable", guid=var_guid[name], name=name, typeOfVariable=kind)
    cases = _el(root, "Cases")
    docs = documents.sort_values("doc_id")
    for city, grp in docs.assign(city=docs.city.fillna("(unknown)")).groupby("city"):
        case = _el(cases, "Case", guid=guid("case", city), name=city)
        prov = grp.province.dropna()
        if len(prov):
            vv = _el(case, "VariableValue")
            _el(vv, "VariableRef", targetGUID=var_guid["province"])
            ET.SubElement(vv, f"{{{NS}}}TextValue").text = str(prov.iloc[0])
        years = grp.year.dropna()
        if len(years):
            vv = _el(case, "VariableValue")
            _el(vv, "VariableRef", targetGUID=var_guid["year"])
            ET.SubElement(vv, f"{{{NS}}}IntegerValue").text = str(int(years.min()))
        for doc_id in grp.doc_id:
            _el(case, "SourceRef", targetGUID=guid("source", doc_id))
    sources = _el(root, "Sources")
    texts = {}
    by_doc = {d: g for d, g in items.groupby("doc_id")}
    for r in docs.itertuples():
        sg = guid("source", r.doc_id)
        fname = f"{sg}.txt"
        texts[fname] = r.text
        src = _el(
            sources,
            "TextSource",
            guid=sg,
            name=r.doc_id,
            plainTextPath=f"internal://{fname}",
            creatingUser=user,
            creationDateTime=created,
        )
        for it in (
            by_doc.get(r.doc_id, pd.DataFrame()).sort_values(["start", "theme", "canonical"]).itertuples()
            if r.doc_id in by_doc
            else []
        ):
            sel = _el(
                src,
                "PlainTextSelection",
                guid=guid("selection", r.doc_id, it.theme, it.canonical, it.start),
                name=it.item,
                startPosition=int(it.start),
                endPosition=int(it.end),
                creatingUser=user,
                creationDateTime=created,
            )
            ET.SubElement(sel, f"{{{NS}}}Description").text = f"{it.method}; score={it.score}"
            coding = _el(
                sel,
                "Coding",
                guid=guid("coding", r.doc_id, it.theme, it.canonical, it.start),
                creatingUser=user,
                creationDateTime=created,
            )
            _el(coding, "CodeRef", targetGUID=code_guid[(it.theme, it.canonical)])
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml, texts


def pack_qdpx(xml: bytes, texts: dict[str, str]) -> bytes:
    """The .qdpx zip: project.qde and sources/<guid>.txt (UTF-8)."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("project.qde", date_time=(2000, 1, 1, 0, 0, 0))
        z.writestr(info, xml, zipfile.ZIP_DEFLATED)
        for name in sorted(texts):
            z.writestr(
                zipfile.ZipInfo(f"sources/{name}", date_time=(2000, 1, 1, 0, 0, 0)),
                texts[name].encode("utf-8"),
                zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()


def read_qdpx(data: bytes, codebook) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A (hand-edited) .qdpx → (codings, gold, labels).

    ``codings``: one row per coded selection (source, theme, code, start, end, text);
    ``gold``: source_file, theme, key_phrase — for ``evaluate``;
    ``labels``: text, label — the sentences around each coding, for the classifier."""
    try:
        z = zipfile.ZipFile(_io.BytesIO(data))
        root = ET.fromstring(z.read("project.qde"))
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as e:
        raise ValueError(f"not a readable .qdpx project ({type(e).__name__}: {e})") from e
    q = f"{{{NS}}}"
    theme_of_code = {}
    label_to_theme = {f"{t.label_zh} {t.label_en}": k for k, t in codebook.themes.items()}
    label_to_theme.update({k: k for k in codebook.themes})

    def walk(code, theme=None):
        desc = code.findtext(f"{q}Description") or ""
        m = re.search(r"theme:(\w+)", desc)
        here = m.group(1) if m else label_to_theme.get(code.get("name"), theme)
        theme_of_code[code.get("guid")] = (here, code.get("name"))
        for child in code.findall(f"{q}Code"):
            walk(child, here)

    for code in root.iter(f"{q}Code"):
        if code.get("guid") not in theme_of_code:
            walk(code)
    rows = []
    for src in root.iter(f"{q}TextSource"):
        path = src.get("plainTextPath", "")
        name = path.split("internal://", 1)[-1]
        try:
            text = z.read(f"sources/{name}").decode("utf-8")
        except KeyError:
            text = src.findtext(f"{q}PlainTextContent") or ""
        for sel in src.findall(f"{q}PlainTextSelection"):
            # a selection without its positions or a coding without its CodeRef fails here, as it always did
            a, b = int(cast(str, sel.get("startPosition"))), int(cast(str, sel.get("endPosition")))
            for coding in sel.findall(f"{q}Coding"):
                ref = cast(ET.Element, coding.find(f"{q}CodeRef")).get("targetGUID")
                theme, code_name = theme_of_code.get(ref, (None, None))
                if theme not in codebook.themes:
                    continue
                rows.append(
                    {
                        "source": src.get("name"),
                        "theme": theme,
                        "code": code_name,
                        "start": a,
                        "end": b,
                        "text": text[a:b],
                        "selection": sel.get("name") or "",
                    }
                )
    codings = pd.DataFrame(rows, columns=["source", "theme", "code", "start", "end", "text", "selection"])
    codings = codings.sort_values(["source", "start", "theme", "code"]).reset_index(drop=True)
    gold = pd.DataFrame(
        {
            "source_file": codings.source,
            "theme": codings.theme,
            # the practice's name when the passage holds it; else the selection's own name (the item, for
            # a practice filed under its theme's one-document code); else the whole passage
            "key_phrase": [
                c if c in t else (s if s and s in t else t)
                for c, s, t in zip(codings.code, codings.selection, codings.text, strict=False)
            ],
        }
    )
    labels = pd.DataFrame({"text": codings.text, "label": codings.theme}).drop_duplicates("text")
    return codings, gold.drop_duplicates(), labels.reset_index(drop=True)


# --------------------------------------------------------------------------- HTML report

REPORT_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.5;color:#222}
h1,h2{font-weight:600} table{border-collapse:collapse}
td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
figure{display:inline-block;margin:1em;max-width:480px;vertical-align:top}
figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em}
"""


def build_report_index(
    notebooks: list[tuple[str, str]],
    figures: list[str],
    run: dict,
    font_url: str | None,
    quality: pd.DataFrame | None = None,
    runs: list | None = None,
) -> str:
    """index.html: every rendered notebook and figure of the default run and of each parameterised run (with
    its parameters), all inside the report folder (relative links, offline), and the corpus audit's errors
    and warnings.  ``figures`` are paths relative to the report folder, without the extension."""
    import html

    face = (
        f"@font-face{{font-family:'WenQuanYi Micro Hei';src:url('{font_url}') format('truetype')}}" if font_url else ""
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>政策报告分析 · Policy reports: results</title>",
        f"<style>{face}{REPORT_CSS}</style></head><body>",
        '<h1 id="title">政策报告分析结果 · Results</h1>',
        f"<p>Run of {html.escape(str(run.get('created', '')))}, "
        f"corpus <code>{html.escape(str(run.get('corpus', '')))}</code>, "
        f"commit <code>{html.escape(str(run.get('git_commit', '')))}</code>.</p>",
        "<h2>笔记本与表 · Notebooks and their tables</h2><ul>",
    ]
    for title, href in notebooks:
        parts.append(f'<li><a href="{html.escape(href)}">{html.escape(title)}</a></li>')
    parts.append("</ul>")
    if quality is not None:
        shown = quality[quality.severity.isin(["error", "warning"])]
        parts.append(
            "<h2>语料审查 · Corpus audit</h2>"
            f"<p>{(quality.severity == 'error').sum()} errors, {(quality.severity == 'warning').sum()} warnings, "
            f"{(quality.severity == 'info').sum()} notes; all findings in "
            '<a href="../data/quality_report.csv"><code>data/quality_report.csv</code></a>.</p>'
        )
        if len(shown):
            parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in shown.columns) + "</tr>")
            for row in shown.itertuples(index=False):
                parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
            parts.append("</table>")

    def gallery(paths: list[str]) -> None:
        for path in paths:
            stem = path.rsplit("/", 1)[-1]
            links = " · ".join(f'<a href="{html.escape(path)}.{ext}">{ext}</a>' for ext in ("pdf", "svg", "png", "csv"))
            parts.append(
                f'<figure><img src="{html.escape(path)}.png" alt="{html.escape(stem)}">'
                f"<figcaption>{html.escape(stem)} — {links}</figcaption></figure>"
            )

    parts.append("<h2>图 · Figures</h2>")
    gallery(figures)
    if runs:
        parts.append("<h2>参数化运行 · Parameterised runs</h2>")
        for name, parameters, books, run_figures in runs:
            shown = ", ".join(f"{k} = {v}" for k, v in sorted(parameters.items())) or "(named run)"
            parts.append(f'<h3 id="run-{html.escape(name)}">{html.escape(name)}</h3><p>{html.escape(shown)}</p><ul>')
            for title, href in books:
                parts.append(f'<li><a href="{html.escape(href)}">{html.escape(title)}</a></li>')
            parts.append("</ul>")
            gallery(run_figures)
    parts.append("</body></html>")
    return "\n".join(parts)
