"""A learned span model for measures: a character-level CRF (python-crfsuite) over the words, clause positions, quote
depth and word lists of a paragraph, trained on the development paragraphs coded item by item
(tests/gold/dev_paragraphs.csv, dev_spans.csv; never the test part).

It is the alternative to the rules for measures (``themes.measures: crf`` or ``auto`` in params.yaml): on work
reports it is more precise and less complete than the rules (docs/evaluation.md), at the cost of about 70 µs of
CPU per character.  The carriers, mechanisms and problems stay the rules'.  The model shipped in
``pipeline/resources/measure_crf.crfsuite`` is rebuilt, byte for byte, by::

    python -m pipeline.themes.crf train tests/gold/dev_paragraphs.csv tests/gold/dev_spans.csv \
        pipeline/resources/measure_crf.crfsuite

Two BIO layers are tagged when the model is trained for comparison (``benchmarks/crf_spans.py``): measure /
problem (M, P), the clause-level items, and carrier / mechanism (C, X), the named ones; the shipped model is the
first layer.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

THEMES = ["measure", "problem", "carrier", "mechanism"]
CODE = {"measure": "M", "problem": "P", "carrier": "C", "mechanism": "X"}
DECODE = {v: k for k, v in CODE.items()}
LAYOUTS = {
    "two_layer": {"MP": ["measure", "problem"], "CX": ["carrier", "mechanism"]},
    "per_theme": {t: [t] for t in THEMES},
}

# ----------------------------------------------------------------------------- lexicons
CLAUSE_PUNCT = set("，；。！？：")
PUNCT = set("，；。！？：、,;.!?:")
OPEN_Q, CLOSE_Q = set("“‘《「『"), set("”’》」』")
OPEN_B, CLOSE_B = set("（([【〔"), set("）)]】〕")
DIGITS = set("0123456789０１２３４５６７８９.%％")
CN_NUM = set("一二三四五六七八九十百千万亿两")
CARRIER_SFX = [
    "行动",
    "工程",
    "计划",
    "试点",
    "平台",
    "中心",
    "基地",
    "园区",
    "产业园",
    "示范区",
    "试验区",
    "开发区",
    "经开区",
    "高新区",
    "新区",
    "实验室",
    "研究院",
    "联盟",
    "项目",
    "攻坚战",
    "保卫战",
    "专项行动",
    "示范",
    "城市",
    "品牌",
    "走廊",
    "枢纽",
    "港",
    "园",
    "小镇",
    "街区",
    "集群",
    "创新中心",
    "孵化器",
    "共同体",
    "综合体",
    "先行区",
    "攻坚年",
    "主题年",
    "活动",
    "赛事",
    "展会",
    "博览会",
    "生活圈",
    "经济圈",
    "热线",
    "专班",
    "基金",
]
MECH_SFX = [
    "机制",
    "制度",
    "体系",
    "模式",
    "长制",
    "责任制",
    "体制",
    "办法",
    "经验",
    "政策",
    "标准",
    "清单",
    "改革",
    "制",
]
VERBS = [
    "推进",
    "加快",
    "实施",
    "加强",
    "开展",
    "深化",
    "推动",
    "完成",
    "力争",
    "落实",
    "完善",
    "新增",
    "支持",
    "强化",
    "建成",
    "抓好",
    "打造",
    "新建",
    "建设",
    "培育",
    "建立",
    "统筹",
    "确保",
    "打好",
    "健全",
    "做好",
    "加大",
    "优化",
    "鼓励",
    "创建",
    "开工",
    "构建",
    "发展",
    "推广",
    "探索",
    "争创",
    "实现",
    "拓展",
    "启动",
    "争取",
    "发挥",
    "新开",
    "扩大",
    "引进",
    "改造",
    "谋划",
    "办好",
    "举办",
    "对接",
    "巩固",
    "研究",
    "开发",
    "引育",
    "组建",
    "竣工",
    "申报",
    "推行",
    "遏制",
    "打击",
    "提升",
    "提高",
    "促进",
    "保障",
    "出台",
    "制定",
    "编制",
    "整治",
    "治理",
    "淘汰",
    "栽植",
    "修复",
    "办结",
    "获评",
    "入选",
    "成立",
    "投入",
    "兑现",
    "招引",
    "签约",
    "设立",
    "搭建",
    "升级",
    "用好",
    "抓实",
    "守牢",
    "防范",
    "化解",
    "整合",
]
ADVERBS = [
    "深入",
    "持续",
    "严格",
    "高效",
    "积极",
    "大力",
    "全力",
    "扎实",
    "切实",
    "全面",
    "加快",
    "不断",
    "稳步",
    "有序",
    "坚决",
    "着力",
    "进一步",
    "努力",
    "认真",
    "重点",
    "主动",
    "继续",
    "全方位",
    "高标准",
    "高质量",
    "高水平",
    "统筹",
    "协同",
    "常态化",
    "系统",
    "稳妥",
    "纵深",
]
PROBLEM_CUES = [
    "不足",
    "不够",
    "偏弱",
    "偏低",
    "短板",
    "滞后",
    "差距",
    "有待",
    "仍然",
    "困难",
    "压力",
    "风险",
    "隐患",
    "还需",
    "亟需",
    "不强",
    "不高",
    "不大",
    "缺乏",
    "不适应",
    "任重道远",
    "问题",
    "挑战",
    "薄弱",
    "瓶颈",
    "制约",
    "不平衡",
    "不充分",
    "较弱",
    "突出",
]
PARA_CUES = {
    "problem": ["问题和挑战", "清醒认识", "不足", "差距", "短板"],
    "target": ["预期目标", "主要目标"],
    "speech": ["各位代表"],
    "review": ["一年来", "过去一年", "成绩"],
}


def char_class(ch):
    if ch in CLAUSE_PUNCT:
        return "CP"
    if ch in PUNCT:
        return "P"
    if ch in OPEN_Q:
        return "OQ"
    if ch in CLOSE_Q:
        return "CQ"
    if ch in OPEN_B:
        return "OB"
    if ch in CLOSE_B:
        return "CB"
    if ch in DIGITS:
        return "D"
    if ch in CN_NUM:
        return "N"
    if ch.isascii() and ch.isalpha():
        return "L"
    if ch.isspace():
        return "S"
    return "H"


# ----------------------------------------------------------------------------- features
DEFAULT_FEATS = dict(
    window=2,
    bigrams=True,
    trigram=True,
    jieba=True,
    jieba_ctx=True,
    lex=True,
    clause=True,
    quote=True,
    para=True,
    cls_window=2,
)


def para_features(text, cfg=None):  # noqa: C901 (one flat list of features)
    cfg = dict(DEFAULT_FEATS, **(cfg or {}))
    n = len(text)
    W = cfg["window"]
    pad = lambda j: text[j] if 0 <= j < n else ("<S>" if j < 0 else "</S>")  # noqa: E731
    cls = [char_class(c) for c in text]
    pcls = lambda j: cls[j] if 0 <= j < n else "PAD"  # noqa: E731

    # jieba segmentation -> per-char BMES + word index
    pos_tag, word_of, widx = [None] * n, [None] * n, [0] * n
    words = []
    if cfg["jieba"]:
        k = 0
        for wi, w in enumerate(_words(text)):
            words.append(w)
            L = len(w)
            for j in range(L):
                pos_tag[k + j] = "S" if L == 1 else ("B" if j == 0 else ("E" if j == L - 1 else "M"))
                word_of[k + j] = w
                widx[k + j] = wi
            k += L

    # clause position: distance to previous / next clause delimiter
    since, until = [0] * n, [0] * n
    last = -1
    for i, c in enumerate(text):
        since[i] = i - last - 1
        if c in CLAUSE_PUNCT:
            last = i
    nxt = n
    for i in range(n - 1, -1, -1):
        if text[i] in CLAUSE_PUNCT:
            nxt = i
        until[i] = nxt - i - 1
    # sentence (。) index: first sentence is often a heading
    sent_idx, s = [0] * n, 0
    for i, c in enumerate(text):
        sent_idx[i] = s
        if c in "。！？":
            s += 1
    # quote / bracket depth
    qdepth, bdepth = [0] * n, [0] * n
    q = b = 0
    for i, c in enumerate(text):
        if c in OPEN_Q:
            q += 1
        if c in OPEN_B:
            b += 1
        qdepth[i], bdepth[i] = q > 0, b > 0
        if c in CLOSE_Q:
            q = max(0, q - 1)
        if c in CLOSE_B:
            b = max(0, b - 1)

    # lexicon hits (start / end positions)
    def lex_marks(wordlist):
        st, en, inside = [False] * n, [False] * n, [False] * n
        for w in wordlist:
            for m in re.finditer(re.escape(w), text):
                st[m.start()] = True
                en[m.end() - 1] = True
                for j in range(m.start(), m.end()):
                    inside[j] = True
        return st, en, inside

    if cfg["lex"]:
        cs_st, cs_en, _ = lex_marks(CARRIER_SFX)
        ms_st, ms_en, _ = lex_marks(MECH_SFX)
        v_st, v_en, _ = lex_marks(VERBS)
        a_st, a_en, _ = lex_marks(ADVERBS)
        p_st, p_en, p_in = lex_marks(PROBLEM_CUES)

    pflags = []
    if cfg["para"]:
        head = text[:60]
        for k_, cues in PARA_CUES.items():
            if any(c in (head if k_ != "target" else text) for c in cues):
                pflags.append(k_)

    feats = []
    for i in range(n):
        f = {"bias": 1.0, "c0": text[i], "cls0": cls[i]}
        for d in range(1, W + 1):
            f[f"c-{d}"] = pad(i - d)
            f[f"c+{d}"] = pad(i + d)
        for d in range(1, cfg["cls_window"] + 1):
            f[f"cls-{d}"] = pcls(i - d)
            f[f"cls+{d}"] = pcls(i + d)
        f["cls-1|0"] = pcls(i - 1) + "|" + cls[i]
        f["cls0|+1"] = cls[i] + "|" + pcls(i + 1)
        if cfg["bigrams"]:
            f["b-1"] = pad(i - 1) + text[i]
            f["b+1"] = text[i] + pad(i + 1)
            f["b-2"] = pad(i - 2) + pad(i - 1)
            f["b+2"] = pad(i + 1) + pad(i + 2)
        if cfg["trigram"]:
            f["t0"] = pad(i - 1) + text[i] + pad(i + 1)
        if cfg["jieba"]:
            f["jpos"] = pos_tag[i]
            w = word_of[i]
            f["jlen"] = str(min(len(w), 5))
            if len(w) <= 4:
                f["jw"] = w
            if cfg["jieba_ctx"]:
                wi = widx[i]
                pw = words[wi - 1] if wi > 0 else "<S>"
                nw = words[wi + 1] if wi + 1 < len(words) else "</S>"
                if pos_tag[i] in ("B", "S"):
                    f["jprev"] = pw if len(pw) <= 4 else "LONG"
                if pos_tag[i] in ("E", "S"):
                    f["jnext"] = nw if len(nw) <= 4 else "LONG"
                f["jpos-1"] = pos_tag[i - 1] if i > 0 else "PAD"
                f["jpos+1"] = pos_tag[i + 1] if i + 1 < n else "PAD"
        if cfg["clause"]:
            f["since"] = str(min(since[i], 8)) if since[i] < 8 else ("8-15" if since[i] < 16 else "16+")
            f["until"] = str(min(until[i], 8)) if until[i] < 8 else ("8-15" if until[i] < 16 else "16+")
            f["sent0"] = sent_idx[i] == 0
            f["prevdelim"] = text[i - since[i] - 1] if i - since[i] - 1 >= 0 else "<S>"
            f["nextdelim"] = text[i + until[i] + 1] if i + until[i] + 1 < n else "</S>"
        if cfg["quote"]:
            f["inq"] = qdepth[i]
            f["inb"] = bdepth[i]
        if cfg["lex"]:
            f["csfx_st"] = cs_st[i]
            f["csfx_en"] = cs_en[i]
            f["csfx_en+1"] = cs_en[i + 1] if i + 1 < n else False
            f["csfx_en-1"] = cs_en[i - 1] if i > 0 else False
            f["msfx_st"] = ms_st[i]
            f["msfx_en"] = ms_en[i]
            f["msfx_en+1"] = ms_en[i + 1] if i + 1 < n else False
            f["msfx_en-1"] = ms_en[i - 1] if i > 0 else False
            f["verb_st"] = v_st[i]
            f["verb_en"] = v_en[i]
            f["adv_st"] = a_st[i]
            f["adv_en"] = a_en[i]
            f["verb_st-1"] = v_st[i - 1] if i > 0 else False
            f["adv_en-1"] = a_en[i - 1] if i > 0 else False
            f["prob_in"] = p_in[i]
            f["prob_en"] = p_en[i]
            # problem cue later in the same clause
            f["prob_in_clause"] = any(p_in[j] for j in range(i, min(n, i + until[i] + 1)))
        for pf in pflags:
            f["para_" + pf] = True
        feats.append(f)
    return feats


# ----------------------------------------------------------------------------- spans
def locate(text, span, occ):
    pos, k = 0, 0
    while True:
        i = text.find(span, pos)
        if i < 0:
            return None
        k += 1
        if k == occ:
            return i
        pos = i + len(span)


def bio_labels(n, spans, themes):
    y = ["O"] * n
    for th, s, e in spans:
        if th not in themes:
            continue
        y[s] = "B-" + CODE[th]
        for j in range(s + 1, e):
            y[j] = "I-" + CODE[th]
    return y


def decode(labels):
    out, cur = [], None
    for i, lab in enumerate(labels + ["O"]):
        tag, _, code = lab.partition("-")
        if cur is not None and (tag != "I" or code != cur[0]):
            out.append((DECODE[cur[0]], cur[1], i))
            cur = None
        if tag == "B" or (tag == "I" and cur is None):
            cur = (code, i)
    return out


def clean_span(text, s, e):
    """trim surrounding whitespace / clause punctuation; drop degenerate spans."""
    while s < e and (text[s].isspace() or text[s] in "，；。、：,;:"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in "，；。、：,;:"):
        e -= 1
    return (s, e) if e - s >= 2 else None


# ----------------------------------------------------------------------------- the shipped model
MEASURE_LAYER = LAYOUTS["two_layer"]["MP"]
C1 = C2 = 0.05  # chosen by 5-fold cross-validation grouped by city on the development part
MAX_ITERATIONS = 150


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    return jieba


def _words(text: str) -> list[str]:
    return _jieba().lcut(text, HMM=True)


def train(
    texts: list[str],
    gold_lists: list[list[tuple[str, int, int]]],
    themes: list[str],
    path: Path | str,
    features: list[list[dict]] | None = None,
    c1: float = C1,
    c2: float = C2,
    max_iterations: int = MAX_ITERATIONS,
) -> None:
    """Train one layer (BIO tags of ``themes``) on paragraphs ``texts`` and their gold (theme, start, end) spans, and
    save the model to ``path``; ``features`` are the paragraphs' :func:`para_features` when already computed."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for k, (t, g) in enumerate(zip(texts, gold_lists, strict=True)):
        trainer.append(features[k] if features is not None else para_features(t), bio_labels(len(t), g, themes))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    trainer.train(str(path))


@lru_cache(maxsize=2)
def _tagger(path: str):
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return tagger


def measure_spans(text: str, path: Path | str) -> list[tuple[int, int]]:
    """(start, end) of the measures the model at ``path`` finds in the paragraph ``text``."""
    if not text.strip():
        return []
    labels = _tagger(str(path)).tag(para_features(text))
    out = []
    for theme, s, e in decode(list(labels)):
        se = clean_span(text, s, e) if theme == "measure" else None
        if se:
            out.append(se)
    return out


def read_gold(paragraphs: str, spans: str) -> tuple[list[str], list[str], list[list[tuple[str, int, int]]]]:
    """(keys, texts, gold (theme, start, end) spans) of coded paragraphs: a paragraph file (para_key, text, …) and
    its span file (para_key, theme, span, occurrence); a span not found in its paragraph is named on stderr."""
    import csv

    with open(paragraphs, encoding="utf-8", newline="") as f:
        paras = list(csv.DictReader(f))
    with open(spans, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    text = {p["para_key"]: p["text"] for p in paras}
    gold: dict[str, list[tuple[str, int, int]]] = {p["para_key"]: [] for p in paras}
    for r in rows:
        i = locate(text[r["para_key"]], r["span"], int(r["occurrence"] or 1))
        if i is None:
            print(f"{spans}: {r['para_key']}: span not in its paragraph: {r['span']}", file=sys.stderr)
        else:
            gold[r["para_key"]].append((r["theme"], i, i + len(r["span"])))
    keys = [p["para_key"] for p in paras]
    return keys, [text[k] for k in keys], [gold[k] for k in keys]


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "train":
        print(__doc__)
        return 2
    _, texts, gold = read_gold(argv[1], argv[2])
    train(texts, gold, MEASURE_LAYER, argv[3])
    print(f"trained on {len(texts)} paragraphs → {argv[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
