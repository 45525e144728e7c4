# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (policy-pipeline)
#     language: python
#     name: policy-pipeline
# ---

# %% [markdown]
# # 04 · Comparing cities (or any groups)
#
# The city × theme matrix, the practice matrix qualitative researchers build by hand (cities as rows, themes as
# columns, practices in the cells), practices shared by several cities against those unique to one, how similar
# the cities are in words and in theme profiles, which practices are reported together, and topics. Set
# `group_by` to compare provinces, years, genres or any manifest column instead of cities.

# %% tags=["parameters"]
data_dir: str = "outputs"  # folder of a pipeline run (holds data/ and tables/)
out_dir: str = "outputs"  # figures go to <out_dir>/figures
cities: list = []  # cities to compare, e.g. 青岛市 and 哈尔滨市, empty for all
themes: list = []  # themes to compare, empty for all
min_count: int = 1  # a practice needs this many documents to enter the network
top_n: int = 20  # rows shown in rankings
query: str = "机制"  # (unused here)
lang: str = "zh"  # figure labels: "zh" or "en"
formats: list = ["pdf", "svg", "png"]  # figure files to write
dpi: int = 300  # resolution of PNG figures
group_by: str = "city"  # compare documents grouped by: city, province, year, genre or any manifest column
place_stopwords: bool = False  # true: leave place names (gazetteer) and report boilerplate out of term statistics
seed: int = 42  # seed of the network layout and the topic model
n_topics: int = 5  # topics of the NMF model

# %%
from pipeline import compare
from pipeline.report.notebook import (
    city_theme_heatmap,
    cooccurrence,
    practice_matrix,
    setup,
    similarity,
    topic_prevalence,
)

ctx = setup(
    data_dir,
    out_dir,
    cities,
    themes,
    min_count,
    top_n,
    query,
    lang,
    formats,
    dpi,
    seed,
    group_by=group_by,
    place_stopwords=place_stopwords,
)
ctx.matrix

# %% [markdown]
# ## City × theme
#
# **Figure: groups × themes.** Every group (rows, highest total rate first) against every theme; each cell gives
# items per 10,000 characters of clean text. *Colour*: each theme on its own scale, from 0 to the theme's 95th
# percentile across the groups (with fewer than ten groups, to its maximum); cells above it are clipped to the
# yellow end and marked "+". So one outlier city does not make every other cell dark, and a rare theme
# (problems) is as readable as a frequent one (measures). The title says which scale was used. *Read it* down a
# column to rank groups on a theme, and use the numbers, not the colours, to compare across themes. *Caveats*:
# rates are counts of extracted items (see notebook 03 for their quality); a group with little text has unstable
# rates (see notebook 01 for text per city).

# %%
fig, data = city_theme_heatmap(ctx)
ctx.save(fig, data, "fig04_city_theme_rates")
fig

# %% [markdown]
# ## The practice matrix
#
# Groups as rows, themes as columns; each cell lists the group's most reported practices (canonical items) as
# "item (count): example sentence [document]": the count is the number of items, the example the shortest
# sentence the item was found in, and the document its source. The long form (one row per cell entry, with the
# number of documents, the full example and its offsets in the clean text) is `practice_cells` below and in
# `notebook_tables/practice_cells.csv`; the grid is in `notebook_tables/practice_matrix.csv`.

# %%
cells, practice = practice_matrix(ctx, top_n=3)
practice

# %%
cells.head(ctx.top_n)

# %% [markdown]
# ## Shared and unique practices

# %%
shared = compare.shared_practices(ctx.items, ctx.documents, ctx.themes)
shared.groupby(["theme", "kind"]).size().unstack(fill_value=0)

# %%
shared.head(ctx.top_n)

# %% [markdown]
# ## Similarity between groups
#
# **Figures: dendrograms.** The groups joined by average-linkage clustering on 1 − cosine similarity, first of
# their vocabularies (TF-IDF of terms), then of their theme profiles (each group's share of items per theme).
# *Read it* from the leaves: groups joined near the left (small distance) write alike; the order of the leaves
# within a branch means nothing. *Caveats*: TF-IDF similarity is driven by place names and local projects unless
# `place_stopwords` is on; with fewer than three groups there is no tree to draw and the figure says so.

# %%
fig, data = similarity(ctx, "tfidf")
ctx.save(fig, data, "fig04_similarity_terms")
fig

# %%
fig, data = similarity(ctx, "themes")
ctx.save(fig, data, "fig04_similarity_themes")
fig

# %% [markdown]
# ## Practices reported together
#
# **Figure: co-occurrence network.** Nodes are canonical practices reported in at least `min_count` documents
# (the most reported 30 when there are more: the title then says "top 30 of M"); an edge joins two practices
# reported in the same document, wider when more documents share them. *Colour* is the community (Louvain
# modularity, seeded: practices more linked to each other than to the rest), named in the legend by its most
# reported practice; *marker* is the theme; *size* is the number of documents (legend). *Read it* for clusters of
# practices that travel together; the edge list with each end's community is the CSV beside the figure. *Caveats*:
# long reports list many practices, so in a small corpus almost everything co-occurs and the communities are weak;
# with fewer than three linked practices (two cities, say) the figure says there is too little to show. The
# layout is seeded: reruns draw the same picture.

# %%
fig, edges, graph = cooccurrence(ctx)
ctx.save(fig, edges, "fig04_cooccurrence_network")
print(f"{graph.number_of_nodes()} practices, {graph.number_of_edges()} links")
fig

# %% [markdown]
# ## Topics
#
# **Figure: topic prevalence.** An NMF topic model on the groups' TF-IDF term weights; each row is a group, each
# column a topic named by its three heaviest terms, and each cell the group's share of that topic (a row sums to
# 1). Rows are ordered by their main topic, then by its share, so groups dominated by the same topic stand
# together; every group is shown. *Read it* as a coarse map of what the groups' reports are about. *Caveats*: with
# few groups each topic tends to be one group's vocabulary (shares of 1.00); place names dominate the topics unless
# `place_stopwords` is on; the number of topics (`n_topics`) is a choice, not a finding.

# %%
fig, terms, prevalence = topic_prevalence(ctx, n_topics)
ctx.save(fig, prevalence, "fig04_topic_prevalence")
terms.pivot(index="rank", columns="topic", values="term")
