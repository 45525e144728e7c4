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
from ..themes.tables import practices
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
    items: pd.DataFrame
    matrix: pd.DataFrame
    stopwords: frozenset
    group_by: str = "city"
    place_stopwords: bool = False
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

    def short_term(self, term: str) -> str:
        """A term for a crowded figure: in English its gloss alone when the glossary has one, else 汉字 pinyin."""
        return figures.label(term, self.lang, "short_terms")

    def doc(self, doc_id: str) -> str:
        return figures.romanise(doc_id) if self.lang == "en" else str(doc_id)

    def group(self, value: str) -> str:
        """A value of the grouping variable in the figure's language (places romanised)."""
        if self.group_by in ("city", "province", "district"):
            return self.place(value)
        return figures.romanise(value) if self.lang == "en" else str(value)

    def groups(self) -> pd.Series:
        """doc_id → the document's group (``group_by``)."""
        return compare.groups(self.documents, self.group_by)

    def texts(self, doc_ids) -> dict[str, str]:
        """{doc_id: clean text} of ``doc_ids``, read from the documents table (only the row groups holding them):
        the context carries no texts, so a corpus of any size opens in a notebook."""
        t = catalog.read_artifact_rows(self.data_dir, "documents", doc_ids, columns=["doc_id", "text"])
        return dict(zip(t.doc_id.tolist(), t.text.tolist(), strict=True))

    @property
    def tokens(self) -> pd.DataFrame:
        """Every token of the chosen documents (a large table on a large corpus: the suite itself only counts terms,
        with :meth:`term_counts`, which never holds it)."""
        ids = set(self.documents.doc_id)
        t = catalog.read_artifact(self.data_dir, "tokens", columns=["doc_id", "sent_id", "token", "start", "end"])
        return t[t.doc_id.isin(ids)].reset_index(drop=True)

    def term_counts(
        self,
        stopwords: frozenset | None = None,
        group: pd.Series | None = None,
        rows: int = 1_000_000,
        sparse: bool = False,
    ) -> pd.DataFrame:
        """:func:`pipeline.compare.term_counts` of the chosen documents, read from the tokens table ``rows`` rows
        at a time and added up in long form (:func:`pipeline.compare.term_pairs`): memory is set by the (document or
        group, term) pairs that occur, not by the number of tokens.  ``sparse`` returns a sparse matrix, for
        documents × terms on a large corpus."""
        stop = self.term_stopwords() if stopwords is None else stopwords
        ids = set(self.documents.doc_id)
        parts = []
        for part in catalog.iter_artifact(self.data_dir, "tokens", ["doc_id", "token"], rows=rows):
            part = part[part.doc_id.isin(ids)]
            if not part.empty:
                parts.append(compare.term_pairs(part, stop, group))
        if not parts:
            parts = [compare.term_pairs(pd.DataFrame({"doc_id": [], "token": []}, dtype=str), stop, group)]
        total = pd.concat(parts).groupby(level=[0, 1]).sum() if len(parts) > 1 else parts[0]
        return compare.term_matrix(total, sparse=sparse)

    def term_stopwords(self) -> frozenset:
        """Stopwords of the term statistics: the run's list, and the place names and report boilerplate when
        ``place_stopwords`` is on."""
        return self.stopwords | compare.place_terms() if self.place_stopwords else self.stopwords

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
    group_by: str = "city",
    place_stopwords: bool = False,
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
    # the documents' metadata, not their texts: a concordance reads the texts of the documents it quotes
    documents = catalog.read_artifact(
        data_dir, "documents", columns=catalog.artifact_columns(data_dir, "documents", drop=("text", "text_original"))
    )
    if "counted" in documents:  # near duplicates count once (the audit's choice, audit.keep_near_duplicates)
        documents = documents[documents.counted].reset_index(drop=True)
    valid_cities = sorted(documents.city.dropna().unique())
    chosen_cities = _check_list("city", cities or [], valid_cities, allow_prefix=True)
    chosen_themes = _check_list("theme", themes or [], list(cb.themes)) or list(cb.themes)
    valid_groups = compare.group_columns(documents)
    if group_by not in valid_groups:
        raise ParameterError(f"unknown group_by '{group_by}'; valid values: {', '.join(valid_groups)}")
    keep = documents if not chosen_cities else documents[documents.city.isin(chosen_cities)]
    ids = set(keep.doc_id)
    sentences = catalog.read_artifact_rows(data_dir, "sentences", ids)
    # the figures count practices: each once per document, every measure (a later mention is a repeat)
    items = practices(catalog.read_artifact_rows(data_dir, "themes", ids))
    matrix = pd.read_csv(catalog.artifact_path(data_dir, "theme_matrix"), encoding="utf-8-sig")
    if chosen_cities:
        matrix = matrix[matrix.city.isin(chosen_cities)]
    figures.setup_style(lang=lang)
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
        sentences.reset_index(drop=True),
        items[items.theme.isin(chosen_themes)].reset_index(drop=True),
        matrix.reset_index(drop=True),
        stopwords,
        group_by,
        bool(place_stopwords),
    )


def city_of(ctx: Context) -> pd.Series:
    return ctx.documents.set_index("doc_id").city.fillna("(unknown)").rename("city")


# --------------------------------------------------------------------------- recipes


def _zh(ctx: Context, zh: str, en: str) -> str:
    return zh if ctx.lang == "zh" else en


def cut_note(ctx: Context, shown: int, total: int, what_zh: str, what_en: str, by_zh: str = "", by_en: str = "") -> str:
    """ "" when everything is shown, else "top N of M <what> (by …)" in the figure's language."""
    if shown >= total:
        return ""
    if ctx.lang == "zh":
        return f"（{total}个{what_zh}中{by_zh}前{shown}个）"
    return f" (top {shown} of {total} {what_en}{' by ' + by_en if by_en else ''})"


def group_label(ctx: Context) -> str:
    names = {
        "city": ("城市", "city"),
        "province": ("省份", "province"),
        "year": ("年份", "year"),
        "genre": ("文体", "genre"),
    }
    zh, en = names.get(ctx.group_by, (ctx.group_by, ctx.group_by))
    return _zh(ctx, zh, en)


def documents_per_city(ctx: Context):
    d = ctx.documents.assign(city=ctx.documents.city.fillna("(unknown)"))
    data = d.groupby("city").agg(documents=("doc_id", "count"), characters=("n_chars", "sum")).reset_index()
    data = data.sort_values(["characters", "documents", "city"], ascending=[False, False, True])
    total = len(data)
    data = data.head(max(ctx.top_n, 80))
    series = pd.Series(data.characters.values / 1000, index=[ctx.place(c) for c in data.city])
    note = cut_note(ctx, len(data), total, "城市", "cities", "按字数", "characters")
    fig = figures.bars(
        series,
        _zh(ctx, "各城市清洗后字数", "Clean text per city") + note,
        _zh(ctx, "千字", "thousand characters"),
    )
    data.insert(1, "label", list(series.index))
    return fig, data


def cleaning_audit(ctx: Context):
    report = pd.read_csv(catalog.artifact_path(ctx.data_dir, "cleaning_report"), encoding="utf-8-sig")
    report = report[report.doc_id.isin(ctx.documents.doc_id)]
    removed = report[report.raw_start.notna()]
    data = removed.pivot_table(index="doc_id", columns="rule", values="n_chars", aggfunc="sum", fill_value=0)
    total = len(data)
    # rules by how much they removed in all; documents by how much was removed from them
    data = data[data.sum(axis=0).sort_values(ascending=False, kind="stable").index]
    order = data.sum(axis=1).reset_index(name="n").sort_values(["n", "doc_id"], ascending=[False, True]).doc_id
    data = data.loc[list(order)[: max(ctx.top_n, 20)]]
    title = _zh(ctx, "清洗删除的字符（按规则）", "Characters removed by cleaning rule")
    if data.empty:  # a clean corpus: the cleaner had nothing to remove
        note = _zh(ctx, "没有任何规则删除文字", "No cleaning rule removed any text")
        return figures.nothing_to_show(title, note), data.reset_index()
    title += cut_note(ctx, len(data), total, "文档", "documents", "按删除字符数", "characters removed")
    shown = data.rename(index=ctx.doc)
    fig = figures.heatmap(shown, title, _zh(ctx, "字符", "characters"), fmt=".0f")
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
    title = _zh(ctx, "语料审查：各项检查标记的文档数", "Corpus audit: documents flagged by each check")
    data = (
        q.drop_duplicates(["doc_id", "check", "severity"])
        .pivot_table(index="check", columns="severity", values="doc_id", aggfunc="count", fill_value=0)
        .reindex(index=[c for c in CHECKS if c in set(q.check)], columns=list(SEVERITIES), fill_value=0)
    )
    if data.empty:
        note = _zh(ctx, "没有任何检查标记文档", "No check flagged any document")
        return figures.nothing_to_show(title, note), data.reset_index()

    def name(key: str) -> str:
        return AUDIT_LABELS[key] if ctx.lang == "zh" else key.replace("_", " ")

    shown = data.loc[:, data.sum() > 0].rename(index=name, columns=name)  # no legend entry for an empty severity
    colours = {name(k): v for k, v in SEVERITY_COLOURS.items()}
    fig = figures.stacked_bars(shown, title, _zh(ctx, "文档数", "documents"), colours)
    return fig, data.reset_index()


def _reference_text(ctx: Context, targets: list[str], refs: list[str], all_groups: list[str]) -> str:
    rest = [g for g in all_groups if g not in targets]
    if sorted(refs) == sorted(rest) and len(rest) > 1:  # one other group is named ("against Wenzhou")
        plural = {"city": "cities", "province": "provinces", "year": "years", "genre": "genres"}
        many = plural.get(ctx.group_by, f"{ctx.group_by} groups")
        return _zh(ctx, f"其余{len(rest)}个{group_label(ctx)}", f"the other {len(rest)} {many}")
    names = [ctx.group(r) for r in refs]
    shown = ("、" if ctx.lang == "zh" else ", ").join(names[:4]) + ("…" if len(names) > 4 else "")
    return shown


def keyness(ctx: Context, target, reference=None, top_n: int | None = None):
    """Log-odds (informative Dirichlet prior) of the target group(s) against the reference group(s) (default:
    all others), top terms each way; the axis says against what."""
    counts = ctx.term_counts(group=ctx.groups())
    targets = [target] if isinstance(target, str) else list(target)
    refs = [] if not reference else ([reference] if isinstance(reference, str) else list(reference))
    for g in targets + refs:
        if g not in counts.index:
            raise ParameterError(f"no tokens for '{g}'; {ctx.group_by} values: {', '.join(map(str, counts.index))}")
    refs = refs or [g for g in counts.index if g not in targets]
    who = ("、" if ctx.lang == "zh" else ", ").join(ctx.group(t) for t in targets)
    if not refs:  # one group: nothing to compare it with
        msg = _zh(
            ctx,
            f"只有一个{group_label(ctx)}（{who}）：没有可比较的参照组",
            f"Only one {group_label(ctx)} group ({who}): there is nothing to compare it against",
        )
        fig = figures.nothing_to_show(_zh(ctx, "特征词", "Distinctive terms"), msg)
        return fig, pd.DataFrame({"target": ["+".join(targets)], "reference": [""], "term": [None], "z": [None]})
    try:
        k = compare.keyness_against(counts, targets, refs, min_count=ctx.min_count)
    except ValueError as e:
        raise ParameterError(str(e)) from None
    n = top_n or min(ctx.top_n, 15)
    data = pd.concat([k.head(n), k.tail(n).iloc[::-1]]).drop_duplicates("term")
    data = data.sort_values("z", ascending=False).reset_index(drop=True)
    data["label"] = [ctx.term(t) for t in data.term]
    data.insert(0, "reference", "+".join(map(str, refs)))
    data.insert(0, "target", "+".join(map(str, targets)))
    against = _reference_text(ctx, targets, refs, list(counts.index))
    title = _zh(ctx, f"{who}的特征词", f"Distinctive terms of {who}")
    title += cut_note(ctx, len(data), len(k), "词", "terms", "", "|z|")
    xlabel = _zh(ctx, f"z（对数优势比，{who} 对比 {against}）", f"z (log-odds, {who} against {against})")
    fig = figures.diverging_bars(data, "z", "label", title, figures.wrap_label(xlabel, 50))
    return fig, data


def group_rates(ctx: Context) -> pd.DataFrame:
    """groups × themes, items per 10,000 characters (the run's theme_matrix when grouping by city)."""
    if ctx.group_by == "city":
        m = ctx.matrix.set_index("city")
        data = m[[f"{t}_per_10k" for t in ctx.themes]].copy()
        data.columns = ctx.themes
        return data
    return compare.group_rates(ctx.items, ctx.documents, ctx.themes, ctx.group_by)


def theme_profiles(ctx: Context, limit: int = 30):
    data = group_rates(ctx)
    total = len(data)
    order = (
        data.sum(axis=1).reset_index(name="n").sort_values(["n", data.index.name or "city"], ascending=[False, True])
    )
    data = data.loc[list(order.iloc[:, 0])[: max(ctx.top_n, limit)]]
    shown = data.rename(index=ctx.group, columns=ctx.theme)
    colours = {ctx.theme(t): ctx.codebook.colour(t) for t in ctx.themes}
    hatches = {ctx.theme(t): ctx.codebook.themes[t].hatch for t in ctx.themes}
    title = _zh(
        ctx, f"各{group_label(ctx)}主题条目（每万字）", f"Theme items per 10,000 characters by {group_label(ctx)}"
    )
    title += cut_note(ctx, len(data), total, group_label(ctx), group_label(ctx) + " groups", "按总比率", "total rate")
    fig = figures.grouped_bars(
        shown, figures.wrap_label(title, 60), _zh(ctx, "每万字条目数", "items per 10,000 characters"), colours, hatches
    )
    out = data.reset_index()
    out.insert(1, "label", [ctx.group(c) for c in out.iloc[:, 0]])
    return fig, out


def city_theme_heatmap(ctx: Context, quantile: float = 0.95):
    """Every group (rows, by total rate) × theme: the cells give the rate per 10,000 characters; the colour is
    each theme's own scale up to its ``quantile`` (cells above it are clipped and marked "+"), so one outlier
    does not darken the rest and a small theme is not lost beside a large one."""
    data = group_rates(ctx)
    order = (
        data.sum(axis=1).reset_index(name="n").sort_values(["n", data.index.name or "city"], ascending=[False, True])
    )
    data = data.loc[list(order.iloc[:, 0])]
    robust = len(data) >= 10  # with few groups a quantile only clips the largest: each theme's maximum then
    cap = (data.quantile(quantile) if robust else data.max()).replace(0, 1)
    colours = (data / cap).clip(upper=1)
    marks = data > cap
    shown = data.rename(index=ctx.group, columns=ctx.theme)
    pct = int(round(quantile * 100))
    if robust:
        scale = _zh(
            ctx,
            f"颜色：各主题按自身尺度，上限为第{pct}百分位（+ 为超出）",
            f"colour: each theme on its own scale, up to its {pct}th percentile (+ = above)",
        )
        bar = _zh(ctx, f"占该主题第{pct}百分位的比例", f"share of the theme's {pct}th percentile")
    else:
        scale = _zh(
            ctx, "颜色：各主题按自身尺度（0 至最大值）", "colour: each theme on its own scale (0 to its maximum)"
        )
        bar = _zh(ctx, "占该主题最大值的比例", "share of the theme's maximum")
    title = _zh(
        ctx,
        f"{group_label(ctx)} × 主题（每万字条目数）",
        f"{group_label(ctx).capitalize()} × theme (items per 10,000 characters)",
    )
    title += "\n" + scale
    fig = figures.heatmap(
        shown,
        title,
        bar,
        width=figures.SINGLE_COLUMN * 1.5,
        colours=colours.rename(index=ctx.group, columns=ctx.theme),
        marks=marks.rename(index=ctx.group, columns=ctx.theme),
    )
    out = data.reset_index()
    out.insert(1, "label", [ctx.group(c) for c in out.iloc[:, 0]])
    return fig, out


def similarity(ctx: Context, basis: str = "tfidf"):
    """Similarity (cosine) of the groups over TF-IDF of terms or over theme profiles, as a dendrogram."""
    if basis == "tfidf":
        counts = ctx.term_counts(group=ctx.groups())
        sim = compare.cosine_similarity_table(compare.tfidf_matrix(counts))
        title = _zh(
            ctx,
            f"{group_label(ctx)}相似度（词语 TF-IDF）",
            f"Similarity of {group_label(ctx)} groups (TF-IDF of terms)",
        )
    elif basis == "themes":
        rates = group_rates(ctx)
        profiles = rates.div(rates.sum(axis=1).replace(0, float("nan")), axis=0).fillna(0)
        sim = compare.cosine_similarity_table(profiles)
        title = _zh(
            ctx, f"{group_label(ctx)}相似度（主题构成）", f"Similarity of {group_label(ctx)} groups (theme profiles)"
        )
    else:
        raise ParameterError(f"unknown similarity basis '{basis}'; valid values: tfidf, themes")
    shown = sim.rename(index=ctx.group, columns=ctx.group)
    empty = _zh(
        ctx,
        f"只有{len(sim)}个{group_label(ctx)}：至少需要三个才能画出聚类树",
        f"Only {len(sim)} {group_label(ctx)} group(s): a tree needs at least three",
    )
    fig = figures.dendrogram(shown, title, empty_message=empty)
    return fig, sim.reset_index().rename(columns={"index": ctx.group_by})


def cooccurrence(ctx: Context, max_nodes: int = 30):
    """Practices reported in the same document: communities (Louvain, seeded) as colours, themes as markers,
    node size = documents. Fewer than three linked practices make no network: the figure says so."""
    g = compare.cooccurrence_network(ctx.items, ctx.themes, ctx.min_count)
    total = g.number_of_nodes()
    if g.number_of_nodes() > max_nodes:  # the most reported, best connected practices stay legible
        keep = sorted(g.nodes, key=lambda n: (-g.nodes[n]["count"], -g.degree(n, weight="weight"), n))[:max_nodes]
        g = compare.induced(g, keep)
    title = _zh(ctx, "实践共现网络", "Co-occurring practices")
    title += cut_note(ctx, g.number_of_nodes(), total, "实践", "practices", "按文档数", "documents")
    linked = compare.induced(g, [n for n in g if g.degree(n) > 0])
    if linked.number_of_nodes() < 3:
        msg = _zh(
            ctx,
            f"{linked.number_of_nodes()}个相互关联的实践（至少在{ctx.min_count}篇文档中出现）：不足以画出网络",
            f"{linked.number_of_nodes()} linked practice(s) reported in at least {ctx.min_count} document(s): "
            "too few for a network",
        )
        return figures.nothing_to_show(title, msg), compare.network_table(g), g
    g = linked
    comm = compare.communities(g, ctx.seed)
    names = []
    for i in range(max(comm.values()) + 1):
        members = sorted((n for n in g if comm[n] == i), key=lambda n: (-g.nodes[n]["count"], n))
        names.append(figures.wrap_label(f"{i + 1}: {ctx.short_term(members[0])} (n={len(members)})", 20))
    fig = figures.network(
        g,
        title,
        {n: ctx.short_term(n) for n in g},
        comm,
        names,
        {t: ctx.theme(t) for t in ctx.themes},
        ctx.seed,
        size_label=_zh(ctx, "文档数", "documents"),
        community_title=_zh(ctx, "社群：最常见的实践（实践数）", "community: its most reported practice (n)"),
    )
    edges = compare.network_table(g)
    nodes = pd.DataFrame(
        [(n, g.nodes[n]["theme"], g.nodes[n]["count"], comm[n] + 1) for n in sorted(g)],
        columns=["node", "theme", "documents", "community"],
    )
    edges = edges.merge(
        nodes[["node", "community"]].rename(columns={"node": "source", "community": "source_community"})
    )
    edges = edges.merge(
        nodes[["node", "community"]].rename(columns={"node": "target", "community": "target_community"})
    )
    return fig, edges.sort_values(["source", "target"]).reset_index(drop=True), g


def topic_prevalence(ctx: Context, n_topics: int = 5):
    """NMF topics of the groups' terms; rows ordered by their main topic, then its share."""
    counts = ctx.term_counts(group=ctx.groups())
    counts = counts.loc[:, (counts > 0).sum(axis=0) >= min(2, len(counts))]
    terms, prev = compare.topics(counts, min(n_topics, max(1, len(counts))), ctx.seed)
    top = terms[terms["rank"] <= 3].groupby("topic").term.apply(lambda s: "\n".join(ctx.short_term(t) for t in s))
    main = prev.values.argmax(axis=1)
    order = sorted(range(len(prev)), key=lambda i: (main[i], -prev.values[i, main[i]], str(prev.index[i])))
    prev = prev.iloc[order]
    shown = prev.copy()
    shown.columns = [  # the topic's number, then its three heaviest terms one a line
        f"{_zh(ctx, '主题', 'topic')} {c.split()[-1]}\n{figures.wrap_label(top[int(c.split()[-1])], 16)}"
        for c in prev.columns
    ]
    shown = shown.rename(index=ctx.group)
    stop = _zh(ctx, "，已去除地名", "; place names left out") if ctx.place_stopwords else ""
    fig = figures.heatmap(
        shown,
        _zh(ctx, f"主题模型（NMF）各{group_label(ctx)}占比", f"Topic prevalence by {group_label(ctx)} (NMF)")
        + "\n"
        + _zh(ctx, f"行按主要主题排序{stop}", f"rows ordered by their main topic{stop}"),
        _zh(ctx, "占比", "share"),
        fmt=".2f",
    )
    out = prev.reset_index()
    out.insert(1, "label", [ctx.group(c) for c in out.iloc[:, 0]])
    return fig, terms, out


def export_table(ctx: Context, df: pd.DataFrame, name: str) -> Path:
    """A table the notebook made (a concordance, the practice matrix) as <out_dir>/notebook_tables/<name>.csv."""
    path = ctx.out_dir / "notebook_tables" / f"{name}.csv"
    catalog.write_table(df, path, bom=True)
    return path


def concordance(
    ctx: Context, pattern: str | None = None, sort: str = "left", width: int = 18, limit: int | None = None
):
    """KWIC of a regular expression (default: the ``query`` parameter), sorted by left or right context, and
    exported to notebook_tables/kwic.csv (every match; the notebook shows ``limit``)."""
    try:
        k = compare.kwic_regex(
            ctx.sentences, ctx.documents, pattern or ctx.query, width, sort, by=ctx.group_by, texts=ctx.texts
        )
    except ValueError as e:
        raise ParameterError(str(e)) from None
    path = export_table(ctx, k, "kwic")
    return (k.head(limit) if limit else k), path


def practice_matrix(ctx: Context, top_n: int = 3):
    """The practice matrix with evidence: (long cells: group, theme, item, counts, example sentence and its
    source; the grid groups × themes for reading), both exported to notebook_tables/."""
    cells = compare.practice_cells(ctx.items, ctx.documents, ctx.themes, ctx.group_by, top_n)
    grid = compare.practice_grid(cells, ctx.themes, ctx.group_by)
    export_table(ctx, cells, "practice_cells")
    export_table(ctx, grid.reset_index(), "practice_matrix")
    grid.columns = [ctx.theme(t) for t in grid.columns]
    return cells, grid
