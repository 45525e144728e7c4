"""Shared fixtures: the seed corpus, the shared corpora beside the project, and
ingest results computed once per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import ROOT, load_params
from pipeline.ingest import ingest_corpus

# trained classifiers go to a store of this test session, never to the user's own (pipeline.catalog.model_store)
os.environ.setdefault("PIPELINE_MODEL_STORE", tempfile.mkdtemp(prefix="pipeline-test-models-"))

SHARED = Path(os.environ.get("SHARED_CORPORA", ROOT.parent / "shared" / "corpora"))
CORPUS = ROOT / "corpus"
SEEDS = {
    "qingdao": "000_5fcd6df6dad751d5",
    "mudanjiang": "001_df366a2ac09a5700",
    "harbin": "002_64762f88fb4236a6",
    "dalian": "003_418a7a2bfb11c8bb",
    "nocity": "004_aef4aad6fb3cea82",
}


def need_shared(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared corpus not present: {p}")
    return p


@pytest.fixture(scope="session")
def params() -> dict:
    return load_params()


@pytest.fixture(scope="session")
def seeds_inferred(params):
    """The seed corpus ingested WITHOUT the manifest: everything inferred."""
    docs, report, log, _q = ingest_corpus(CORPUS, params, use_manifest=False)
    return docs.set_index("doc_id", drop=False), report, log


@pytest.fixture(scope="session")
def seed_raw() -> dict[str, str]:
    return {name: (CORPUS / "raw" / f"{stem}.txt").read_text(encoding="utf-8") for name, stem in SEEDS.items()}


@pytest.fixture(scope="session")
def seed_text(seeds_inferred) -> dict[str, str]:
    docs = seeds_inferred[0]
    return {name: docs.loc[stem, "text"] for name, stem in SEEDS.items()}


@pytest.fixture(scope="session")
def cities_txt(params) -> pd.DataFrame:
    docs, _, _, _q = ingest_corpus(need_shared("cities-2024", "txt"), params, use_manifest=False)
    return docs.set_index("doc_id", drop=False)


@pytest.fixture(scope="session")
def cities_docx(params) -> pd.DataFrame:
    docs, _, _, _q = ingest_corpus(need_shared("cities-2024", "docx"), params, use_manifest=False)
    return docs.set_index("doc_id", drop=False)


@pytest.fixture(scope="session")
def provinces(params):
    docs, report, _, _q = ingest_corpus(need_shared("provinces-2026"), params, use_manifest=False)
    return docs.set_index("doc_id", drop=False), report
