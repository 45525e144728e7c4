"""Draw further development paragraphs to code item by item (never from the test part).

    python tests/gold/draw_dev_paragraphs.py SEED N OUT.csv

Paragraphs are cut by :func:`paragraphs`, which make_split.py uses too (source lines over 1500 characters split
into ~500-character chunks at 。); a candidate has at least 80 characters, a 。 and is not among the first six
lines.  Cities not yet sampled in dev_paragraphs.csv come first, then those sampled least; paragraphs already drawn
are skipped.
"""

import csv
import random
import re
import sys
from collections import Counter
from pathlib import Path

GOLD = Path(__file__).resolve().parent
SRC = GOLD.parents[2] / "shared" / "corpora" / "cities-2024" / "txt"


def paragraphs(city: str) -> list[str]:
    """The paragraphs of a city report as the annotated ones are keyed (``<city>-<index>``)."""
    lines = []
    for ln in (SRC / f"{city}.txt").read_text(encoding="utf-8").splitlines():
        if len(ln) <= 1500:
            lines.append(ln)
            continue
        buf = ""
        for s in re.findall(r"[^。]*。|[^。]+$", ln):
            buf += s
            if len(buf) >= 500:
                lines.append(buf)
                buf = ""
        if buf:
            lines.append(buf)
    return lines


def main() -> None:
    seed, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    with open(GOLD / "split.csv", encoding="utf-8") as f:
        dev = sorted(r["city"] for r in csv.DictReader(f) if r["part"] == "dev")
    with open(GOLD / "dev_paragraphs.csv", encoding="utf-8") as f:
        done = list(csv.DictReader(f))
    taken = {r["para_key"] for r in done}
    per_city = Counter(r["city"] for r in done)
    rng = random.Random(seed)
    order = sorted(dev, key=lambda c: (per_city[c], rng.random()))[:n]
    rows = []
    for city in sorted(order):
        lines = paragraphs(city)
        cand = [
            (i, ln.strip())
            for i, ln in enumerate(lines)
            if len(ln.strip()) >= 80 and "。" in ln and i > 5 and f"{city}-{i:03d}" not in taken
        ]
        i, text = rng.choice(cand)
        rows.append([f"{city}-{i:03d}", city, i, text])
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["para_key", "city", "line", "text"])
        w.writerows(rows)
    print(len(rows), "paragraphs,", sum(len(r[3]) for r in rows), "characters →", out)


if __name__ == "__main__":
    main()
