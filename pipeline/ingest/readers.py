"""Readers: one file in, raw documents out.

Each reader takes the file's bytes (read once by :mod:`pipeline.io`) and
returns a list of :class:`RawDoc` — one for a text, Word or PDF file, one per
row for a table.  A file that cannot be read raises :class:`ReadError` with a
reason a researcher can act on; the caller logs it and goes on.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".jsonl", ".tsv"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | TABLE_SUFFIXES | {".docx", ".pdf"}

# a table's text column, first match wins
TEXT_COLUMNS = ["text", "full_text", "fulltext", "content", "body", "正文", "全文", "内容"]
# table columns that map onto document metadata
META_COLUMNS = {
    "title": ["title", "标题", "题名"],
    "date": ["date", "publish_date", "pub_date", "published", "发布日期", "日期", "时间"],
    "year": ["year", "年份", "年度"],
    "province": ["province", "省份", "省"],
    "city": ["city", "城市", "市"],
    "district": ["district", "county", "区县", "区"],
    "publisher": ["publisher", "source", "来源", "发布机构", "media"],
    "genre": ["genre", "type", "类型", "文体"],
    "url": ["url", "source_url", "link", "链接", "网址"],
    "doc_id": ["doc_id", "id"],
}


class ReadError(Exception):
    """A file (or row) that cannot be read; the message says why."""


@dataclass
class RawDoc:
    source_file: str  # relative to the corpus dir; "name.csv#3" for the third data row
    raw_text: str
    encoding: str
    fmt: str
    meta: dict = field(default_factory=dict)  # values a table or file format states
    extra: dict = field(default_factory=dict)  # other table columns, kept as they are
    warnings: list = field(default_factory=list)  # what was skipped while reading (a broken line of a table)


# --------------------------------------------------------------------------- encodings


# every byte but the control bytes text does not hold (those below 32 but 9–13: tab, line ends, form feed)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 has NULs by design
    if b"\x00" in head:
        return True
    ctrl = len(head.translate(None, _NOT_CONTROL))  # the control bytes, counted in C
    return ctrl > len(head) * 0.05


def _cjk_quality(text: str) -> float:
    """Share of characters that are common CJK, ASCII or punctuation.

    A wrong legacy decoding (Big5 read as GB18030 or the reverse) still
    'succeeds' but produces rare and private-use characters."""
    if not text:
        return 0.0
    good = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80 or 0x4E00 <= o <= 0x9FA5 or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2010 <= o <= 0x2027:
            good += 1
    return good / len(text)


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a byte-order mark (some Windows tools do this).  Taken only when one byte
    order decodes strictly into text that is almost all common CJK, ASCII and punctuation: a binary
    file decodes into rare and private-use characters, so it is never mistaken for text."""
    if len(data) % 2 or len(data) < 4:
        return None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _cjk_quality(text) >= 0.95 and re.search(r"[\u4e00-\u9fa5A-Za-z]", text):
            return text, enc
    return None


def decode_bytes(  # noqa: C901 - one flat cascade of encodings, tried in order
    data: bytes, name: str
) -> tuple[str, str]:
    """bytes → (text, encoding).  UTF-8 (with or without BOM) and UTF-16 are
    taken when they decode strictly; otherwise charset-normalizer proposes
    and the legacy Chinese encodings (GB18030, Big5) are checked by which
    gives the cleaner Chinese."""
    if not data.strip():
        raise ReadError("empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise ReadError(f"starts with a UTF-8 BOM but is not valid UTF-8 ({e.reason} at byte {e.start})") from e
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[2:].decode(enc), "utf-16"
            except UnicodeDecodeError as e:
                raise ReadError(f"starts with a UTF-16 BOM but does not decode ({e.reason})") from e
    try:
        utf8: str | None = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # a file cut inside its last character (an interrupted download) is UTF-8 all the same
        cut = e.reason == "unexpected end of data" and e.start >= len(data) - 3
        utf8 = data[: e.start].decode("utf-8") if cut else None  # everything before the error decoded
    utf16 = _bomless_utf16(data) if utf8 is None else None
    if utf16 is not None:
        return utf16
    if _looks_binary(data):
        raise ReadError("binary data (NUL or control bytes), not text — is it a misnamed file?")
    if utf8 is not None:
        return utf8, "utf-8"
    candidates: dict[str, str] = {}
    for enc in ("gb18030", "big5"):
        try:
            candidates[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None and best.encoding not in ("utf_8",):
            enc = best.encoding.replace("_", "-")
            enc = {"gb2312": "gb18030", "gbk": "gb18030", "big5hkscs": "big5"}.get(enc, enc)
            if enc not in candidates:
                with contextlib.suppress(UnicodeDecodeError, LookupError):
                    candidates[enc] = data.decode(enc)
    except ImportError:  # pragma: no cover - charset-normalizer is a pinned dependency
        pass
    if not candidates:
        raise ReadError("undecodable bytes: not UTF-8, GB18030 or Big5 — re-save the file as UTF-8")
    enc, text = max(candidates.items(), key=lambda kv: (_cjk_quality(kv[1]), kv[0] == "gb18030"))
    if _cjk_quality(text) < 0.6:
        raise ReadError(f"undecodable bytes: best guess {enc} gives mostly unusual characters — re-save as UTF-8")
    return text, enc


# --------------------------------------------------------------------------- formats


def read_text(data: bytes, name: str) -> list[RawDoc]:
    text, enc = decode_bytes(data, name)
    if not text.strip():
        raise ReadError("empty file (only whitespace)")
    return [RawDoc(name, text, enc, "txt")]


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "title",
    "header",
    "footer",
}


def read_html(data: bytes, name: str) -> list[RawDoc]:
    """HTML → text with a line per block element.  Scripts and styles go;
    navigation and footers stay for the cleaner to remove (and report)."""
    import lxml.html

    text, enc = decode_bytes(data, name)
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as e:  # lxml raises several types for broken markup
        raise ReadError(f"not parseable as HTML ({e})") from e
    meta = {}
    title = root.findtext(".//title")
    if title and title.strip():
        meta["title"] = title.strip()
    for node in root.xpath("//meta[@name or @property]"):
        key = (node.get("name") or node.get("property") or "").lower()
        if key in ("article:published_time", "pubdate", "publishdate", "date") and node.get("content"):
            meta["date"] = node.get("content").strip()
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    parts: list[str] = []

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if el.text and tag != "title":
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    out = re.sub(r"[ \t]*\n[ \t\n]*", "\n", "".join(parts)).strip()
    if not out:
        raise ReadError("HTML page has no text")
    return [RawDoc(name, out, enc, "html", meta)]


def read_docx(data: bytes, name: str) -> list[RawDoc]:
    """Word → text: paragraphs and table rows in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ReadError(f"corrupt or not a .docx file ({type(e).__name__}: {e})") from e
    except Exception as e:  # python-docx surfaces XML errors of several kinds
        raise ReadError(f"corrupt .docx ({type(e).__name__}: {e})") from e
    lines = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = []
                for c in row.cells:
                    if c.text not in cells:  # merged cells repeat their text
                        cells.append(c.text)
                lines.append("\t".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise ReadError("Word file has no text")
    meta = {}
    if document.core_properties.title and document.core_properties.title.strip():
        meta["title"] = document.core_properties.title.strip()
    return [RawDoc(name, text, "docx", "docx", meta)]


def read_pdf(data: bytes, name: str) -> list[RawDoc]:
    """PDF → text of its text layer, pages separated by a form feed line."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [(p.extract_text() or "") for p in pdf.pages]
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as e:
        raise ReadError(f"corrupt or not a PDF ({type(e).__name__}: {e})") from e
    except Exception as e:  # pdfminer raises many exception types for broken files
        raise ReadError(f"corrupt PDF ({type(e).__name__}: {e})") from e
    text = "\n\f\n".join(pages)
    if not text.replace("\f", "").strip():
        raise ReadError("PDF has no text layer (a scan?) — run OCR first")
    return [RawDoc(name, text, "pdf", "pdf")]


def _pick(columns: list[str], names: list[str]) -> str | None:
    low = {c.strip().lower(): c for c in columns}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def _rows_to_docs(rows: list[dict], columns: list[str], name: str, encoding: str, fmt: str) -> list[RawDoc]:
    text_col = _pick(columns, TEXT_COLUMNS)
    if text_col is None:
        raise ReadError(f"no text column (looked for {', '.join(TEXT_COLUMNS)}; found {', '.join(columns)})")
    mapped = {key: _pick(columns, names) for key, names in META_COLUMNS.items()}
    used = {c for c in mapped.values() if c} | {text_col}
    docs = []
    for i, row in enumerate(rows, start=1):
        text = row.get(text_col)
        text = "" if text is None else str(text)
        meta = {
            k: str(row[c]).strip()
            for k, c in mapped.items()
            if c and row.get(c) is not None and str(row[c]).strip() not in ("", "nan", "None")
        }
        extra = {c: row[c] for c in columns if c not in used and row.get(c) not in (None, "")}
        docs.append(
            RawDoc(
                f"{name}#{i}",
                text,
                encoding,
                fmt,
                meta,
                {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in extra.items()},
            )
        )
    if not docs:
        raise ReadError("table has no rows")
    return docs


def read_csv(data: bytes, name: str) -> list[RawDoc]:
    text, enc = decode_bytes(data, name)
    csv.field_size_limit(1 << 30)
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = list(reader)
        columns = [c.strip().lstrip("\ufeff") for c in (reader.fieldnames or [])]
    except csv.Error as e:
        raise ReadError(f"malformed CSV ({e})") from e
    rows = [{k.strip().lstrip("\ufeff") if k else k: v for k, v in r.items()} for r in rows]
    return _rows_to_docs(rows, columns, name, enc, "csv")


def read_xlsx(data: bytes, name: str) -> list[RawDoc]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise ReadError(f"corrupt or not an .xlsx file ({type(e).__name__}: {e})") from e
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if not header:
        raise ReadError("spreadsheet is empty")
    columns = [str(c).strip() if c is not None else f"column{i}" for i, c in enumerate(header)]
    rows = [dict(zip(columns, r, strict=False)) for r in it if any(v is not None for v in r)]
    wb.close()
    return _rows_to_docs(rows, columns, name, "xlsx", "xlsx")


def read_jsonl(data: bytes, name: str) -> list[RawDoc]:
    text, enc = decode_bytes(data, name)
    rows: list[dict] = []
    columns: list[str] = []
    bad: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            bad.append(f"line {n} is not valid JSON ({e.msg})")
            continue
        if not isinstance(obj, dict):
            bad.append(f"line {n} is not a JSON object")
            continue
        rows.append(obj)
        columns += [k for k in obj if k not in columns]
    if not rows and bad:
        raise ReadError("; ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else ""))
    docs = _rows_to_docs(rows, columns, name, enc, "jsonl")
    if bad:  # the good rows are kept; the file's first document carries the note
        docs[0].warnings.append(f"{len(bad)} line(s) skipped: " + "; ".join(bad[:3]) + (" …" if len(bad) > 3 else ""))
    return docs


READERS = {
    **{s: read_text for s in TEXT_SUFFIXES},
    **{s: read_html for s in HTML_SUFFIXES},
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".xlsx": read_xlsx,
    ".jsonl": read_jsonl,
}


def read_bytes(data: bytes, name: str) -> list[RawDoc]:
    """Dispatch on the file name's suffix."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(f"unsupported file type '{suffix or name}' (supported: {', '.join(sorted(SUPPORTED))})")
    return reader(data, name)
