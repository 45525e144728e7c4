"""The tables people read: theme items with their place and context, and the city × theme matrix.

Both can be built a batch of documents at a time (:func:`item_rows` per batch, :func:`matrix_from_counts` from the
per-document counts), which is how the themes stage writes them; :func:`theme_tables` builds both at once.
"""

from __future__ import annotations

META_COLUMNS = ["doc_id", "title", "province", "city", "year", "n_chars", "counted"]
ITEM_TABLE_COLUMNS = [
    "doc_id",
    "city",
    "province",
    "year",
    "theme",
    "theme_label",
    "item",
    "canonical",
    "method",
    "score",
    "action",
    "object",
    "target",
    "evidence",
    "start",
    "end",
    "section",
    "repeat",
]


def item_rows(items, documents, codebook, lang: str = "zh"):
    """Items with city, province, year, the theme's label and the section they stand in, sorted."""
    meta = documents[["doc_id", "title", "province", "city", "year", "n_chars"]]
    it = items.merge(meta, on="doc_id", how="left")
    for col in ("action", "object", "target"):  # items cached by an earlier version lack the measure fields
        if col not in it:
            it[col] = None
    if "repeat" not in it:
        it["repeat"] = False
    it["theme_label"] = it.theme.map(lambda t: codebook.label(t, lang))
    it["section"] = it.section_path.map(lambda p: " / ".join(p) if p is not None else "")
    table = it[ITEM_TABLE_COLUMNS].sort_values(["doc_id", "start", "theme", "item"], kind="stable")
    return table.reset_index(drop=True)


def practices(items):
    """The items that count: every measure, and each practice (problem, mechanism, carrier) once per document, at
    its first mention (a later mention is in the items table as a ``repeat``)."""
    if "repeat" not in items:  # items cached by an earlier version hold first mentions only
        return items
    return items[~items["repeat"].fillna(False).astype(bool)]


def item_counts(items):
    """(doc_id, theme, n) of a batch of items: measures, and practices once per document (:func:`practices`)."""
    return practices(items).groupby(["doc_id", "theme"], sort=True).size().rename("n").reset_index()


def matrix_from_counts(counts, documents, codebook):
    """Per city the documents, characters, item counts per theme and rates per 10,000 characters (documents the
    audit does not count — the copies of a near duplicate — are left out)."""
    import pandas as pd

    # the matrix compares cities: a group of near duplicates counts once (documents.counted, set by the audit)
    docs = documents[documents.counted] if "counted" in documents else documents
    docs = docs.assign(city=docs.city.fillna("(unknown)"))
    city_of = dict(zip(docs.doc_id, docs.city, strict=True))
    counted = counts[counts.doc_id.isin(city_of)]
    per_city = (
        counted.assign(city=counted.doc_id.map(city_of)).pivot_table(
            index="city", columns="theme", values="n", aggfunc="sum", fill_value=0
        )
        if len(counted)
        else pd.DataFrame()
    )
    base = docs.groupby("city").agg(n_docs=("doc_id", "count"), n_chars=("n_chars", "sum"))
    matrix = base.join(per_city, how="left").fillna(0)
    for t in codebook.themes:
        if t not in matrix:
            matrix[t] = 0
        matrix[t] = matrix[t].astype(int)
    for t in codebook.themes:
        matrix[f"{t}_per_10k"] = (matrix[t] / matrix.n_chars * 10000).round(3)
    cols = ["n_docs", "n_chars"] + list(codebook.themes) + [f"{t}_per_10k" for t in codebook.themes]
    return matrix[cols].reset_index().sort_values("city").reset_index(drop=True)


def theme_tables(items, documents, codebook, lang: str = "zh"):
    """(theme_items, theme_matrix) of a whole table of items."""
    return item_rows(items, documents, codebook, lang), matrix_from_counts(item_counts(items), documents, codebook)
