"""Tokens: jieba with the domain lexicon, offsets into the clean text.

jieba is the segmenter of record.  The engine that does the work is chosen by
``segment.engine``:

- ``jieba``: jieba itself (pure Python).
- ``fast`` (default): jieba-rs through ``rjieba``, the same algorithm and
  dictionary compiled, for every run of Chinese text; jieba itself for the
  runs where the two are known to differ (runs holding ``- _ . % + # &``, as
  in "1-2", "PM_2.5", "12%").  The tests and the benchmark measure that the
  result is jieba's, token for token.

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
RE_JIEBA_ONLY = re.compile(r"[+#&._%\-]")

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
    fast = _rjieba(lexicon)
    out: list[str] = []
    for block in RE_HAN.split(text):
        if not block:
            continue
        if RE_HAN.fullmatch(block):
            if RE_JIEBA_ONLY.search(block):
                out += _jieba(lexicon).lcut(block)
            else:
                out += fast.cut(block)
        else:  # what jieba does outside Chinese runs: whitespace runs whole, other characters one by one
            for x in RE_SKIP.split(block):
                if not x:
                    continue
                if RE_SKIP.fullmatch(x):
                    out.append(x)
                else:
                    out += list(x)
    return out


def tokenize(text: str, lexicon: Path | str, engine: str = "fast", pos: bool = False) -> list[tuple[str, str | None, int, int]]:
    """(token, pos, start, end) for every non-blank token; ``text[start:end] == token``."""
    if pos:
        pairs = [(w.word, w.flag) for w in _posseg(str(lexicon)).lcut(text)]
    else:
        pairs = [(w, None) for w in cut(text, lexicon, engine)]
    out, i = [], 0
    for word, flag in pairs:
        j = i + len(word)
        if word.strip():
            out.append((word, flag, i, j))
        i = j
    if i != len(text):  # a segmenter that drops or adds characters would break every offset
        raise RuntimeError(f"segmenter lost characters: {i} of {len(text)}")
    return out


def load_stopwords(path: Path) -> frozenset[str]:
    return frozenset(l.strip() for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip())
