"""Figure helpers: text overlaps are found and avoided, degenerate inputs are said, English labels are English."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from pipeline.report import figures


@pytest.fixture(autouse=True)
def style():
    figures.setup_style()
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_overlapping_finds_colliding_texts_only():
    boxes = [
        {"text": "a", "box": [0, 0, 10, 10]},
        {"text": "b", "box": [9.5, 0, 20, 10]},  # touches a by half a pixel: tolerated
        {"text": "c", "box": [5, 5, 15, 15]},  # overlaps a and b
    ]
    assert [(x["text"], y["text"]) for x, y in figures.overlapping(boxes)] == [("a", "c"), ("b", "c")]


def test_text_boxes_catch_what_a_draw_shows():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(5), [f"一个很长很长的标签{i}" for i in range(5)])  # tick labels run into each other
    ax.set_title("标题")
    boxes = figures.text_boxes(fig)
    assert {"标题", "一个很长很长的标签0"} <= {b["text"] for b in boxes}
    assert figures.overlapping(boxes)
    figures.fit_tick_labels(fig, ax)  # stood upright, they do not
    assert not figures.overlapping(figures.text_boxes(fig))


def test_heatmap_with_long_column_labels_and_many_rows_is_legible():
    cols = [f"topic {k}: 建设/发展/推进/改革/创新" for k in range(1, 6)]
    table = pd.DataFrame([[i / 100 + k / 10 for k in range(5)] for i in range(72)], columns=cols)
    table.index = [f"城市{i}" for i in range(72)]
    fig = figures.heatmap(table, "主题模型", "占比", fmt=".2f")
    assert not figures.overlapping(figures.text_boxes(fig))


def test_clipped_colour_scale_marks_the_clipped_cells():
    table = pd.DataFrame({"a": [1.0, 2.0, 100.0], "b": [3.0, 4.0, 5.0]}, index=["x", "y", "z"])
    cap = table.quantile(0.5)
    fig = figures.heatmap(table, "t", "c", colours=(table / cap).clip(upper=1), marks=table > cap)
    texts = {b["text"] for b in figures.text_boxes(fig)}
    assert "100.0+" in texts and "1.0" in texts and "1.0+" not in texts


def test_degenerate_tree_and_network_say_so():
    sim = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["甲", "乙"], columns=["甲", "乙"])
    fig = figures.dendrogram(sim, "相似度", empty_message="只有2个城市：至少需要三个才能画出聚类树")
    assert "只有2个城市：至少需要三个才能画出聚类树" in " ".join(b["text"] for b in figures.text_boxes(fig)).replace(
        "\n", ""
    )


def _graph():
    g = nx.Graph()
    names = ["联席会议制度", "网格化管理", "结对共建", "党群服务中心", "考核机制", "在职党员", "社区大党委"]
    for i, n in enumerate(names):
        g.add_node(n, theme="mechanism" if i % 2 else "carrier", count=1 + i)
    for a, b in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3), (5, 6)]:
        g.add_edge(names[a], names[b], weight=1 + (a + b) % 3)
    return g


def test_network_has_communities_legends_and_no_overlapping_labels(tmp_path):
    from pipeline import compare

    g = compare.induced(_graph(), list(_graph().nodes))
    comm = compare.communities(g, 42)
    assert len(set(comm.values())) >= 2
    names = [f"{i + 1}" for i in range(max(comm.values()) + 1)]
    themes = {"carrier": "载体", "mechanism": "机制"}

    def draw():
        return figures.network(g, "网络", {n: n for n in g}, comm, names, themes, seed=42, size_label="文档数")

    fig = draw()
    boxes = figures.text_boxes(fig)
    assert not figures.overlapping(boxes)
    shown = {b["text"] for b in boxes}
    assert {"载体", "机制", "文档数"} <= shown and set(g.nodes) <= shown  # legends for theme and size, every label
    a = figures.save_figure(fig, compare.network_table(g), "net_a", tmp_path, ["png"], dpi=60)[0].read_bytes()
    b = figures.save_figure(draw(), compare.network_table(g), "net_b", tmp_path, ["png"], dpi=60)[0].read_bytes()
    assert a == b  # seeded: the same picture every time


def test_english_terms_carry_pinyin_and_gloss():
    assert figures.term_en("网格化管理") == "网格化管理 wǎnggéhuà guǎnlǐ 'grid management'"
    assert figures.term_en("网格化管理", short=True) == "grid management"
    assert figures.term_en("驻区单位") == "驻区单位 zhù qū dānwèi 'resident units'"
    assert figures.label("青岛市", "en", "place") == "Qingdao"
    assert figures.romanise("三亚") == "Sanya" and figures.romanise("004_abc") == "004_abc"
    for ok in (
        "Qingdao",
        "网格化 wǎnggéhuà 'grid management'",
        "推进不敢腐、不能腐 tuījìn bùgǎn fǔ, bùnéng fǔ",
        "1 - cosine",
    ):
        assert figures.is_english(ok), ok
    for bad in ("青岛", "Distinctive terms of 青岛", "网格化\n管理"):
        assert not figures.is_english(bad), bad
    # wrapping never cuts a Chinese term away from its pinyin
    assert figures.is_english(
        figures.wrap_label(figures.term_en("开展学习贯彻习近平新时代中国特色社会主义思想主题教育"), 18)
    )


def test_glossary_glosses_the_frequent_domain_terms():
    terms = figures.glossary()["terms"]
    assert len(terms) >= 100
    assert all(isinstance(v, str) and v.isascii() for v in terms.values())
