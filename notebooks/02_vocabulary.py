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
# # 02 · Vocabulary
#
# Frequent terms and TF-IDF keywords per document and per city; the keyness of one city against the rest, with
# log-odds ratios under an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) and with chi-square; and a
# keyword-in-context concordance for a regular expression. Terms are jieba tokens with the domain lexicon;
# stopwords are left out of the counts only (`pipeline/resources/stopwords.txt`). Set `place_stopwords: true` to
# leave place names (every name in the gazetteer, full and short) and report boilerplate
# (`pipeline/resources/report_boilerplate.txt`) out as well: otherwise TF-IDF and keyness of city reports are
# dominated by each city's own name and districts.

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
group_by: str = "city"  # compare documents grouped by: city, province, year, genre or any manifest column
place_stopwords: bool = False  # true: leave place names (gazetteer) and report boilerplate out of term statistics
seed: int = 42  # seed of everything random
target: str = ""  # keyness: the group to characterise (a group_by value), empty: first city chosen or largest
reference: list = []  # keyness: the group(s) to compare it against, empty for all the others
kwic_sort: str = "left"  # concordance order: left or right context, keyword, or position

# %%
from pipeline import compare
from pipeline.report.notebook import concordance, keyness, setup

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
stop = ctx.term_stopwords()
by_doc = ctx.term_counts(stop, sparse=True)  # documents × terms: sparse, whatever the corpus size
by_group = ctx.term_counts(stop, ctx.groups())
print(f"{by_doc.shape[1]} distinct terms in {len(by_doc)} documents and {len(by_group)} groups by {ctx.group_by}")
print("place names and boilerplate left out" if ctx.place_stopwords else "place names kept (place_stopwords: false)")

# %% [markdown]
# ## Most frequent terms per group

# %%
compare.top_terms(by_group, ctx.top_n, ctx.min_count).pivot(index="rank", columns=ctx.group_by, values="term")

# %% [markdown]
# ## TF-IDF keywords per document and per group

# %%
compare.tfidf_keywords(by_doc, 10).pivot(index="rank", columns="doc_id", values="term")

# %%
compare.tfidf_keywords(by_group, 10).pivot(index="rank", columns=ctx.group_by, values="term")

# %% [markdown]
# ## Keyness: what marks one group against another
#
# The target is the `target` parameter (a value of `group_by`), else the first city chosen, else the group with
# the most text; the reference is the `reference` groups, else all the others.
#
# **Figure: distinctive terms.** Bars to the right are terms the target uses more than the reference, bars to the
# left terms it uses less; the length is `z`, the log-odds difference under an informative Dirichlet prior
# (Monroe, Colaresi & Quinn 2008) over its standard deviation. *Read it* as "what this group's reports talk about
# that the reference's do not": |z| above about 2 is unlikely to be chance. The axis names both sides of the
# comparison. *Caveats*: the prior shrinks rare terms, so a term seen twice does not top the list, but a target of
# one short report still gives unstable terms; with place names kept, the target's own place names lead the list
# (set `place_stopwords: true`). Chi-square (2×2, Yates) is shown below as a check.

# %%
if target:
    key = target
elif ctx.group_by == "city" and ctx.cities:
    key = ctx.cities[0]
else:
    key = by_group.sum(axis=1).idxmax()
fig, data = keyness(ctx, key, reference or None)
ctx.save(fig, data, "fig02_keyness_log_odds")
fig

# %%
compare.keyness_against(by_group, key, reference or None, ctx.min_count, method="chi2").head(ctx.top_n)

# %% [markdown]
# ## Concordance
#
# Every match of the regular expression `query` (e.g. `机制|制度`, `(建立|健全).{0,6}机制`) with 18 characters each
# side, sorted by `kwic_sort`: `left` orders by the words just before the match (read right to left, as
# concordancers do), `right` by the words after it. All matches go to `notebook_tables/kwic.csv` with the
# document, the group, the sentence and the offsets of the match in the clean text; the table below shows the
# first ones.

# %%
kwic, kwic_path = concordance(ctx, ctx.query, sort=kwic_sort)
print(f"{len(kwic)} matches of /{ctx.query}/ → {kwic_path}")
kwic.drop(columns="sentence").head(ctx.top_n * 2)
