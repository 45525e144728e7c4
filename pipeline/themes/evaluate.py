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
            same = (
                codebook is not None
                and codebook.canonical_of(norm(g.key_phrase)) == it["canonical"]
                and it["canonical"] != it["item"]
                or (
                    codebook is not None
                    and norm(g.key_phrase) in codebook.canonical
                    and codebook.canonical[norm(g.key_phrase)] == it["canonical"]
                )
            )
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
        rows.append(
            {
                "theme": theme,
                "gold": len(gsel),
                "extracted": len(esel),
                "matched": tp_g,
                "precision": round(p, 3),
                "recall": round(r, 3),
                "f1": round(f, 3),
            }
        )
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


# --------------------------------------------------------------------------- span-level evaluation


def _normal_index(text: str) -> tuple[str, list[int]]:
    """``norm(text)`` character by character, with the offset in ``text`` of each kept character."""
    chars, index = [], []
    for i, ch in enumerate(text):
        for c in norm(ch):
            chars.append(c)
            index.append(i)
    return "".join(chars), index


def locate(text: str, span: str, occurrence: int = 1, within: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """(start, end) in ``text`` of the ``occurrence``-th appearance of ``span``, matched with punctuation,
    spaces and character widths set aside (the annotated text and the clean text differ in those); None
    when it is not there."""
    lo, hi = within or (0, len(text))
    hay, index = _normal_index(text[lo:hi])
    needle = norm(span)
    if not needle:
        return None
    at = -1
    for _ in range(max(1, int(occurrence))):
        at = hay.find(needle, at + 1)
        if at < 0:
            return None
    start, end = lo + index[at], lo + index[at + len(needle) - 1] + 1
    # punctuation the span itself opens or closes with ("“…”行动") belongs to it
    head = span[: len(span) - len(span.lstrip(PUNCT_CHARS))]
    tail = span[len(span.rstrip(PUNCT_CHARS)) :]
    if head and text[max(lo, start - len(head)) : start] == head:
        start -= len(head)
    if tail and text[end : end + len(tail)] == tail:
        end += len(tail)
    return start, end


PUNCT_CHARS = "“”\"'（）()《》【】[]〔〕"


def locate_paragraphs(paragraphs, documents):
    """para_key, doc_id, para_start, para_end of each annotated paragraph (``paragraphs`` has para_key, city
    and text) in the clean text of the document whose source file is named after its city; a paragraph
    that cannot be found has empty offsets."""
    import pandas as pd

    docs = documents.assign(stem=documents.source_file.map(lambda s: s.rsplit("/", 1)[-1].rsplit(".", 1)[0]))
    text_of, doc_of = dict(zip(docs.stem, docs.text, strict=False)), dict(zip(docs.stem, docs.doc_id, strict=False))
    rows = []
    for p in paragraphs.itertuples():
        pos = locate(text_of[p.city], p.text) if p.city in text_of else None
        rows.append(
            {
                "para_key": p.para_key,
                "doc_id": doc_of.get(p.city),
                "para_start": pos[0] if pos else None,
                "para_end": pos[1] if pos else None,
            }
        )
    return pd.DataFrame(rows)


def _gold_row(key: str, doc_id: str | None, g, pos: tuple[int, int] | None) -> dict:
    """One located gold span: where it was annotated, its document, theme, text and clean-text offsets."""
    return {
        "para_key": key,
        "doc_id": doc_id,
        "theme": g.theme,
        "span": g.span,
        "start": pos[0] if pos else None,
        "end": pos[1] if pos else None,
    }


def gold_spans(gold, para_loc, documents):
    """Gold rows (para_key, theme, span, occurrence) with their document and clean-text offsets, found inside
    their paragraph (``para_loc`` from :func:`locate_paragraphs`); a span that cannot be found has ``start``
    empty."""
    import pandas as pd

    text_of = dict(zip(documents.doc_id, documents.text, strict=False))
    where = {r.para_key: r for r in para_loc.itertuples() if r.doc_id is not None and not pd.isna(r.para_start)}
    rows = []
    for g in gold.itertuples():
        para = where.get(g.para_key)
        pos = (
            locate(text_of[para.doc_id], g.span, int(g.occurrence or 1), (int(para.para_start), int(para.para_end)))
            if para is not None
            else None
        )
        rows.append(_gold_row(g.para_key, para.doc_id if para is not None else None, g, pos))
    return pd.DataFrame(rows)


def _match(gold_rows: list[tuple[int, int]], pred_rows: list[tuple[int, int]], exact: bool) -> int:
    """How many one-to-one pairs of gold and predicted spans match (exact offsets, or any overlap;
    larger overlaps are paired first)."""
    pairs = []
    for gi, (ga, gb) in enumerate(gold_rows):
        for pi, (pa, pb) in enumerate(pred_rows):
            ov = min(gb, pb) - max(ga, pa)
            if (exact and (ga, gb) == (pa, pb)) or (not exact and ov > 0):
                pairs.append((-ov, gi, pi))
    used_g, used_p, n = set(), set(), 0
    for _, gi, pi in sorted(pairs):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            n += 1
    return n


def evaluate_spans(items, located, para_loc, themes: list[str]):
    """Span-level precision, recall and F1 per theme, exact and overlapping, of the items that stand
    inside the annotated paragraphs (``para_loc``) against the gold spans (``located``, from
    :func:`gold_spans`)."""
    import pandas as pd

    located = located.dropna(subset=["start"])
    paras = para_loc.dropna(subset=["para_start"])[["doc_id", "para_start", "para_end"]]
    its = items.dropna(subset=["item_start"])
    inside = its.merge(paras, on="doc_id")
    inside = inside[(inside.item_start >= inside.para_start) & (inside.item_end <= inside.para_end)]
    rows = []
    for theme in themes + ["all"]:
        g = located if theme == "all" else located[located.theme == theme]
        p = inside if theme == "all" else inside[inside.theme == theme]
        row = {"theme": theme, "gold": len(g), "extracted": len(p)}
        for kind in ("exact", "overlap"):
            n = 0
            for (doc, t), gg in g.groupby(["doc_id", "theme"]):
                pp = p[(p.doc_id == doc) & (p.theme == t)]
                n += _match(
                    list(zip(gg.start.astype(int), gg.end.astype(int), strict=False)),
                    list(zip(pp.item_start.astype(int), pp.item_end.astype(int), strict=False)),
                    kind == "exact",
                )
            prec = n / len(p) if len(p) else 0.0
            rec = n / len(g) if len(g) else 0.0
            row.update(
                {
                    f"{kind}_matched": n,
                    f"{kind}_precision": round(prec, 3),
                    f"{kind}_recall": round(rec, 3),
                    f"{kind}_f1": round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def problem_clause_recall(items, clauses, documents) -> dict:
    """Of the problem clauses a reader listed for whole reports (city, span, occurrence), how many a problem
    item overlaps (recall); of the problem items in those reports, how many overlap a listed clause
    (precision)."""
    docs = documents.assign(stem=documents.source_file.map(lambda s: s.rsplit("/", 1)[-1].rsplit(".", 1)[0]))
    text_of, doc_of = dict(zip(docs.stem, docs.text, strict=False)), dict(zip(docs.stem, docs.doc_id, strict=False))
    probs = items[items.theme == "problem"].dropna(subset=["item_start"])
    spans: dict[str, list[tuple[int, int]]] = {}
    missing = 0
    for c in clauses.itertuples():
        if c.city not in text_of:
            continue
        spans.setdefault(doc_of[c.city], [])
        if not isinstance(c.span, str) or not c.span.strip():
            continue
        pos = locate(text_of[c.city], c.span, int(c.occurrence or 1))
        if pos is None:
            missing += 1
        else:
            spans[doc_of[c.city]].append(pos)
    listed = found = extracted = right = 0
    for doc_id, gold in spans.items():
        mine = list(
            zip(
                probs[probs.doc_id == doc_id].item_start.astype(int),
                probs[probs.doc_id == doc_id].item_end.astype(int),
                strict=False,
            )
        )
        listed += len(gold)
        found += sum(any(a < gb and b > ga for a, b in mine) for ga, gb in gold)
        extracted += len(mine)
        right += sum(any(a < gb and b > ga for ga, gb in gold) for a, b in mine)
    return {
        "clauses": listed,
        "found": found,
        "recall": round(found / listed, 3) if listed else 0.0,
        "items": extracted,
        "items_on_a_clause": right,
        "precision": round(right / extracted, 3) if extracted else 0.0,
        "not_located": missing,
    }


def locate_documents(gold, documents):
    """Gold rows of whole documents (source_file, theme, span, occurrence) with clean-text offsets, and one
    "paragraph" per document covering all of it.  Spans are found in the text in its original script (same
    length as the clean text), so an annotation of a traditional-script report needs no conversion."""
    import pandas as pd

    docs = documents.assign(base=documents.source_file.map(lambda s: s.rsplit("/", 1)[-1]))
    by_base = {r.base: r for r in docs.itertuples()}
    rows = []
    for g in gold.itertuples():
        d = by_base.get(g.source_file)
        pos = locate(d.text_original, g.span, int(g.occurrence or 1)) if d is not None else None
        rows.append(_gold_row(g.source_file, d.doc_id if d is not None else None, g, pos))
    paras = pd.DataFrame(
        [
            {"para_key": r.base, "doc_id": r.doc_id, "para_start": 0, "para_end": len(r.text)}
            for r in docs.itertuples()
            if r.base in set(gold.source_file)
        ]
    )
    return pd.DataFrame(rows), paras
