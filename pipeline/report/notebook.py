"""What the notebooks call: load a run's tables, check the parameters, and the
recipes that turn tables into the figures (each returns the figure and the
exact data it plots).

A notebook's first cell after its parameters is ``ctx = setup(...)``: an
unknown city, theme, format or language stops the notebook there with a
message listing the valid values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import catalog, compare
from ..config import ROOT, resource, resource_files
from ..errors import PipelineError
from ..segment.tokens import load_stopwords
from ..themes.codebook import Codebook, load_codebook
from . import figures

LANGS = ("zh", "en")


class ParameterError(PipelineError, ValueError):
    """A notebook parameter that cannot be used; the message lists the valid values."""


@dataclass
class Context:
    data_dir: Path
    out_dir: Path
    cities: list[str]
    themes: list[str]
    min_count: int
    top_n: int
    query: str
    lang: str
    formats: list[str]
    dpi: int
    seed: int
    codebook: Codebook
    documents: pd.DataFrame
    sentences: pd.DataFrame
    tokens: pd.DataFrame
    items: pd.DataFrame
    matrix: pd.DataFrame
    stopwords: frozenset
    saved: list = field(default_factory=list)

    # labels in the chosen language
    def t(self, text: str) -> str:
        return figures.label(text, self.lang)

    def place(self, name: str) -> str:
        return figures.label(name, self.lang, "place") if name != "(unknown)" else self.t("(unknown)")

    def theme(self, name: str) -> str:
        return figures.theme_label(name, self.lang, self.codebook)

    def term(self, term: str) -> str:
        return figures.label(term, self.lang, "terms")

    def save(self, fig, data: pd.DataFrame, name: str) -> list[Path]:
        """figures/<name>[_en].{pdf,svg,png} and figures/<name>[_en].csv."""
        name = name if self.lang == "zh" else f"{name}_{self.lang}"
        paths = figures.save_figure(fig, data, name, self.out_dir, self.formats, self.dpi)
        self.saved += paths
        return paths


def _check_list(name: str, given, valid: list[str], allow_prefix: bool = False) -> list[str]:
    if given is None:
        return []
    if isinstance(given, str):
        given = [given]
    out = []
    for g in given:
        if g in valid:
            out.append(g)
            continue
        hits = [v for v in valid if allow_prefix and v.startswith(str(g))]
        if len(hits) == 1:
            out.append(hits[0])
            continue
        raise ParameterError(f"unknown {name} '{g}'; valid values: {', '.join(valid) or '(none)'}")
    return out


def setup(
    data_dir="outputs",
    out_dir="outputs",
    cities=None,
    themes=None,
    min_count: int = 2,
    top_n: int = 20,
    query: str = "机制",
    lang: str = "zh",
    formats=("pdf", "svg", "png"),
    dpi: int = 300,
    seed: int = 42,
    codebook: str | None = None,
) -> Context:
    """Check the parameters against the run's tables and load them."""
    data_dir = Path(data_dir) if Path(data_dir).is_absolute() else ROOT / data_dir
    out_dir = Path(out_dir) if Path(out_dir).is_absolute() else ROOT / out_dir
    if lang not in LANGS:
        raise ParameterError(f"unknown lang '{lang}'; valid values: {', '.join(LANGS)}")
    fmts = _check_list("format", list(formats), list(figures.FORMATS))
    if not fmts:
        raise ParameterError(f"formats is empty; valid values: {', '.join(figures.FORMATS)}")
    if int(min_count) < 1 or int(top_n) < 1 or int(dpi) < 50:
        raise ParameterError("min_count and top_n must be at least 1, dpi at least 50")
    # the codebook and stopwords of the run that wrote these tables, unless the caller names a codebook
    run = catalog.run_params(data_dir)
    cb = load_codebook(
        resource(codebook, "codebook.yaml") if codebook or run is None else resource_files("codebook", run)[0]
    )
    stopwords = load_stopwords(resource_files("stopwords", run)[0] if run else resource(None, "stopwords.txt"))
    documents = catalog.read_artifact(data_dir, "documents")
    if "counted" in documents:  # near duplicates count once (the audit's choice, audit.keep_near_duplicates)
        documents = documents[documents.counted].reset_index(drop=True)
    valid_cities = sorted(documents.city.dropna().unique())
    chosen_cities = _check_list("city", cities or [], valid_cities, allow_prefix=True)
    chosen_themes = _check_list("theme", themes or [], list(cb.themes)) or list(cb.themes)
    keep = documents if not chosen_cities else documents[documents.city.isin(chosen_cities)]
    ids = set(keep.doc_id)
    sentences = catalog.read_artifact(data_dir, "sentences")
    tokens = catalog.read_artifact(data_dir, "tokens", columns=["doc_id", "sent_id", "token", "start", "end"])
    items = catalog.read_artifact(data_dir, "themes")
    matrix = pd.read_csv(catalog.artifact_path(data_dir, "theme_matrix"), encoding="utf-8-sig")
    if chosen_cities:
        matrix = matrix[matrix.city.isin(chosen_cities)]
    figures.setup_style()
    return Context(
        data_dir,
        out_dir,
        chosen_cities,
        chosen_themes,
        int(min_count),
        int(top_n),
        str(query),
        lang,
        fmts,
        int(dpi),
        int(seed),
        cb,
        keep.reset_index(drop=True),
        sentences[sentences.doc_id.isin(ids)].reset_index(drop=True),
        tokens[tokens.doc_id.isin(ids)].reset_index(drop=True),
        items[items.doc_id.isin(ids) & items.theme.isin(chosen_themes)].reset_index(drop=True),
        matrix.reset_index(drop=True),
        stopwords,
    )


def city_of(ctx: Context) -> pd.Series:
    return ctx.documents.set_index("doc_id").city.fillna("(unknown)").rename("city")


# --------------------------------------------------------------------------- recipes


def documents_per_city(ctx: Context):
    d = ctx.documents.assign(city=ctx.documents.city.fillna("(unknown)"))
    data = d.groupby("city").agg(documents=("doc_id", "count"), characters=("n_chars", "sum")).reset_index()
    data = data.sort_values(["documents", "characters", "city"], ascending=[False, False, True]).head(
        max(ctx.top_n, 30)
    )
    series = pd.Series(data.characters.values / 1000, index=[ctx.place(c) for c in data.city])
    fig = figures.bars(
        series,
        ctx.t("字数") + " (×1000)" if ctx.lang == "zh" else "Clean text per city",
        "千字" if ctx.lang == "zh" else "thousand characters",
    )
    data.insert(1, "label", list(series.index))
    return fig, data


def cleaning_audit(ctx: Context):
    report = pd.read_csv(catalog.artifact_path(ctx.data_dir, "cleaning_report"), encoding="utf-8-sig")
    report = report[report.doc_id.isin(ctx.documents.doc_id)]
    removed = report[report.raw_start.notna()]
    data = removed.pivot_table(index="doc_id", columns="rule", values="n_chars", aggfunc="sum", fill_value=0)
    data = data.loc[data.sum(axis=1).sort_values(ascending=False).index[: max(ctx.top_n, 20)]]
    title = "清洗删除的字符（按规则）" if ctx.lang == "zh" else "Characters removed by cleaning rule"
    if data.empty:  # a clean corpus: the cleaner had nothing to remove
        note = "没有任何规则删除文字" if ctx.lang == "zh" else "No cleaning rule removed any text"
        return figures.nothing_to_show(title, note), data.reset_index()
    fig = figures.heatmap(data, title, "字符" if ctx.lang == "zh" else "characters", fmt=".0f")
    return fig, data.reset_index()


AUDIT_LABELS = {
    "place_conflict": "地名与正文矛盾",
    "year_conflict": "年份与正文矛盾",
    "truncated": "文本不完整",
    "near_duplicate": "近似重复",
    "broken_lines": "断行（已重接）",
    "not_chinese": "非中文",
    "too_short": "过短",
    "error": "错误",
    "warning": "警告",
    "info": "提示",
}
SEVERITY_COLOURS = {"error": "#D55E00", "warning": "#E69F00", "info": "#999999"}  # Okabe-Ito


def quality_report(ctx: Context) -> pd.DataFrame:
    """The audit's findings (data/quality_report.csv) for the documents in view: with a city filter, the
    findings on those cities' documents (near-duplicate copies included); without, all of them."""
    from ..ingest.audit import CHECKS

    q = pd.read_csv(catalog.artifact_path(ctx.data_dir, "quality_report"), encoding="utf-8-sig", dtype=str)
    if ctx.cities:
        every = catalog.read_artifact(ctx.data_dir, "documents", columns=["doc_id", "city"])
        q = q[q.doc_id.isin(every[every.city.isin(ctx.cities)].doc_id)]
    order = {c: i for i, c in enumerate(CHECKS)}
    return q.assign(_o=q.check.map(order)).sort_values(["_o", "doc_id"]).drop(columns="_o").reset_index(drop=True)


def audit_overview(ctx: Context):
    """Documents per audit check, by severity (a document counted once per check and severity)."""
    from ..ingest.audit import CHECKS, SEVERITIES

    q = quality_report(ctx)
    title = "语料审查：各项检查标记的文档数" if ctx.lang == "zh" else "Corpus audit: documents flagged by each check"
    data = (
        q.drop_duplicates(["doc_id", "check", "severity"])
        .pivot_table(index="check", columns="severity", values="doc_id", aggfunc="count", fill_value=0)
        .reindex(index=[c for c in CHECKS if c in set(q.check)], columns=list(SEVERITIES), fill_value=0)
    )
    if data.empty:
        note = "没有任何检查标记文档" if ctx.lang == "zh" else "No check flagged any document"
        return figures.nothing_to_show(title, note), data.reset_index()

    def name(key: str) -> str:
        return AUDIT_LABELS[key] if ctx.lang == "zh" else key.replace("_", " ")

    shown = data.loc[:, data.sum() > 0].rename(index=name, columns=name)  # no legend entry for an empty severity
    colours = {name(k): v for k, v in SEVERITY_COLOURS.items()}
    fig = figures.stacked_bars(shown, title, "文档数" if ctx.lang == "zh" else "documents", colours)
    return fig, data.reset_index()


def keyness(ctx: Context, target: str, top_n: int | None = None):
    """Log-odds (informative Dirichlet prior) of the target city against the rest, top terms each way."""
    counts = compare.term_counts(ctx.tokens, ctx.stopwords, city_of(ctx))
    if target not in counts.index:
        raise ParameterError(f"no tokens for '{target}'; cities: {', '.join(map(str, counts.index))}")
    if len(counts) < 2:
        raise ParameterError("keyness needs at least two cities")
    k = compare.keyness_log_odds(counts, target, min_count=ctx.min_count)
    n = top_n or min(ctx.top_n, 15)
    data = pd.concat([k.head(n), k.tail(n).iloc[::-1]]).drop_duplicates("term")
    data = data.sort_values("z", ascending=False).reset_index(drop=True)
    data["label"] = [ctx.term(t) for t in data.term]
    title = (
        f"{ctx.place(target)}：特征词（对数优势比 z）"
        if ctx.lang == "zh"
        else f"Distinctive terms of {ctx.place(target)} (log-odds z)"
    )
    fig = figures.diverging_bars(data, "z", "label", title, "z")
    return fig, data


def theme_profiles(ctx: Context):
    m = ctx.matrix.set_index("city")
    cols = [f"{t}_per_10k" for t in ctx.themes]
    data = m[cols].copy()
    data.columns = ctx.themes
    data = data.loc[data.sum(axis=1).sort_values(ascending=False).index[: max(ctx.top_n, 30)]]
    shown = data.rename(index=ctx.place, columns=ctx.theme)
    colours = {ctx.theme(t): ctx.codebook.colour(t) for t in ctx.themes}
    hatches = {ctx.theme(t): ctx.codebook.themes[t].hatch for t in ctx.themes}
    fig = figures.grouped_bars(
        shown,
        "各城市主题条目（每万字）" if ctx.lang == "zh" else "Theme items per 10,000 characters",
        "每万字条目数" if ctx.lang == "zh" else "items per 10,000 characters",
        colours,
        hatches,
    )
    out = data.reset_index()
    out.insert(1, "label", [ctx.place(c) for c in out.city])
    return fig, out


def city_theme_heatmap(ctx: Context):
    m = ctx.matrix.set_index("city")
    data = m[[f"{t}_per_10k" for t in ctx.themes]].copy()
    data.columns = ctx.themes
    data = data.loc[data.sum(axis=1).sort_values(ascending=False).index[: max(ctx.top_n, 40)]]
    shown = data.rename(index=ctx.place, columns=ctx.theme)
    fig = figures.heatmap(
        shown,
        "城市 × 主题（每万字条目数）" if ctx.lang == "zh" else "City × theme (items per 10,000 characters)",
        "每万字" if ctx.lang == "zh" else "per 10,000 characters",
        width=figures.SINGLE_COLUMN * 1.3,
    )
    out = data.reset_index()
    out.insert(1, "label", [ctx.place(c) for c in out.city])
    return fig, out


def similarity(ctx: Context, basis: str = "tfidf"):
    """City similarity (cosine) over TF-IDF of terms or over theme profiles, as a dendrogram."""
    if basis == "tfidf":
        counts = compare.term_counts(ctx.tokens, ctx.stopwords, city_of(ctx))
        sim = compare.cosine_similarity_table(compare.tfidf_matrix(counts))
        title = "城市相似度（词语 TF-IDF）" if ctx.lang == "zh" else "City similarity (TF-IDF of terms)"
    elif basis == "themes":
        sim = compare.cosine_similarity_table(compare.theme_profiles(ctx.matrix, ctx.themes))
        title = "城市相似度（主题构成）" if ctx.lang == "zh" else "City similarity (theme profiles)"
    else:
        raise ParameterError(f"unknown similarity basis '{basis}'; valid values: tfidf, themes")
    shown = sim.rename(index=ctx.place, columns=ctx.place)
    fig = figures.dendrogram(shown, title)
    return fig, sim.reset_index().rename(columns={"index": "city"})


def cooccurrence(ctx: Context, max_nodes: int = 30):
    g = compare.cooccurrence_network(ctx.items, ctx.themes, ctx.min_count)
    if g.number_of_nodes() > max_nodes:  # the most reported, best connected practices stay legible
        keep = sorted(g.nodes, key=lambda n: (-g.nodes[n]["count"], -g.degree(n, weight="weight"), n))[:max_nodes]
        g = g.subgraph(keep).copy()
    labels = {n: ctx.term(n) for n in g}
    fig = figures.network(
        g,
        "实践共现网络" if ctx.lang == "zh" else "Co-occurring practices",
        labels,
        {t: ctx.codebook.colour(t) for t in ctx.codebook.themes},
        ctx.seed,
    )
    return fig, compare.network_table(g), g


def topic_prevalence(ctx: Context, n_topics: int = 5):
    counts = compare.term_counts(ctx.tokens, ctx.stopwords, city_of(ctx))
    counts = counts.loc[:, (counts > 0).sum(axis=0) >= min(2, len(counts))]
    terms, prev = compare.topics(counts, min(n_topics, max(1, len(counts))), ctx.seed)
    top = terms[terms["rank"] <= 3].groupby("topic").term.apply(lambda s: "/".join(ctx.term(t) for t in s))
    shown = prev.copy()
    shown.columns = [f"{c}: {top[int(c.split()[-1])]}" for c in prev.columns]
    shown = shown.rename(index=ctx.place).head(max(ctx.top_n, 40))
    fig = figures.heatmap(
        shown,
        "主题模型（NMF）各城市占比" if ctx.lang == "zh" else "Topic prevalence by city (NMF)",
        "占比" if ctx.lang == "zh" else "share",
        fmt=".2f",
    )
    return fig, terms, prev.reset_index()
