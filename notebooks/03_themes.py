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
# # 03 · Themes
#
# Which problems the reports admit, which mechanisms and carriers they build, which measures they propose — as
# items, each with the sentence it stands in and the rule that found it. Then each city's theme profile, the
# sentence classifier's cross-validated quality, and the extraction measured against the hand-coded gold.

# %% tags=["parameters"]
data_dir: str = "outputs"  # folder of a pipeline run (holds data/ and tables/)
out_dir: str = "outputs"  # figures go to <out_dir>/figures
cities: list = []  # cities to show, empty for all
themes: list = []  # themes to show (problem, mechanism, carrier, measure), empty for all
min_count: int = 2  # smallest count an item needs in the summaries
top_n: int = 20  # how many rows a listing shows
query: str = "机制"  # (unused here)
lang: str = "zh"  # figure labels: "zh" or "en"
formats: list = ["pdf", "svg", "png"]  # figure files to write
dpi: int = 300  # resolution of PNG figures
group_by: str = "city"  # compare documents grouped by: city, province, year, genre or any manifest column
place_stopwords: bool = False  # true: leave place names (gazetteer) and report boilerplate out of term statistics
seed: int = 42  # seed of everything random
gold: str = "corpus/gold/seeds_gold.csv"  # hand-coded gold for the evaluation, "" to skip
min_score: float = 0.0  # item tables: only items whose score is at least this
methods: list = []  # item tables: only items found by these rules (e.g. enum_section, action), empty for all

# %%
import pandas as pd

from pipeline import catalog, compare
from pipeline.report.notebook import export_table, setup, theme_profiles

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
items = ctx.items.merge(ctx.documents[["doc_id", "city"]], on="doc_id", how="left")
items[ctx.group_by] = items.doc_id.map(ctx.groups())
items.groupby(["theme", "method"]).size().unstack(fill_value=0)

# %% [markdown]
# ## Items with their evidence
#
# One table per theme: each item, the sentence it stands in (`evidence`), the rule that found it (`method`), its
# `score` and where it is (`start`/`end` in the document's clean text). A problem, mechanism or carrier appears at
# its first mention in each report; its later mentions are in `tables/theme_items.csv` (marked `repeat`). Filter
# with the parameters `min_score` and `methods`; the tables are sorted by score, strongest first, and the filtered
# rows of all themes are written to
# `notebook_tables/theme_items_filtered.csv`. In JupyterLab, re-run this cell after changing the two parameters
# in the parameters cell.

# %%
chosen = compare.filter_items(items, min_score, methods)  # an unknown method stops here, listing the valid ones
print(f"{len(chosen)} of {len(items)} items with score ≥ {min_score} found by {methods or 'any rule'}")
export_table(ctx, chosen, "theme_items_filtered")
columns = [ctx.group_by, "doc_id", "item", "canonical", "method", "score", "evidence", "start", "end"]
columns = list(dict.fromkeys(columns))
for theme in ctx.themes:
    print(f"\n== {ctx.theme(theme)} ==")
    display(chosen[chosen.theme == theme][columns].head(ctx.top_n))

# %% [markdown]
# ## Theme profiles
#
# **Figure: theme items per 10,000 characters by group.** For each group (`group_by`), one bar per theme: how many
# items of that theme the extraction found per 10,000 characters of clean text. Groups are ordered by their total
# rate; with many groups only the first are drawn, and the title says "top N of M" (the CSV beside the figure has
# the rows drawn). *Read it* across a row to see a group's emphasis, down a colour to compare groups on one theme.
# *Caveats*: rates are counts of extracted items, so they inherit the extraction's errors (see the evaluation
# below); measures are far more frequent than problems by the nature of the genre, so compare within a theme.

# %%
fig, data = theme_profiles(ctx)
ctx.save(fig, data, "fig03_theme_profiles")
fig

# %% [markdown]
# ## The classifier
#
# TF-IDF over jieba tokens and character n-grams with logistic regression, trained on the hand-labelled sentences;
# five-fold stratified cross-validation.

# %%
pd.read_csv(catalog.artifact_path(ctx.data_dir, "classifier_metrics"), encoding="utf-8-sig")

# %% [markdown]
# ## Against the gold
#
# Precision against a gold that lists only enumerated items is a floor: reports also name practices in passing.

# %%
from pathlib import Path

from pipeline.config import ROOT
from pipeline.themes.evaluate import evaluate_items

gold_path = Path(gold) if not gold or Path(gold).is_absolute() else ROOT / gold
report = None
if gold and gold_path.exists():
    report, extracted, gold_rows, missing = evaluate_items(
        catalog.read_artifact(ctx.data_dir, "themes"),
        catalog.read_artifact(ctx.data_dir, "documents"),
        pd.read_csv(gold_path),
        ctx.codebook,
    )
if report is None or report.empty:
    print("no gold standard covers this corpus's documents")
else:
    display(report)
    print("gold items not found:", gold_rows[~gold_rows.found][["doc_id", "theme", "key_phrase"]].to_dict("records"))
