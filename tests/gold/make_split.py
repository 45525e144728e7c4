import csv
import random
from pathlib import Path

from draw_dev_paragraphs import paragraphs  # how a report is cut into paragraphs, for every draw

SRC = Path("../shared/corpora/cities-2024/txt")
names = sorted(p.stem for p in SRC.glob("*.txt"))
test = sorted(random.Random(2024).sample(names, 24))
with open("tests/gold/split.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["city", "part"])
    for n in names:
        w.writerow([n, "test" if n in test else "dev"])
rows = []
for city in test:
    lines = paragraphs(city)
    cand = [(i, ln.strip()) for i, ln in enumerate(lines) if len(ln.strip()) >= 80 and "。" in ln and i > 5]
    for i, ln in sorted(random.Random(f"2024:{city}").sample(cand, 2)):
        rows.append([f"{city}-{i:03d}", city, i, ln])
with open("tests/gold/paragraphs.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["para_key", "city", "line", "text"])
    w.writerows(rows)
print(test)
print(len(rows), sum(len(r[3]) for r in rows))
