"""The offline HTML report: every executed notebook and figure, readable without a network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .. import catalog


def build_report(out: Path) -> dict:
    """report/index.html with every executed notebook rendered to HTML and every figure, readable offline:
    no script or style is fetched from the network, and the CJK font travels with the report."""
    import nbformat
    from nbconvert import HTMLExporter

    from .export import build_report_index
    from .figures import cjk_font_path

    report = out / "report"
    font_url = None
    try:  # a plain TrueType file: browsers do not load font collections (.ttc)
        from fontTools.ttLib import TTCollection, TTFont

        src = cjk_font_path()
        target = report / "fonts" / "cjk.ttf"
        if not target.exists():
            font = TTCollection(str(src)).fonts[0] if src.suffix.lower() == ".ttc" else TTFont(str(src))
            with catalog.atomic_path(target) as tmp:
                font.save(str(tmp))
        font_url = "fonts/cjk.ttf"
    except (FileNotFoundError, ImportError, OSError):
        pass
    face = (
        f"<style>@font-face{{font-family:'WenQuanYi Micro Hei';src:url('../{font_url}') format('truetype')}}"
        "body,td,th,pre,code,.jp-RenderedHTMLCommon{font-family:'WenQuanYi Micro Hei',sans-serif !important}</style>"
        if font_url
        else ""
    )
    exporter = HTMLExporter(template_name="lab")
    books = []
    # only complete notebooks: not a temporary file a killed run left, not the part of one that failed
    complete = [
        p for p in (out / "notebooks").glob("*.ipynb") if not p.name.startswith(".") and ".failed." not in p.name
    ]
    for nb_path in sorted(complete):
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
        body = re.sub(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", "", body)
        body = re.sub(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>", "", body)
        body = re.sub(r"<script type=\"text/x-mathjax-config\">.*?</script>", "", body, flags=re.S)
        body = body.replace("</head>", face + "</head>", 1)
        catalog.write_text(report / "notebooks" / f"{nb_path.stem}.html", body)
        books.append((nb_path.stem, f"notebooks/{nb_path.stem}.html"))
    figures = sorted(p.stem for p in (out / "figures").glob("*.png"))
    run = {}
    if catalog.artifact_path(out, "run").exists():
        run = json.loads(catalog.artifact_path(out, "run").read_text(encoding="utf-8"))
    quality = None
    if catalog.artifact_path(out, "quality_report").exists():
        import pandas as pd

        quality = pd.read_csv(catalog.artifact_path(out, "quality_report"), encoding="utf-8-sig", dtype=str)
    index = build_report_index(books, figures, run, font_url, quality)
    catalog.write_text(catalog.artifact_path(out, "report"), index)
    return {"notebooks": len(books), "figures": len(figures), "index": str(catalog.artifact_path(out, "report"))}
