"""One document's sentences and tokens as Arrow tables (what a worker returns)."""

from __future__ import annotations

SENTENCE_COLUMNS = [
    "doc_id",
    "sent_id",
    "start",
    "end",
    "text",
    "para_id",
    "section_path",
    "heading_level",
    "is_heading",
    "enum_marker",
    "item_lead",
]
TOKEN_COLUMNS = ["doc_id", "sent_id", "token", "pos", "start", "end"]


def _sentence_types():
    import pyarrow as pa

    return {
        "sent_id": pa.int64(),
        "start": pa.int64(),
        "end": pa.int64(),
        "text": pa.string(),
        "para_id": pa.int64(),
        "section_path": pa.list_(pa.string()),
        "heading_level": pa.int64(),
        "is_heading": pa.bool_(),
        "enum_marker": pa.string(),
        "item_lead": pa.string(),
    }


def sentence_schema():
    import pyarrow as pa

    return pa.schema([("doc_id", pa.string()), *_sentence_types().items()])


def token_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("doc_id", pa.string()),
            ("sent_id", pa.int64()),
            ("token", pa.string()),
            ("pos", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
        ]
    )


def segment_document(
    doc_id: str,
    text: str,
    title: str | None,
    want_sentences: bool,
    want_tokens: bool,
    lexicon: str,
    engine: str,
    pos: bool,
    plain_max: int,
    lead_max: int,
):
    """(doc_id, sentences, tokens) of one document; a table is None when not wanted."""
    import numpy as np
    import pyarrow as pa

    from .structure import sentences as document_sentences
    from .tokens import tokenize

    sents = document_sentences(text, title, plain_max=plain_max, lead_max=lead_max)
    sent_tab = tok_tab = None
    if want_sentences:
        cols = {c: [r[c] for r in sents] for c in SENTENCE_COLUMNS[1:]}
        types = _sentence_types()
        sent_tab = pa.table(
            {
                "doc_id": pa.array([doc_id] * len(sents), pa.string()),
                **{c: pa.array(cols[c], types[c]) for c in SENTENCE_COLUMNS[1:]},
            }
        )
    if want_tokens:
        words, tags, starts, ends = tokenize(text, lexicon, engine, pos)
        s_start = np.array([r["start"] for r in sents], dtype=np.int64)
        s_end = np.array([r["end"] for r in sents], dtype=np.int64)
        k = np.searchsorted(s_start, starts, side="right") - 1
        inside = (k >= 0) & (starts < s_end[np.clip(k, 0, None)]) if len(sents) else np.zeros(len(words), bool)
        idx = np.flatnonzero(inside)
        tok_tab = pa.table(
            {
                "doc_id": pa.array([doc_id] * len(idx), pa.string()),
                "sent_id": pa.array(k[idx], pa.int64()),
                "token": pa.array([words[i] for i in idx], pa.string()),
                "pos": pa.array([tags[i] for i in idx] if tags is not None else [None] * len(idx), pa.string()),
                "start": pa.array(starts[idx], pa.int64()),
                "end": pa.array(ends[idx], pa.int64()),
            }
        )
    return doc_id, sent_tab, tok_tab
