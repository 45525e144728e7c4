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
import json
import os
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


def setup_style(font_size: float = 8.0, lang: str = "zh") -> str:
    """Matplotlib settings for every figure; returns the CJK font's family name.  English figures take Latin
    letters (and the tone marks of pinyin, some of which the CJK font lacks) from DejaVu Sans and only the
    Chinese characters from the CJK font, which is embedded all the same."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams.update(
        {
            # named, not "sans-serif": glyph fallback runs over an explicit list of families
            "font.family": ["DejaVu Sans", family] if lang == "en" else [family, "DejaVu Sans"],
            "font.sans-serif": ["DejaVu Sans", family] if lang == "en" else [family, "DejaVu Sans"],
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
    """青岛市 → Qingdao, 凉山彝族自治州 → Liangshan, 哈尔滨市 → Harbin (the glossary's labels, then its places
    whose English name is not their pinyin, else pinyin)."""
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
    conventional = glossary().get("places") or {}
    if base in conventional:
        return conventional[base]  # 哈尔滨 → Harbin, 陕西 → Shaanxi (not Shanxi, which is 山西)
    return "".join(lazy_pinyin(base)).capitalize() if re.search(r"[\u4e00-\u9fff]", base) else base


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=4096)
def pinyin(text: str) -> str:
    """国家公共文化 → guójiā gōnggòng wénhuà: tone marks, a space between words (jieba's), Chinese punctuation made
    ASCII; what is not Chinese stays as it is."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    jieba.setLogLevel(60)
    text = str(text).translate(str.maketrans("、，；：（）“”", ',,;:()""'))
    words = [w for w in jieba.lcut(text, HMM=False) if w.strip()]
    out = " ".join("".join(lazy_pinyin(w, style=Style.TONE, errors="default")) for w in words)
    return re.sub(r" ([,;:)\"])", r"\1", out)


def romanise(text: str) -> str:
    """Toneless pinyin for names and identifiers: 三亚 → Sanya, 004_abc stays as it is."""
    from pypinyin import lazy_pinyin

    text = str(text)
    if not CJK.search(text):
        return text
    out = re.sub(r"[\u3400-\u9fff]+", lambda m: "".join(lazy_pinyin(m.group())).capitalize(), text)
    return out


def term_en(term: str, short: bool = False) -> str:
    """A Chinese term for an English figure: 网格化 wǎnggéhuà 'grid management' (the gloss where the glossary has
    one); ``short``: the gloss alone, else 汉字 pinyin."""
    term = str(term)
    if not CJK.search(term):
        return term
    gloss = glossary().get("terms", {}).get(term)
    if short and gloss:
        return gloss
    return f"{term} {pinyin(term)}" + (f" '{gloss}'" if gloss else "")


def is_english(text: str) -> bool:
    """True when every Chinese in ``text`` is followed by its pinyin (汉字 pinyin ['gloss']): what an English
    figure may show."""
    pattern = r"\S*[\u3400-\u9fff]\S*\s+[0-9A-Za-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ·]+"
    return not CJK.search(re.sub(pattern, "", str(text)))


def label(text: str, lang: str, kind: str = "labels") -> str:
    """A label in the figure's language: zh as is; en from the glossary (places romanised, terms with pinyin)."""
    if lang != "en" or text is None:
        return text
    g = glossary()
    if kind == "themes":
        return g["themes"].get(text, text)
    if kind == "place":
        return place_en(text)
    if kind == "terms":
        return term_en(text)
    if kind == "short_terms":
        return term_en(text, short=True)
    found = g.get("labels", {}).get(text)
    return found if found else (term_en(text) if CJK.search(str(text)) else text)


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
    audit = os.environ.get(AUDIT_ENV)
    if audit:  # the tests' record of every text the figure draws, to find overlaps and untranslated labels
        Path(audit).mkdir(parents=True, exist_ok=True)
        boxes = text_boxes(fig)
        record = {"name": name, "texts": boxes, "overlaps": [[a["text"], b["text"]] for a, b in overlapping(boxes)]}
        (Path(audit) / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
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


# --------------------------------------------------------------------------- text layout

AUDIT_ENV = "PIPELINE_FIGURE_AUDIT"  # a folder: save_figure writes <name>.json with every text's box there


def _drawn_texts(fig) -> list:
    """The texts a draw of ``fig`` shows: tick labels of the ticks drawn, titles, labels, annotations, legends."""
    from matplotlib.text import Text

    fig.canvas.draw()
    ticks: set[int] = set()
    shown: list = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
            if not (ax.get_visible() and ax.axison and axis.get_visible()):
                continue
            for tick in axis._update_ticks():
                shown += [lab for lab in (tick.label1, tick.label2) if lab.get_visible() and lab.get_text().strip()]
    seen = {id(t) for t in shown}
    for t in fig.findobj(Text):
        if id(t) in ticks or id(t) in seen or not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        seen.add(id(t))
        shown.append(t)
    return shown


def text_boxes(fig) -> list[dict]:
    """Every text ``fig`` draws with its box in display pixels (x0, y0, x1, y1)."""
    renderer = fig.canvas.get_renderer()
    out = []
    for t in _drawn_texts(fig):
        bb = t.get_window_extent(renderer)
        out.append({"text": t.get_text(), "box": [round(float(v), 2) for v in (bb.x0, bb.y0, bb.x1, bb.y1)]})
    return out


def overlapping(boxes: list[dict], tolerance: float = 1.0) -> list[tuple[dict, dict]]:
    """Pairs of texts whose boxes overlap by more than ``tolerance`` pixels in both directions."""
    pairs = []
    for i, a in enumerate(boxes):
        ax0, ay0, ax1, ay1 = a["box"]
        for b in boxes[i + 1 :]:
            bx0, by0, bx1, by1 = b["box"]
            if min(ax1, bx1) - max(ax0, bx0) > tolerance and min(ay1, by1) - max(ay0, by0) > tolerance:
                pairs.append((a, b))
    return pairs


def _labels_collide(fig, labels: list) -> bool:
    renderer = fig.canvas.get_renderer()
    boxes = [{"text": t.get_text(), "box": list(t.get_window_extent(renderer).extents)} for t in labels]
    return bool(overlapping(boxes))


def fit_tick_labels(fig, ax) -> None:
    """Column labels that would run into each other stand upright; row labels that would are made smaller and,
    failing that, the figure taller."""
    fig.canvas.draw()
    xs = [t for t in ax.get_xticklabels() if t.get_text()]
    if xs and _labels_collide(fig, xs):
        for t in xs:
            t.set_rotation(90)
            t.set_horizontalalignment("center")
            t.set_verticalalignment("top")
        fig.canvas.draw()
    for _ in range(6):
        ys = [t for t in ax.get_yticklabels() if t.get_text()]
        if not ys or not _labels_collide(fig, ys):
            break
        size = ys[0].get_fontsize()
        if size > 5:
            for t in ys:
                t.set_fontsize(size - 0.5)
        else:
            w, h = fig.get_size_inches()
            fig.set_size_inches(w, h * 1.2)
        fig.canvas.draw()


def _units(text: str) -> int:
    """Display width: a Chinese character is as wide as two Latin ones."""
    return sum(2 if CJK.match(ch) or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def wrap_label(text: str, width: int = 14) -> str:
    """Break a long label into lines of about ``width`` characters (a Chinese character counts as one), at spaces
    or slashes where it can; a label with Latin letters (an English one, 汉字 pinyin) is broken at spaces only,
    so neither a word nor a Chinese term is cut."""
    text = str(text)
    if "\n" in text:
        return "\n".join(wrap_label(line, width) for line in text.split("\n"))
    if len(text) <= width:
        return text
    cut = not re.search(r"[A-Za-z]{2,}", text)  # English words or pinyin are never cut
    parts = re.split(r"(?<=[ /])", text)
    lines, cur = [], ""
    for p in parts:
        while cut and len(p) > width:  # a Chinese phrase longer than a line is cut
            if cur:
                lines.append(cur.rstrip())
                cur = ""
            lines.append(p[:width])
            p = p[width:]
        if len(cur) + len(p) > width and cur:
            lines.append(cur.rstrip())
            cur = ""
        cur += p
    if cur.strip():
        lines.append(cur.rstrip())
    return "\n".join(lines)


def wrap_title(title: str, width_in: float, font_size: float = 9.0) -> str:
    """A title broken into lines that fit ``width_in`` inches (Chinese characters count double)."""
    room = max(12, int(width_in * 72 / (font_size * 0.55)))
    out = []
    for line in str(title).split("\n"):
        words = re.split(r"(?<=[ ，、；])|(?=（)", line) if _units(line) > room else [line]
        cur = ""
        for w in words:
            while _units(w) > room:  # one long run of Chinese: cut it
                k = 1
                while _units(w[: k + 1]) <= room - _units(cur):
                    k += 1
                out.append(cur + w[:k])
                cur, w = "", w[k:]
            if cur and _units(cur + w) > room:
                out.append(cur.rstrip())
                cur = ""
            cur += w
        out.append(cur.rstrip())
    return "\n".join(x for x in out if x)


# --------------------------------------------------------------------------- plots


def _fit(n_rows: float, base: float = 0.22, min_h: float = 2.0, max_h: float = 9.5) -> float:
    return max(min_h, min(max_h, 0.6 + base * n_rows))


def heatmap(
    table,
    title: str,
    cbar_label: str,
    fmt: str = ".1f",
    width: float = DOUBLE_COLUMN,
    annotate: bool = True,
    colours=None,
    vmax: float | None = None,
    marks=None,
):
    """A heatmap of a numeric table (rows × columns), sized to the number of rows.

    ``colours``, a table of the same shape, sets the colours while the cells show the numbers of ``table``
    (a scale per column, say); ``vmax`` clips the colour scale; ``marks`` (a boolean table) adds "+" to cells."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    h = _fit(len(table), base=0.18, max_h=18)
    fig, ax = plt.subplots(figsize=(width, h))
    show_numbers = annotate and len(table) <= 80 and len(table.columns) <= 12
    annot = False
    if show_numbers:
        text = table.apply(lambda col: col.map(lambda v: format(v, fmt)))
        if marks is not None:
            text = text.where(~marks.reindex_like(table).fillna(False).astype(bool), text + "+")
        annot = text.values
    sns.heatmap(
        table if colours is None else colours,
        ax=ax,
        cmap="cividis",
        annot=annot,
        fmt="",
        vmin=0 if colours is not None or vmax is not None else None,
        vmax=vmax,
        linewidths=0.3,
        linecolor="white",
        cbar_kws={"label": cbar_label, "shrink": 0.8},
        annot_kws={"fontsize": 6},
        yticklabels=True,
        xticklabels=True,
    )
    ax.set_title(wrap_title(title, width))
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=6 if len(table) > 30 else 7, rotation=0)
    ax.tick_params(axis="x", rotation=0)
    cbar = ax.collections[0].colorbar
    if cbar is not None:  # the colour bar's label no longer than the bar, so it cannot reach the title
        fig.canvas.draw()
        tall = cbar.ax.get_window_extent().height / fig.dpi
        cbar.set_label(wrap_title(cbar_label, tall, 8))
    fit_tick_labels(fig, ax)
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
    ax.set_title(wrap_title(title, width))
    # beside the bars, never over them (the longest bar may reach the right edge)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fit_tick_labels(fig, ax)
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
    """A figure that says why there is nothing to plot (a corpus the cleaner did not need to touch, two cities
    where a network or a tree needs more), instead of an empty, failing or meaningless chart."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, 1.2))
    ax.axis("off")
    ax.set_title(wrap_title(title, width))
    ax.text(0.5, 0.45, wrap_title(message, width, 8), ha="center", va="center", transform=ax.transAxes)
    return fig


def bars(series, title: str, xlabel: str, colour: str = "#0072B2", width: float = SINGLE_COLUMN):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, _fit(len(series), 0.16, max_h=16)))
    ax.barh(range(len(series)), series.values, color=colour)
    ax.set_yticks(range(len(series)), [str(i) for i in series.index])
    ax.invert_yaxis()
    ax.set_xlabel(wrap_title(xlabel, width, 8))
    ax.set_title(wrap_title(title, width))
    fit_tick_labels(fig, ax)
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
    ax.set_xlabel(wrap_title(xlabel, width, 8))
    fit_tick_labels(fig, ax)
    # the title stands centred over the bars: wrapped to their width, it never runs past them to the figure's edge
    room = ax.get_position().width * fig.get_size_inches()[0]
    ax.set_title(wrap_title(title, room, float(ax.title.get_fontsize())))
    return fig


def dendrogram(similarity, title: str, width: float = SINGLE_COLUMN, empty_message: str | None = None):
    """Average-linkage dendrogram on 1 − cosine similarity; fewer than three leaves make no tree worth drawing,
    and the figure says so."""
    import matplotlib.pyplot as plt
    import numpy as np
    from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    if len(similarity) < 3:
        return nothing_to_show(title, empty_message or f"{len(similarity)} leaves: too few for a tree")
    d = np.clip(1 - similarity.values, 0, None)
    np.fill_diagonal(d, 0)
    fig, ax = plt.subplots(figsize=(width, _fit(len(similarity), 0.17, max_h=18)))
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
    ax.set_title(wrap_title(title, width))
    ax.set_xlabel("1 - cosine")
    fit_tick_labels(fig, ax)
    return fig


def place_labels(fig, ax, pos: dict, radii: dict, labels: dict, order: list, fontsize: float = 5.5) -> list:
    """Each node's label beside its disc, at the first of eight directions (then farther out) where it overlaps
    no disc, no label placed before and stays inside the axes; nodes in ``order`` (most important first).
    Returns the nodes whose label found no place."""
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    centres = {n: ax.transData.transform(pos[n]) for n in pos}
    discs = [(c[0] - radii[n], c[1] - radii[n], c[0] + radii[n], c[1] + radii[n]) for n, c in centres.items()]
    frame = ax.get_window_extent(renderer)
    placed: list[tuple] = []
    directions = [
        (1, 0, "left", "center"),
        (-1, 0, "right", "center"),
        (0, 1, "center", "bottom"),
        (0, -1, "center", "top"),
        (0.7, 0.7, "left", "bottom"),
        (0.7, -0.7, "left", "top"),
        (-0.7, 0.7, "right", "bottom"),
        (-0.7, -0.7, "right", "top"),
    ]

    def hits(b, others) -> bool:
        return any(min(b[2], o[2]) - max(b[0], o[0]) > 0 and min(b[3], o[3]) - max(b[1], o[1]) > 0 for o in others)

    left_out = []
    for n in order:
        cx, cy = centres[n]
        done = False
        for reach in (1.0, 1.8, 2.8, 4.0):
            for dx, dy, ha, va in directions:
                gap = radii[n] * reach + 2
                t = ax.text(
                    *to_data.transform((cx + dx * gap, cy + dy * gap)), labels[n], fontsize=fontsize, ha=ha, va=va
                )
                bb = t.get_window_extent(renderer)
                box = (bb.x0 - 1, bb.y0 - 1, bb.x1 + 1, bb.y1 + 1)
                inside = frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1
                if inside and not hits(box, discs) and not hits(box, placed):
                    placed.append(box)
                    done = True
                    break
                t.remove()
            if done:
                break
        if not done:
            left_out.append(n)
    return left_out


COMMUNITY_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
THEME_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]


def network(
    graph,
    title: str,
    labels: dict,
    communities: dict,
    community_names: list[str],
    theme_names: dict,
    seed: int,
    size_label: str = "documents",
    community_title: str = "community: largest practice (n)",
    width: float = DOUBLE_COLUMN,
):
    """A co-occurrence network: colour = community (``communities`` maps node → index into ``community_names``),
    marker = theme (``theme_names`` maps theme → its label), size ∝ documents, edge width ∝ weight; a seeded
    layout and labels placed beside their nodes, off every node and label (place_labels)."""
    import matplotlib.pyplot as plt
    import networkx as nx
    import numpy as np
    from matplotlib.lines import Line2D

    fig, (ax, side) = plt.subplots(
        1, 2, figsize=(width, width * 0.72), gridspec_kw={"width_ratios": [3.2, 1.0], "wspace": 0.02}
    )
    side.axis("off")
    nodes = sorted(graph.nodes)
    pos = nx.spring_layout(graph, seed=seed, k=3.0 / max(1, len(nodes)) ** 0.5, iterations=300, weight=None)
    pos = {n: pos[n] for n in nodes}

    counts_all = [graph.nodes[n]["count"] for n in nodes]
    low, high = min(counts_all), max(counts_all)

    def size(count):  # marker area in pt²: 30 for the least reported practice, 380 for the most
        return 30 + 350 * ((count - low) / (high - low) if high > low else 0.5)

    weights = [graph.edges[e]["weight"] for e in sorted(graph.edges)]
    w_low, w_high = min(weights, default=1), max(weights, default=1)
    # width from 0.2 pt (the weakest link) to 2.2 pt (the strongest): strong links stand out of a dense graph
    widths = [0.2 + 2.0 * ((w - w_low) / (w_high - w_low) if w_high > w_low else 0.3) for w in weights]
    nx.draw_networkx_edges(
        graph, pos, ax=ax, edgelist=sorted(graph.edges), width=widths, edge_color="#999999", alpha=0.35
    )
    themes = list(theme_names)
    for ti, theme in enumerate(themes):
        members = [n for n in nodes if graph.nodes[n]["theme"] == theme]
        if not members:
            continue
        nx.draw_networkx_nodes(
            graph,
            pos,
            nodelist=members,
            ax=ax,
            node_size=[size(graph.nodes[n]["count"]) for n in members],
            node_color=[COMMUNITY_COLOURS[communities[n] % len(COMMUNITY_COLOURS)] for n in members],
            node_shape=THEME_MARKERS[ti % len(THEME_MARKERS)],
            edgecolors="black",
            linewidths=0.4,
        )
    xy = np.array([pos[n] for n in nodes])
    pad = 0.3
    ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
    ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    fig.canvas.draw()
    # marker area in pt² → half its width in pixels (a diamond or triangle reaches further than a disc: 1.3)
    radii = {n: 1.3 * size(graph.nodes[n]["count"]) ** 0.5 / 2 * fig.dpi / 72 for n in nodes}
    order = sorted(nodes, key=lambda n: (-graph.nodes[n]["count"], n))
    numbered = place_labels(
        fig,
        ax,
        pos,
        radii,
        {n: wrap_label(labels.get(n, n), 18 if re.search("[A-Za-z]", labels.get(n, n)) else 10) for n in nodes},
        order,
    )
    for i, n in enumerate(numbered, start=1):  # no free place beside the node: a number on it, named in the key
        ax.text(*pos[n], str(i), fontsize=5, ha="center", va="center", fontweight="bold")
    if numbered:  # the key under the network, one practice a line
        key = "\n".join(f"{i} {labels.get(n, n)}" for i, n in enumerate(numbered, start=1))
        ax.text(0.0, -0.01, wrap_title(key, width, 5), fontsize=5, va="top", ha="left", transform=ax.transAxes)
    ax.set_title(wrap_title(title, width * 0.75))
    ax.axis("off")
    handles = [
        Line2D([], [], marker="o", ls="", color=COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)], label=name)
        for i, name in enumerate(community_names)
    ]
    # figure legends placed over the side panel: a tight bounding box always takes them in
    fig.legend(
        handles=handles,
        title=wrap_label(community_title, 24),
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        bbox_transform=side.transAxes,
        frameon=False,
        fontsize=6,
        title_fontsize=6,
        alignment="left",
    )
    shapes = [
        Line2D([], [], marker=THEME_MARKERS[i % len(THEME_MARKERS)], ls="", color="#777777", label=theme_names[t])
        for i, t in enumerate(themes)
        if any(graph.nodes[n]["theme"] == t for n in nodes)
    ]
    counts = sorted({graph.nodes[n]["count"] for n in nodes})
    steps = sorted({counts[0], counts[len(counts) // 2], counts[-1]})
    sizes = [
        Line2D(
            [], [], marker="o", ls="", color="#BBBBBB", markeredgecolor="black", markersize=size(c) ** 0.5, label=f"{c}"
        )
        for c in steps
    ]
    fig.legend(
        handles=shapes,
        loc="center left",
        bbox_to_anchor=(0.0, 0.42),
        bbox_transform=side.transAxes,
        frameon=False,
        fontsize=6,
    )
    fig.legend(
        handles=sizes,
        title=size_label,
        loc="lower left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=side.transAxes,
        frameon=False,
        fontsize=6,
        title_fontsize=6,
        labelspacing=1.8,
        borderpad=1.0,
        handletextpad=1.2,
    )
    return fig
