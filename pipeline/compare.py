"""Comparing documents and cities: terms, keyness, concordance, practices, similarity, networks, topics.

Every function takes tables (tokens, sentences, themes, documents) and
parameters and returns a DataFrame (or a graph); none reads or writes files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

WORD = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9]*$")


def term_pairs(
    tokens: pd.DataFrame, stopwords: frozenset[str] | set[str], group: pd.Series | None = None, min_chars: int = 2
) -> pd.Series:
    """Counts of content terms in long form: a Series indexed by (document or group, term), sorted.  Stopwords,
    single characters, numbers and punctuation are left out (only here: tokens are never changed).  Counts add up
    over any split of the tokens, and take memory by the pairs that occur, not by rows × terms."""
    t = tokens[tokens.token.str.len() >= min_chars]
    # astype(bool): on no tokens the map gives an empty object Series, which pandas would take for column labels
    t = t[t.token.map(lambda w: bool(WORD.match(w)) and w not in stopwords).astype(bool)]
    key = t.doc_id if group is None else t.doc_id.map(group)
    name = "doc_id" if group is None else (group.name or "group")
    keep = key.notna().to_numpy()
    index = pd.MultiIndex.from_arrays([key.to_numpy()[keep], t.token.to_numpy()[keep]], names=[name, "token"])
    return pd.Series(1, index=index, dtype="int64").groupby(level=[0, 1]).sum().sort_index()


def term_matrix(pairs: pd.Series, sparse: bool = False) -> pd.DataFrame:
    """Long-form counts (:func:`term_pairs`) as a matrix: rows are documents or groups, columns terms, both sorted.
    ``sparse`` keeps it sparse (a corpus's documents × its vocabulary would not fit in memory as a dense table)."""
    name = pairs.index.names[0]
    if pairs.empty:
        return pd.DataFrame(
            index=pd.Index([], dtype=object, name=name), columns=pd.Index([], dtype=object, name="token")
        )
    if not sparse:
        counts = pairs.unstack("token", fill_value=0).astype("int64")
        counts.index.name, counts.columns.name = name, "token"
        return counts.sort_index()[sorted(counts.columns)]
    import scipy.sparse as sp

    rows, keys = pd.factorize(pairs.index.get_level_values(0), sort=True)
    cols, terms = pd.factorize(pairs.index.get_level_values(1), sort=True)
    m = sp.csr_matrix((pairs.to_numpy(), (rows, cols)), shape=(len(keys), len(terms)), dtype="int64")
    counts = pd.DataFrame.sparse.from_spmatrix(
        m, index=pd.Index(keys, name=name), columns=pd.Index(terms, name="token")
    )
    return counts


def term_counts(
    tokens: pd.DataFrame, stopwords: frozenset[str] | set[str], group: pd.Series | None = None, min_chars: int = 2
) -> pd.DataFrame:
    """Counts of content terms: rows are documents (or the groups ``group`` maps doc_ids to, e.g. cities), columns
    terms, both sorted (:func:`term_pairs` as a dense :func:`term_matrix`)."""
    return term_matrix(term_pairs(tokens, stopwords, group, min_chars))


def top_terms(counts: pd.DataFrame, top_n: int = 20, min_count: int = 1) -> pd.DataFrame:
    """The most frequent terms of each row: (row, rank, term, count)."""
    rows = []
    for key, row in counts.iterrows():
        r = row[row >= min_count]
        for rank, (term, n) in enumerate(sorted(r.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n], start=1):
            rows.append((key, rank, term, int(n)))
    return pd.DataFrame(rows, columns=[counts.index.name or "group", "rank", "term", "count"])


def tfidf_keywords(counts: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """Terms that mark each row against the others: TF-IDF (smoothed idf, l2-normalised rows)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    if counts.empty:
        return pd.DataFrame(columns=[counts.index.name or "group", "rank", "term", "tfidf"])
    sparse = all(isinstance(d, pd.SparseDtype) for d in counts.dtypes)
    x = counts.sparse.to_coo().tocsr() if sparse else counts.values
    w = TfidfTransformer(sublinear_tf=True).fit_transform(x).tocsr()  # a row at a time below: never dense
    rows = []
    terms = np.array(counts.columns)
    for i, key in enumerate(counts.index):
        lo, hi = w.indptr[i], w.indptr[i + 1]
        idx, val = w.indices[lo:hi], w.data[lo:hi]
        order = np.lexsort((terms[idx], -val))[:top_n]
        rows += [(key, k + 1, terms[idx[j]], round(float(val[j]), 4)) for k, j in enumerate(order) if val[j] > 0]
    return pd.DataFrame(rows, columns=[counts.index.name or "group", "rank", "term", "tfidf"])


def keyness_log_odds(counts: pd.DataFrame, target, prior_scale: float = 1.0, min_count: int = 5) -> pd.DataFrame:
    """Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008),
    of the ``target`` row(s) against all other rows.

    The prior is the whole corpus's term counts, scaled so that it sums to
    ``prior_scale`` times the mean row total; ``z`` is the log-odds difference
    over its standard deviation (their eq. 22).  Positive z: the term marks
    the target."""
    targets = [target] if not isinstance(target, (list, tuple, set)) else list(target)
    missing = [t for t in targets if t not in counts.index]
    if missing:
        raise ValueError(f"not in the table: {missing} (rows: {', '.join(map(str, counts.index))})")
    y_i = counts.loc[targets].sum(axis=0).astype(float)
    y_j = counts.drop(index=targets).sum(axis=0).astype(float)
    total = counts.sum(axis=0).astype(float)
    alpha = total / total.sum() * prior_scale * counts.sum(axis=1).mean()
    a0, n_i, n_j = alpha.sum(), y_i.sum(), y_j.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y_i + alpha) / (n_i + a0 - y_i - alpha)) - np.log((y_j + alpha) / (n_j + a0 - y_j - alpha))
        var = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
        z = delta / np.sqrt(var)
    out = pd.DataFrame(
        {
            "term": counts.columns,
            "count_target": y_i.values.astype(int),
            "count_rest": y_j.values.astype(int),
            "log_odds": delta.values,
            "z": z.values,
        }
    )
    out = out[(out.count_target + out.count_rest) >= min_count]
    return out.sort_values(["z", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


def keyness_chi2(counts: pd.DataFrame, target, min_count: int = 5) -> pd.DataFrame:
    """Pearson chi-square (2×2, with Yates' correction) of each term, target row(s) against the rest;
    ``sign`` is +1 where the term is over-represented in the target."""
    from scipy.stats import chi2_contingency

    targets = [target] if not isinstance(target, (list, tuple, set)) else list(target)
    a = counts.loc[targets].sum(axis=0)
    b = counts.drop(index=targets).sum(axis=0)
    na, nb = a.sum(), b.sum()
    rows = []
    for term in counts.columns:
        x, y = int(a[term]), int(b[term])
        if x + y < min_count:
            continue
        table = np.array([[x, na - x], [y, nb - y]])
        chi2, p, _, expected = chi2_contingency(table, correction=True)
        rows.append((term, x, y, float(chi2), float(p), 1 if x > expected[0, 0] else -1))
    out = pd.DataFrame(rows, columns=["term", "count_target", "count_rest", "chi2", "p", "sign"])
    out["signed_chi2"] = out.chi2 * out.sign
    return out.sort_values(["signed_chi2", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


def kwic(
    sentences: pd.DataFrame, documents: pd.DataFrame, query: str, width: int = 20, limit: int = 50
) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``query`` with ``width`` characters each side,
    and where it stands (document, sentence, offsets in the clean text)."""
    if not query:
        raise ValueError("query is empty")
    rows = []
    text = documents.set_index("doc_id").text
    city = documents.set_index("doc_id").city
    for r in sentences[sentences.text.str.contains(re.escape(query), regex=True)].itertuples():
        for m in re.finditer(re.escape(query), r.text):
            a, b = r.start + m.start(), r.start + m.end()
            t = text[r.doc_id]
            rows.append(
                (
                    r.doc_id,
                    city.get(r.doc_id),
                    r.sent_id,
                    a,
                    b,
                    t[max(0, a - width) : a].replace("\n", " "),
                    query,
                    t[b : b + width].replace("\n", " "),
                )
            )
    out = pd.DataFrame(rows, columns=["doc_id", "city", "sent_id", "start", "end", "left", "keyword", "right"])
    return out.sort_values(["doc_id", "start"]).head(limit).reset_index(drop=True)


def practice_matrix(
    items: pd.DataFrame, documents: pd.DataFrame, themes: list[str], min_count: int = 1, top_n: int = 8, sep: str = "；"
) -> pd.DataFrame:
    """The framework matrix: cities as rows, themes as columns, canonical items in the cells
    (most frequent first, at most ``top_n``; items seen fewer than ``min_count`` times in the city left out)."""
    if "counted" in documents:  # a group of near duplicates counts once (the audit's documents.counted)
        documents = documents[documents.counted]
    it = items.merge(documents[["doc_id", "city"]], on="doc_id", how="inner")
    it["city"] = it.city.fillna("(unknown)")
    cells = {}
    for (city, theme), g in it[it.theme.isin(themes)].groupby(["city", "theme"]):
        c = g.canonical.value_counts()
        c = c[c >= min_count]
        order = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]
        cells[(city, theme)] = sep.join(k for k, _ in order)
    cities = sorted(it.city.unique())
    return pd.DataFrame(
        [[cells.get((c, t), "") for t in themes] for c in cities], index=pd.Index(cities, name="city"), columns=themes
    )


def shared_practices(items: pd.DataFrame, documents: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Each canonical item with the number of cities that report it: shared by several or unique to one."""
    it = items[items.theme.isin(themes)].merge(documents[["doc_id", "city"]], on="doc_id", how="left")
    it["city"] = it.city.fillna("(unknown)")
    g = it.groupby(["theme", "canonical"]).agg(
        n_cities=("city", "nunique"), n_items=("item", "count"), cities=("city", lambda s: "、".join(sorted(set(s))))
    )
    g = g.reset_index()
    g["kind"] = np.where(g.n_cities > 1, "shared", "unique")
    return g.sort_values(
        ["n_cities", "n_items", "theme", "canonical"], ascending=[False, False, True, True], kind="stable"
    ).reset_index(drop=True)


def cosine_similarity_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """Cosine similarity between rows (cities) of a count or profile table, on TF-IDF weights for counts."""
    from sklearn.metrics.pairwise import cosine_similarity

    sim = cosine_similarity(matrix.values)
    return pd.DataFrame(np.round(sim, 4), index=matrix.index, columns=matrix.index)


def tfidf_matrix(counts: pd.DataFrame) -> pd.DataFrame:
    from sklearn.feature_extraction.text import TfidfTransformer

    w = TfidfTransformer(sublinear_tf=True).fit_transform(counts.values).toarray()
    return pd.DataFrame(w, index=counts.index, columns=counts.columns)


def theme_profiles(matrix: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Each city's share of items per theme (rows sum to 1)."""
    m = matrix.set_index("city")[themes].astype(float)
    return m.div(m.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)


def cluster_order(similarity: pd.DataFrame) -> list:
    """Row order from average-linkage hierarchical clustering on 1 − similarity (stable for ties)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    if len(similarity) < 3:
        return list(similarity.index)
    d = np.clip(1 - similarity.values, 0, None)
    np.fill_diagonal(d, 0)
    z = linkage(squareform(d, checks=False), method="average", optimal_ordering=True)
    return [similarity.index[i] for i in leaves_list(z)]


def cooccurrence_network(items: pd.DataFrame, themes: list[str], min_count: int = 2, by: str = "doc_id"):
    """A networkx graph: canonical items as nodes (with theme and count), an edge between two
    items reported in the same document (``by``), weighted by how many documents share them."""
    import itertools

    import networkx as nx

    it = items[items.theme.isin(themes)]
    counts = it.groupby("canonical")[by].nunique()
    keep = set(counts[counts >= min_count].index)
    g = nx.Graph()
    theme_of = it.drop_duplicates("canonical").set_index("canonical").theme
    for node in sorted(keep):
        g.add_node(node, theme=theme_of[node], count=int(counts[node]))
    for _, grp in it[it.canonical.isin(keep)].groupby(by):
        for a, b in itertools.combinations(sorted(set(grp.canonical)), 2):
            w = g.edges[a, b]["weight"] + 1 if g.has_edge(a, b) else 1
            g.add_edge(a, b, weight=w)
    return g


def induced(graph, nodes):
    """The subgraph on ``nodes`` as a new graph with nodes and edges in sorted order: networkx's subgraph views
    iterate in set order, which changes with Python's hash seed, and so would layouts and communities."""
    import networkx as nx

    keep = set(nodes)
    g = nx.Graph()
    for n in sorted(keep):
        g.add_node(n, **graph.nodes[n])
    for a, b in sorted(tuple(sorted((u, v))) for u, v in graph.edges if u in keep and v in keep):
        g.add_edge(a, b, **graph.edges[a, b])
    return g


def network_table(graph) -> pd.DataFrame:
    rows = [(*sorted((a, b)), d["weight"]) for a, b, d in graph.edges(data=True)]
    return pd.DataFrame(sorted(rows), columns=["source", "target", "weight"])


def topics(counts: pd.DataFrame, n_topics: int, seed: int, top_n: int = 10):
    """NMF topics on TF-IDF weights: (topic terms, row × topic prevalence normalised to sum 1)."""
    from sklearn.decomposition import NMF

    n_topics = max(1, min(n_topics, min(counts.shape) - 0)) if min(counts.shape) else 1
    w = tfidf_matrix(counts)
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=500)
    doc_topic = model.fit_transform(w.values)
    terms = np.array(counts.columns)
    rows = []
    for k, comp in enumerate(model.components_):
        order = np.lexsort((terms, -comp))[:top_n]
        rows += [(k + 1, r + 1, terms[j], round(float(comp[j]), 4)) for r, j in enumerate(order)]
    topic_terms = pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])
    prev = pd.DataFrame(doc_topic, index=counts.index, columns=[f"topic {k + 1}" for k in range(n_topics)])
    prev = prev.div(prev.sum(axis=1).replace(0, np.nan), axis=0).fillna(0).round(4)
    return topic_terms, prev


# --------------------------------------------------------------------------- groups, places, concordance, matrices

NOT_GROUPS = {"doc_id", "text", "text_original", "sha256", "source_file", "title", "url", "place_evidence", "extra"}


def group_columns(documents: pd.DataFrame) -> list[str]:
    """The document variables a comparison can group by: every column of documents.parquet but the text, the
    identifiers and the provenance (``*_source``) columns."""
    return [c for c in documents.columns if c not in NOT_GROUPS and not c.endswith("_source")]


def groups(documents: pd.DataFrame, by: str = "city") -> pd.Series:
    """doc_id → the document's value of ``by`` (city, province, year, genre or any manifest column), as text;
    a missing value is "(unknown)"."""
    valid = group_columns(documents)
    if by not in valid:
        raise ValueError(f"unknown group_by '{by}'; valid values: {', '.join(valid)}")
    values = documents.set_index("doc_id")[by]

    def text(v) -> str:
        if v is None or (not isinstance(v, (list, tuple, dict)) and pd.isna(v)):
            return "(unknown)"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return values.map(text).astype(str).rename(by)


@lru_cache(maxsize=2)
def _gazetteer(path: str | None):
    from .ingest.places import Gazetteer

    return Gazetteer(Path(path) if path else None)


def place_terms(boilerplate: list[str] | None = None, gazetteer_path=None) -> frozenset[str]:
    """Every place name of the gazetteer (full and short forms: 青岛市, 青岛, 黄岛区 …) and the report
    boilerplate words, to leave out of term statistics when ``place_stopwords`` is on."""
    from .config import RESOURCES

    gaz = _gazetteer(str(gazetteer_path) if gazetteer_path else None)
    words = set(gaz.by_surface)
    words |= {p.name for p in gaz.places.values()}
    if boilerplate is None:
        f = RESOURCES / "report_boilerplate.txt"
        boilerplate = [
            w.strip() for w in f.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")
        ]
    return frozenset(words | set(boilerplate))


def keyness_against(
    counts: pd.DataFrame, target, reference=None, min_count: int = 5, method: str = "log_odds"
) -> pd.DataFrame:
    """Keyness of the ``target`` group(s) against the ``reference`` group(s) (default: every other row);
    rows in neither are left out."""
    targets = [target] if not isinstance(target, (list, tuple, set)) else list(target)
    refs = (
        [r for r in counts.index if r not in targets]
        if not reference
        else ([reference] if not isinstance(reference, (list, tuple, set)) else list(reference))
    )
    missing = [g for g in targets + refs if g not in counts.index]
    if missing:
        raise ValueError(f"not in the table: {missing} (groups: {', '.join(map(str, counts.index))})")
    overlap = set(targets) & set(refs)
    if overlap:
        raise ValueError(f"in both target and reference: {sorted(overlap)}")
    if not refs:
        raise ValueError("keyness needs a reference: at least one group besides the target")
    sub = counts.loc[targets + refs]
    sub = sub.loc[:, sub.sum(axis=0) > 0]
    if method == "chi2":
        return keyness_chi2(sub, targets, min_count)
    return keyness_log_odds(sub, targets, min_count=min_count)


def kwic_regex(
    sentences: pd.DataFrame,
    documents: pd.DataFrame,
    pattern: str,
    width: int = 20,
    sort: str = "position",
    limit: int | None = None,
    by: str = "city",
    texts=None,
) -> pd.DataFrame:
    """Keyword in context for a regular expression: each match with ``width`` characters each side, its
    document, group (``by``), sentence and offsets in the clean text.  ``sort``: position (document order),
    left (by the left context read from the keyword outwards, as concordancers do), right, or keyword.
    The context is cut from the documents' clean texts: ``documents.text``, or, when ``documents`` comes without
    its texts, ``texts(doc_ids)`` → {doc_id: text}, asked only for the documents with a match."""
    if not pattern:
        raise ValueError("the concordance pattern is empty")
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise ValueError(f"not a regular expression: {pattern!r} ({e})") from None
    sorts = ("position", "left", "right", "keyword")
    if sort not in sorts:
        raise ValueError(f"unknown sort '{sort}'; valid values: {', '.join(sorts)}")
    docs = documents.set_index("doc_id")
    group = groups(documents, by) if by in documents.columns else docs.city
    hits = [
        (r, m) for r in sentences.itertuples() for m in rx.finditer(r.text) if m.end() > m.start()
    ]  # matches first: the texts are read for these documents only
    if "text" in docs.columns:
        text_of = docs.text
    elif texts is not None:
        text_of = texts(sorted({r.doc_id for r, _ in hits})) if hits else {}
    else:
        raise ValueError("kwic_regex needs the documents' texts: a text column, or texts=")
    rows = []
    for r, m in hits:
        a, b = r.start + m.start(), r.start + m.end()
        t = text_of[r.doc_id]
        left, right = t[max(0, a - width) : a].replace("\n", " "), t[b : b + width].replace("\n", " ")
        rows.append((r.doc_id, group.get(r.doc_id), r.sent_id, a, b, left, t[a:b], right, r.text))
    cols = ["doc_id", by, "sent_id", "start", "end", "left", "keyword", "right", "sentence"]
    out = pd.DataFrame(rows, columns=cols)
    if sort == "left":
        out = out.assign(_k=out.left.map(lambda s: s[::-1])).sort_values(["_k", "doc_id", "start"]).drop(columns="_k")
    elif sort == "right":
        out = out.sort_values(["right", "doc_id", "start"])
    elif sort == "keyword":
        out = out.sort_values(["keyword", "right", "doc_id", "start"])
    else:
        out = out.sort_values(["doc_id", "start"])
    out = out.reset_index(drop=True)
    return out.head(limit) if limit else out


def practice_cells(
    items: pd.DataFrame, documents: pd.DataFrame, themes: list[str], by: str = "city", top_n: int = 3
) -> pd.DataFrame:
    """The practice matrix in long form: for each group (``by``) and theme, its most reported canonical items
    with the number of items and of documents, and one example sentence with its source (document and offsets)
    — the shortest evidence, so the example is readable."""
    it = items[items.theme.isin(themes)].copy()
    it[by] = it.doc_id.map(groups(documents, by))
    it["_len"] = it.evidence.str.len()
    rows = []
    for (g, theme, canon), grp in it.groupby([by, "theme", "canonical"], sort=True):
        ex = grp.sort_values(["_len", "doc_id", "start"]).iloc[0]
        rows.append(
            (g, theme, canon, len(grp), grp.doc_id.nunique(), ex.evidence, ex.doc_id, int(ex.start), int(ex.end))
        )
    cols = [by, "theme", "canonical", "items", "documents", "example", "source_doc", "source_start", "source_end"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values([by, "theme", "items", "documents", "canonical"], ascending=[True, True, False, False, True])
    out["rank"] = out.groupby([by, "theme"]).cumcount() + 1
    return out[out["rank"] <= top_n].reset_index(drop=True)


def practice_grid(cells: pd.DataFrame, themes: list[str], by: str = "city", example_chars: int = 40) -> pd.DataFrame:
    """The long practice cells as the framework matrix: groups as rows, themes as columns, each cell listing
    "item (count): example… [document]"."""

    def cell(g: pd.DataFrame) -> str:
        return "\n".join(
            f"{r.canonical} ({r.items}): {r.example[:example_chars]}{'…' if len(r.example) > example_chars else ''}"
            f" [{r.source_doc}]"
            for r in g.itertuples()
        )

    if cells.empty:
        return pd.DataFrame(columns=themes)
    grid = cells.groupby([by, "theme"]).apply(cell, include_groups=False).unstack("theme")
    return grid.reindex(columns=themes).fillna("")


def filter_items(items: pd.DataFrame, min_score: float | None = None, methods=None) -> pd.DataFrame:
    """Theme items at or above ``min_score`` and found by one of ``methods`` (all when empty), strongest first."""
    out = items
    if min_score is not None:
        out = out[out.score.fillna(0) >= float(min_score)]
    if methods:
        known = sorted(items.method.dropna().unique())
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise ValueError(f"unknown method(s) {unknown}; valid values: {', '.join(known)}")
        out = out[out.method.isin(list(methods))]
    return out.sort_values(["score", "doc_id", "start"], ascending=[False, True, True]).reset_index(drop=True)


def communities(graph, seed: int) -> dict:
    """Node → community number (0 = the largest), Louvain modularity with a fixed seed; isolated nodes each
    their own."""
    import networkx as nx

    if graph.number_of_edges() == 0:
        found = [{n} for n in graph.nodes]
    else:
        found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    order = sorted(found, key=lambda c: (-len(c), sorted(c)[0]))
    return {n: i for i, c in enumerate(order) for n in sorted(c)}


def group_rates(items: pd.DataFrame, documents: pd.DataFrame, themes: list[str], by: str = "city") -> pd.DataFrame:
    """Theme items per 10,000 characters of clean text for each group (``by``): groups × themes, as the run's
    theme_matrix does per city."""
    g = groups(documents, by)
    chars = documents.set_index("doc_id").n_chars.groupby(g).sum()
    it = items[items.theme.isin(themes)]
    counts = pd.crosstab(it.doc_id.map(g), it.theme).reindex(index=chars.index, columns=themes).fillna(0)
    rates = (counts.div(chars.replace(0, np.nan), axis=0) * 10000).fillna(0).round(3)
    rates.index.name = by
    return rates.sort_index()
