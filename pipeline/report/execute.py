"""Run the notebook suite with papermill: executed copies and figures go to the output folder."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .. import catalog
from ..config import ROOT
from ..errors import ParamError, PipelineError

KERNEL = "policy-pipeline"


def ensure_kernel(name: str = KERNEL) -> str:
    """The named Jupyter kernel for this environment, registered into it when missing
    (so papermill finds it on a fresh machine and in CI)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name not in KernelSpecManager().find_kernel_specs():
        import subprocess

        subprocess.run(
            [
                sys.executable,
                "-m",
                "ipykernel",
                "install",
                "--sys-prefix",
                "--name",
                name,
                "--display-name",
                "Python (policy-pipeline)",
            ],
            check=True,
            capture_output=True,
        )
    return name


def run_name(parameters: dict) -> str:
    """A folder name from notebook parameters: ``cities-青岛市+哈尔滨市_lang-en`` (sorted, readable, safe)."""
    parts = []
    for k in sorted(parameters):
        v = parameters[k]
        value = "+".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
        parts.append(f"{k}-{value}")
    name = re.sub(r"[^\w.+=-]+", "_", "_".join(parts)).strip("._") or "run"
    if len(name) > 80:  # long lists: a readable head and a hash of the whole
        digest = hashlib.sha256(json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]
        name = f"{name[:70]}_{digest}"
    return name


def _check_name(name: str) -> str:
    if not name or name.startswith(".") or re.search(r"[/\\:]", name) or name in ("..", "."):
        raise ParamError(f"--name '{name}' cannot be a folder name here (no path separators, no leading dot)")
    return name


def run_notebooks(
    out: Path, parameters: dict | None = None, only: list[str] | None = None, name: str | None = None
) -> dict:
    """Execute the notebook suite with papermill on the tables in ``out``.

    The default run (no parameters) writes executed copies to <out>/notebooks/ and figures to <out>/figures/.
    A run with parameters, or with a ``name``, writes into its own folder <out>/runs/<name>/ (named from its
    parameters unless named), with its own run.json, and leaves the default run untouched.  Figures and executed
    notebooks are staged and moved into place only when every notebook finished: a failed run replaces
    nothing, and its failed notebook is kept as NN_name.failed.ipynb.  A parameter no notebook declares is an
    error naming it."""
    import papermill as pm

    out = Path(out).absolute()  # notebooks run in the project folder: a relative --out means the caller's folder
    nb_dir = ROOT / "notebooks"
    books = sorted(p for p in nb_dir.glob("[0-9][0-9]_*.ipynb") if not only or p.name[:2] in only)
    if not books:
        raise ParamError(f"no notebooks to run in {nb_dir}" + (f" matching {only}" if only else ""))
    parameters = dict(parameters or {})
    data_record = catalog.check_generation(out)  # notebooks read only the tables of one finished run
    declared = {b.name: pm.inspect_notebook(str(b)) for b in books}
    known = set().union(*[set(d) for d in declared.values()])
    unknown = sorted(set(parameters) - known - {"data_dir", "out_dir"})
    if unknown:
        raise ParamError(f"unknown notebook parameter(s) {unknown}; valid: {', '.join(sorted(known))}")
    if {"data_dir", "out_dir"} & set(parameters):
        raise ParamError("data_dir and out_dir are set by --out (and --name), not as parameters")
    named = name is not None or bool(parameters)
    folder_name = _check_name(name) if name is not None else run_name(parameters)
    target = out / "runs" / folder_name if named else out
    kernel = ensure_kernel()
    staging = target / f".staging-{uuid.uuid4().hex[:8]}"
    done = []
    try:
        for book in books:
            params = {"data_dir": str(out), "out_dir": str(staging), **parameters}
            params = {k: v for k, v in params.items() if k in declared[book.name]}
            staged = staging / "notebooks" / book.name
            staged.parent.mkdir(parents=True, exist_ok=True)
            failed = target / "notebooks" / f"{book.stem}.failed.ipynb"
            started = time.perf_counter()
            try:
                pm.execute_notebook(
                    str(book),
                    str(staged),
                    parameters=params,
                    kernel_name=kernel,
                    cwd=str(ROOT),
                    progress_bar=False,
                    log_output=False,
                    # the kernel's start-up notes (transport warnings) are not the researcher's business
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                )
            except pm.PapermillExecutionError as e:
                # the executed part is kept beside the others; nothing complete is replaced
                failed.parent.mkdir(parents=True, exist_ok=True)
                staged.replace(failed)
                raise PipelineError(
                    f"notebook {book.name} stopped in cell {e.exec_count} ({e.ename}: {e.evalue}); "
                    f"what ran is in {failed}; nothing else was replaced"
                ) from None
            failed.unlink(missing_ok=True)
            done.append(book.name)
            print(f"notebook {book.stem:<24} ({time.perf_counter() - started:.1f} s)", flush=True)
        # every notebook finished: notebooks, figures and the tables they wrote go into place, file by file
        for f in sorted(p for p in staging.rglob("*") if p.is_file()):
            dest = target / f.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            f.replace(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    entry = {"executed": done, "parameters": parameters, "finished": finished}
    record_path = catalog.artifact_path(out, "run")
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    if named:
        own = {"name": folder_name, "data": str(out), "data_run_id": data_record.get("run_id"), **entry}
        catalog.write_run_record(target, own)
        record.setdefault("notebook_runs", {})[folder_name] = entry
    else:
        record["notebooks"] = entry
    catalog.write_run_record(out, record)
    return {"executed": done, "figures": len(list((target / "figures").glob("*.pdf"))), "folder": str(target)}
