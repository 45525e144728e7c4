"""The pipeline, wired top to bottom.

Each stage reads the artifacts it needs by name, calls plain functions that
take and return DataFrames, and writes its artifacts by name.  ``run`` calls
the stages in order; the command line (``python -m pipeline``) calls them
one by one or all together.
"""
from __future__ import annotations

import hashlib
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path

from . import io
from .config import ROOT, resource
from .ingest import ingest_corpus

TRACKED_PACKAGES = ["pandas", "pyarrow", "jieba", "opencc", "python-docx", "pdfplumber", "charset-normalizer",
                    "cpca", "scikit-learn", "seaborn", "matplotlib", "papermill", "networkx", "joblib"]


class NothingRead(RuntimeError):
    """No document of the corpus could be read."""


def stage_ingest(corpus: Path, out: Path, params: dict, manifest: Path | None = None,
                 use_manifest: bool = True, strict: bool = False) -> dict:
    documents, report, log = ingest_corpus(corpus, params, manifest, use_manifest)
    if documents.empty:
        raise NothingRead(f"no document in {corpus} could be read (see the messages above)")
    if (strict or params["ingest"]["strict"]) and (log["status"] == "skipped").any():
        raise NothingRead(f"--strict: {int((log['status'] == 'skipped').sum())} file(s) could not be read")
    io.write_artifact(documents, out, "documents")
    io.write_artifact(report, out, "cleaning_report", bom=True)
    io.write_artifact(log, out, "ingest_log", bom=True)
    return {"documents": len(documents), "problems": len(log)}


def manifest_hash(corpus: Path) -> str | None:
    m = corpus / "manifest.csv"
    return io.sha256_file(m) if m.exists() else None


def corpus_hash(corpus: Path, exclude: list[str]) -> str:
    """Hash over every document's path and bytes: changes when any input changes."""
    h = hashlib.sha256()
    for p in io.list_files(corpus, exclude):
        h.update(p.relative_to(corpus).as_posix().encode("utf-8"))
        h.update(io.sha256_file(p).encode("ascii"))
    return h.hexdigest()


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_record(corpus: Path, params: dict, stages: dict) -> dict:
    rules = resource(params["clean"]["rules"], "cleaning.yaml")
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "corpus": str(corpus),
        "corpus_sha256": corpus_hash(corpus, list(params["ingest"]["exclude"])),
        "manifest_sha256": manifest_hash(corpus),
        "params": params,
        "resources": {"cleaning_rules_sha256": io.sha256_file(rules)},
        "packages": package_versions(),
        "git_commit": io.git_commit(ROOT),
        "stages": stages,
    }


def run(corpus: Path, out: Path, params: dict, manifest: Path | None = None, use_manifest: bool = True,
        strict: bool = False) -> dict:
    """Every data stage in order, then the run record."""
    stages = {"ingest": stage_ingest(corpus, out, params, manifest, use_manifest, strict)}
    io.write_run_record(out, run_record(corpus, params, stages))
    return stages
