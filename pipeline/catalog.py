"""All file I/O of the pipeline: artifacts by name, atomic writes, run records.

Steps take and return DataFrames; only this module reads or writes the
artifacts.  Every write goes to a temporary file in the target folder and is
renamed into place, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io as _io
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ArtifactMissing, PipelineError

if TYPE_CHECKING:
    import pandas as pd


# pandas is imported inside the functions that need it, so that a run whose
# stages are all up to date starts and finishes in a fraction of a second.

_UMASK = os.umask(0)
os.umask(_UMASK)

# artifact name -> path relative to the output dir
ARTIFACTS = {
    "documents": "data/documents.parquet",
    "sentences": "data/sentences.parquet",
    "tokens": "data/tokens.parquet",
    "themes": "data/themes.parquet",
    "classifier_metrics": "data/classifier_metrics.csv",
    "theme_items": "tables/theme_items.csv",
    "theme_matrix": "tables/theme_matrix.csv",
    "to_label": "labels/to_label.csv",
    "evaluation": "tables/evaluation.csv",
    "results_xlsx": "tables/results.xlsx",
    "qdpx": "exports/project.qdpx",
    "report": "report/index.html",
    "cleaning_report": "data/cleaning_report.csv",
    "ingest_log": "data/ingest_log.csv",
    "quality_report": "data/quality_report.csv",
    "run": "run.json",
}


def artifact_path(out_dir: Path | str, name: str) -> Path:
    if name not in ARTIFACTS:
        raise KeyError(f"unknown artifact '{name}' (known: {', '.join(sorted(ARTIFACTS))})")
    return Path(out_dir) / ARTIFACTS[name]


@contextmanager
def atomic_path(target: Path | str):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes files private; results are ordinary files
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes(target: Path | str, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: Path | str, text: str, bom: bool = False) -> Path:
    return write_bytes(target, (("\ufeff" if bom else "") + text).encode("utf-8"))


def write_table(df, target: Path | str, bom: bool = False) -> Path:
    """A DataFrame (or an Arrow table, for parquet) as parquet or CSV by suffix.
    CSVs for people get a BOM so Excel reads UTF-8."""
    target = Path(target)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet" and not hasattr(df, "to_parquet"):
            import pyarrow.parquet as pq

            pq.write_table(df, tmp)
        elif target.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            safe = _neutralised(df)
            safe.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n")
    return target


def _neutralised(df):
    """A copy of ``df`` whose text cells a spreadsheet would run as formulas are prefixed with ' (see
    :func:`pipeline.text.neutralise_formula`): found column by column, only those cells are changed."""
    from .text import FORMULA_START, neutralise_formula

    safe = df.copy()  # the caller's frame is not changed
    for c in df.columns:
        col = df[c]
        if col.dtype == object:
            safe[c] = col.map(neutralise_formula)  # mixed cells: only the strings
        elif str(col.dtype) in ("string", "str"):
            risky = col.str.startswith(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                safe[c] = col.where(~risky, "'" + col)
    return safe


def write_artifact(df: pd.DataFrame, out_dir: Path | str, name: str, bom: bool = False) -> Path:
    return write_table(df, artifact_path(out_dir, name), bom=bom)


def read_artifact(out_dir: Path | str, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    path = artifact_path(out_dir, name)
    if not path.exists():
        raise ArtifactMissing(f"{path} does not exist — run `python -m pipeline run` first")
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, encoding="utf-8-sig")


def read_artifact_rows(out_dir: Path | str, name: str, doc_ids, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of a Parquet artifact that belong to ``doc_ids``.  Only the row groups whose doc_id range can hold
    one of them are read (the stages write tables sorted by doc_id, one row group per batch of documents), so a
    worker coding a few documents never reads a corpus-sized table."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = artifact_path(out_dir, name)
    if not path.exists():
        raise ArtifactMissing(f"{path} does not exist — run `python -m pipeline run` first")
    wanted = sorted(set(doc_ids))
    with pq.ParquetFile(path) as f:
        col = f.schema_arrow.get_field_index("doc_id")
        groups = []
        for g in range(f.num_row_groups):
            stats = f.metadata.row_group(g).column(col).statistics
            if stats is None or not stats.has_min_max:
                groups.append(g)
                continue
            lo, hi = stats.min, stats.max
            if any(lo <= d <= hi for d in wanted):
                groups.append(g)
        read = columns if columns is None or "doc_id" in columns else ["doc_id", *columns]
        if groups:
            table = f.read_row_groups(groups, columns=read)
        else:
            table = f.schema_arrow.empty_table()
            table = table.select(read) if read is not None else table
    table = table.filter(pc.is_in(table["doc_id"], value_set=pa.array(wanted, table.schema.field("doc_id").type)))
    if columns is not None:
        table = table.select(columns)
    return table.to_pandas()


def artifact_columns(out_dir: Path | str, name: str, drop: tuple[str, ...] = ()) -> list[str]:
    """The columns of a Parquet artifact (from its footer, without reading it), less ``drop``."""
    import pyarrow.parquet as pq

    path = artifact_path(out_dir, name)
    if not path.exists():
        raise ArtifactMissing(f"{path} does not exist — run `python -m pipeline run` first")
    return [c for c in pq.read_schema(path).names if c not in drop]


def iter_artifact(out_dir: Path | str, name: str, columns: list[str], rows: int = 256):
    """A Parquet artifact ``rows`` rows at a time, as DataFrames: a whole table is never in memory."""
    import pyarrow.parquet as pq

    path = artifact_path(out_dir, name)
    if not path.exists():
        raise ArtifactMissing(f"{path} does not exist — run `python -m pipeline run` first")
    with pq.ParquetFile(path) as f:
        for batch in f.iter_batches(batch_size=rows, columns=columns):
            yield batch.to_pandas()


def pandas_schema(fields: list[tuple[str, object]], nullable_ints: tuple[str, ...] = ()):
    """An Arrow schema of ``fields`` (name, Arrow type) carrying the pandas metadata that reads ``nullable_ints``
    back as nullable integers (Int64): the fixed schema of a table written piece by piece, whatever a piece holds."""
    import pandas as pd
    import pyarrow as pa

    def sample(name: str, kind):
        if name in nullable_ints:
            return pd.array([1], dtype="Int64")
        if pa.types.is_integer(kind):
            return [1]
        if pa.types.is_floating(kind):
            return [0.5]
        if pa.types.is_boolean(kind):
            return [True]
        if pa.types.is_list(kind):
            return [[""]]
        return pd.array([""], dtype=object)

    template = pd.DataFrame({name: sample(name, kind) for name, kind in fields})
    meta = pa.Schema.from_pandas(template, preserve_index=False).metadata
    return pa.schema(fields, metadata=meta)


class TableWriter:
    """A Parquet artifact written piece by piece (each piece one row group), into a temporary file that is renamed
    into place only when every piece is written: peak memory is one piece, and an interrupted run leaves the old
    table whole.  Pieces are Arrow tables cast to ``schema``."""

    def __init__(self, out_dir: Path | str, name: str, schema):
        self.target, self.schema = artifact_path(out_dir, name), schema

    def __enter__(self) -> TableWriter:
        import pyarrow.parquet as pq

        self._atomic = atomic_path(self.target)
        self._tmp = self._atomic.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, self.schema)
        return self

    def write(self, table) -> None:
        if table.num_rows:
            self._writer.write_table(table.select(self.schema.names).cast(self.schema))

    def __exit__(self, *exc) -> bool | None:
        self._writer.close()
        return self._atomic.__exit__(*exc)


class CsvWriter:
    """A CSV artifact for people written piece by piece (header once, formulas neutralised, BOM for Excel), into a
    temporary file renamed into place at the end; the same bytes as :func:`write_table` on the whole table."""

    def __init__(self, out_dir: Path | str, name: str, columns: list[str], bom: bool = True):
        self.target, self.columns, self.bom = artifact_path(out_dir, name), list(columns), bom

    def __enter__(self) -> CsvWriter:
        self._atomic = atomic_path(self.target)
        self._tmp = self._atomic.__enter__()
        self._file = open(self._tmp, "w", encoding="utf-8-sig" if self.bom else "utf-8", newline="")
        self._header = True
        return self

    def write(self, df) -> None:
        safe = _neutralised(df[self.columns])
        if len(safe) or self._header:
            safe.to_csv(self._file, index=False, header=self._header, lineterminator="\n")
            self._header = False

    def __exit__(self, *exc) -> bool | None:
        self._file.close()
        return self._atomic.__exit__(*exc)


def read_file_bytes(path: Path) -> bytes:
    return Path(path).read_bytes()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_files(root: Path, exclude: list[str]) -> list[Path]:
    """Every file below root, sorted, leaving out hidden files and excluded names."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or any(part in exclude for part in rel.parts):
            continue
        if p.is_file():
            out.append(p)
    return out


def read_manifest(path: Path | str) -> pd.DataFrame:
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise PipelineError(f"manifest {path} cannot be read: {e}") from e
    df.columns = [c.strip() for c in df.columns]
    if "file" not in df.columns:
        raise PipelineError(f"manifest {path} needs a 'file' column (path of each document relative to the corpus)")
    return df


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_run_record(out_dir: Path | str, record: dict) -> Path:
    return write_text(
        artifact_path(out_dir, "run"), json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )


def run_params(out_dir: Path | str) -> dict | None:
    """The parameters of the run that wrote this output folder (from its ``run.json``), or None."""
    path = artifact_path(out_dir, "run")
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("params")
    except (OSError, ValueError):
        return None


def _discard(path: Path, error: Exception) -> None:
    print(f"cache entry {path} is unreadable ({type(error).__name__}: {error}); recomputing it", file=sys.stderr)
    with contextlib.suppress(OSError):
        path.unlink()


class Cache:
    """Per-document results on disk, keyed by content hash and version.

    ``get(kind, key)`` returns a DataFrame or None; ``put`` writes atomically.
    A key changes whenever anything the result depends on changes, so a stale
    entry is never read; old entries are simply left behind (``prune`` them)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.arrow"

    def has(self, kind: str, key: str) -> bool:
        return self.path(kind, key).exists()

    def get(self, kind: str, key: str):
        """The cached Arrow table, or None."""
        import pyarrow.feather as feather

        p = self.path(kind, key)
        if not p.exists():
            return None
        try:
            return feather.read_table(p)
        except (OSError, ValueError) as e:  # a damaged entry is recomputed
            _discard(p, e)
            return None

    def put(self, kind: str, key: str, table) -> None:
        """Store an Arrow table (Arrow IPC: faster to read back than parquet)."""
        import pyarrow.feather as feather

        with atomic_path(self.path(kind, key)) as tmp:
            feather.write_feather(table, tmp)

    def get_json(self, kind: str, key: str):
        """A cached JSON value, or None.  Caches hold data only (JSON, Arrow): reading one can never run code,
        whoever wrote the output folder.  An unreadable entry is named, deleted and recomputed."""
        p = self.root / kind / f"{key}.json"
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            _discard(p, e)
            return None

    def put_json(self, kind: str, key: str, value) -> None:
        write_text(self.root / kind / f"{key}.json", json.dumps(value, ensure_ascii=False, sort_keys=True))

    def read_record(self, stage: str) -> dict | None:
        """What the last run of a stage recorded (fingerprint, inputs, outputs, result), or None."""
        p = self.root / f"{stage}.json"
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return rec if isinstance(rec, dict) else None

    def write_record(self, stage: str, record: dict) -> None:
        write_text(self.root / f"{stage}.json", json.dumps(record, ensure_ascii=False, sort_keys=True))

    def kinds(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.exists() else []

    def prune(self, kind: str, keep: set[str]) -> int:
        """Delete entries of ``kind`` whose key is not in ``keep``; returns how many."""
        n = 0
        for p in (self.root / kind).glob("*") if (self.root / kind).exists() else []:
            if p.stem not in keep:
                p.unlink()
                n += 1
        return n


def _installation_key() -> bytes:
    """A secret of this installation (user config folder, created once): model files are signed with it."""
    import platformdirs

    path = Path(platformdirs.user_config_dir("policy-pipeline")) / "model-signing-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(os.urandom(32))
            os.chmod(tmp, 0o600)
        os.chmod(path, 0o600)
    return path.read_bytes()


def _signature(data: bytes) -> str:
    import hmac

    return hmac.new(_installation_key(), data, hashlib.sha256).hexdigest()


def model_store() -> Path:
    """Where trained classifiers live, shared by every output folder of this user (a new corpus never trains
    again for the same labels): ``$PIPELINE_MODEL_STORE``, else the user cache folder."""
    import platformdirs

    root = os.environ.get("PIPELINE_MODEL_STORE") or platformdirs.user_cache_dir("policy-pipeline", appauthor=False)
    return Path(root) / "models"


def save_model(path: Path | str, model) -> None:
    """A fitted model (joblib) with a keyed hash beside it (``.sig``): only this installation can make one
    that :func:`load_model` accepts."""
    import joblib

    buf = _io.BytesIO()
    joblib.dump(model, buf)
    save_signed(path, buf.getvalue())


def save_signed(path: Path | str, data: bytes) -> None:
    """``data`` at ``path`` with a keyed hash beside it (``.sig``), for :func:`read_signed`."""
    path = Path(path)
    write_bytes(path, data)
    write_text(path.with_name(path.name + ".sig"), _signature(data))


def read_signed(path: Path | str) -> bytes | None:
    """The bytes this installation saved at ``path`` (:func:`save_signed`), or None: missing, unreadable, or
    without a valid signature (copied from someone else's store, edited, damaged; said on stderr)."""
    import hmac

    path = Path(path)
    if not path.exists():
        return None
    sig = path.with_name(path.name + ".sig")
    try:
        data = path.read_bytes()
        ok = sig.exists() and hmac.compare_digest(sig.read_text(encoding="ascii").strip(), _signature(data))
    except (OSError, ValueError) as e:
        _discard(path, e)
        return None
    if not ok:
        print(f"{path} was not written by this installation (no valid signature); making a new one", file=sys.stderr)
        return None
    return data


def read_model(path: Path | str) -> ModelBytes | None:
    """The model saved by this installation at ``path``, as its checked bytes (not unpickled), or None.  A file
    without a valid signature (copied from someone else's output folder, edited, damaged) is never unpickled:
    unpickling runs code."""
    data = read_signed(path)
    return None if data is None else ModelBytes(data)


def load_model(path: Path | str):
    """The model saved by this installation at ``path`` (:func:`read_model`), unpickled, or None."""
    stored = read_model(path)
    if stored is None:
        return None
    try:
        return stored.load()
    except (OSError, EOFError, ValueError, AttributeError, ImportError, KeyError) as e:
        _discard(Path(path), e)
        return None


_LOADED: dict[str, object] = {}


@dataclass(frozen=True, eq=False)
class ModelBytes:
    """A fitted model as the bytes of its joblib file. The stage's own process reads and checks the file and
    sends the bytes with every chunk of work; each worker unpickles them once (:meth:`load`), so the stage's
    process never imports the model's library and the workers start at once."""

    data: bytes = field(repr=False)
    digest: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())

    def load(self):
        """The model, unpickled once per process (the last few kept)."""
        model = _LOADED.get(self.digest)
        if model is None:
            import joblib

            model = joblib.load(_io.BytesIO(self.data))
            while len(_LOADED) >= 4:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[self.digest] = model
        return model


# --------------------------------------------------------------------------- run generations


@contextmanager
def output_lock(out_dir: Path | str):
    """Hold the output folder for one run: a second run on it stops at once with a message (it never mixes its
    tables with this one's).  The lock is released when the run ends, however it ends."""
    import fcntl

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise PipelineError(
                f"another run is writing to {out} ({holder}); wait for it to finish or choose another --out"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def mark_run(out_dir: Path | str, state: dict) -> None:
    """Record the state of the current run (``running`` with its id, or ``finished``) in the output folder."""
    write_text(Path(out_dir) / ".run_state.json", json.dumps(state, sort_keys=True))


def check_generation(out_dir: Path | str) -> dict:
    """The record of the finished run whose tables are in ``out_dir``; a PipelineError when a run is unfinished,
    when there is none, or when a table no longer is the one that run wrote (another run, or an edit, changed it
    since): notebooks and exports are built only from tables that belong together."""
    out = Path(out_dir)
    state_path = out / ".run_state.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = None
    record_path = artifact_path(out, "run")
    if not record_path.exists() or state is None:
        raise PipelineError(f"no finished run in {out}: run `python -m pipeline run --out {out}` first")
    if state.get("status") != "finished":
        raise PipelineError(
            f"the run {state.get('run_id')} in {out} did not finish (killed or failed): its tables may not belong "
            f"together; run `python -m pipeline run --out {out}` again"
        )
    record = json.loads(record_path.read_text(encoding="utf-8"))
    if record.get("run_id") != state.get("run_id"):
        raise PipelineError(f"{record_path} does not describe the last run in {out}; run the pipeline again")
    for stage, rec in (record.get("stages") or {}).items():
        # a stage's tables belong to this generation only if what it read is what the stages before it left
        for name, sha in (rec.get("inputs") or {}).items():
            if name in ARTIFACTS and (
                not artifact_path(out, name).exists() or sha256_file(artifact_path(out, name)) != sha
            ):
                raise PipelineError(
                    f"the {stage} tables in {out} were made from another {name} table than the one there now: "
                    f"the output folder mixes runs; run `python -m pipeline run --out {out}` again"
                )
        for name, sha in (rec.get("outputs") or {}).items():
            path = artifact_path(out, name)
            if not path.exists() or sha256_file(path) != sha:
                raise PipelineError(
                    f"{path} is not the table run {record['run_id']} wrote (stage {stage}): the output folder mixes "
                    f"runs; run `python -m pipeline run --out {out}` again"
                )
    return record
