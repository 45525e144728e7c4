# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (policy-pipeline)
#     language: python
#     name: policy-pipeline
# ---

# %% [markdown]
# # 04 · Comparing cities
#
# The city × theme matrix, the practice matrix qualitative researchers build by hand (cities as rows, themes as
# columns, practices in the cells), practices shared by several cities against those unique to one, how similar
# the cities are in words and in theme profiles, which practices are reported together, and topics.

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
seed: int = 42  # seed of the network layout and the topic model
n_topics: int = 5  # topics of the NMF model

# %%
from pipeline import compare
from pipeline.report.notebook import city_theme_heatmap, cooccurrence, setup, similarity, topic_prevalence

ctx = setup(data_dir, out_dir, cities, themes, min_count, top_n, query, lang, formats, dpi, seed)
ctx.matrix

# %% [markdown]
# ## City × theme

# %%
fig, data = city_theme_heatmap(ctx)
ctx.save(fig, data, "fig04_city_theme_rates")
fig

# %% [markdown]
# ## The practice matrix

# %%
practice = compare.practice_matrix(ctx.items, ctx.documents, ctx.themes, top_n=6)
practice.columns = [ctx.theme(t) for t in practice.columns]
practice

# %% [markdown]
# ## Shared and unique practices

# %%
shared = compare.shared_practices(ctx.items, ctx.documents, ctx.themes)
shared.groupby(["theme", "kind"]).size().unstack(fill_value=0)

# %%
shared.head(ctx.top_n)

# %% [markdown]
# ## Similarity between cities

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
# Nodes are canonical items (coloured by theme, sized by the number of documents); an edge joins two items
# reported in the same document.

# %%
fig, edges, graph = cooccurrence(ctx)
ctx.save(fig, edges, "fig04_cooccurrence_network")
print(f"{graph.number_of_nodes()} practices, {graph.number_of_edges()} links")
fig

# %% [markdown]
# ## Topics

# %%
fig, terms, prevalence = topic_prevalence(ctx, n_topics)
ctx.save(fig, prevalence, "fig04_topic_prevalence")
terms.pivot(index="rank", columns="topic", values="term")
