"""The same 72 city reports as .txt and as .docx give the same clean text."""

from __future__ import annotations

import difflib
import re

import pytest

pytestmark = pytest.mark.slow  # runs the pipeline, the notebooks or reads the shared corpora


def test_docx_and_txt_agree(cities_txt, cities_docx):
    assert set(cities_txt.index) == set(cities_docx.index) and len(cities_txt) == 72
    exact, ratios = 0, []
    for doc_id in cities_txt.index:
        a, b = cities_txt.loc[doc_id, "text"], cities_docx.loc[doc_id, "text"]
        if a == b:
            exact += 1
            ratios.append(1.0)
            continue
        sa, sb = re.sub(r"\s", "", a), re.sub(r"\s", "", b)
        ratios.append(difflib.SequenceMatcher(None, sa, sb, autojunk=False).ratio())
    print(
        f"docx/txt: {exact}/72 identical; mean similarity ignoring whitespace {sum(ratios) / 72:.4f}, "
        f"min {min(ratios):.4f}"
    )
    assert exact >= 65
    assert min(ratios) >= 0.99
    for col in ("city", "province", "year", "flags"):  # a value the audit left empty is empty in both
        a, b = cities_txt[col], cities_docx.loc[cities_txt.index, col]
        assert ((a == b) | (a.isna() & b.isna())).all(), (col, a[~((a == b) | (a.isna() & b.isna()))].to_dict())
