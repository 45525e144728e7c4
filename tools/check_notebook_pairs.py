#!/usr/bin/env python
"""Check the notebooks against their jupytext pairs, and that none is committed with outputs.

    python tools/check_notebook_pairs.py [NOTEBOOK_DIR] [--only pairs|outputs]      # default: notebooks/, both

Every ``NN_name.ipynb`` in the folder must have a ``NN_name.py`` (py:percent) beside it with the same cells:
the same cell types, the same code and markdown (trailing blank lines aside) and the same tags (the
``parameters`` tag is what papermill looks for).  A ``.ipynb`` must also have no outputs and no execution
counts: notebooks are committed clean, executed copies go to outputs/notebooks/.

Exits 0 when every pair agrees, 1 otherwise, with one line per problem and a diff of the first differing cell.
To bring a pair back in line, edit one side and run ``jupytext --sync notebooks/NN_name.py`` (the newer file
wins); to drop outputs, ``jupyter nbconvert --clear-output --inplace notebooks/NN_name.ipynb``.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
PATTERN = "[0-9][0-9]_*"


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """(type, source, tags) of each cell, the way both sides of a pair can be compared."""
    return [(c.cell_type, c.source.rstrip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def output_problems(ipynb: Path) -> list[str]:
    """Code cells of a notebook file that carry outputs or an execution count."""
    nb = nbformat.read(ipynb, as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{ipynb.name}: cell {i} has outputs (commit notebooks without outputs)")
        if cell.get("execution_count") is not None:
            problems.append(f"{ipynb.name}: cell {i} has an execution count (commit notebooks without outputs)")
    return problems


def pair_problems(ipynb: Path, py: Path) -> list[str]:
    """How the cells of a notebook and of its py:percent pair differ."""
    if not py.exists():
        return [f"{ipynb.name}: no paired {py.name} (jupytext --set-formats ipynb,py:percent {ipynb})"]
    text = py.read_text(encoding="utf-8")
    if "format_name: percent" not in text:
        return [f"{py.name}: not a jupytext py:percent file"]
    a = _cells(jupytext.read(ipynb))
    b = _cells(jupytext.reads(text, fmt="py:percent"))
    problems = []
    if len(a) != len(b):
        problems.append(f"{ipynb.name} has {len(a)} cells, {py.name} has {len(b)}")
    for i, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x == y:
            continue
        what = [name for name, u, v in zip(("type", "source", "tags"), x, y, strict=True) if u != v]
        problems.append(f"{ipynb.name} ↔ {py.name}: cell {i} differs in {', '.join(what)}")
        diff = difflib.unified_diff(x[1].splitlines(), y[1].splitlines(), ipynb.name, py.name, lineterm="", n=1)
        problems.extend("    " + line for line in diff)
        break  # the first difference is enough to act on; later cells usually shift with it
    return problems


def check(folder: Path, pairs: bool = True, outputs: bool = True) -> list[str]:
    problems = []
    notebooks = sorted(folder.glob(PATTERN + ".ipynb"))
    for ipynb in notebooks:
        if outputs:
            problems += output_problems(ipynb)
        if pairs:
            problems += pair_problems(ipynb, ipynb.with_suffix(".py"))
    for py in sorted(folder.glob(PATTERN + ".py")) if pairs else ():
        if not py.with_suffix(".ipynb").exists():
            problems.append(f"{py.name}: no paired {py.with_suffix('.ipynb').name} (jupytext --sync {py})")
    if not notebooks:
        problems.append(f"no notebook {PATTERN}.ipynb in {folder}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT / "notebooks")
    ap.add_argument("--only", choices=("pairs", "outputs"), help="run one of the two checks")
    args = ap.parse_args(argv)
    pairs, outputs = args.only in (None, "pairs"), args.only in (None, "outputs")
    problems = check(args.folder, pairs=pairs, outputs=outputs)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    n = len(list(args.folder.glob(PATTERN + ".ipynb")))
    said = [s for s, on in (("in sync with their .py", pairs), ("none with outputs", outputs)) if on]
    print(f"notebook pairs: {n} notebooks, {', '.join(said)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
