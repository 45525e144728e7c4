"""Theme items: problems, mechanisms, carriers and measures, each with its evidence.

``extract_items(sentences, tokens, codebook, pos_of)`` reads the sentence and
token tables and returns one row per item: the document, the theme, a short
normalised phrase (``item``) and its canonical name, the evidence sentence
with its offsets into the clean text, the section it stands in, the rule that
fired (``method``) and, once a classifier has scored it, ``score``.

Rules, each named in ``method``:

- ``enum_section``: an enumerated item (一是…, 1、…, （一）…) in a section whose
  heading carries a theme's heading cue (困难 → problem, 对策/建议 → measure,
  机制 → mechanism, 载体/平台 → carrier);
- ``enum_content``: an enumerated item whose lead itself says its theme (an
  admission such as 不到位/有待完善; a phrase ending in 机制 or 平台);
- ``noun_phrase``: a noun phrase ending in a theme's suffix (…机制, …制度,
  …平台, …委员会), read off the jieba tokens with their dictionary POS;
- ``pattern``: a codebook regular expression ("缺人才，社区服务难组织");
- ``problem_passage``: the clauses of a passage that admits problems
  ("我们也清醒看到…：…；…。"), as government work reports have;
- ``model``: a sentence the classifier puts in a theme with high confidence
  that no rule coded (added by :func:`add_model_items`).

An item that fits several themes takes the first in the codebook's
precedence (problem > mechanism > carrier > measure): "互动机制有待完善" is a
problem, not a mechanism.  Within a document an item appears once.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..text import ENUM_WORD, FIRST_MARKER, norm
from .codebook import Codebook

CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")
LEAD_VERBS = re.compile(r"^(?:要|应当|应|需要|进一步|积极|切实|着力|全面|不断|努力|大力|逐步|继续|持续|)"
                        r"(?:建立健全|建立完善|健全完善|建立|健全|完善|构建|搭建|打造|创新|推行|实行|实施|落实|形成|"
                        r"成立|组建|建好|设立|创建|探索|推广|深化|优化|强化|用好|依托|发挥|做实|做强|提升)")
LEAD_CONJ = re.compile(r"^(?:但是|但|然而|而且|而|并且|同时|由于|因为|另外|此外|其中|特别是|尤其是)")
NOMINAL = {"n", "nr", "ns", "nt", "nz", "ng", "nrt", "nrfg", "vn", "an", "a", "b", "j", "l", "eng", "i", "g", "x", "v", "vd"}
STOP_VERBS = {"建立", "健全", "完善", "形成", "构建", "搭建", "打造", "推行", "实行", "实施", "落实", "创新", "推进", "加强",
              "成立", "组建", "建好", "设立", "创建", "出台", "制定", "探索", "推广", "深化", "优化", "强化", "提升", "依托",
              "通过", "利用", "发挥", "开展", "是", "有", "为", "以", "对", "与", "和", "及", "等", "把", "将", "在", "了",
              "的", "一批", "一套", "一个", "各类", "各种", "相关", "有关", "完备", "用好", "做实", "做强", "新增", "新建",
              "获批", "入选", "认定", "启用", "投用", "运行", "建成", "获评", "共", "个", "家", "项", "级以上", "以上", "全",
              "全市", "全省", "全区", "我市", "我省", "进一步", "不断", "着力", "加快", "积极", "大力", "全面", "持续",
              "组织", "建", "好", "办", "办好", "设", "搞", "抓", "做", "许多", "一些", "这些", "那些", "各项", "多种", "多个",
              "该", "此", "其", "攻坚", "建设", "争创", "应用", "上", "做优", "做大", "建强", "引进", "招引", "高水平", "高标准", "高质量", "这种", "这一", "作为", "引导", "支持", "鼓励", "推动", "促进", "保障", "规范", "坚持", "围绕",
              "依靠", "借助", "运用", "纳入", "完成", "取得", "实现", "达到", "形成了", "建立了", "成立了", "组建了",
              "顺应", "适应", "符合", "面向", "聚焦", "突出", "提高", "增强", "扩大", "拓展", "培育", "发展", "加大"}
ITEM_COLUMNS = ["doc_id", "theme", "item", "canonical", "method", "score", "evidence", "start", "end",
                "item_start", "item_end", "sent_id", "section_path"]


# --------------------------------------------------------------------------- POS from the dictionary

@lru_cache(maxsize=2)
def dictionary_pos(lexicon: str) -> dict[str, str]:
    """word → POS tag from jieba's dictionary and the user dictionary.

    Noun phrases are read off the tokens with these tags: a dictionary lookup
    is what jieba.posseg does for dictionary words, without its slow HMM
    pass for the rest (unknown words count as nouns here)."""
    import jieba
    from ..segment.tokens import read_lexicon
    tags: dict[str, str] = {}
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tags[parts[0]] = parts[2]
    for word, _, pos in read_lexicon(Path(lexicon)):
        tags[word] = pos or "n"
    return tags


# --------------------------------------------------------------------------- helpers

def _has_any(text: str, words) -> bool:
    return any(w in text for w in words)


def section_theme(path, codebook: Codebook) -> str | None:
    """The theme of the innermost heading (of ``path``) that carries a heading cue."""
    for heading in reversed(list(path)):
        for name in codebook.precedence:
            if _has_any(heading, codebook.themes[name].heading_cues):
                return name
    return None


def content_theme(phrase: str, codebook: Codebook) -> str | None:
    """A theme the phrase itself states: an admission (problem cue words) or a suffix it ends in."""
    for name in codebook.precedence:
        t = codebook.themes[name]
        if name == "problem" and _has_any(phrase, t.cue_words):
            return name
        if t.suffixes and phrase.endswith(tuple(t.suffixes)):
            return name
    return None


def is_section_title(lead: str, codebook: Codebook) -> bool:
    """A numbered heading that names a theme itself ("一、当前…遇到的困难", "二、建议和对策"),
    or whose phrase is generic once its verb is gone ("（三）建立工作机制"): a section title, not an item."""
    for t in codebook.themes.values():
        if _has_any(lead, t.section_words):
            return True
        if t.suffixes and lead.endswith(tuple(t.suffixes)) and LEAD_VERBS.sub("", lead) in t.generic:
            return True
    return False


def is_admission(clause: str, codebook: Codebook) -> bool:
    t = codebook.themes.get("problem")
    return bool(t and _has_any(clause, t.cue_words))


def _strip_quotes(s: str) -> str:
    """Drop quote marks and brackets at the ends unless they pair with one inside."""
    pairs = {"“": "”", "（": "）", "(": ")", "《": "》"}
    changed = True
    while changed and s:
        changed = False
        for o, c in pairs.items():
            if s.endswith(c) and o not in s:
                s, changed = s[:-1], True
            if s.startswith(o) and c not in s:
                s, changed = s[1:], True
        if s and s[0] in "”）)》":
            s, changed = s[1:], True
        if s and s[-1] in "“（(《":
            s, changed = s[:-1], True
    return s


def normalise_item(phrase: str, theme: str, generic: set[str] = frozenset()) -> str:
    """Trim an item to its phrase: markers, punctuation, and for mechanisms and
    carriers the leading verb ("建立工作例会制度" → "工作例会制度") unless that
    leaves a generic phrase ("创新工作机制" stays, "工作机制" says nothing)."""
    s = _strip_quotes(phrase.strip(" \t　，,。；;：:、\"'"))
    s = LEAD_CONJ.sub("", s) if len(LEAD_CONJ.sub("", s)) >= 4 else s
    if theme in ("mechanism", "carrier"):
        stripped = LEAD_VERBS.sub("", s)
        if len(stripped) >= 3 and stripped not in generic:
            s = stripped
    return _strip_quotes(s.strip(" ，,。；;：:、"))


def _clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, offsets within text."""
    out, start = [], 0
    for m in CLAUSE_SPLIT.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


# --------------------------------------------------------------------------- rules

def _noun_phrases(tokens: list[tuple[str, int, int]], suffixes: tuple[str, ...], tags: dict[str, str],
                  max_tokens: int = 6, max_chars: int = 18):
    """(start, end) of noun phrases ending in a suffix: the suffix token, or a token
    ending with it, extended leftwards over nominal tokens."""
    for k, (tok, a, b) in enumerate(tokens):
        if not tok.endswith(suffixes):
            continue
        start = a
        j = k - 1
        while j >= 0 and k - j <= max_tokens:
            w, wa, wb = tokens[j]
            if wb != start or w in STOP_VERBS or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", w) \
                    or ENUM_WORD.fullmatch(w):
                break
            if tags.get(w, "n") not in NOMINAL:  # function words, numerals, adverbs end the phrase
                break
            if b - wa > max_chars:
                break
            start = wa
            j -= 1
        # a phrase does not open on a lone verb or adjective character ("优|做强|制造业主平台")
        for w, wa, wb in tokens[j + 1:k]:
            if wa == start and len(w) == 1 and tags.get(w, "n") not in ("n", "ng", "j", "nz", "ns"):
                start = wb
        yield start, b


def extract_items(sentences, tokens, codebook: Codebook, tags: dict[str, str]):
    """Items of every document (see module docstring); a DataFrame with ITEM_COLUMNS, score empty."""
    import pandas as pd
    rows: list[dict] = []
    toks_by_doc = {d: g for d, g in tokens.groupby("doc_id", sort=False)} if len(tokens) else {}
    suffix_themes = [(n, tuple(sorted(t.suffixes, key=len, reverse=True))) for n, t in codebook.themes.items() if t.suffixes]
    problem = codebook.themes.get("problem")
    for doc_id, doc in sentences.groupby("doc_id", sort=True):
        doc = doc.sort_values("sent_id")
        dtoks = toks_by_doc.get(doc_id)
        tok_rows = list(zip(dtoks.sent_id, dtoks.token, dtoks.start, dtoks.end)) if dtoks is not None else []
        by_sent: dict[int, list[tuple[str, int, int]]] = {}
        for sid, w, a, b in tok_rows:
            by_sent.setdefault(int(sid), []).append((w, int(a), int(b)))
        passage_para = None
        intro, prev = None, None  # the theme announced by the sentence that opens a list
        for r in doc.itertuples():
            text, s0 = r.text, int(r.start)
            path = list(r.section_path) if r.section_path is not None else []

            def add(theme, a, b, method):  # a, b: offsets within the sentence
                generic = codebook.themes[theme].generic
                phrase = normalise_item(text[a:b], theme, generic)
                if len(phrase) < 2 or phrase in generic or any(len(g) >= 5 and phrase.endswith(g) for g in generic):
                    return
                i = text.find(phrase, a)
                rows.append({"doc_id": doc_id, "theme": theme, "item": phrase, "method": method,
                             "evidence": text, "start": s0, "end": int(r.end),
                             "item_start": s0 + i if i >= 0 else None, "item_end": s0 + i + len(phrase) if i >= 0 else None,
                             "sent_id": int(r.sent_id), "section_path": path})

            # problem passage (government reports): clauses after the cue, to the end of the paragraph
            if problem and problem.opens_passage(text) and not r.is_heading:
                passage_para = r.para_id
                after_cue = False
                for a, b in _clauses(text):
                    clause = text[a:b]
                    cue_here = _has_any(clause, problem.passage_cues + problem.passage_weak_cues)
                    if cue_here or not after_cue:
                        after_cue = after_cue or cue_here
                        continue
                    if _has_any(clause, problem.passage_end):
                        passage_para = None
                        break
                    if len(clause) >= 4 and clause not in ("等等", "等") and not clause.startswith(tuple(problem.frame_words)):
                        add("problem", a, b, "problem_passage")
                continue
            if passage_para is not None:
                if r.para_id != passage_para or text.startswith(tuple(problem.passage_end)) or r.is_heading:
                    passage_para = None
                else:
                    for a, b in _clauses(text):
                        clause = text[a:b]
                        if _has_any(clause, problem.passage_end):
                            break
                        if is_admission(clause, codebook):
                            add("problem", a, b, "problem_passage")
                    continue

            # enumerated items
            if r.is_heading:
                intro = None
            elif isinstance(r.enum_marker, str) and FIRST_MARKER.fullmatch(r.enum_marker):
                # "…提出以下三点建议：一是…": the opening sentence says what the list is
                intro = None
                if prev is not None and not prev.is_heading and r.para_id - prev.para_id <= 1:
                    intro = "none" if _has_any(prev.text, codebook.neutral_intro) else section_theme([prev.text], codebook)
            coded = False
            if isinstance(r.enum_marker, str) and isinstance(r.item_lead, str) and len(r.item_lead) >= 2 \
                    and not (r.is_heading and is_section_title(r.item_lead, codebook)):
                parent = path[:-1] if r.is_heading else path
                sec = (intro if not r.is_heading and intro else None) or section_theme(parent, codebook)
                sec = None if sec == "none" else sec
                lead_at = text.find(r.item_lead)
                lead_end = lead_at + len(r.item_lead) if lead_at >= 0 else len(text)
                ct = content_theme(r.item_lead, codebook)
                theme = None
                for name in codebook.precedence:
                    if name in (ct, sec):
                        theme = name
                        break
                if theme == "problem" and ct != "problem" and sec == "problem":
                    theme = "problem"
                if theme:
                    coded = True
                    method = "enum_content" if theme == ct and theme != sec else "enum_section"
                    add(theme, max(lead_at, 0), lead_end, method)
                    if theme == "problem":  # further admissions in the same sentence are problems too
                        for a, b in _clauses(text):
                            if a >= lead_end and is_admission(text[a:b], codebook):
                                add("problem", a, b, method)
            # codebook patterns
            for name, t in codebook.themes.items():
                for rx in t.item_patterns:
                    for m in rx.finditer(text):
                        add(name, m.start(), m.end(), "pattern")
            # noun phrases ending in a suffix; not in a clause that admits a problem
            stoks = by_sent.get(int(r.sent_id), [])
            if stoks and any(text.find(sfx) >= 0 for _, sfxs in suffix_themes for sfx in sfxs):
                local = [(w, a - s0, b - s0) for w, a, b in stoks]
                clause_spans = _clauses(text)
                for name, sfxs in suffix_themes:
                    for a, b in _noun_phrases(local, sfxs, tags):
                        clause = next((text[x:y] for x, y in clause_spans if x <= a < y), text)
                        if name != "problem" and is_admission(clause, codebook):
                            continue
                        add(name, a, b, "noun_phrase")
            # an admission standing anywhere ("…但也存在着一些缺陷，相关职责和责任有待进一步明确")
            if problem and problem.admission_cues and not coded and not r.is_heading \
                    and section_theme(path, codebook) != "problem" and _has_any(text, problem.concession_words):
                for a, b in _clauses(text):
                    clause = text[a:b]
                    if _has_any(clause, problem.admission_cues) and not _has_any(clause, problem.remedy_words) \
                            and len(clause) >= 6:
                        add("problem", a, b, "admission")
            prev = r
    items = pd.DataFrame(rows, columns=[c for c in ITEM_COLUMNS if c not in ("canonical", "score")])
    return finish_items(items, codebook)


def finish_items(items, codebook: Codebook):
    """Canonical names, one row per (document, theme, canonical item), sorted."""
    import pandas as pd
    if items.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    items = items.copy()
    items["canonical"] = [codebook.canonical_of(i) for i in items["item"]]
    rank = {m: k for k, m in enumerate(["enum_section", "enum_content", "pattern", "problem_passage", "noun_phrase",
                                        "admission", "model"])}
    items["_rank"] = items["method"].map(rank).fillna(len(rank))
    # an item coded under two themes keeps the theme that comes first in the precedence
    prec = {t: k for k, t in enumerate(codebook.precedence)}
    items["_prec"] = items["theme"].map(prec)
    items = items.sort_values(["doc_id", "start", "_prec", "_rank"], kind="stable")
    items = items.drop_duplicates(["doc_id", "sent_id", "item"], keep="first")
    # a noun phrase inside a longer item of the same sentence adds nothing ("参与机制" in "共同参与机制")
    longer: dict[tuple, list[str]] = {}
    for d, sid, it in zip(items.doc_id, items.sent_id, items["item"]):
        longer.setdefault((d, sid), []).append(it)
    inside = [m == "noun_phrase" and any(it != o and it in o for o in longer[(d, sid)])
              for d, sid, it, m in zip(items.doc_id, items.sent_id, items["item"], items["method"])]
    items = items[~pd.Series(inside, index=items.index)]
    items = items.sort_values(["doc_id", "_rank", "start"], kind="stable")
    items = items.drop_duplicates(["doc_id", "theme", "canonical"], keep="first")
    if "score" not in items:
        items["score"] = None
    items = items.drop(columns=["_rank", "_prec"]).sort_values(["doc_id", "start", "theme", "item"], kind="stable")
    items["item_start"] = items["item_start"].astype("Int64")
    items["item_end"] = items["item_end"].astype("Int64")
    return items[ITEM_COLUMNS].reset_index(drop=True)


def add_model_items(items, sentences, model, codebook: Codebook, threshold: float, labelled: set[str] = frozenset()):
    """Score every item by the classifier's probability of its theme for its evidence
    sentence, and add sentences the classifier is sure of (≥ threshold) that no rule
    coded.  Sentences the classifier was trained on (``labelled``, normalised texts)
    are not added: its answer there is a memory, not a finding."""
    import pandas as pd

    from .classifier import predict
    if sentences.empty:
        return items
    sents = sentences.sort_values(["doc_id", "sent_id"]).reset_index(drop=True)
    proba = predict(model, sents.text)
    proba.index = pd.MultiIndex.from_frame(sents[["doc_id", "sent_id"]])
    items = items.copy()
    if len(items):
        keys = list(zip(items.doc_id, items.sent_id))
        items["score"] = [round(float(proba.at[k, t]), 3) if t in proba.columns else None
                          for k, t in zip(keys, items.theme)]
    coded = set(zip(items.doc_id, items.sent_id))
    themes = [t for t in proba.columns if t in codebook.themes]
    best = proba[themes].idxmax(axis=1)
    top = proba[themes].max(axis=1)
    rows = []
    for k, ((doc_id, sid), theme, p) in enumerate(zip(proba.index, best, top)):
        if p < threshold or (doc_id, sid) in coded:
            continue
        r = sents.iloc[k]
        if norm(r.text) in labelled:
            continue
        if r.is_heading or len(r.text) < 15:
            continue
        text = r.text
        lead = r.item_lead if isinstance(r.item_lead, str) and r.item_lead else \
            next((text[a:b] for a, b in _clauses(text) if b - a >= 4), text)
        phrase = normalise_item(lead[:40], theme, codebook.themes[theme].generic)
        if len(phrase) < 4 or phrase.endswith(("方面", "是", "如下", "要求")):
            continue
        i = text.find(phrase)
        rows.append({"doc_id": doc_id, "theme": theme, "item": phrase, "method": "model", "score": round(float(p), 3),
                     "evidence": text, "start": int(r.start), "end": int(r.end),
                     "item_start": int(r.start) + i if i >= 0 else None,
                     "item_end": int(r.start) + i + len(phrase) if i >= 0 else None,
                     "sent_id": int(sid), "section_path": list(r.section_path) if r.section_path is not None else []})
    if rows:
        items = pd.concat([items, pd.DataFrame(rows)], ignore_index=True)
    return finish_items(items, codebook)
