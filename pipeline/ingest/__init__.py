"""Stage *ingest*: a corpus folder in, one row per document out.

- :mod:`.readers`  bytes → raw documents (txt, html, docx, pdf, csv/xlsx/jsonl rows)
- :mod:`.tracked`  text whose every character remembers its raw offset
- :mod:`.clean`    the auditable cleaner (what was removed, where, by which rule)
- :mod:`.metadata` title, date, year, publisher, genre, each with its source
- :mod:`.places`   province, city, district from the national gazetteer, with evidence
- :mod:`.corpus`   the stage's step: :func:`ingest_to` (and :func:`ingest_corpus`, its tables in memory)
"""

from .corpus import DOC_COLUMNS, ingest_corpus, ingest_to

__all__ = ["DOC_COLUMNS", "ingest_corpus", "ingest_to"]
