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
seed: int = 42  # seed of layouts and models

# %%
from pipeline.report.notebook import city_theme_heatmap, cooccurrence, keyness, setup, similarity, theme_profiles

ctx = setup(data_dir, out_dir, cities, themes, min_count, top_n, query, lang, formats, dpi, seed)


# %%
fig, data = city_theme_heatmap(ctx)
ctx.save(fig, data, "paper_fig1_city_theme")
fig

# %%
fig, data = theme_profiles(ctx)
ctx.save(fig, data, "paper_fig2_theme_profiles")
fig

# %%
target = ctx.cities[0] if ctx.cities else ctx.documents.groupby("city").n_chars.sum().idxmax()
fig, data = keyness(ctx, target)
ctx.save(fig, data, "paper_fig3_keyness")
fig

# %%
fig, data = similarity(ctx, "themes")
ctx.save(fig, data, "paper_fig4_similarity")
fig

# %%
fig, edges, _ = cooccurrence(ctx)
ctx.save(fig, edges, "paper_fig5_network")
fig

# %%
print("\n".join(str(p.relative_to(ctx.out_dir)) for p in ctx.saved))
