"""Figures for papers: one style, a CJK font embedded, every figure with the CSV of what it plots.

The CJK font is WenQuanYi Micro Hei, a TrueType font installed from PyPI
(package ``paperang-p2-fonts-cjk``), or a TrueType CJK font found on the
system.  TrueType matters: matplotlib embeds it as Type 42 in PDF, which CFF
(.otf) CJK fonts do not allow.  Colours come from the Okabe–Ito palette
(colour-blind safe) with distinct lightness, bars also carry hatches, and
heatmaps use cividis, so figures read in grayscale too.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from functools import lru_cache
from pathlib import Path

import yaml

from .. import catalog
from ..config import RESOURCES
from ..errors import PipelineError

SINGLE_COLUMN = 3.5  # inches (89 mm)
DOUBLE_COLUMN = 7.2  # inches (183 mm)
EXTRA_COLOURS = ["#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FORMATS = ("pdf", "svg", "png")
SYSTEM_TTF = [
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "simhei.ttf",
    "msyh.ttc",
    "NotoSansSC-Regular.ttf",
    "SourceHanSansSC-Regular.ttf",
    "Arial Unicode.ttf",
    "DroidSansFallbackFull.ttf",
]


class GlyphMissing(PipelineError, RuntimeError):
    """A figure would show a box instead of a character."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """A TrueType font with Chinese glyphs: the pinned PyPI font, else one on the system."""
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "wqy-microhei.ttc"
        if p.exists():
            return p
    for root in (
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        str(Path.home() / ".fonts"),
        "/Library/Fonts",
        "/System/Library/Fonts",
        "C:/Windows/Fonts",
    ):
        for name in SYSTEM_TTF:
            hits = list(Path(root).rglob(name)) if Path(root).exists() else []
            if hits:
                return hits[0]
    raise FileNotFoundError(
        "no TrueType CJK font found: install the pinned requirements (paperang-p2-fonts-cjk) "
        "or a TrueType CJK font such as fonts-wqy-microhei"
    )


def setup_style(font_size: float = 8.0) -> str:
    """Matplotlib settings for every figure; returns the CJK font's family name."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "font.size": font_size,
            "axes.titlesize": font_size + 1,
            "axes.labelsize": font_size,
            "xtick.labelsize": font_size - 1,
            "ytick.labelsize": font_size - 1,
            "legend.fontsize": font_size - 1,
            "pdf.fonttype": 42,
            "ps.fonttype": 42,  # TrueType embedded, text stays text
            "svg.fonttype": "path",  # SVG carries glyph outlines: no font needed to view it
            "axes.unicode_minus": False,  # an ASCII hyphen-minus, which every font has
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.02,
            "svg.hashsalt": "pipeline",  # stable ids in SVG output
            "text.parse_math": False,  # document text with $…$ is text, not a formula to typeset
            "pdf.compression": 6,
        }
    )
    return family


@lru_cache(maxsize=1)
def glossary() -> dict:
    return yaml.safe_load((RESOURCES / "glossary.yaml").read_text(encoding="utf-8"))


def place_en(name: str) -> str:
    """青岛市 → Qingdao, 凉山彝族自治州 → Liangshan (glossary first, else pinyin)."""
    g = glossary().get("labels", {})
    if name in g:
        return g[name]
    from pypinyin import lazy_pinyin

    base = re.sub(r"(特别行政区|自治区|自治州|自治县|地区|盟|省|市|区|县)$", "", str(name))
    base = (
        re.sub(
            r"(彝族|藏族|羌族|苗族|侗族|布依族|土家族|回族|壮族|维吾尔|蒙古族|朝鲜族|哈萨克|傣族|白族|哈尼族)+$",
            "",
            base,
        )
        or name
    )
    return "".join(lazy_pinyin(base)).capitalize() if re.search(r"[\u4e00-\u9fff]", base) else base


def label(text: str, lang: str, kind: str = "labels") -> str:
    """A label in the figure's language: zh as is; en from the glossary (places romanised)."""
    if lang != "en" or text is None:
        return text
    g = glossary()
    if kind == "themes":
        return g["themes"].get(text, text)
    if kind == "place":
        return place_en(text)
    if kind == "terms":
        return g.get("terms", {}).get(text, text)
    return g.get("labels", {}).get(text, text)


def theme_label(theme: str, lang: str, codebook=None) -> str:
    if lang == "en":
        return (
            codebook.themes[theme].label_en if codebook and theme in codebook.themes else label(theme, lang, "themes")
        )
    return codebook.themes[theme].label_zh if codebook and theme in codebook.themes else theme


def save_figure(fig, data, name: str, out_dir: Path | str, formats=FORMATS, dpi: int = 300) -> list[Path]:
    """Save ``fig`` as figures/<name>.<fmt> for each format and the data it plots as figures/<name>.csv.

    Raises :class:`GlyphMissing` when the font lacks a character (a tofu box)."""
    import matplotlib.pyplot as plt

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown figure format(s) {bad} (choose from: {', '.join(FORMATS)})")
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"figure name '{name}': letters, digits, - and _ only (it is a file name)")
    out = Path(out_dir) / "figures"
    paths = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fmt in formats:
            target = out / f"{name}.{fmt}"
            with catalog.atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata={"Creator": "pipeline"} if fmt != "png" else None)
            paths.append(target)
    missing = [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]
    if missing:
        raise GlyphMissing(f"figure {name}: {missing[0]}")
    catalog.write_table(data, out / f"{name}.csv", bom=True)
    paths.append(out / f"{name}.csv")
    plt.close(fig)
    return paths


# --------------------------------------------------------------------------- plots


def _fit(n_rows: float, base: float = 0.22, min_h: float = 2.0, max_h: float = 9.5) -> float:
    return max(min_h, min(max_h, 0.6 + base * n_rows))


def heatmap(table, title: str, cbar_label: str, fmt: str = ".1f", width: float = DOUBLE_COLUMN, annotate: bool = True):
    """A heatmap of a numeric table (rows × columns), sized to the number of rows."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    h = _fit(len(table))
    fig, ax = plt.subplots(figsize=(width, h))
    sns.heatmap(
        table,
        ax=ax,
        cmap="cividis",
        annot=annotate and len(table) <= 30,
        fmt=fmt,
        linewidths=0.3,
        linecolor="white",
        cbar_kws={"label": cbar_label, "shrink": 0.8},
        annot_kws={"fontsize": 6},
    )
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=6 if len(table) > 30 else 7, rotation=0)
    ax.tick_params(axis="x", rotation=0)
    return fig


def grouped_bars(table, title: str, xlabel: str, colours: dict, hatches: dict, width: float = DOUBLE_COLUMN):
    """Horizontal grouped bars: rows of ``table`` on the y axis, one bar per column."""
    import matplotlib.pyplot as plt
    import numpy as np

    n, k = len(table), len(table.columns)
    fig, ax = plt.subplots(figsize=(width, _fit(n * max(1, k) / 3)))
    y = np.arange(n)
    hgt = 0.8 / max(k, 1)
    for j, col in enumerate(table.columns):
        ax.barh(
            y + j * hgt - 0.4 + hgt / 2,
            table[col].values,
            height=hgt,
            label=str(col),
            color=colours.get(col, EXTRA_COLOURS[j % 4]),
            hatch=hatches.get(col, ""),
            edgecolor="white",
            linewidth=0.3,
        )
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    # beside the bars, never over them (the longest bar may reach the right edge)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def stacked_bars(table, title: str, xlabel: str, colours: dict, width: float = SINGLE_COLUMN):
    """Horizontal stacked bars: rows of ``table`` on the y axis, its columns stacked in order, with a
    legend below the axis (never over the bars)."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(width, _fit(len(table), min_h=1.6) + 0.4))
    left = np.zeros(len(table))
    for j, col in enumerate(table.columns):
        values = table[col].to_numpy(dtype=float)
        ax.barh(range(len(table)), values, left=left, label=str(col), color=colours.get(col, EXTRA_COLOURS[j % 4]))
        left += values
    ax.set_yticks(range(len(table)), [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=max(1, len(table.columns)))
    return fig


def nothing_to_show(title: str, message: str, width: float = SINGLE_COLUMN):
    """A figure that says why there is nothing to plot (a corpus the cleaner did not need to touch), instead of
    an empty or failing chart."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, 1.2))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    return fig


def bars(series, title: str, xlabel: str, colour: str = "#0072B2", width: float = SINGLE_COLUMN):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, _fit(len(series))))
    ax.barh(range(len(series)), series.values, color=colour)
    ax.set_yticks(range(len(series)), [str(i) for i in series.index])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig


def diverging_bars(table, value: str, label_col: str, title: str, xlabel: str, width: float = SINGLE_COLUMN):
    """Keyness: terms over-represented (right) and under-represented (left)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, _fit(len(table))))
    v = table[value].values
    ax.barh(range(len(table)), v, color=["#0072B2" if x > 0 else "#E69F00" for x in v], hatch=None, edgecolor="white")
    ax.set_yticks(range(len(table)), list(table[label_col]))
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig


def dendrogram(similarity, title: str, width: float = SINGLE_COLUMN):
    """Average-linkage dendrogram on 1 − cosine similarity."""
    import matplotlib.pyplot as plt
    import numpy as np
    from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    d = np.clip(1 - similarity.values, 0, None)
    np.fill_diagonal(d, 0)
    fig, ax = plt.subplots(figsize=(width, _fit(len(similarity), 0.2)))
    if len(similarity) >= 2:
        z = linkage(squareform(d, checks=False), method="average", optimal_ordering=True)
        scipy_dendrogram(
            z,
            labels=list(similarity.index),
            orientation="left",
            ax=ax,
            color_threshold=0,
            above_threshold_color="#444444",
            leaf_font_size=6 if len(similarity) > 30 else 7,
        )
    ax.set_title(title)
    ax.set_xlabel("1 − cosine")
    return fig


def network(graph, title: str, labels: dict, colours: dict, seed: int, width: float = DOUBLE_COLUMN):
    """A co-occurrence network: node size ∝ count, edge width ∝ weight, seeded layout."""
    import matplotlib.pyplot as plt
    import networkx as nx

    fig, ax = plt.subplots(figsize=(width, width * 0.75))
    if graph.number_of_nodes():
        pos = nx.spring_layout(
            graph, seed=seed, k=2.5 / max(1, graph.number_of_nodes()) ** 0.5, iterations=300, weight=None
        )
        sizes = [40 + 30 * graph.nodes[n]["count"] for n in graph]
        cols = [colours.get(graph.nodes[n]["theme"], "#999999") for n in graph]
        widths = [0.4 + 0.6 * d["weight"] for _, _, d in graph.edges(data=True)]
        nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, edge_color="#999999", alpha=0.6)
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=sizes, node_color=cols, edgecolors="black", linewidths=0.3)
        nx.draw_networkx_labels(graph, pos, labels={n: labels.get(n, n) for n in graph}, ax=ax, font_size=6)
    ax.set_title(title)
    ax.axis("off")
    return fig
