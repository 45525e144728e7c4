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

    def render(src: Path, dest: Path) -> tuple[list[tuple[str, str]], list[str], list[str]]:
        """The complete notebooks of one run (not a temporary file a killed run left, not the part of one that
        failed) rendered into dest/notebooks, and its figures copied to dest/figures: the report folder holds
        everything it shows and can be sent on its own."""
        books = []
        complete = [
            p for p in (src / "notebooks").glob("*.ipynb") if not p.name.startswith(".") and ".failed." not in p.name
        ]
        depth = "../" * (len(dest.relative_to(report).parts) + 1)
        for nb_path in sorted(complete):
            body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
            body = re.sub(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", "", body)
            body = re.sub(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>", "", body)
            body = re.sub(r"<script type=\"text/x-mathjax-config\">.*?</script>", "", body, flags=re.S)
            body = body.replace("</head>", face.replace("../fonts/", f"{depth}fonts/") + "</head>", 1)
            catalog.write_text(dest / "notebooks" / f"{nb_path.stem}.html", body)
            books.append((nb_path.stem, (dest / "notebooks" / f"{nb_path.stem}.html").relative_to(report).as_posix()))
        stems = sorted(p.stem for p in (src / "figures").glob("*.png"))
        for f in sorted((src / "figures").glob("*")):
            if f.suffix in (".png", ".pdf", ".svg", ".csv"):
                catalog.write_bytes(dest / "figures" / f.name, f.read_bytes())
        base = "" if dest == report else dest.relative_to(report).as_posix() + "/"
        tables = []
        for f in sorted((src / "notebook_tables").glob("*.csv")):  # what the notebooks tabulated
            catalog.write_bytes(dest / "notebook_tables" / f.name, f.read_bytes())
            tables.append(f"{base}notebook_tables/{f.name}")
        return books, [f"{base}figures/{s}" for s in stems], tables

    books, figures, tables = render(out, report)
    run = {}
    if catalog.artifact_path(out, "run").exists():
        run = json.loads(catalog.artifact_path(out, "run").read_text(encoding="utf-8"))
    runs = []
    for folder in sorted(p for p in (out / "runs").glob("*") if p.is_dir() and not p.name.startswith(".")):
        own = catalog.artifact_path(folder, "run")
        record = json.loads(own.read_text(encoding="utf-8")) if own.exists() else {}
        if record.get("data_run_id") and record.get("data_run_id") != run.get("run_id"):
            continue  # made from tables an earlier run wrote: not part of this report
        run_books, run_figures, run_tables = render(folder, report / "runs" / folder.name)
        runs.append((folder.name, record.get("parameters", {}), run_books + [(t, t) for t in run_tables], run_figures))
    quality = None
    if catalog.artifact_path(out, "quality_report").exists():
        import pandas as pd

        quality = pd.read_csv(catalog.artifact_path(out, "quality_report"), encoding="utf-8-sig", dtype=str)
    index = build_report_index(books + [(t, t) for t in tables], figures, run, font_url, quality, runs)
    catalog.write_text(catalog.artifact_path(out, "report"), index)
    return {
        "notebooks": len(books),
        "figures": len(figures),
        "runs": len(runs),
        "index": str(catalog.artifact_path(out, "report")),
    }
