"""The runner: turns the stage declarations of :mod:`pipeline.stages` into cache
keys, up-to-date checks, the stage graph and ``run.json``.

A stage's **version** hashes what it declares it depends on besides its
input artifacts: the values of its parameter sections, the bytes of its
resource files, the source of its code (comments and layout set aside) and
the versions of the packages it names.  Its **fingerprint** adds the hashes
of its input artifacts.  A stage whose fingerprint and outputs are those of
its last run is up to date and is skipped.  Per-document cache entries are
keyed by :meth:`Context.key`, the one recipe for keys: the stage's version
(or the named parts of it) plus the document's content.
"""

from __future__ import annotations

import ast
import hashlib
import json
import platform
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata as importlib_metadata
from importlib.util import find_spec
from pathlib import Path

from . import catalog
from .config import ROOT, param, resource_files
from .errors import ParamError, PipelineError

TRACKED_PACKAGES = [
    "pandas",
    "pyarrow",
    "jieba",
    "rjieba",
    "opencc",
    "python-docx",
    "pdfplumber",
    "charset-normalizer",
    "cpca",
    "scikit-learn",
    "seaborn",
    "matplotlib",
    "papermill",
    "networkx",
    "joblib",
]


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline, declared once.

    ``inputs`` and ``outputs`` are artifact names (``corpus`` is the corpus
    folder and its manifest); ``params`` are dotted parameter paths;
    ``resources`` are names from :data:`pipeline.config.RESOURCE_FILES`;
    ``code`` are the modules and packages whose source is the stage's code;
    ``packages`` are distributions whose version can change its results."""

    name: str
    func: Callable[[Context], dict]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    doc: str = ""
    summary: Callable[[dict], str] | None = None  # one line for the terminal from the stage's result


@dataclass
class Context:
    """What a running stage gets: where things are, its parameters, and the key recipe."""

    stage: Stage
    out: Path
    params: dict
    components: dict[str, str]  # version parts: name -> hash
    upstream: dict[str, dict[str, str]]  # version parts of the stages this one reads from
    corpus: Path | None = None
    options: dict = field(default_factory=dict)  # run options: manifest, use_manifest, strict, strict_audit
    cache: catalog.Cache = field(init=False)
    keys_used: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self):
        self.cache = catalog.Cache(self.out / "cache")

    def resource(self, name: str) -> Path:
        """The (first) file of a declared resource."""
        if name not in self.stage.resources:
            raise PipelineError(f"stage {self.stage.name} reads resource '{name}' without declaring it")
        return resource_files(name, self.params)[0]

    def _component(self, name: str) -> str:
        if name in self.components:
            return self.components[name]
        path = name.removeprefix("param:")
        if name.startswith("param:") and any(path.startswith(f"{p}.") for p in self.stage.params):
            return digest(param(self.params, path))[:16]
        raise PipelineError(f"stage {self.stage.name} keys on '{name}', which it does not declare")

    def recipe(self, kind: str, only: Iterable[str] | None = None, upstream: Iterable[str] = ()) -> KeyRecipe:
        """The key recipe of ``kind`` as a small picklable object, for workers that key their own cache entries
        (the keys they use are handed back with :meth:`used`)."""
        parts = self.components if only is None else {k: self._component(k) for k in only}
        return KeyRecipe(kind, dict(parts), {u: self.upstream[u] for u in upstream})

    def used(self, kind: str, keys: Iterable[str]) -> None:
        """Record cache keys a worker used (kept by ``prune``)."""
        self.keys_used.setdefault(kind, set()).update(keys)

    def key(self, kind: str, *content, only: Iterable[str] | None = None, upstream: Iterable[str] = ()) -> str:
        """The cache key of one entry of ``kind``: the stage's version — or only the named parts of
        it — plus the versions of the named upstream stages, plus ``content``.  Recorded for prune."""
        parts = self.components if only is None else {k: self._component(k) for k in only}
        ups = {u: self.upstream[u] for u in upstream}
        key = digest([kind, parts, ups, content])[:32]
        self.keys_used.setdefault(kind, set()).add(key)
        return key


@dataclass(frozen=True)
class KeyRecipe:
    """:meth:`Context.key` for one kind of entry, without the context: ``recipe(*content)`` is the same key."""

    kind: str
    parts: dict
    upstream: dict

    def __call__(self, *content) -> str:
        return digest([self.kind, self.parts, self.upstream, content])[:32]


def digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@cache
def _module_files(name: str) -> tuple[Path, ...]:
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise PipelineError(f"declared code '{name}' is not a module of this installation")
    origin = Path(spec.origin)
    if spec.submodule_search_locations:  # a package: every module in it
        return tuple(sorted(origin.parent.rglob("*.py")))
    return (origin,)


def source_hash(path: Path) -> str:
    """Hash of a module's syntax tree: editing a comment or the layout changes nothing."""
    text = path.read_text(encoding="utf-8")
    try:
        return digest(ast.dump(ast.parse(text)))
    except SyntaxError:
        return digest(text)


def code_hash(modules: Iterable[str]) -> str:
    files = sorted({f for m in modules for f in _module_files(m)})
    return digest(
        [[f.relative_to(ROOT).as_posix() if f.is_relative_to(ROOT) else f.name, source_hash(f)] for f in files]
    )[:16]


def package_version(name: str) -> str | None:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def components(stage: Stage, params: dict) -> dict[str, str]:
    """The parts of a stage's version, each hashed: parameters, resources, code, packages."""
    out = {}
    for p in stage.params:
        out[f"param:{p}"] = digest(param(params, p))[:16]
    for r in stage.resources:
        out[f"resource:{r}"] = digest([catalog.sha256_file(f) for f in resource_files(r, params)])[:16]
    out["code"] = code_hash(stage.code)
    out["code:stage"] = digest(ast.dump(ast.parse(_function_source(stage.func))))[:16]
    for pkg in stage.packages:
        out[f"package:{pkg}"] = str(package_version(pkg))
    return out


def _function_source(func) -> str:
    import inspect
    import textwrap

    return textwrap.dedent(inspect.getsource(func))


def corpus_hash(corpus: Path, exclude: list[str]) -> str:
    """Hash over every document's path and bytes: changes when any input changes."""
    h = hashlib.sha256()
    for p in catalog.list_files(corpus, exclude):
        h.update(p.relative_to(corpus).as_posix().encode("utf-8"))
        h.update(catalog.sha256_file(p).encode("ascii"))
    return h.hexdigest()


def producers(stages: list[Stage]) -> dict[str, Stage]:
    """artifact name -> the stage that writes it."""
    return {o: s for s in stages for o in s.outputs}


def input_hashes(stage: Stage, out: Path, corpus: Path | None, params: dict, options: dict) -> dict[str, str | None]:
    hashes: dict[str, str | None] = {}
    for name in stage.inputs:
        if name == "corpus":
            if corpus is None:
                raise PipelineError(f"stage {stage.name} needs --corpus")
            manifest = options.get("manifest")
            hashes["corpus"] = corpus_hash(corpus, list(params["ingest"]["exclude"]))
            hashes["manifest"] = (
                catalog.sha256_file(manifest)
                if manifest and options.get("use_manifest", True) and Path(manifest).exists()
                else None
            )
            hashes["options"] = digest(
                [options.get("use_manifest", True), bool(options.get("strict")), bool(options.get("strict_audit"))]
            )[:16]
        else:
            path = catalog.artifact_path(out, name)
            if not path.exists():
                raise catalog.ArtifactMissing(
                    f"{path} does not exist: stage {stage.name} needs it "
                    f"(run the stages before it first, e.g. `python -m pipeline run`)"
                )
            hashes[name] = catalog.sha256_file(path)
    return hashes


def up_to_date(record: dict | None, fingerprint: str, out: Path, stage: Stage) -> bool:
    """The last run of this stage had these inputs and version, and its outputs are still as it wrote them."""
    if not record or record.get("fingerprint") != fingerprint:
        return False
    written = record.get("outputs", {})
    for name in stage.outputs:
        path = catalog.artifact_path(out, name)
        if not path.exists() or written.get(name) != catalog.sha256_file(path):
            return False
    return True


def run_stages(
    stages: list[Stage],
    out: Path,
    params: dict,
    corpus: Path | None = None,
    options: dict | None = None,
    start: str | None = None,
    until: str | None = None,
    force_start: bool = True,
) -> dict[str, dict]:
    """Run the declared stages in order from ``start`` to ``until``; each is skipped when up to date
    (``start`` is run again unless ``force_start`` is false).  Returns each stage's result."""
    names = [s.name for s in stages]
    for given in (start, until):
        if given is not None and given not in names:
            raise ParamError(f"unknown stage '{given}' (stages: {', '.join(names)})")
    lo = names.index(start) if start else 0
    hi = names.index(until) if until else len(names) - 1
    if lo > hi:
        raise ParamError(f"--from {start} comes after --until {until}")
    options = dict(options or {})
    out = Path(out)
    versions = {s.name: components(s, params) for s in stages}
    by_output = producers(stages)
    results: dict[str, dict] = {}
    for k, stage in enumerate(stages):
        if not lo <= k <= hi:
            continue
        upstream_names = sorted({by_output[i].name for i in stage.inputs if i in by_output})
        ctx = Context(
            stage,
            out,
            params,
            versions[stage.name],
            {u: versions[u] for u in upstream_names},
            corpus=corpus,
            options=options,
        )
        inputs = input_hashes(stage, out, corpus, params, options)
        fingerprint = digest([stage.name, versions[stage.name], inputs])
        record = ctx.cache.read_record(stage.name)
        if not (force_start and start == stage.name) and up_to_date(record, fingerprint, out, stage):
            assert record is not None  # up_to_date is False without a record
            results[stage.name] = {**record["result"], "up_to_date": True}
            _say(stage, record["result"], None)
            continue
        started = time.perf_counter()
        result = stage.func(ctx)
        seconds = time.perf_counter() - started
        _say(stage, result, seconds)
        outputs = {name: catalog.sha256_file(catalog.artifact_path(out, name)) for name in stage.outputs}
        ctx.cache.write_record(
            stage.name,
            {
                "fingerprint": fingerprint,
                "version": versions[stage.name],
                "inputs": inputs,
                "outputs": outputs,
                "result": result,
                "cache_keys": {kind: sorted(v) for kind, v in ctx.keys_used.items()},
                "seconds": round(seconds, 2),
            },
        )
        results[stage.name] = result
    return results


def _say(stage: Stage, result: dict, seconds: float | None) -> None:
    """One line per stage on the terminal: what it made, and how long it took (or that it was up to date)."""
    if stage.summary is not None:
        text = stage.summary(result)
    else:
        text = ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, int | float | str))
    when = "up to date" if seconds is None else f"{seconds:.1f} s"
    print(f"{stage.name:<8} {text}  ({when})", flush=True)


def context_for(stages: list[Stage], name: str, out: Path, params: dict) -> Context:
    """The context stage ``name`` runs in, without running it."""
    by_name = {s.name: s for s in stages}
    stage = by_name[name]
    by_output = producers(stages)
    ups = sorted({by_output[i].name for i in stage.inputs if i in by_output})
    return Context(
        stage, Path(out), params, components(stage, params), {u: components(by_name[u], params) for u in ups}
    )


def graph(stages: list[Stage]) -> str:
    """The stage graph as text: each stage with what it reads and writes."""
    by_output = producers(stages)
    lines = []
    for s in stages:
        after = sorted({by_output[i].name for i in s.inputs if i in by_output})
        lines.append(f"{s.name}" + (f"  (after {', '.join(after)})" if after else ""))
        lines.append(f"    {s.doc}")
        lines.append(f"    reads      {', '.join(s.inputs)}")
        lines.append(f"    writes     {', '.join(s.outputs)}")
        if s.params:
            lines.append(f"    parameters {', '.join(s.params)}")
        if s.resources:
            lines.append(f"    resources  {', '.join(s.resources)}")
        lines.append(
            f"    code       {', '.join(s.code)}" + (f"; packages {', '.join(s.packages)}" if s.packages else "")
        )
    return "\n".join(lines)


def prune(stages: list[Stage], out: Path) -> dict[str, int]:
    """Delete cache entries that no stage's last run used; returns how many per kind."""
    cache = catalog.Cache(Path(out) / "cache")
    keep: dict[str, set[str]] = {}
    for s in stages:
        rec = cache.read_record(s.name) or {}
        for kind, keys in rec.get("cache_keys", {}).items():
            keep.setdefault(kind, set()).update(keys)
    return {kind: cache.prune(kind, keep.get(kind, set())) for kind in cache.kinds()}


def package_versions() -> dict:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        out[name] = package_version(name)
    return out


def run_record(stages: list[Stage], out: Path, params: dict, corpus: Path | None, results: dict) -> dict:
    """run.json: the command, parameters, and per stage its inputs, outputs, version parts and result,
    as its declaration and last run say; packages and the git commit."""
    cache = catalog.Cache(Path(out) / "cache")
    per_stage = {}
    for s in stages:
        rec = cache.read_record(s.name)
        if rec is None:
            continue
        per_stage[s.name] = {
            "inputs": rec.get("inputs"),
            "outputs": rec.get("outputs"),
            "version": rec.get("version"),
            "resources": {r: [str(f) for f in resource_files(r, params)] for r in s.resources},
            "result": results.get(s.name, rec.get("result")),
            "seconds": rec.get("seconds"),  # of the run that made its tables (not of a run that found them up to date)
        }
    resources = {
        r: {str(f): catalog.sha256_file(f) for f in resource_files(r, params)}
        for s in stages
        if s.name in per_stage
        for r in s.resources
    }
    # read by the notebooks, not by a stage: recorded so a figure's term counts can be traced to the list
    resources["stopwords"] = {str(f): catalog.sha256_file(f) for f in resource_files("stopwords", params)}
    ingest = per_stage.get(stages[0].name, {}).get("inputs") or {}
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "corpus": str(corpus) if corpus else None,
        "corpus_sha256": ingest.get("corpus"),
        "manifest_sha256": ingest.get("manifest"),
        "params": params,
        "resources": resources,
        "stages": per_stage,
        "packages": package_versions(),
        "git_commit": catalog.git_commit(ROOT),
    }
