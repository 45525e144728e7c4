"""The tables people read: theme items with their place and context, and the city × theme matrix."""

from __future__ import annotations


def theme_tables(items, documents, codebook, lang: str = "zh"):
    """(theme_items, theme_matrix): items with city, province, year and section; per city the
    documents, characters, item counts per theme and rates per 10,000 characters (documents the audit
    does not count — the copies of a near duplicate — are left out of the matrix, not of the items)."""
    meta = documents[["doc_id", "title", "province", "city", "year", "n_chars"]]
    it = items.merge(meta, on="doc_id", how="left")
    for col in ("action", "object", "target"):  # items cached by an earlier version lack the measure fields
        if col not in it:
            it[col] = None
    it["theme_label"] = it.theme.map(lambda t: codebook.label(t, lang))
    it["section"] = it.section_path.map(lambda p: " / ".join(p) if p is not None else "")
    table = it[
        [
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
        ]
    ].sort_values(["doc_id", "start", "theme", "item"], kind="stable")
    # the matrix compares cities: a group of near duplicates counts once (documents.counted, set by the audit)
    docs = documents[documents.counted] if "counted" in documents else documents
    docs = docs.assign(city=docs.city.fillna("(unknown)"))
    it = it[it.doc_id.isin(set(docs.doc_id))].assign(city=lambda d: d.city.fillna("(unknown)"))
    counts = it.pivot_table(index="city", columns="theme", values="item", aggfunc="count", fill_value=0)
    base = docs.groupby("city").agg(n_docs=("doc_id", "count"), n_chars=("n_chars", "sum"))
    matrix = base.join(counts, how="left").fillna(0)
    for t in codebook.themes:
        if t not in matrix:
            matrix[t] = 0
        matrix[t] = matrix[t].astype(int)
    for t in codebook.themes:
        matrix[f"{t}_per_10k"] = (matrix[t] / matrix.n_chars * 10000).round(3)
    cols = ["n_docs", "n_chars"] + list(codebook.themes) + [f"{t}_per_10k" for t in codebook.themes]
    return table.reset_index(drop=True), matrix[cols].reset_index().sort_values("city").reset_index(drop=True)
