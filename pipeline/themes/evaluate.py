"""Evaluation: extracted items against a researcher's gold, and coder agreement.

Gold is a CSV with ``source_file, theme, key_phrase`` (the file's name or
its path relative to the corpus).  An extracted item and a gold phrase of the
same document and theme match when one contains the other once punctuation,
spaces and character widths are set aside, or when the item's evidence
sentence contains the gold phrase and item and phrase share most of their
characters.  Matching is one-to-one (each gold phrase is credited once).
Precision counts the items of the documents the gold covers.
"""
from __future__ import annotations

import re

from ..text import norm


def _matches(item: str, evidence: str, phrase: str, same_canonical: bool = False) -> bool:
    a, e, g = norm(item), norm(evidence), norm(phrase)
    if not a or not g:
        return False
    if same_canonical:  # 共建结对 and 共建对子 are one practice by the codebook
        return True
    if g in a or (len(a) >= 3 and a in g):
        return True
    gi, ai = e.find(g), e.find(a)
    if gi >= 0 and ai >= 0:  # both stand in the evidence: they must cover mostly the same characters
        overlap = min(gi + len(g), ai + len(a)) - max(gi, ai)
        return overlap >= 0.6 * min(len(g), len(a))
    return False


def evaluate_items(items, documents, gold, codebook=None):
    """Per-theme precision, recall, F1 of items against gold; also the matched pairs.

    ``items`` and ``documents`` are the themes and documents tables; ``gold``
    has source_file, theme, key_phrase."""
    import pandas as pd
    docs = documents[["doc_id", "source_file"]].copy()
    docs["base"] = docs.source_file.str.split("/").str[-1]
    gold = gold.copy()
    gold["base"] = gold.source_file.astype(str).str.split("/").str[-1]
    gold = gold.merge(docs[["doc_id", "base"]], on="base", how="left")
    missing = gold[gold.doc_id.isna()].source_file.unique()
    gold = gold.dropna(subset=["doc_id"]).reset_index(drop=True)
    if gold.empty:  # the gold is about other documents than this run's
        empty = pd.DataFrame(columns=["theme", "gold", "extracted", "matched", "precision", "recall", "f1"])
        return empty, items.iloc[0:0].assign(matched=[]), gold.assign(found=[]), list(missing)
    covered = set(gold.doc_id)
    ext = items[items.doc_id.isin(covered)].reset_index(drop=True)
    used_items: set[int] = set()
    hits = []
    for g in gold.itertuples():
        cands = ext[(ext.doc_id == g.doc_id) & (ext.theme == g.theme)]
        for i, it in cands.iterrows():
            same = codebook is not None and codebook.canonical_of(norm(g.key_phrase)) == it["canonical"] \
                and it["canonical"] != it["item"] or (codebook is not None and norm(g.key_phrase) in codebook.canonical
                                                      and codebook.canonical[norm(g.key_phrase)] == it["canonical"])
            if i not in used_items and _matches(it["item"], it["evidence"], g.key_phrase, same):
                used_items.add(i)
                hits.append((g.Index, i))
                break
    matched_gold = {gi for gi, _ in hits}
    rows = []
    themes = sorted(set(gold.theme) | set(ext.theme))
    for theme in themes + ["all"]:
        gsel = gold if theme == "all" else gold[gold.theme == theme]
        esel = ext if theme == "all" else ext[ext.theme == theme]
        tp_g = sum(1 for gi in gsel.index if gi in matched_gold)
        tp_e = sum(1 for i in esel.index if i in used_items)
        p = tp_e / len(esel) if len(esel) else 0.0
        r = tp_g / len(gsel) if len(gsel) else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"theme": theme, "gold": len(gsel), "extracted": len(esel), "matched": tp_g,
                     "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)})
    report = pd.DataFrame(rows)
    ext = ext.assign(matched=[i in used_items for i in ext.index])
    gold = gold.assign(found=[gi in matched_gold for gi in gold.index])
    return report, ext, gold, list(missing)


def coder_agreement(a, b):
    """Cohen's kappa between two coders' sentence labels (texts matched after normalisation)."""
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score
    a = a.assign(key=a.text.map(norm)).drop_duplicates("key")
    b = b.assign(key=b.text.map(norm)).drop_duplicates("key")
    both = a.merge(b, on="key", suffixes=("_a", "_b"))
    if both.empty:
        raise ValueError("the two label files share no sentence")
    kappa = cohen_kappa_score(both.label_a, both.label_b)
    agree = float((both.label_a == both.label_b).mean())
    confusion = pd.crosstab(both.label_a, both.label_b, rownames=["coder A"], colnames=["coder B"])
    return {"sentences": len(both), "agreement": round(agree, 3), "kappa": round(float(kappa), 3)}, confusion
