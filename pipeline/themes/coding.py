"""One batch of documents coded: what a worker does in the themes stage.

A worker reads the sentences and tokens of its documents from the segment stage's tables (only the row groups
that hold them), runs the codebook's rules and the classifier, and returns each document's items as an Arrow
table of :func:`item_schema` — the form they are cached and written in, so that a document coded now and one read
from the cache give the same bytes.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import lru_cache

TOKEN_COLUMNS = ["doc_id", "sent_id", "token", "start", "end"]


@lru_cache(maxsize=1)
def item_schema():
    """The Arrow schema of theme items, with the pandas metadata that reads ``item_start``/``item_end`` back as
    nullable integers."""
    import pyarrow as pa

    from ..catalog import pandas_schema
    from .rules import ITEM_COLUMNS

    types = {
        "score": pa.float64(),
        "start": pa.int64(),
        "end": pa.int64(),
        "item_start": pa.int64(),
        "item_end": pa.int64(),
        "sent_id": pa.int64(),
        "section_path": pa.list_(pa.string()),
        "repeat": pa.bool_(),
    }
    return pandas_schema([(c, types.get(c, pa.string())) for c in ITEM_COLUMNS], ("item_start", "item_end"))


def to_arrow(items):
    """A DataFrame of items (ITEM_COLUMNS) as an Arrow table of :func:`item_schema`."""
    import pyarrow as pa

    schema = item_schema()
    return pa.Table.from_pandas(items[schema.names], schema=schema, preserve_index=False).replace_schema_metadata(
        schema.metadata
    )


_CODEBOOKS: dict[str, object] = {}


def _one_per_process(codebook):
    """The codebook this process already holds when ``codebook`` has the same contents (the sha256 of its file):
    every chunk of documents arrives with its own copy, and the rules memoise their answers per codebook object, so
    without this each chunk would start with empty caches and keep its copy alive in them."""
    if not getattr(codebook, "sha256", ""):
        return codebook  # built in memory, not read from a file: nothing to know it by
    return _CODEBOOKS.setdefault(codebook.sha256, codebook)


def code_documents(
    out_dir: str,
    doc_ids: list[str],
    codebook,
    lexicon: str,
    model,
    threshold: float,
    labelled: AbstractSet[str],
    measure_model: str | None = None,
    model_genres: AbstractSet[str] | None = None,
    agree: bool = False,
    gazetteer: str | None = None,
) -> list[tuple[str, object]]:
    """[(doc_id, items as an Arrow table)] for ``doc_ids`` (sorted), read from the tables in ``out_dir``."""
    import pyarrow.compute as pc

    from .. import catalog
    from ..ingest.places import place_words
    from .classifier import ScorerBytes
    from .rules import add_model_items, dictionary_pos, extract_items

    codebook = _one_per_process(codebook)
    if isinstance(model, catalog.ModelBytes):
        model = model.load()  # the classifier as bytes from the stage's process: unpickled once per worker
    elif isinstance(model, ScorerBytes):
        model = model.load(lexicon)  # its arrays, built once per worker (no scikit-learn)
    sentences = catalog.read_artifact_rows(out_dir, "sentences", doc_ids)
    tokens = catalog.read_artifact_rows(out_dir, "tokens", doc_ids, columns=TOKEN_COLUMNS)
    docs = catalog.read_artifact_rows(out_dir, "documents", doc_ids, columns=["doc_id", "genre"])
    genres = {d: g for d, g in zip(docs["doc_id"].tolist(), docs["genre"].tolist(), strict=True) if isinstance(g, str)}
    tags, places = dictionary_pos(lexicon), place_words(gazetteer)
    items = extract_items(sentences, tokens, codebook, tags, genres, measure_model, model_genres, agree, places)
    items = add_model_items(items, sentences, model, codebook, threshold, labelled)
    whole = to_arrow(items.reset_index(drop=True))
    # each document's own compact table (a filter copies; a slice would carry the whole chunk's buffers with it
    # into the cache, through the pipe and into memory)
    return [(d, whole.filter(pc.equal(whole["doc_id"], d))) for d in doc_ids]
