"""A random sample of theme items for a blind reading, and the reading's scores.

    python benchmarks/reading_sample.py draw --out DIR --dest sample.csv [--per-theme 25] [--seed 20261127]
    python benchmarks/reading_sample.py score judged.csv

``draw`` takes ``--per-theme`` items of each theme at random (fixed seed) from the themes table of a finished run
(e.g. ``python benchmarks/evaluate_themes.py --part test --out DIR``) and writes n, doc_id, theme, item and the
evidence sentence: what a reader judges without seeing the rules.  ``score`` reads the reader's judgements (n,
theme, right_theme, clean as yes/no, note) and prints, per theme, how many items were of the right theme and how
many were of the right theme and cleanly worded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def draw(out: Path, dest: Path, per_theme: int, seed: int) -> pd.DataFrame:
    sys.path.insert(0, str(ROOT))
    from pipeline import catalog

    items = catalog.read_artifact(out, "themes", columns=["doc_id", "theme", "item", "evidence", "start"])
    items = items.sort_values(["theme", "doc_id", "start", "item"], kind="stable").reset_index(drop=True)
    parts = []
    for _theme, group in items.groupby("theme", sort=True):
        parts.append(group.sample(n=min(per_theme, len(group)), random_state=seed))
    sample = pd.concat(parts).sample(frac=1, random_state=seed).reset_index(drop=True)  # themes mixed for the reader
    sample.insert(0, "n", range(1, len(sample) + 1))
    sample = sample[["n", "doc_id", "theme", "item", "evidence"]]
    sample.to_csv(dest, index=False, encoding="utf-8")
    return sample


def score(judged: Path) -> pd.DataFrame:
    j = pd.read_csv(judged, dtype=str, keep_default_na=False)
    yes = {"yes", "y", "1", "true"}
    j["right"] = j.right_theme.str.strip().str.lower().isin(yes)
    j["good"] = j.right & j.clean.str.strip().str.lower().isin(yes)
    rows = [
        {"theme": t, "items": len(g), "right_theme": int(g.right.sum()), "right_and_clean": int(g.good.sum())}
        for t, g in j.groupby("theme", sort=True)
    ]
    rows.append(
        {"theme": "all", "items": len(j), "right_theme": int(j.right.sum()), "right_and_clean": int(j.good.sum())}
    )
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("draw")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--dest", type=Path, required=True)
    d.add_argument("--per-theme", type=int, default=25)
    d.add_argument("--seed", type=int, default=20261127)
    s = sub.add_parser("score")
    s.add_argument("judged", type=Path)
    args = ap.parse_args()
    if args.cmd == "draw":
        sample = draw(args.out, args.dest, args.per_theme, args.seed)
        print(f"{len(sample)} items → {args.dest}")
    else:
        print(score(args.judged).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
