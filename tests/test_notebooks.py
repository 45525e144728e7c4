"""The notebook suite runs with papermill; figures embed the CJK font, speak English when asked,
and come with the CSV of what they plot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import CORPUS

from pipeline.config import ROOT
from pipeline.report.execute import run_notebooks
from pipeline.stages import run

pytestmark = pytest.mark.slow  # runs the pipeline, the notebooks or reads the shared corpora

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def suite(tmp_path_factory, params):
    out = tmp_path_factory.mktemp("suite")
    run(CORPUS, out, params)
    res = run_notebooks(out)
    return out, res


def test_notebooks_are_committed_clean_with_one_parameters_cell():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in code), path.name
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        names = re.findall(r"^(\w+): \w+ = ", tagged[0].source, re.M)
        for required in (
            "data_dir",
            "out_dir",
            "cities",
            "themes",
            "min_count",
            "top_n",
            "query",
            "lang",
            "formats",
            "dpi",
            "seed",
        ):
            assert required in names, (path.name, required)
        assert all("#" in line for line in tagged[0].source.splitlines() if line.strip())  # every default commented
        paired = path.with_suffix(".py")
        assert paired.exists() and "format_name: percent" in paired.read_text(encoding="utf-8")
        # logic lives in the package: no function or class is defined in a notebook
        assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in code), path.name


def test_every_notebook_runs_on_the_seeds(suite):
    out, res = suite
    assert res["executed"] == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        nb = nbformat.read(out / "notebooks" / path.name, as_version=4)
        assert nb.metadata.papermill["parameters"]["data_dir"] == str(out)  # the run keeps its parameters
        errors = [
            o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
        ]
        assert not errors, path.name
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["notebooks"]["executed"] == res["executed"]
    # every resource a stage read, with the hash of its file(s), and each stage's version parts
    assert set(record["resources"]) >= {"cleaning_rules", "gazetteer", "userdict", "codebook", "labels"}
    assert all(len(h) == 64 for files in record["resources"].values() for h in files.values())
    assert record["stages"]["themes"]["version"]["resource:codebook"]
    assert record["stages"]["segment"]["result"]["lexicon_version"]


def test_every_figure_in_three_formats_with_its_data(suite):
    out, _ = suite
    figs = sorted({p.stem for p in (out / "figures").glob("*.pdf")})
    assert len(figs) >= 14
    for stem in figs:
        for ext in ("svg", "png", "csv"):
            assert (out / "figures" / f"{stem}.{ext}").exists(), (stem, ext)
        data = pd.read_csv(out / "figures" / f"{stem}.csv", encoding="utf-8-sig")
        assert len(data) > 0, stem
    heat = pd.read_csv(out / "figures" / "paper_fig1_city_theme.csv", encoding="utf-8-sig").set_index("city")
    matrix = pd.read_csv(out / "tables" / "theme_matrix.csv", encoding="utf-8-sig").set_index("city")
    assert heat.loc["青岛市", "carrier"] == pytest.approx(matrix.loc["青岛市", "carrier_per_10k"])


def test_pdf_embeds_the_cjk_font_as_truetype(suite):
    out, _ = suite
    pdf = (out / "figures" / "paper_fig1_city_theme.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"/CIDFontType2" in pdf  # TrueType (Type 42), embedded
    assert b"/FontFile3" not in pdf  # no CFF
    assert b"WenQuanYi" in pdf
    if shutil.which("pdffonts"):
        listing = subprocess.run(
            ["pdffonts", str(out / "figures" / "paper_fig1_city_theme.pdf")], capture_output=True, text=True
        ).stdout
        assert re.search(r"WenQuanYi\S*\s+CID TrueType.*yes\s+yes", listing)
    import pdfplumber

    with pdfplumber.open(out / "figures" / "paper_fig1_city_theme.pdf") as doc:
        words = doc.pages[0].extract_text()
    assert "青岛市" in words and "问题" in words  # real text, not boxes


def test_missing_glyph_fails_the_figure(tmp_path):
    import matplotlib.pyplot as plt

    from pipeline.report.figures import GlyphMissing, save_figure, setup_style

    setup_style()
    fig, ax = plt.subplots()
    ax.set_title("社区 \U00013000")  # an Egyptian hieroglyph: no CJK font has it
    with pytest.raises(GlyphMissing, match="missing"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        save_figure(fig, pd.DataFrame({"x": [1]}), "tofu", tmp_path, ["png"])


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_english_labels_in_a_parameterised_run_of_its_own(suite):
    """A run with parameters writes into runs/<name>/ with its own run.json, and the default run's
    notebooks and figures are not touched."""
    out, _ = suite
    before = {k: _tree(out / k) for k in ("figures", "notebooks")}
    res = run_notebooks(out, {"lang": "en", "cities": ["青岛市", "哈尔滨"]}, only=["05"])
    assert res["executed"] == ["05_figures_for_paper.ipynb"]
    folder = out / "runs" / "cities-青岛市+哈尔滨_lang-en"
    assert res["folder"] == str(folder)
    assert {k: _tree(out / k) for k in ("figures", "notebooks")} == before
    own = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert own["parameters"] == {"lang": "en", "cities": ["青岛市", "哈尔滨"]} and own["executed"] == res["executed"]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["notebook_runs"]["cities-青岛市+哈尔滨_lang-en"]["parameters"]["lang"] == "en"
    assert "notebooks" in record  # the default run's entry is still there
    import pdfplumber

    with pdfplumber.open(folder / "figures" / "paper_fig1_city_theme_en.pdf") as doc:
        text = doc.pages[0].extract_text()
    assert "Qingdao" in text and "Harbin" in text and "Problems" in text and "Mechanisms" in text
    assert not re.search(r"[\u4e00-\u9fff]", text), text  # no Chinese left in the labels
    data = pd.read_csv(folder / "figures" / "paper_fig1_city_theme_en.csv", encoding="utf-8-sig")
    assert set(data.city) == {"青岛市", "哈尔滨市"} and set(data.label) == {"Qingdao", "Harbin"}


def test_unknown_city_stops_at_the_first_cell(suite):
    from pipeline.errors import PipelineError

    out, _ = suite
    complete = (out / "notebooks" / "01_corpus_overview.ipynb").read_bytes()
    figures = _tree(out / "figures")
    with pytest.raises(PipelineError) as err:
        run_notebooks(out, {"cities": ["成都市"]}, only=["01"], name=".")
    assert "cannot be a folder name" in str(err.value)
    with pytest.raises(PipelineError) as err:
        run_notebooks(out, {"cities": ["成都市"]}, only=["01"])
    assert "unknown city '成都市'; valid values: 哈尔滨市, 大连市, 牡丹江市, 青岛市" in str(err.value)
    # the first cell after the parameters (and papermill's injected copy of them) stopped the run: the error
    # names the notebook and the cell, the part that ran is kept, the complete notebook is not replaced
    assert "notebook 01_corpus_overview.ipynb stopped in cell 3" in str(err.value)
    failed = out / "runs" / "cities-成都市" / "notebooks" / "01_corpus_overview.failed.ipynb"
    assert failed.exists() and str(failed) in str(err.value)
    assert not (out / "runs" / "cities-成都市" / "figures").exists()  # a failed run moves nothing into place
    assert (out / "notebooks" / "01_corpus_overview.ipynb").read_bytes() == complete
    assert _tree(out / "figures") == figures
    with pytest.raises(PipelineError, match="unknown format 'tiff'"):
        run_notebooks(out, {"formats": ["pdf", "tiff"]}, only=["01"])
    from pipeline.config import ParamError

    with pytest.raises(ParamError, match=r"unknown notebook parameter\(s\) \['colour'\]"):
        run_notebooks(out, {"colour": "red"})


def test_notebooks_on_a_corpus_the_cleaner_did_not_touch(tmp_path, params, monkeypatch):
    """Two plain .txt city reports, a relative --out: the first notebook runs (the cleaning figure says there is
    nothing to show instead of failing) and reads the tables from the caller's folder."""
    import shutil

    from conftest import need_shared

    cities = need_shared("cities-2024", "txt")
    corpus = tmp_path / "mine"
    corpus.mkdir()
    for name in ("三亚.txt", "东营.txt"):
        shutil.copy(cities / name, corpus / name)
    monkeypatch.chdir(tmp_path)
    run(Path("mine"), Path("out"), params, use_manifest=False)
    report = pd.read_csv(tmp_path / "out" / "data" / "cleaning_report.csv", encoding="utf-8-sig")
    assert report.raw_start.isna().all()  # nothing was removed
    res = run_notebooks(Path("out"), {}, only=["01"])
    assert res["executed"] == ["01_corpus_overview.ipynb"]
    data = pd.read_csv(tmp_path / "out" / "figures" / "fig01_cleaning_by_rule.csv", encoding="utf-8-sig")
    assert data.empty


# --------------------------------------------------------------------------- the suite on ordinary inputs

FAST = {"formats": ["png"], "dpi": 60}  # small pictures: the layout (and so any overlap) is the same at any dpi
PLAIN = ["三亚.txt", "东营.txt", "乌鲁木齐.txt", "凉山.txt"]


def _audited_run(
    out: Path, parameters: dict, audit: Path, monkeypatch, only: list[str] | None = None
) -> tuple[list[dict], Path]:
    """Run the suite (or the ``only`` notebooks) with every saved figure's texts recorded (save_figure writes
    <name>.json to the folder named by PIPELINE_FIGURE_AUDIT); no notebook may fail.  Returns the records and
    the run's folder (runs/<name>/: these runs have parameters)."""
    from pipeline.report.figures import AUDIT_ENV

    monkeypatch.setenv(AUDIT_ENV, str(audit))
    res = run_notebooks(out, {**FAST, **parameters}, only=only)
    assert res["executed"] == [p.name for p in NOTEBOOKS if not only or p.name[:2] in only]
    folder = Path(res["folder"])
    assert not list((folder / "notebooks").glob("*.failed.ipynb"))
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(audit.glob("*.json"))]
    assert len(records) >= (14 if not only else 1)
    return records, folder


def assert_legible(records: list[dict], english: bool = False) -> None:
    """No two texts of a figure overlap (beyond a pixel); in an English figure every text is English, or Chinese
    followed by its pinyin (and gloss)."""
    from pipeline.report.figures import is_english, overlapping

    problems = []
    for r in records:
        for a, b in overlapping(r["texts"], tolerance=1.0):
            problems.append(f"{r['name']}: {a['text'][:40]!r} overlaps {b['text'][:40]!r}")
        if english:
            problems += [
                f"{r['name']}: not English: {t['text'][:60]!r}" for t in r["texts"] if not is_english(t["text"])
            ]
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory, params):
    """Four plain .txt city reports the cleaner leaves untouched, without a manifest."""
    from conftest import need_shared

    cities = need_shared("cities-2024", "txt")
    root = tmp_path_factory.mktemp("plain")
    (root / "corpus").mkdir()
    for name in PLAIN:
        shutil.copy(cities / name, root / "corpus" / name)
    run(root / "corpus", root / "out", params, use_manifest=False)
    return root / "out"


@pytest.mark.parametrize(
    "case, parameters, only",
    [
        ("plain", {}, None),
        ("two_cities", {"cities": ["三亚市", "东营市"]}, None),
        ("english", {"lang": "en"}, None),
        ("by_province", {"group_by": "province", "place_stopwords": True}, ["02", "04"]),
    ],
)
def test_suite_on_a_plain_corpus_is_legible(plain_run, case, parameters, only, tmp_path, monkeypatch):
    records, folder = _audited_run(plain_run, parameters, tmp_path / "audit", monkeypatch, only)
    assert_legible(records, english=parameters.get("lang") == "en")
    texts = {r["name"]: " ".join(t["text"] for t in r["texts"]).replace("\n", " ") for r in records}
    if case == "two_cities":  # too little for a tree or a network: the figures say so
        assert "至少需要三个" in texts["fig04_similarity_terms"]
        assert "至少需要三个" in texts["paper_fig4_similarity"]
        assert "不足以画出网络" in texts["fig04_cooccurrence_network"] or "社群" in texts["fig04_cooccurrence_network"]
    if case == "plain":  # every city drawn, and the network has communities in its legend
        assert "没有任何规则删除文字" in texts["fig01_cleaning_by_rule"]
        assert "社群" in texts["fig04_cooccurrence_network"]
        heat = pd.read_csv(folder / "figures" / "fig04_city_theme_rates.csv", encoding="utf-8-sig")
        assert len(heat) == len(PLAIN)
        assert "各主题按自身尺度" in texts["fig04_city_theme_rates"]
    if case == "english":
        assert "Sanya" in texts["fig04_city_theme_rates_en"] and "Liangshan" in texts["fig04_city_theme_rates_en"]
        assert "against the other 3 cities" in texts["fig02_keyness_log_odds_en"]
    if case == "by_province":
        data = pd.read_csv(folder / "figures" / "fig04_city_theme_rates.csv", encoding="utf-8-sig")
        assert "province" in data.columns and "山东省" in set(data.province)
        kwic = pd.read_csv(folder / "notebook_tables" / "kwic.csv", encoding="utf-8-sig")
        assert len(kwic) and "province" in kwic.columns
        from pipeline.compare import place_terms

        key = pd.read_csv(folder / "figures" / "fig02_keyness_log_odds.csv", encoding="utf-8-sig")
        assert len(key) and not set(key.term) & place_terms()  # place_stopwords: no place name ranked


def test_suite_with_a_custom_codebook(tmp_path, params, monkeypatch):
    """A copy of the shipped codebook with other labels, named by the run's themes.codebook: the notebooks read
    it from run.json and the figures show its labels."""
    import copy

    from pipeline.config import RESOURCES

    book = (RESOURCES / "codebook.yaml").read_text(encoding="utf-8")
    book = book.replace("label_zh: 问题", "label_zh: 难题").replace("label_en: Problems", "label_en: Difficulties")
    (tmp_path / "mine.yaml").write_text(book, encoding="utf-8")
    mine = copy.deepcopy(params)
    mine["themes"]["codebook"] = str(tmp_path / "mine.yaml")
    run(CORPUS, tmp_path / "out", mine)
    records, _ = _audited_run(tmp_path / "out", {}, tmp_path / "audit", monkeypatch)
    assert_legible(records)
    texts = {r["name"]: " ".join(t["text"] for t in r["texts"]) for r in records}
    assert "难题" in texts["paper_fig1_city_theme"] and "问题" not in texts["paper_fig1_city_theme"].replace("难题", "")
