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
# # 05 · Figures for the paper
#
# The paper's figures in one fixed style (sizes for single- and double-column layouts, the CJK font embedded in
# the PDF, a colour-blind-safe palette that reads in grayscale), each beside the CSV of exactly the data it plots.
# Re-run with `lang: en` for an English-language journal.

# %% tags=["parameters"]
data_dir: str = "outputs"  # folder of a pipeline run (holds data/ and tables/)
out_dir: str = "outputs"  # figures go to <out_dir>/figures
cities: list = []  # cities in the figures, empty for all
themes: list = []  # themes in the figures, empty for all
min_count: int = 2  # a practice needs this many documents to enter the network
top_n: int = 15  # rows in rankings
query: str = "机制"  # (unused here)
lang: str = "zh"  # figure labels: "zh" or "en"
formats: list = ["pdf", "svg", "png"]  # figure files to write
dpi: int = 600  # resolution of PNG figures (print quality)
group_by: str = "city"  # compare documents grouped by: city, province, year, genre or any manifest column
place_stopwords: bool = False  # true: leave place names (gazetteer) and report boilerplate out of term statistics
seed: int = 42  # seed of layouts and models

# %%
from pipeline.report.notebook import city_theme_heatmap, cooccurrence, keyness, setup, similarity, theme_profiles

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


# %% [markdown]
# **Figure 1: groups × themes**, items per 10,000 characters; the colour is each theme's own scale up to its 95th
# percentile ("+" marks clipped cells; with fewer than ten groups up to its maximum), so an outlier does not
# darken the rest (notebook 04 explains how to read it).

# %%
fig, data = city_theme_heatmap(ctx)
ctx.save(fig, data, "paper_fig1_city_theme")
fig

# %% [markdown]
# **Figure 2: theme profiles**, one bar per theme and group (rate per 10,000 characters), groups by total rate;
# the title says "top N of M" when not every group fits.

# %%
fig, data = theme_profiles(ctx)
ctx.save(fig, data, "paper_fig2_theme_profiles")
fig

# %% [markdown]
# **Figure 3: keyness** of the first city chosen (or the group with the most text) against all other groups:
# log-odds z with an informative Dirichlet prior; the axis names both sides (notebook 02 has the details and the
# `target`/`reference` parameters).

# %%
if ctx.group_by == "city" and ctx.cities:
    target = ctx.cities[0]
else:
    target = ctx.documents.set_index("doc_id").n_chars.groupby(ctx.groups()).sum().idxmax()
fig, data = keyness(ctx, target)
ctx.save(fig, data, "paper_fig3_keyness")
fig

# %% [markdown]
# **Figure 4: similarity of theme profiles**, average-linkage dendrogram on 1 − cosine; fewer than three groups
# give no tree, and the figure says so.

# %%
fig, data = similarity(ctx, "themes")
ctx.save(fig, data, "paper_fig4_similarity")
fig

# %% [markdown]
# **Figure 5: co-occurring practices**: colour = community (seeded Louvain), marker = theme, size = documents;
# too few linked practices give a figure that says so (notebook 04 explains how to read it).

# %%
fig, edges, _ = cooccurrence(ctx)
ctx.save(fig, edges, "paper_fig5_network")
fig

# %%
print("\n".join(str(p.relative_to(ctx.out_dir)) for p in ctx.saved))
