"""Each registered theme rule on its own, on real text: what it codes and what it must not."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import RESOURCES
from pipeline.segment.structure import sentences as split
from pipeline.segment.tokens import tokenize
from pipeline.themes.codebook import CodebookError, load_codebook, parse_codebook
from pipeline.themes.rules import RULES, Document, dictionary_pos, extract_items, method_rank

CODEBOOK = load_codebook(RESOURCES / "codebook.yaml")
LEXICON = str(RESOURCES / "userdict.txt")

# cities-2024/txt/临沂.txt (a development report), verbatim
LINYI = (
    "我们也清醒地看到，全市经济社会发展还面临一些困难和挑战：经济“大而不强”，在鲁南苏北区域发展中的位势不够凸显；"
    "战新产业刚刚“崭露头角”，产业集中度、辨识度不高；开放合作还有差距，区域协调发展不平衡问题仍然较为突出；"
    "民生保障还有薄弱环节，优质公共服务供给不足；部分干部创新思维、专业能力、民生情怀不够，政府自身建设还需进一步加强。"
    "对此，我们要主动识变、应变、求变，认真加以解决。"
)
# corpus/raw/002 (the Harbin seed, simplified), verbatim sentences
HARBIN = (
    "二、存在的主要问题\n"
    "一是思想认识不到位。一些党组织对共建工作的重要性认识不足。\n"
    "三、对策和建议\n"
    "一是建立市委组织部、市直机关工委、市民政局和各区委的例会制度，定期召开会议。\n"
    "二是搭建思想感情双向交流平台。"
)


def document(text: str) -> Document:
    sents = pd.DataFrame(split(text))
    sents.insert(0, "doc_id", "d")
    words, _, starts, ends = tokenize(text, LEXICON)
    sid = [next(r["sent_id"] for r in split(text) if r["start"] <= a < r["end"]) for a in starts]
    return Document("d", sents, list(zip(sid, words, starts, ends, strict=False)), CODEBOOK, dictionary_pos(LEXICON))


def items(rule: str, text: str) -> list[tuple[str, str, str]]:
    return [(r["theme"], r["item"], r["method"]) for r in RULES[rule].func(document(text)) if r is not None]


def test_every_rule_in_the_codebook_is_registered_and_ranked():
    assert set(CODEBOOK.rules) <= set(RULES)
    rank = method_rank(CODEBOOK)
    assert rank["enum_section"] < rank["pattern"] < rank["problem_passage"] < rank["noun_phrase"] < rank["model"]


def test_problem_passage_codes_each_admitted_clause_and_stops_at_the_remedy():
    got = items("problem_passage", LINYI)
    found = [i for _, i, _ in got]
    assert {t for t, _, _ in got} == {"problem"}
    assert "产业集中度、辨识度不高" in found and "优质公共服务供给不足" in found
    assert not any("主动识变" in i or "认真加以解决" in i for i in found)  # the remedy is not a problem
    assert not any("清醒地看到" in i for i in found)  # the lead-in is not an item


def test_enum_takes_the_theme_of_its_section():
    got = items("enum", HARBIN)
    assert ("problem", "思想认识不到位", "enum_section") in got
    assert any(t == "mechanism" and "例会制度" in i for t, i, _ in got)  # a mechanism wins over the measure section
    assert not any("存在的主要问题" in i or "对策和建议" in i for _, i, _ in got)  # section titles are not items


def test_noun_phrase_reads_suffix_phrases_without_their_verb():
    got = items("noun_phrase", HARBIN)
    assert ("carrier", "思想感情双向交流平台", "noun_phrase") in got
    assert not any(i.startswith("搭建") for _, i, _ in got)


def test_pattern_matches_the_codebooks_expressions():
    text = "存在“五缺五难”：即缺人才，社区服务难组织；缺器材，社区文化难开展。"  # corpus/raw/000, width-normalised
    got = items("pattern", text)
    assert ("problem", "缺人才，社区服务难组织", "pattern") in got and (
        "problem",
        "缺器材，社区文化难开展",
        "pattern",
    ) in got
    assert items("pattern", "社区工作经费充足，活动正常开展。") == []


def test_admission_needs_a_concession_and_skips_remedies():
    got = items("admission", "社区党建工作取得了一定成效，但相关职责和责任有待进一步明确。")
    assert ("problem", "相关职责和责任有待进一步明确", "admission") in got
    assert items("admission", "要着力解决社区服务能力不足的问题，切实补齐短板。") == []


def test_rules_switched_off_in_the_codebook_do_not_run():
    import yaml

    data = yaml.safe_load((RESOURCES / "codebook.yaml").read_text(encoding="utf-8"))
    data["rules"] = ["enum"]
    only_enum = parse_codebook(data, "test")
    doc = document(HARBIN)
    sents = pd.DataFrame([r._asdict() for r in doc.rows]).drop(columns="Index")
    toks = pd.DataFrame(
        [(doc.doc_id, sid, w, a, b) for sid, ws in doc.tokens.items() for w, a, b in ws],
        columns=["doc_id", "sent_id", "token", "start", "end"],
    )
    methods = set(extract_items(sents, toks, only_enum, doc.tags).method)
    assert methods <= {"enum_section", "enum_content"} and methods
    data["rules"] = ["enum", "no_such_rule"]
    with pytest.raises(CodebookError, match="no_such_rule"):
        parse_codebook(data, "test")
