"""Tokens: jieba with the domain lexicon, offsets into the clean text.

jieba is the segmenter of record.  The engine that does the work is chosen by
``segment.engine``:

- ``jieba``: jieba itself (pure Python).
- ``fast`` (default): jieba-rs through ``rjieba``, the same algorithm and
  dictionary compiled.  The two differ on one kind of run, symbols inside
  alphanumerics ("1-2", "PM_2.5", "1.1GW", "Micro-LED"), which jieba's HMM
  step splits into alphanumeric runs and single symbols; such tokens are
  split the same way here.  The tests and the benchmark measure that the
  result is jieba's, token for token, on every corpus at hand.

With ``segment.pos: true`` tokens come from ``jieba.posseg`` (slower; its
cuts are the ones that carry the tags).  A token never spans two sentences:
sentence ends are punctuation or line breaks, which jieba never joins.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path

# jieba's own split of text into runs it segments (re_han_default) and the rest
RE_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)", re.U)
RE_SKIP = re.compile(r"(\r\n|\s)", re.U)
# where jieba-rs and jieba part ways: symbols inside alphanumeric runs ("1-2", "PM_2.5", "1.1GW")
RE_SYMBOL = re.compile(r"[-_.+#&%]")
RE_SYMBOL_WORD = re.compile(r"c\+\+|c#|at&t", re.I)
RE_FINALSEG_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")  # jieba.finalseg.re_skip

ENGINES = ("fast", "jieba")


def read_lexicon(path: Path) -> list[tuple[str, int | None, str | None]]:
    """User dictionary lines ``word [freq] [pos]``; blank lines ignored."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.strip().split()
        if not parts:
            continue
        if parts[0].startswith("#"):
            raise ValueError(f"{path}:{n}: comment lines are not allowed in a jieba dictionary")
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        pos = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, pos))
    return out


def lexicon_version(path: Path, engine: str, pos: bool) -> str:
    """Changes whenever the tokens could change: the dictionary's bytes, the
    engine, whether POS is asked for, and the segmenters' versions."""
    h = hashlib.sha256(Path(path).read_bytes())
    for name in ("jieba", "rjieba"):
        try:
            h.update(importlib_metadata.version(name).encode())
        except importlib_metadata.PackageNotFoundError:
            h.update(b"-")
    h.update(f"{engine}:{pos}".encode())
    return h.hexdigest()[:16]


@lru_cache(maxsize=4)
def _jieba(lexicon: str):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for word, freq, pos in read_lexicon(Path(lexicon)):
        tk.add_word(word, freq, pos)
    return tk


@lru_cache(maxsize=4)
def _posseg(lexicon: str):
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba(lexicon))


@lru_cache(maxsize=4)
def _rjieba(lexicon: str):
    import rjieba

    tk = rjieba.Jieba()
    for word, freq, pos in read_lexicon(Path(lexicon)):
        tk.add_word(word, freq, pos)
    return tk


def cut(text: str, lexicon: Path | str, engine: str = "fast") -> list[str]:
    """Tokens of ``text`` exactly as ``jieba.lcut(text)`` gives them."""
    lexicon = str(lexicon)
    if engine == "jieba":
        return _jieba(lexicon).lcut(text)
    if engine != "fast":
        raise ValueError(f"unknown segment.engine '{engine}' (choose one of: {', '.join(ENGINES)})")
    out: list[str] = []
    pos = 0
    # runs holding one of jieba's few dictionary words with symbols (C++, C#, AT&T)
    # go to jieba itself: almost never, so jieba is rarely even loaded
    for m in RE_SYMBOL_WORD.finditer(text):
        block = next(b for b in RE_HAN.finditer(text, max(0, m.start() - 200)) if b.start() <= m.start() < b.end())
        if block.start() < pos:
            continue
        out += _fast_cut(text[pos : block.start()], lexicon)
        out += _jieba(lexicon).lcut(block.group())
        pos = block.end()
    out += _fast_cut(text[pos:], lexicon)
    return out


def _fast_cut(text: str, lexicon: str) -> list[str]:
    out: list[str] = []
    if not text:
        return out
    for tok in _rjieba(lexicon).cut(text):
        if RE_SYMBOL.search(tok) and not RE_FINALSEG_SKIP.fullmatch(tok):
            # jieba hands such a run to its HMM step, which keeps alphanumeric
            # runs (with a decimal part and %) and yields every other character alone
            out += [x for x in RE_FINALSEG_SKIP.split(tok) if x]
        else:
            out.append(tok)
    return out


def tokenize(text: str, lexicon: Path | str, engine: str = "fast", pos: bool = False):
    """Tokens of ``text`` as columns: (tokens, tags or None, starts, ends), blank tokens left out;
    ``text[starts[i]:ends[i]] == tokens[i]``."""
    import numpy as np

    if pos:
        pairs = _posseg(str(lexicon)).lcut(text)
        words, tags = [w.word for w in pairs], [w.flag for w in pairs]
    else:
        words, tags = cut(text, lexicon, engine), None
    lengths = np.array(list(map(len, words)), dtype=np.int64)
    ends = np.cumsum(lengths)
    if len(words) and int(ends[-1]) != len(text) or (not words and text):
        raise RuntimeError("segmenter lost characters")  # every offset would be wrong
    starts = ends - lengths
    idx = np.flatnonzero(~np.array(list(map(str.isspace, words)), dtype=bool))
    return ([words[i] for i in idx], [tags[i] for i in idx] if tags is not None else None, starts[idx], ends[idx])


def load_stopwords(path: Path) -> frozenset[str]:
    return frozenset(ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip())
