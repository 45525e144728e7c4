"""A learned span model for comparison with the rules: a character-level CRF (python-crfsuite) trained on the
development paragraphs coded item by item (tests/gold/dev_paragraphs.csv, dev_spans.csv).  Its features are those
of the measure model the pipeline ships (pipeline/themes/crf.py, themes.measures: crf); here all four themes are
tagged, for comparison.

    python benchmarks/crf_spans.py cv [--out cv.csv]                       # grouped by city, development part only
    python benchmarks/crf_spans.py predict --out pred.csv [--paras tests/gold/paragraphs.csv]
    python benchmarks/evaluate_themes.py --part test --compare-with pred.csv

Spans of one theme never overlap in the annotations, nor do measure/problem or carrier/mechanism, so two BIO layers
are tagged: measure (M) / problem (P), the clause-level items, and carrier (C) / mechanism (X), the named ones.
Features: the character and its neighbours (±2), bigrams and the centred trigram, a character class, jieba word
position and short words, distance to the clause's ends, quote and bracket depth, word lists of heads, action verbs,
manner adverbs and problem cues, and flags of the paragraph.  c1 = c2 = 0.05, chosen by 5-fold cross-validation
grouped by city on the development part.  docs/evaluation.md compares it with the rules.
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
GOLD = os.path.join(os.path.dirname(HERE), "tests", "gold")
import pycrfsuite  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
from pipeline.themes.crf import (  # noqa: E402  the features, spans and lexicons of the shipped model
    LAYOUTS,
    THEMES,
    clean_span,
    decode,
    para_features,
    read_gold,
    train,
)


# ----------------------------------------------------------------------------- data
def load(pairs):
    """pairs: list of (paragraphs_csv, spans_csv or None). Returns paras df and dict key->[(theme,s,e)]."""
    ps, gold = [], {}
    for pf, sf in pairs:
        ps.append(pd.read_csv(pf))
        if sf is not None:
            keys, _, spans = read_gold(pf, sf)
            gold.update(zip(keys, spans, strict=True))
    return pd.concat(ps, ignore_index=True), gold


# ----------------------------------------------------------------------------- model
class SpanCRF:
    def __init__(self, layout="two_layer", c1=0.05, c2=0.05, max_iter=150, feat_cfg=None, per_layer=None):
        self.layout = LAYOUTS[layout]
        self.c1, self.c2, self.max_iter = c1, c2, max_iter
        self.feat_cfg = feat_cfg or {}
        self.per_layer = per_layer or {}  # layer -> dict(c1=, c2=)
        self.models = {}
        self._dir = tempfile.TemporaryDirectory(prefix="crf-")

    def fit(self, texts, gold_lists, X=None):
        X = X if X is not None else [para_features(t, self.feat_cfg) for t in texts]
        for layer, themes in self.layout.items():
            hp = dict(c1=self.c1, c2=self.c2)
            hp.update(self.per_layer.get(layer, {}))
            path = os.path.join(self._dir.name, f"{layer}.crfsuite")
            train(texts, gold_lists, themes, path, X, hp["c1"], hp["c2"], self.max_iter)
            tagger = pycrfsuite.Tagger()
            tagger.open(path)
            self.models[layer] = tagger
        return self

    def predict(self, texts, X=None):
        X = X if X is not None else [para_features(t, self.feat_cfg) for t in texts]
        preds = [[] for _ in texts]
        for _layer, tagger in self.models.items():
            for k, x in enumerate(X):
                for th, s, e in decode(list(tagger.tag(x))):
                    se = clean_span(texts[k], s, e)
                    if se:
                        preds[k].append((th, se[0], se[1]))
        return preds


# ----------------------------------------------------------------------------- evaluation
def match_counts(gold, pred):
    """gold, pred: lists of (s,e) for one (paragraph, theme). Returns (exact_tp, overlap_tp)."""
    exact = len(set(gold) & set(pred))
    pairs = []
    for gi, (gs, ge) in enumerate(gold):
        for pi, (ps_, pe) in enumerate(pred):
            ov = min(ge, pe) - max(gs, ps_)
            if ov > 0:
                pairs.append((ov, gi, pi))
    pairs.sort(key=lambda x: -x[0])
    ug, up, otp = set(), set(), 0
    for _ov, gi, pi in pairs:
        if gi in ug or pi in up:
            continue
        ug.add(gi)
        up.add(pi)
        otp += 1
    return exact, otp


def score(keys, gold, preds):
    """gold/preds: dict key -> [(theme,s,e)]. Returns DataFrame per theme (+ all)."""
    acc = {t: np.zeros(4) for t in THEMES}  # n_gold, n_pred, exact_tp, overlap_tp
    for k in keys:
        for t in THEMES:
            g = [(s, e) for th, s, e in gold.get(k, []) if th == t]
            p = [(s, e) for th, s, e in preds.get(k, []) if th == t]
            ex, ov = match_counts(g, p)
            acc[t] += [len(g), len(p), ex, ov]
    acc["all"] = sum(acc.values())
    rows = []
    for t, (ng, npred, ex, ov) in acc.items():
        r = {"theme": t, "n_gold": int(ng), "n_pred": int(npred)}
        for name, tp in (("exact", ex), ("overlap", ov)):
            P = tp / npred if npred else 0.0
            R = tp / ng if ng else 0.0
            r[name + "_P"], r[name + "_R"] = round(P, 4), round(R, 4)
            r[name + "_F1"] = round(2 * P * R / (P + R), 4) if P + R else 0.0
        rows.append(r)
    return pd.DataFrame(rows)


def cross_validate(paras, gold, n_folds=5, X=None, verbose=False, **model_kw):
    texts = paras.text.tolist()
    keys = paras.para_key.tolist()
    if X is None:
        X = [para_features(t, model_kw.get("feat_cfg")) for t in texts]
    preds = {}
    for fold, (tr, te) in enumerate(GroupKFold(n_splits=n_folds).split(texts, groups=paras.city)):
        m = SpanCRF(**model_kw).fit([texts[i] for i in tr], [gold.get(keys[i], []) for i in tr], X=[X[i] for i in tr])
        for i, p in zip(te, m.predict([texts[i] for i in te], X=[X[i] for i in te]), strict=False):
            preds[keys[i]] = p
        if verbose:
            print("fold", fold, "done", file=sys.stderr)
    return score(keys, gold, preds), preds


# ----------------------------------------------------------------------------- main
# hyper-parameters chosen by grouped CV (see report / cv_search.py)
BEST = dict(layout="two_layer", c1=0.05, c2=0.05, max_iter=150, feat_cfg={})


def default_dev():
    return [(os.path.join(GOLD, "dev_paragraphs.csv"), os.path.join(GOLD, "dev_spans.csv"))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cv", "predict"])
    ap.add_argument("--paras", default=os.path.join(GOLD, "paragraphs.csv"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--c1", type=float, default=None)
    ap.add_argument("--c2", type=float, default=None)
    ap.add_argument("--layout", default=None, choices=list(LAYOUTS))
    a = ap.parse_args()
    kw = dict(BEST)
    for k in ("c1", "c2", "layout"):
        if getattr(a, k) is not None:
            kw[k] = getattr(a, k)
    paras, gold = load(default_dev())
    if a.mode == "cv":
        df, _ = cross_validate(paras, gold, verbose=True, **kw)
        print(df.to_string(index=False))
        if a.out:
            df.to_csv(a.out, index=False)
    else:
        texts = paras.text.tolist()
        model = SpanCRF(**kw).fit(texts, [gold.get(k, []) for k in paras.para_key])
        test = pd.read_csv(a.paras)
        rows = []
        for k, t, p in zip(test.para_key, test.text, model.predict(test.text.tolist()), strict=False):
            for th, s, e in sorted(p, key=lambda x: (x[1], x[0])):
                rows.append(dict(para_key=k, theme=th, start=s, end=e, span=t[s:e]))
        out = pd.DataFrame(rows, columns=["para_key", "theme", "start", "end", "span"])
        out.to_csv(a.out or "crf_pred.csv", index=False)
        print(out.theme.value_counts().to_string())


if __name__ == "__main__":
    main()
