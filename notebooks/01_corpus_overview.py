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
# # 01 · The corpus
#
# What the corpus holds — documents by city, year and genre, their lengths — where each piece of metadata came
# from (the manifest, the file itself, or an inference rule), what the corpus audit found wrong with documents
# before anyone compares cities, and what the cleaner removed from each document and why. Everything here reads
# the tables `python -m pipeline run` wrote; nothing is computed by hand.

# %% tags=["parameters"]
data_dir: str = "outputs"  # folder of a pipeline run (holds data/ and tables/)
out_dir: str = "outputs"  # figures go to <out_dir>/figures
cities: list = []  # cities to show, e.g. 青岛市 and 哈尔滨市, empty for all
themes: list = []  # themes to show (problem, mechanism, carrier, measure), empty for all
min_count: int = 2  # smallest count a term or item needs to be shown
top_n: int = 20  # how many rows a ranking shows
query: str = "机制"  # the term for concordances (notebook 02)
lang: str = "zh"  # figure labels: "zh" or "en"
formats: list = ["pdf", "svg", "png"]  # figure files to write
dpi: int = 300  # resolution of PNG figures
group_by: str = "city"  # compare documents grouped by: city, province, year, genre or any manifest column
place_stopwords: bool = False  # true: leave place names (gazetteer) and report boilerplate out of term statistics
seed: int = 42  # seed of everything random

# %%
from pipeline.report.notebook import audit_overview, cleaning_audit, documents_per_city, quality_report, setup

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
docs = ctx.documents
print(f"{len(docs)} documents, {docs.n_chars.sum():,} characters of clean text")

# %% [markdown]
# ## Documents by city, year and genre

# %%
overview = (
    docs.assign(city=docs.city.fillna("(unknown)"))
    .groupby(["province", "city"], dropna=False)
    .agg(
        documents=("doc_id", "count"),
        characters=("n_chars", "sum"),
        years=("year", lambda s: ", ".join(str(int(y)) for y in sorted(s.dropna().unique()))),
    )
    .reset_index()
)
overview

# %%
docs[["doc_id", "title", "year", "genre", "n_chars"]].sort_values("doc_id")

# %% [markdown]
# **Figure: clean text per city.** One bar per city, its length in thousand characters of clean text (after the
# cleaner), longest first. *Read it* as the weight each city carries in every count that follows: a city with
# little text yields few items and noisy rates. *Caveats*: the city is the one in the manifest, or inferred (see
# the sources below); documents with no city are pooled under "(unknown)". If there are more cities than fit,
# the title says "top N of M".

# %%
fig, data = documents_per_city(ctx)
ctx.save(fig, data, "fig01_characters_per_city")
fig

# %% [markdown]
# ## Where the metadata came from
#
# Each field has a `*_source` column: `manifest` (the researcher's own record), `table`/`html`/`docx` (stated by
# the file), or the inference rule that decided (`title`, `body`, `filename`, `byline` …). `none` means unknown.

# %%
sources = [c for c in docs.columns if c.endswith("_source")]
docs[sources].apply(lambda s: s.value_counts()).fillna(0).astype(int).T

# %%
docs[["doc_id", "province", "city", "district", "city_source", "place_evidence"]]

# %% [markdown]
# ## The corpus audit
#
# Before cities are compared, every document is checked against its own metadata and against the others
# (`data/quality_report.csv`; the checks are described in the README under "Corpus audit"):
#
# - **place_conflict** — the place from the manifest or the file name is contradicted by the text: it speaks as
#   the State Council or a provincial government, or never names its city while naming another one often. An
#   *error* leaves the place empty, so the document is not counted as that city's.
# - **year_conflict** — the stated year is not the year the report is for (a work report is given in the year it
#   plans for). An *error* leaves the year empty.
# - **truncated** — the text ends mid-sentence, lacks a part its genre always has (a work report's review or
#   plan), or is far shorter than its genre's median.
# - **near_duplicate** — two documents share most of their text (the same report from two sites). The city
#   tables count each group once, as its longest text (`audit.keep_near_duplicates` keeps all).
# - **broken_lines** — most line breaks fell inside sentences; the cleaner rejoined them (shown for the record).
# - **not_chinese**, **too_short** — a document of other-language or almost no text.
#
# How to read it: an error changes what the tables say (a place or year left empty, a document not kept); a
# warning asks you to look at the document before you rely on it; info records what the cleaner repaired. A
# check that never fires is not shown.

# %%
fig, data = audit_overview(ctx)
ctx.save(fig, data, "fig01_corpus_audit")
fig

# %%
quality_report(ctx)

# %% [markdown]
# ## The cleaning audit
#
# Every span the cleaner removed is in `data/cleaning_report.csv` with the rule that removed it.
#
# **Figure: characters removed by cleaning rule.** Rows are documents (most cleaned first), columns the rules
# (the rule that removed most first); each cell gives the characters that rule removed from that document. *Read
# it* to check the cleaner: a rule removing thousands of characters from one document deserves a look at that
# document's report rows. *Caveats*: a plain-text corpus often needs no cleaning, and the figure then says so
# instead of drawing an empty grid; with many documents only the most cleaned are shown ("top N of M").

# %%
fig, data = cleaning_audit(ctx)
ctx.save(fig, data, "fig01_cleaning_by_rule")
fig

# %%
import pandas as pd

from pipeline import catalog

report = pd.read_csv(catalog.artifact_path(ctx.data_dir, "cleaning_report"), encoding="utf-8-sig")
report = report[report.doc_id.isin(docs.doc_id)]
report.groupby("rule").agg(spans=("n_chars", "size"), characters=("n_chars", "sum")).sort_values(
    "characters", ascending=False
)
