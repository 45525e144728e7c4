"""Sentence classifier: which theme (or none) a sentence is about.

TF-IDF over jieba tokens (with the domain lexicon) and over character 1–3
grams, joined, into a logistic regression with balanced class weights,
trained on hand-labelled sentences (``resources/training/sentences.csv`` plus
any label files a researcher adds).  Used to score rule hits, to find theme
sentences the rules miss, and to pick the sentences worth labelling next.
Everything random takes the run's seed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..text import norm


@lru_cache(maxsize=16_384)  # the labelled sentences, cut once for every fold; not every sentence a corpus scores
def _tokens(text: str, lexicon: str) -> tuple[str, ...]:
    from ..segment.tokens import cut

    return tuple(t for t in cut(text, lexicon) if t.strip())


class Tokens:
    """A picklable analyzer: jieba tokens of the width-folded, punctuation-free text (each text cut once per
    process: cross-validation folds and the final fit share the work)."""

    def __init__(self, lexicon: str):
        self.lexicon = str(lexicon)

    def __call__(self, text: str) -> list[str]:
        return list(_tokens(text, self.lexicon))


def load_labels(paths: list[str | Path], themes: list[str]):
    """Labelled sentences from CSV files with at least ``text`` and ``label``.

    Rows with an empty label are skipped (an export not yet labelled); a label
    that is not a theme or ``none`` is an error naming the file and row."""
    import pandas as pd

    allowed = set(themes) | {"none"}
    frames = []
    for path in paths:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        missing = {"text", "label"} - set(df.columns)
        if missing:
            raise ValueError(f"label file {path}: missing column(s) {sorted(missing)}")
        df = df[df.label.str.strip() != ""].copy()
        df["label"] = df.label.str.strip()
        bad = df[~df.label.isin(allowed)]
        if len(bad):
            row = bad.index[0] + 2
            raise ValueError(
                f"label file {path}, row {row}: label '{bad.label.iloc[0]}' is not one of {sorted(allowed)}"
            )
        df["file"] = str(path)
        frames.append(df[["text", "label", "file"]])
    if not frames:
        raise ValueError("no label files found")
    out = pd.concat(frames, ignore_index=True)
    out["key"] = out.text.map(norm)
    # a later file's label for the same sentence wins (a researcher's correction)
    return out.drop_duplicates("key", keep="last").reset_index(drop=True)


def build_model(lexicon: str, seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=Tokens(lexicon), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)),
        ]
    )
    # newton-cg reaches the same optimum as lbfgs on these features (macro F1 0.769 either way) ten times faster
    clf = LogisticRegression(C=5.0, class_weight="balanced", max_iter=5000, random_state=seed, solver="newton-cg")
    return Pipeline([("features", features), ("clf", clf)])


def cross_validate(labels, lexicon: str, seed: int, folds: int = 5, progress=None):
    """Per-label precision, recall, F1 from stratified k-fold cross-validation (each sentence predicted by
    the model that did not see it); ``progress()`` is called after each fold."""
    import pandas as pd
    from sklearn.base import clone
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    X = [norm(t) for t in labels.text]
    y = list(labels.label)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pred: list = [None] * len(y)
    for train_idx, test_idx in cv.split(X, y):
        fold = clone(build_model(lexicon, seed)).fit([X[i] for i in train_idx], [y[i] for i in train_idx])
        for i, p in zip(test_idx, fold.predict([X[i] for i in test_idx]), strict=True):
            pred[i] = p
        if progress is not None:
            progress()
    names = sorted(set(y))
    p, r, f, n = precision_recall_fscore_support(y, pred, labels=names, zero_division=0)
    rows = [
        {"label": k, "precision": round(a, 3), "recall": round(b, 3), "f1": round(c, 3), "support": int(d)}
        for k, a, b, c, d in zip(names, p, r, f, n, strict=False)
    ]
    pm, rm, fm, _ = precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    rows.append(
        {"label": "macro", "precision": round(pm, 3), "recall": round(rm, 3), "f1": round(fm, 3), "support": len(y)}
    )
    return pd.DataFrame(rows)


def train(labels, lexicon: str, seed: int):
    model = build_model(lexicon, seed)
    model.fit([norm(t) for t in labels.text], list(labels.label))
    return model


def predict(model, texts):
    """Class probabilities, one column per label."""
    import pandas as pd

    proba = model.predict_proba([norm(t) for t in texts])
    return pd.DataFrame(proba, columns=list(model.classes_))


def least_confident(model, sentences, n: int, known_keys: set[str]):
    """The ``n`` sentences the model is least sure of (smallest margin between
    its two likeliest labels), leaving out sentences already labelled."""
    cand = sentences[~sentences.text.map(norm).isin(known_keys) & (sentences.text.str.len() >= 8)].copy()
    if cand.empty:
        return cand.assign(suggested=[], confidence=[], label=[])
    proba = predict(model, cand.text).values
    top2 = proba.argsort(axis=1)[:, -2:]
    rows = range(len(cand))
    margin = proba[rows, top2[:, 1]] - proba[rows, top2[:, 0]]
    cand["suggested"] = [model.classes_[i] for i in top2[:, 1]]
    cand["confidence"] = proba[rows, top2[:, 1]].round(3)
    cand["margin"] = margin.round(3)
    cand["label"] = ""
    return cand.sort_values(["margin", "doc_id", "sent_id"]).head(n)


# --------------------------------------------------------------------------- scoring without scikit-learn

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's character analyzer folds to one space


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character n-grams scikit-learn's ``analyzer="char"`` gives for ``text`` (lower-cased, white space
    folded), in its order."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    return [text[i : i + n] for n in range(low, min(high + 1, len(text) + 1)) for i in range(len(text) - n + 1)]


class Scorer:
    """The fitted classifier of :func:`build_model` as plain arrays: each TF-IDF part's vocabulary and weights,
    the logistic regression's coefficients. It gives the same probabilities as the fitted pipeline (checked by
    ``tests/test_classifier.py``) without importing scikit-learn, which costs a worker more than a second and
    some 65 MB. Saved as an ``.npz`` file beside the model (:meth:`to_bytes`, never pickled), so that it loads
    without running code."""

    def __init__(self, arrays: dict, lexicon: str):
        import numpy as np

        self.classes = [str(c) for c in arrays["classes"]]
        self.coef_t = np.ascontiguousarray(arrays["coef"].T)
        self.intercept = arrays["intercept"]
        self.parts = []
        for k, kind in enumerate(str(x) for x in arrays["kinds"]):
            terms = arrays[f"terms{k}"].tolist()
            analyze = Tokens(lexicon) if kind == "words" else _char_analyzer(*arrays[f"ngrams{k}"].tolist())
            self.parts.append((analyze, dict(zip(terms, range(len(terms)), strict=True)), arrays[f"idf{k}"]))

    @staticmethod
    def arrays(model) -> dict | None:
        """The arrays of a fitted :func:`build_model` pipeline, or None for a model of another make (it is then
        asked as it is)."""
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        features, clf = model.named_steps.get("features"), model.named_steps.get("clf")
        parts = getattr(features, "transformer_list", None)
        if not isinstance(clf, LogisticRegression) or not parts or len(model.steps) != 2 or len(clf.classes_) < 3:
            return None
        if features.transformer_weights is not None:
            return None
        out: dict = {"classes": np.array([str(c) for c in clf.classes_]), "coef": clf.coef_, "kinds": []}
        out["intercept"] = clf.intercept_
        for k, (_, v) in enumerate(parts):
            if not isinstance(v, TfidfVectorizer) or v.norm != "l2" or not v.sublinear_tf or not v.use_idf:
                return None
            if isinstance(v.analyzer, Tokens):
                out["kinds"].append("words")
            elif v.analyzer == "char" and v.lowercase and v.preprocessor is None and v.strip_accents is None:
                out["kinds"].append("chars")
                out[f"ngrams{k}"] = np.array(v.ngram_range)
            else:
                return None
            terms = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
            out[f"terms{k}"] = np.array(terms, dtype=str)
            out[f"idf{k}"] = v.idf_
        out["kinds"] = np.array(out["kinds"])
        return out

    @staticmethod
    def to_bytes(arrays: dict) -> bytes:
        """The arrays as an ``.npz`` file (compressed), the same bytes for the same arrays."""
        import io
        import zipfile

        import numpy as np

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name in sorted(arrays):
                member = io.BytesIO()
                np.save(member, np.asarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, member.getvalue())
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, lexicon: str) -> Scorer:
        import io

        import numpy as np

        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls({k: z[k] for k in z.files}, lexicon)

    def predict_proba(self, texts):
        """Class probabilities of ``texts`` (normalised by :func:`pipeline.text.norm`), one column per label:
        the arithmetic of scikit-learn's TF-IDF (sublinear counts, idf, rows scaled to unit length) and
        multinomial logistic regression, step by step."""
        import numpy as np
        import pandas as pd
        import scipy.sparse as sp

        docs = [norm(t) for t in texts]
        blocks = []
        for analyze, vocabulary, idf in self.parts:
            x = term_counts(analyze, vocabulary, docs)
            np.log(x.data, x.data)
            x.data += 1.0
            x.data *= idf[x.indices]
            _unit_rows(x)
            blocks.append(x)
        scores = sp.hstack(blocks).tocsr() @ self.coef_t + self.intercept
        scores -= scores.max(axis=1).reshape((-1, 1))
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1).reshape((-1, 1))
        return pd.DataFrame(scores, columns=self.classes)


def _unit_rows(x) -> None:
    """Each row of the CSR matrix ``x`` scaled, in place, to unit Euclidean length (empty rows stay empty)."""
    import numpy as np

    lengths = np.diff(x.indptr)
    squares, starts = x.data * x.data, x.indptr[:-1]
    sums = np.zeros(len(lengths))
    # the k-th entries of all rows at once: each row summed in its own order, as scikit-learn's loop does (a
    # pairwise sum would differ in the last bit)
    for k in range(int(lengths.max()) if len(lengths) else 0):
        rows = np.flatnonzero(lengths > k)
        sums[rows] += squares[starts[rows] + k]
    x.data /= np.repeat(np.sqrt(sums), lengths)


def _char_analyzer(low: int, high: int):
    def analyze(text: str) -> list[str]:
        return _char_ngrams(text, low, high)

    return analyze


def term_counts(analyze, vocabulary: dict[str, int], docs: list[str], dtype=None, block: int = 1024):
    """The term counts a vectorizer with this analyzer and fitted ``vocabulary`` gives ``docs`` (terms outside it
    ignored), the same CSR matrix as scikit-learn's ``transform``: the terms of ``block`` documents at a time are
    looked up in one pass and counted by scipy, not one by one in Python (a sentence has some 150 character
    n-grams, so a block, not a chunk of documents, is what is held as strings)."""
    from itertools import chain, repeat

    import numpy as np
    import scipy.sparse as sp

    dtype = dtype or np.float64
    parts = []
    for b in range(0, len(docs), block):
        terms = [analyze(d) for d in docs[b : b + block]]
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        columns = np.fromiter(
            map(vocabulary.get, chain.from_iterable(terms), repeat(-1)), dtype=np.int64, count=int(lengths.sum())
        )
        del terms
        rows = np.repeat(np.arange(len(lengths)), lengths)
        known = columns >= 0
        part = sp.csr_matrix(
            (np.ones(int(known.sum())), (rows[known], columns[known])),
            shape=(len(lengths), len(vocabulary)),
            dtype=dtype,
        )
        part.sum_duplicates()  # a term repeated in a document: one entry with its count, columns in order
        part.sort_indices()
        parts.append(part)
    if not parts:
        return sp.csr_matrix((0, len(vocabulary)), dtype=dtype)
    return sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]


_SCORERS: dict[tuple[str, str], Scorer] = {}


@dataclass(frozen=True, eq=False)
class ScorerBytes:
    """A :class:`Scorer` as the bytes of its ``.npz`` file: the stage's process reads them and sends them with
    every chunk of work; each worker builds the scorer once (:meth:`load`)."""

    data: bytes = field(repr=False)
    digest: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())

    def load(self, lexicon: str) -> Scorer:
        """The scorer, built once per process (the last few kept)."""
        scorer = _SCORERS.get((self.digest, str(lexicon)))
        if scorer is None:
            scorer = Scorer.from_bytes(self.data, str(lexicon))
            while len(_SCORERS) >= 4:
                _SCORERS.pop(next(iter(_SCORERS)))
            _SCORERS[(self.digest, str(lexicon))] = scorer
        return scorer
