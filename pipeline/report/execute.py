"""Run the notebook suite with papermill: executed copies and figures go to the output folder."""

from __future__ import annotations

import json
import sys
import time
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


def run_notebooks(out: Path, parameters: dict | None = None, only: list[str] | None = None) -> dict:
    """Execute the notebook suite with papermill: executed copies to <out>/notebooks/, figures to
    <out>/figures/.  A parameter no notebook declares is an error naming it."""
    import papermill as pm

    out = Path(out).absolute()  # notebooks run in the project folder: a relative --out means the caller's folder
    nb_dir = ROOT / "notebooks"
    books = sorted(p for p in nb_dir.glob("[0-9][0-9]_*.ipynb") if not only or p.name[:2] in only)
    if not books:
        raise ParamError(f"no notebooks to run in {nb_dir}" + (f" matching {only}" if only else ""))
    parameters = dict(parameters or {})
    catalog.check_generation(out)  # notebooks read only the tables of one finished run
    declared = {b.name: pm.inspect_notebook(str(b)) for b in books}
    known = set().union(*[set(d) for d in declared.values()])
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParamError(f"unknown notebook parameter(s) {unknown}; valid: {', '.join(sorted(known))}")
    kernel = ensure_kernel()
    done = []
    for book in books:
        params = {"data_dir": str(out), "out_dir": str(out), **parameters}
        params = {k: v for k, v in params.items() if k in declared[book.name]}
        target = out / "notebooks" / book.name
        failed = target.with_name(target.stem + ".failed.ipynb")
        started = time.perf_counter()
        with catalog.atomic_path(target) as tmp:
            try:
                pm.execute_notebook(
                    str(book),
                    str(tmp),
                    parameters=params,
                    kernel_name=kernel,
                    cwd=str(ROOT),
                    progress_bar=False,
                    log_output=False,
                    # the kernel's start-up notes (transport warnings) are not the researcher's business
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
            except pm.PapermillExecutionError as e:
                # the executed part is kept beside the others, the complete notebook is not replaced
                tmp.replace(failed)
                raise PipelineError(
                    f"notebook {book.name} stopped in cell {e.exec_count} ({e.ename}: {e.evalue}); "
                    f"what ran is in {failed}"
                ) from None
        failed.unlink(missing_ok=True)
        done.append(book.name)
        print(f"notebook {book.stem:<24} ({time.perf_counter() - started:.1f} s)", flush=True)
    record_path = catalog.artifact_path(out, "run")
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    record["notebooks"] = {
        "executed": done,
        "parameters": parameters,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    catalog.write_run_record(out, record)
    return {"executed": done, "figures": len(list((out / "figures").glob("*.pdf")))}
