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
seed: int = 42  # seed of everything random
gold: str = "corpus/gold/seeds_gold.csv"  # hand-coded gold for the evaluation, "" to skip

# %%
import pandas as pd

from pipeline import catalog
from pipeline.report.notebook import setup, theme_profiles

ctx = setup(data_dir, out_dir, cities, themes, min_count, top_n, query, lang, formats, dpi, seed)
items = ctx.items.merge(ctx.documents[["doc_id", "city"]], on="doc_id", how="left")
items.groupby(["theme", "method"]).size().unstack(fill_value=0)

# %% [markdown]
# ## Items with their evidence
#
# `start`/`end` locate the evidence in the document's clean text; `method` names the rule (see the README).

# %%
for theme in ctx.themes:
    print(f"\n== {ctx.theme(theme)} ==")
    show = items[items.theme == theme].sort_values(["city", "doc_id", "start"]).head(ctx.top_n)
    for r in show.itertuples():
        print(f"[{r.city}] {r.item}  ← {r.evidence[:60]}  ({r.method}, {r.start}–{r.end})")

# %% [markdown]
# ## Theme profiles

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
