"""Speed and memory of the data pipeline against the script a researcher writes by hand.

    python benchmarks/run.py [--shared ../shared/corpora] [--scale 4] [--keep]

On the 72 city reports (cities-2024/txt) plus the 31 provincial reports
(provinces-2026/*.csv), in one run, it times:

  (a) baseline   read every file and jieba.lcut its text, in one process
  (b) cold       python -m pipeline run --until segment on an empty output folder: reading,
                 cleaning, metadata, places, sentences, structure and tokens — the work the
                 baseline stands for, and much more
  (c) warm       the same command again, nothing changed
  (d) one edit   one document changed: only it is cleaned and segmented again
  (e) full       python -m pipeline run (adds theme extraction and the classifier), cold, warm
                 and with one document edited; and the corpus audit's share of the cold run

and the same (a)/(b) on the corpus repeated ``--scale`` times under new names.
Each copy gets one extra line ("副本 N") so that the copies are not the same
text: identical texts are dropped as duplicates at ingest, which would make
the larger corpus cheaper, not dearer.  Every command runs in its own process
(start-up and imports count, as they do for a researcher), and peak memory
is the largest resident set of the process tree.  It also measures how often
the fast engine's tokens equal jieba's.  Figures go to stdout and to
outputs/benchmarks.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable

BASELINE = r"""
import csv, sys, logging, jieba
from pathlib import Path
jieba.setLogLevel(logging.WARNING)
csv.field_size_limit(1 << 30)
n = 0
for p in sorted(Path(sys.argv[1]).iterdir()):
    if p.suffix == ".txt":
        n += len(jieba.lcut(p.read_text(encoding="utf-8")))
    elif p.suffix == ".csv":
        with open(p, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                n += len(jieba.lcut(row["full_text"]))
print(n)
"""


# the corpus audit alone, on the documents of a finished run (imports done before the clock starts)
AUDIT = r"""
import sys, time
from pipeline import catalog
from pipeline.config import load_params, resource_files
from pipeline.ingest.audit import AuditRules, audit_corpus, check_document, signature
from pipeline.ingest.places import load_gazetteer
import datasketch, networkx
params = load_params()
rules = AuditRules.load(resource_files("audit_rules", params)[0])
gaz = load_gazetteer(None, str(resource_files("block_phrases", params)[0]))
docs = catalog.read_artifact(sys.argv[1], "documents")
t = time.perf_counter()
found = [f for rec in docs.to_dict("records") for f in check_document(rec, {}, rules, gaz)]
sigs = {r.doc_id: signature(r.text, params) for r in docs.itertuples()}
audit_corpus(docs, found, params, rules, sigs)
print(time.perf_counter() - t)
"""


def measure(cmd: list[str], env=None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the process tree, stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [ps] + ps.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out = proc.stdout.read()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, peak / 1e6, out


def build_corpus(shared: Path, dest: Path, scale: int) -> float:
    """Copy the benchmark files into dest/raw (scale copies); returns MB of input."""
    raw = dest / "raw"
    raw.mkdir(parents=True)
    files = sorted((shared / "cities-2024" / "txt").glob("*.txt")) + sorted((shared / "provinces-2026").glob("*.csv"))
    csv.field_size_limit(1 << 30)
    for k in range(scale):
        for f in files:
            name = f.name if k == 0 else f"copy{k}_{f.name}"
            if k == 0:
                shutil.copyfile(f, raw / name)
            elif f.suffix == ".txt":
                (raw / name).write_text(f.read_text(encoding="utf-8") + f"\n副本 {k}\n", encoding="utf-8")
            else:
                with open(f, encoding="utf-8-sig", newline="") as src:
                    rows = list(csv.DictReader(src))
                for r in rows:
                    r["full_text"] += f"\n副本 {k}"
                with open(raw / name, "w", encoding="utf-8", newline="") as out:
                    w = csv.DictWriter(out, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(rows)
    return sum(p.stat().st_size for p in raw.iterdir()) / 1e6


def engine_agreement(out: Path) -> dict:
    """Tokens of the fast engine vs jieba's own, on every clean text of a run."""
    import pandas as pd

    from pipeline.config import RESOURCES
    from pipeline.segment.tokens import cut

    docs = pd.read_parquet(out / "data" / "documents.parquet")
    lex = RESOURCES / "userdict.txt"
    same = tokens = differ = 0
    t_fast = t_jieba = 0.0
    for text in docs.text:
        t0 = time.perf_counter()
        a = cut(text, lex, "fast")
        t1 = time.perf_counter()
        b = cut(text, lex, "jieba")
        t2 = time.perf_counter()
        t_fast, t_jieba = t_fast + t1 - t0, t_jieba + t2 - t1
        tokens += len(b)
        if a == b:
            same += 1
        else:
            differ += sum(1 for x, y in zip(a, b, strict=False) if x != y) + abs(len(a) - len(b))
    return {
        "documents": len(docs),
        "identical_documents": same,
        "tokens": tokens,
        "differing_tokens": differ,
        "fast_seconds": round(t_fast, 2),
        "jieba_seconds": round(t_jieba, 2),
        "speedup": round(t_jieba / t_fast, 1) if t_fast else None,
    }


def dask_run(corpus: Path, tmp: Path, local_out: Path, env) -> dict:
    """The full run on a Dask cluster of two worker processes (scheduler and workers started as separate
    processes, as on a real cluster), timed, and whether its tables equal the local run's byte for byte."""
    bin_dir = Path(PY).parent
    sched = tmp / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--scheduler-file",
                str(sched),
                "--port",
                "0",
                "--dashboard-address",
                ":0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        while not sched.exists():
            time.sleep(0.1)
        procs += [
            subprocess.Popen(
                [str(bin_dir / "dask"), "worker", "--scheduler-file", str(sched), "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=ROOT,
            )
            for _ in range(2)
        ]
        time.sleep(5)  # the workers register
        out = tmp / "dask"
        cmd = [
            PY,
            "-m",
            "pipeline",
            "run",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--executor",
            "dask",
            "--scheduler",
            str(sched),
        ]
        seconds, peak, _ = measure(cmd, env)
        same = all(
            (out / rel).read_bytes() == (local_out / rel).read_bytes()
            for rel in (
                "data/documents.parquet",
                "data/sentences.parquet",
                "data/tokens.parquet",
                "data/themes.parquet",
                "tables/theme_matrix.csv",
            )
        )
        return {"seconds": round(seconds, 2), "peak_mb": round(peak), "identical_to_local": same}
    finally:
        for p in procs:
            p.terminate()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    if not (args.shared / "cities-2024" / "txt").exists():
        raise SystemExit(f"benchmark corpora not found in {args.shared} (pass --shared)")
    tmp = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    res: dict = {"cores": os.cpu_count()}
    try:
        for scale in (1, args.scale):
            corpus, out = tmp / f"corpus{scale}", tmp / f"out{scale}"
            mb = build_corpus(args.shared, corpus, scale)
            a, a_mem, _ = measure([PY, "-c", BASELINE, str(corpus / "raw")], env)
            run = [PY, "-m", "pipeline", "run", "--corpus", str(corpus), "--out", str(out), "--until", "segment"]
            b, b_mem, _ = measure(run, env)
            r = {
                "input_mb": round(mb, 2),
                "files": len(list((corpus / "raw").iterdir())),
                "baseline_s": round(a, 2),
                "baseline_mb_per_s": round(mb / a, 2),
                "baseline_peak_mb": round(a_mem),
                "cold_s": round(b, 2),
                "cold_mb_per_s": round(mb / b, 2),
                "cold_peak_mb": round(b_mem),
            }
            if scale == 1:
                c, c_mem, _ = measure(run, env)
                victim = sorted((corpus / "raw").glob("*.txt"))[0]
                victim.write_text(victim.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
                d, _, log = measure(run, env)
                r.update(
                    {
                        "warm_s": round(c, 3),
                        "warm_peak_mb": round(c_mem),
                        "one_edit_s": round(d, 2),
                        "one_edit_log": log.strip()[-200:],
                    }
                )
                full = [PY, "-m", "pipeline", "run", "--corpus", str(corpus), "--out", str(tmp / "full")]
                e1, e_mem, _ = measure(full, env)
                e2, _, _ = measure(full, env)
                victim.write_text(victim.read_text(encoding="utf-8") + "\n再补充一句。\n", encoding="utf-8")
                e3, _, _ = measure(full, env)
                audit = subprocess.run(
                    [PY, "-c", AUDIT, str(tmp / "full")], env=env, capture_output=True, text=True, check=True
                )
                r.update(
                    {
                        "audit_s": round(float(audit.stdout.strip()), 2),
                        "full_cold_s": round(e1, 2),
                        "full_cold_peak_mb": round(e_mem),
                        "full_warm_s": round(e2, 3),
                        "full_one_edit_s": round(e3, 2),
                    }
                )
                res["engine_agreement"] = engine_agreement(out)
                res["dask"] = dask_run(corpus, tmp, tmp / "full", env)
            res[f"x{scale}"] = r
        x1, xs = res["x1"], res[f"x{args.scale}"]
        res["ratios"] = {
            "cold_vs_baseline": round(x1["cold_s"] / x1["baseline_s"], 2),
            "warm_vs_cold": round(x1["warm_s"] / x1["cold_s"], 3),
            f"cold_x{args.scale}_vs_cold_x1": round(xs["cold_s"] / x1["cold_s"], 2),
            f"baseline_x{args.scale}_vs_baseline_x1": round(xs["baseline_s"] / x1["baseline_s"], 2),
        }
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    x1, xs = res["x1"], res[f"x{args.scale}"]
    print(f"corpus: {x1['files']} files, {x1['input_mb']} MB; {res['cores']} cores")
    print(
        f"(a) baseline  read + jieba.lcut, one process : {x1['baseline_s']:7.2f} s  "
        f"{x1['baseline_mb_per_s']:5.2f} MB/s  peak {x1['baseline_peak_mb']} MB"
    )
    print(
        f"(b) pipeline run --until segment, cold       : {x1['cold_s']:7.2f} s  "
        f"{x1['cold_mb_per_s']:5.2f} MB/s  peak {x1['cold_peak_mb']} MB"
    )
    print(f"(c) pipeline run --until segment, warm       : {x1['warm_s']:7.3f} s")
    print(f"(d) --until segment, one document edited     : {x1['one_edit_s']:7.2f} s")
    print(
        f"(e) full run with themes: cold {x1['full_cold_s']:.2f} s (peak {x1['full_cold_peak_mb']} MB), "
        f"warm {x1['full_warm_s']:.3f} s, one document edited {x1['full_one_edit_s']:.2f} s"
    )
    print(
        f"    corpus audit (all checks, on the run's documents): {x1['audit_s']:.2f} s = "
        f"{100 * x1['audit_s'] / x1['full_cold_s']:.1f} % of the cold full run"
    )
    print(
        f"x{args.scale} corpus ({xs['files']} files, {xs['input_mb']} MB): baseline {xs['baseline_s']:.2f} s, "
        f"cold {xs['cold_s']:.2f} s  {xs['cold_mb_per_s']:.2f} MB/s  peak {xs['cold_peak_mb']} MB"
    )
    d = res["dask"]
    print(
        f"(f) full run on a Dask cluster (scheduler + 2 workers): {d['seconds']:.2f} s; tables identical to the "
        f"local run: {d['identical_to_local']}"
    )
    for k, v in res["ratios"].items():
        print(f"ratio {k:28s} {v}")
    ea = res["engine_agreement"]
    print(
        f"fast engine vs jieba: {ea['identical_documents']}/{ea['documents']} documents identical, "
        f"{ea['differing_tokens']} of {ea['tokens']} tokens differ; {ea['speedup']}x faster"
    )
    (ROOT / "outputs").mkdir(exist_ok=True)
    (ROOT / "outputs" / "benchmarks.json").write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
