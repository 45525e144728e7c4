"""Paths and parameters.

Every path is derived from the project root (the folder above this package),
never from the current directory.  Parameters come from one file,
``params.yaml`` at the root; a run can point at another file with
``--params``.  Unknown keys are an error that names the key, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import cast

import yaml

from .errors import ParamError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
RESOURCES = PACKAGE / "resources"
DEFAULT_PARAMS = ROOT / "params.yaml"
DEFAULT_CORPUS = ROOT / "corpus"
DEFAULT_OUT = ROOT / "outputs"


def _merge(base: dict, override: dict, path: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        where = f"{path}{key}"
        if key not in base:
            raise ParamError(f"unknown parameter '{where}' (known here: {', '.join(sorted(base))})")
        if isinstance(base[key], dict) and isinstance(value, dict):
            out[key] = _merge(base[key], value, where + ".")
        else:
            out[key] = value
    return out


def load_params(path: Path | str | None = None, overrides: dict | None = None) -> dict:
    """Parameters from params.yaml (the defaults), then ``path``, then ``overrides``."""
    defaults = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    params = defaults
    if path and Path(path).resolve() != DEFAULT_PARAMS:
        p = Path(path)
        if not p.exists():
            raise ParamError(f"parameter file not found: {p}")
        params = _merge(defaults, yaml.safe_load(p.read_text(encoding="utf-8")) or {})
    if overrides:
        params = _merge(params, overrides)
    return params


def resource(path_or_none: str | None, default_name: str) -> Path:
    """A user-supplied resource file (relative to the root) or the shipped one."""
    if path_or_none:
        p = Path(path_or_none)
        p = p if p.is_absolute() else ROOT / p
        if not p.exists():
            raise ParamError(f"resource file not found: {p}")
        return p
    return RESOURCES / default_name


# Resource files a stage can read: name -> (the parameter that replaces it, the shipped file).
# Stages declare them by name; the runner hashes their bytes into the stage's version.
RESOURCE_FILES = {
    "cleaning_rules": ("clean.rules", "cleaning.yaml"),
    "genres": ("metadata.genres", "genres.yaml"),
    "gazetteer": ("places.gazetteer", None),  # None: the national table shipped by cpca
    "block_phrases": ("places.block_phrases", "place_block_phrases.txt"),
    "userdict": ("segment.userdict", "userdict.txt"),
    "stopwords": ("segment.stopwords", "stopwords.txt"),
    "codebook": ("themes.codebook", "codebook.yaml"),
    "labels": ("themes.labels", None),  # a list of file patterns
    "measure_model": ("themes.measure_model", "measure_crf.crfsuite"),
    "audit_rules": ("audit.rules", "audit.yaml"),
}


def param(params: dict, path: str):
    """The value at a dotted path ("segment.engine"); a ParamError names a path that does not exist."""
    value = params
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ParamError(f"unknown parameter '{path}'")
        value = value[part]
    return value


def resource_files(name: str, params: dict) -> list[Path]:
    """The files behind a named resource under these parameters (the user's, else the shipped ones)."""
    if name not in RESOURCE_FILES:
        raise ParamError(f"unknown resource '{name}' (known: {', '.join(RESOURCE_FILES)})")
    path, default = RESOURCE_FILES[name]
    value = param(params, path)
    if name == "labels":
        import glob

        out: list[Path] = []
        for pattern in value or []:
            p = Path(pattern)
            out += sorted(Path(x) for x in glob.glob(str(p if p.is_absolute() else ROOT / p)))
        return out
    if name == "gazetteer" and not value:
        from .ingest.places import default_gazetteer_path

        table = default_gazetteer_path()
        return [f for f in (table, table.parent / "56_nations.csv") if f.exists()]
    # default is None only for the gazetteer, whose value is set here: resource() never falls back to it
    return [resource(value, cast(str, default))]
