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
# # 02 · Vocabulary
#
# Frequent terms and TF-IDF keywords per document and per city; the keyness of one city against the rest, with
# log-odds ratios under an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) and with chi-square; and a
# keyword-in-context concordance for a query term. Terms are jieba tokens with the domain lexicon; stopwords are
# left out of the counts only (`pipeline/resources/stopwords.txt`).

# %% tags=["parameters"]
data_dir: str = "outputs"  # folder of a pipeline run (holds data/ and tables/)
out_dir: str = "outputs"  # figures go to <out_dir>/figures
cities: list = []  # cities to compare, e.g. 青岛市 and 哈尔滨市, empty for all
themes: list = []  # themes (unused here, kept so one parameter file serves the suite)
min_count: int = 2  # a term needs this many occurrences to be ranked
top_n: int = 20  # how many terms a ranking shows
query: str = "机制"  # the concordance term
lang: str = "zh"  # figure labels: "zh" or "en"
formats: list = ["pdf", "svg", "png"]  # figure files to write
dpi: int = 300  # resolution of PNG figures
seed: int = 42  # seed of everything random

# %%
from pipeline import compare
from pipeline.report.notebook import city_of, keyness, setup

ctx = setup(data_dir, out_dir, cities, themes, min_count, top_n, query, lang, formats, dpi, seed)
by_doc = compare.term_counts(ctx.tokens, ctx.stopwords)
by_city = compare.term_counts(ctx.tokens, ctx.stopwords, city_of(ctx))
print(f"{by_doc.shape[1]} distinct terms in {len(by_doc)} documents and {len(by_city)} cities")

# %% [markdown]
# ## Most frequent terms per city

# %%
compare.top_terms(by_city, ctx.top_n, ctx.min_count).pivot(index="rank", columns="city", values="term")

# %% [markdown]
# ## TF-IDF keywords per document and per city

# %%
compare.tfidf_keywords(by_doc, 10).pivot(index="rank", columns="doc_id", values="term")

# %%
compare.tfidf_keywords(by_city, 10).pivot(index="rank", columns="city", values="term")

# %% [markdown]
# ## Keyness: what marks one city against the rest
#
# The target is the first city chosen (or the city with the most text). Log-odds with an informative Dirichlet
# prior shrinks rare terms towards the corpus rate, so a term seen twice does not top the list; `z` is the
# log-odds difference over its standard deviation. Chi-square (2×2, Yates) is shown beside it.

# %%
target = ctx.cities[0] if ctx.cities else by_city.sum(axis=1).idxmax()
fig, data = keyness(ctx, target)
ctx.save(fig, data, "fig02_keyness_log_odds")
fig

# %%
compare.keyness_chi2(by_city, target, ctx.min_count).head(ctx.top_n)

# %% [markdown]
# ## Concordance

# %%
compare.kwic(ctx.sentences, ctx.documents, ctx.query, width=18, limit=ctx.top_n * 2)
