"""Each registered theme rule on its own, on real text: what it codes and what it must not."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import RESOURCES
from pipeline.segment.structure import sentences as split
from pipeline.segment.tokens import tokenize
from pipeline.themes.codebook import CodebookError, load_codebook, parse_codebook
from pipeline.themes.rules import RULES, Document, dictionary_pos, extract_items, method_rank
from pipeline.themes.tables import item_counts

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


def extracted_items(text: str) -> pd.DataFrame:
    """Every item the codebook's rules keep for ``text`` (after nesting and precedence), one row each."""
    doc = document(text)
    sents = pd.DataFrame([r._asdict() for r in doc.rows]).drop(columns="Index")
    toks = pd.DataFrame(
        [(doc.doc_id, sid, w, a, b) for sid, ws in doc.tokens.items() for w, a, b in ws],
        columns=["doc_id", "sent_id", "token", "start", "end"],
    )
    return extract_items(sents, toks, CODEBOOK, doc.tags)


def extracted(text: str) -> set[tuple[str, str]]:
    """(theme, item) of every item the codebook's rules keep for ``text``."""
    got = extracted_items(text)
    return set(zip(got.theme, got["item"], strict=True))


# Sentences from development reports (cities-2024/txt/<city>.txt), verbatim.


def test_named_object_keeps_a_list_sharing_one_head_whole():
    got = items("named_object", "深入打好蓝天、碧水、净土保卫战。")  # 乌鲁木齐
    assert [i for _, i, _ in got] == ["蓝天、碧水、净土保卫战"]
    got = items("named_object", "建设一批食用菌、人参等特色产业示范区，新增林下经济1万亩。")  # 吉林
    assert [i for _, i, _ in got] == ["食用菌、人参等特色产业示范区"]
    # members with a quantity of their own are objects of their own (protocol §2 example)
    got = items("named_object", "新建社区医务室105个、社区居家养老服务中心（站）44个。")
    assert [i for _, i, _ in got] == ["社区居家养老服务中心（站）"]


def test_named_object_reads_names_listed_one_by_one():
    got = {i for _, i, _ in items("named_object", "加快浑南科技城、沈北科教园等创新空间建设。")}  # 沈阳
    assert got == {"浑南科技城", "沈北科教园"}  # the category after 等 is not a name
    got = {
        i
        for _, i, _ in items(
            "named_object", "推进沪苏大丰产业联动集聚区、长三角一体化产业发展基地和长三角（东台）康养基地建设。"
        )
    }  # 盐城: two whole names joined by 和 are two items; a shared head (耕地保护和粮食安全责任制) is not cut
    assert got == {"沪苏大丰产业联动集聚区", "长三角一体化产业发展基地", "长三角（东台）康养基地"}
    got = {i for _, i, _ in items("named_object", "落实耕地保护和粮食安全责任制，保障粮食生产。")}
    assert got == {"耕地保护和粮食安全责任制"}


def test_named_object_leaves_out_owner_and_round_before_a_quoted_name():
    got = {i for _, i, _ in items("named_object", "深入落实自治区“碳达峰十大行动”和“节能减排十大工程”。")}  # 乌鲁木齐
    assert got == {"“碳达峰十大行动”", "“节能减排十大工程”"}
    got = {i for _, i, _ in items("named_object", "全面开展第三轮“四减四增”行动。")}  # 潍坊
    assert got == {"“四减四增”行动"}


def test_projects_in_a_construction_list_are_not_carriers():
    got = extracted("加快德生生物药国际CDMO基地、集成电路装备产业园等重点项目建设。")  # 沈阳
    assert not {i for t, i in got if t == "carrier"}
    assert ("measure", "加快德生生物药国际CDMO基地、集成电路装备产业园等重点项目建设") in got


def test_noun_phrase_skips_categories_after_deng_and_gelei():
    got = extracted("湾谷科技园等5个创新园区投用，全市各类科技创新平台达到1700个。")  # 芜湖, 沈阳
    assert {i for t, i in got if t == "carrier"} == {"湾谷科技园"}


def test_noun_phrase_reads_place_names_and_stops_at_a_zone():
    got = extracted("加快六枝经开区美锦铁路专用线、水城经开区煤炭储配中心铁路专用线建设。")  # 六盘水
    assert {i for t, i in got if t == "carrier"} == {"六枝经开区", "水城经开区"}
    got = extracted("支持网易（北海）联合创新中心、双创街北京—银海协同创新中心等企业和平台稳中求进。")  # 北海
    assert ("carrier", "双创街北京—银海协同创新中心") in got


def test_heads_of_two_tokens_and_quoted_names():
    got = extracted("高质量推进国家新能源汽车换电模式应用试点城市建设，累计建成换电站25座。")  # 三亚
    assert ("carrier", "国家新能源汽车换电模式应用试点城市") in got
    assert not {i for t, i in got if t == "mechanism"}  # 换电模式 only modifies the pilot's name
    got = extracted(
        "将今年作为“开发区建设攻坚年”，大力开展首位产业提升、项目攻坚、服务效能提升“三个专项行动”。"
    )  # 六盘水
    assert ("carrier", "“开发区建设攻坚年”") in got
    assert ("carrier", "首位产业提升、项目攻坚、服务效能提升“三个专项行动”") in got
    assert not any(i.startswith("将今年") for _, i in got)  # 把/将…作为 designates, it is no action


def test_a_carrier_inside_a_mechanisms_name_is_not_coded():
    got = extracted("建立产业园区“一把手”招商引资激励机制，以项目落地实效考核招商工作。")  # 南宁
    assert ("mechanism", "产业园区“一把手”招商引资激励机制") in got
    assert not {i for t, i in got if t == "carrier"}


def test_nested_items_are_judged_by_position_not_by_string():
    got = extracted("21个宜邻中心开工建设，赭山路宜邻中心建成投用。")  # 芜湖
    assert ("carrier", "宜邻中心") in got


def test_product_brands_and_construction_works_are_not_carriers():
    got = extracted("引导中意和冠岭奥特莱斯引进更多国内外知名品牌。")  # 北海: a product brand
    assert not {i for t, i in got if t == "carrier"}
    assert ("carrier", "“志愿之城”品牌") in extracted("打造“志愿之城”品牌。")  # 南京: an activity brand
    got = extracted("做好引江补汉输水沿线补水工程前期工作。")  # 宜昌
    assert not {i for t, i in got if t == "carrier"}


def test_jiang_as_will_is_left_out_of_a_measure():
    got = extracted("青春力量塑造沈阳未来，我们将深入推进青年发展型城市建设，打造青年友好型街区。")  # 沈阳
    assert ("measure", "推进青年发展型城市建设") in got
    got = extracted("将社区党组织工作经费纳入财政预算。")  # 将 as a preposition stays
    assert ("measure", "将社区党组织工作经费纳入财政预算") in got


def test_a_programmes_duration_and_quoted_parts_belong_to_its_name():
    # protocol §5 examples (宜昌, 三亚, 抚州) and 南宁, 防城港 (development reports)
    assert ("carrier", "生物医药产业地标三年行动") in extracted("开展生物医药产业地标三年行动")
    assert ("carrier", "扩大学位供给三年计划") in extracted("大力实施扩大学位供给三年计划，加快学校建设。")
    assert ("carrier", "重大项目“3511”工程") in extracted("强力推进重大项目“3511”工程")
    got = extracted("持续唱响“周密周全、说到做到”的“抚务周到”营商环境品牌")
    assert ("carrier", "“抚务周到”营商环境品牌") in got
    got = extracted("夯实招商引资“一把手”工程，建立产业园区“一把手”招商引资激励机制。")
    assert ("carrier", "招商引资“一把手”工程") in got and ("measure", "夯实招商引资“一把手”工程") in got
    got = extracted("实施好新一轮向海经济三年行动计划，实施六大行动。")
    assert {i for t, i in got if t == "carrier"} == {"向海经济三年行动计划"}  # 新一轮 is a phase word (B8)


def test_word_edges_and_quoted_systems():
    assert ("carrier", "中柬（北海）产业园") in extracted("推动中柬（北海）产业园年内挂牌运营")  # 北海
    assert ("mechanism", "工业“赛马制”") in extracted("深入推进工业“赛马制”，强化项目分级分类包保服务")  # 宜昌
    got = extracted("深入推进核心商圈、特色商业街区建设和一刻钟便民生活圈试点。")  # 宜昌
    assert ("carrier", "一刻钟便民生活圈试点") in got


def test_aims_are_judged_by_the_longest_verb_and_more_aim_heads():
    assert not items("action", "培育壮大新质生产力。")  # 沈阳: 培育壮大 states an aim
    assert not items("action", "推进学前教育优质普惠发展，推进义务教育优质均衡发展。")  # 鄂州
    assert not items("action", "推动河湖和近岸海域水质稳步提升。")  # 潍坊
    assert not items("action", "做好土特产文章。")  # 吉林
    got = [i for _, i, _ in items("action", "深入实施都市圈规划，推进62个重点项目建设，完成投资340亿元。")]  # 宜昌
    assert got == ["实施都市圈规划", "推进62个重点项目建设", "完成投资340亿元"]


def test_more_adverbs_and_verbs_of_action():
    got = [i for _, i, _ in items("action", "突出抓好重污染天气消除、臭氧污染防治和柴油货车污染治理。")]  # 潍坊
    assert got == ["抓好重污染天气消除、臭氧污染防治和柴油货车污染治理"]
    got = [i for _, i, _ in items("action", "投入各级衔接资金13.5亿元、实施项目684个。")]  # 泸州
    assert got == ["投入各级衔接资金13.5亿元", "实施项目684个"]
    got = [i for _, i, _ in items("action", "坚定不移推进反腐败斗争。")]  # 贵港
    assert got == ["推进反腐败斗争"]


def test_designations_and_the_preposition_jiang():
    assert not items("action", "把构建现代化产业体系作为强基固本的重中之重。")  # 杭州: a priority
    # corpus/raw/002 (clean text): 将 is the preposition; 作为 there is no designation
    got = [i for _, i, _ in items("action", "三是建立考评机制。将共建工作纳入目标管理。")]
    assert "将共建工作纳入目标管理" in got
    got = [
        i for _, i, _ in items("action", "把“区域性党组织共建”作为深化社区党建的新举措，夯实基层基础工作。")
    ]  # raw/000
    assert "把“区域性党组织共建”作为深化社区党建的新举措" in got
    # corpus/raw/001 (clean text): a head shared across 和 and 的 is not cut
    got = {(t, i) for t, i, _ in items("named_object", "建立了对“社区居民委员会”和“社区各项事务”的领导核心机制。")}
    assert ("carrier", "“社区居民委员会”") not in got


def test_a_run_in_title_is_no_measure_unless_it_names_a_practice():
    # 安顺 and 盐城 (development reports): the first sentence of a paragraph that goes on
    got = [
        i
        for _, i, _ in items(
            "action",
            "深化改革开放。深入实施国有企业改革，建立健全国有企业薪酬分配激励和约束机制，"
            "持续推动国企生存回归利润、机制回归市场、发展回归产业。",
        )
    ]
    assert "深化改革开放" not in got and "实施国有企业改革" in got
    got = [
        i
        for _, i, _ in items(
            "action",
            "积极实施城市更新行动。深入践行人民城市理念，坚持新城建设与老城改造相辅相成，"
            "推进建军路文商旅街区等10个省级和20个市级城市更新试点项目建设，不断活化城市文脉。",
        )
    ]
    assert "实施城市更新行动" in got


def test_what_an_inner_verb_creates_and_designations():
    got = extracted(
        "支持西昌钢钒、中稀凉山等行业标杆企业组建产业创新联盟，力争凉山高新、德昌特色、冕宁稀土3个园区成功认定省级化工园区。"
    )  # 凉山
    assert {i for t, i in got if t == "carrier"} == {"产业创新联盟"}
    got = extracted("推广应用国际贸易数字化平台，持续推进荆州港水运口岸对外开放和国家级加工贸易产业园建设。")  # 荆州
    assert {i for t, i in got if t == "carrier"} == {"国际贸易数字化平台", "国家级加工贸易产业园"}
    got = extracted("进一步做实擦亮攀西国家战略资源创新开发试验区、全国重要清洁能源基地两块“金字招牌”。")  # 凉山
    assert {i for t, i in got if t == "carrier"} == {"攀西国家战略资源创新开发试验区"}


def test_reforms_of_a_system_and_verbs_inside_names():
    got = extracted("深化开发区管理体制机制改革，深化政府投资体制改革。")  # 安顺, 岳阳
    assert not {i for t, i in got if t == "mechanism"}
    assert ("measure", "深化开发区管理体制机制改革") in got  # 开发 in 开发区 is no verb
    got = extracted("建立园区“僵尸企业”市场化退出制度。")  # 凉山
    assert ("mechanism", "园区“僵尸企业”市场化退出制度") in got


def test_a_commitment_with_a_quantity_is_a_measure():
    got = [
        i
        for _, i, _ in items(
            "action", "积极申报省级外贸转型升级示范基地，扎实推进外贸加快发展，力争外贸进出口额增长15%以上。"
        )
    ]  # 安顺
    assert "力争外贸进出口额增长15%以上" in got
    assert not items("action", "全市进出口总额增长9％、实际利用外资增长10％。")  # 荆州: a statistic


# cities-2024/txt/南京.txt, 孝感.txt, 温州.txt (development reports), verbatim
NANJING = (
    "同时，我们清醒地认识到，我市经济社会发展仍然面临一些困难和挑战，主要表现是：有效需求不足，社会预期偏弱，"
    "消费复苏放缓，外贸增长仍然负重承压；石化、钢铁产业受周期性因素影响较大，汽车、电子信息产业转型仍需提速；"
    "战略性新兴产业支撑作用不够，部分生产性服务业增长势头趋缓，企业生产经营面临困难较多；高能级创新平台仍然不足，"
    "关键核心技术攻关、科技成果转化还需加力；生态环境质量、优质公共服务供给与群众期盼还有差距，一些领域风险隐患有待"
    "加快化解，本质安全水平需要进一步提升；为企业服务还需要更加精准深入，政府自身建设还要加强。"
)
XIAOGAN = (
    "在看到成绩的同时，我们也清醒地认识到，发展不平衡不充分仍然是孝感最大的实际，主导产业不强、转型升级任务重，"
    "主城能级较弱、城市和产业集中发展不够，民生领域还有短板、公共服务与群众期待还有差距，少数干部思想解放不够、"
    "干事创业的精气神不足等等。"
)


def test_problem_passage_leaves_out_frames_lead_ins_and_dengdeng():
    got = {i for _, i, _ in items("problem_passage", NANJING)}
    assert "主要表现是" not in got and "我市经济社会发展仍然面临一些困难和挑战" not in got
    assert {"有效需求不足", "高能级创新平台仍然不足", "政府自身建设还要加强"} <= got
    got = {i for _, i, _ in items("problem_passage", XIAOGAN)}
    assert "少数干部思想解放不够、干事创业的精气神不足" in got


def test_a_heading_that_remedies_a_shortcoming_opens_no_problem_section():
    text = (
        "（六）主攻缩小“三大差距”，奋力推动共同富裕先行示范。一体推进“强城、兴村、融合”，深入实施公共服务“七优享”工程，"
        "不断擦亮中国最具幸福感城市金字招牌，打造共同富裕示范区市域样板。"
    )  # 温州
    assert not items("problem_section", text)
    assert ("measure", "实施公共服务“七优享”工程", "action") in items("action", text)


def test_words_before_the_cue_do_not_close_the_passage_and_framing_adverbials_are_out():
    # 淮安 (development report), verbatim to the end of the sentence's third clause group
    text = (
        "各位代表，凡是过往，皆为序章。我们将永葆“赶考”的状态，不能有半点的“飘”、丝毫的“松”和一刻的“虚”，"
        "清醒地认识到工作中存在的困难和不足：经济持续回升向好基础尚不牢固，开发园区改革有待加快深化，"
        "项目攻坚、产业培育还需持续精准发力;城市功能品质有待进一步提升，枢纽地位、生态优势还未充分彰显。"
    )
    got = {i for _, i, _ in items("problem_passage", text)}
    assert {"经济持续回升向好基础尚不牢固", "枢纽地位、生态优势还未充分彰显"} <= got
    # 滁州 (development report): the framing adverbial is no item, the clauses after it are
    text = (
        "同时，我们也清醒认识到工作中存在的困难和问题，主要是：受外部环境影响，实体经济发展仍面临一些困难，"
        "一些重大项目推进还面临要素制约，房地产销售和投资收缩明显；"
    )
    got = {i for _, i, _ in items("problem_passage", text)}
    assert "受外部环境影响" not in got and "房地产销售和投资收缩明显" in got


def test_long_members_with_heads_of_their_own_do_not_share_the_last_head():
    # 南宁 and 合肥 (development reports): 片区 and 枢纽 are heads of their own
    got = extracted("加快空港片区、铁路港片区、综合保税区二期建设。")
    assert {i for t, i in got if t == "carrier"} == {"综合保税区"}
    got = extracted("打造区域航空枢纽、国际航空货运集散中心。")
    assert not {i for t, i in got if t == "carrier"}  # a logistics hub is no carrier (集散中心)


def test_governing_verbs_and_generic_parks_are_not_carriers():
    got = extracted("加快建设“三峡E链”供应链金融平台。")  # protocol B7 example (宜昌)
    assert {i for t, i in got if t == "carrier"} == {"“三峡E链”供应链金融平台"}
    got = extracted("东部产业新区重点建设白洋、顾家店、姚家港核心区域，与猇亭、鸦鹊岭工业园区融合发展。")  # 宜昌
    assert ("carrier", "工业园区") not in got


def test_canonical_names_keep_a_quoted_numbered_programme():
    """A measure's canonical name drops its quantity (改造老旧小区245个 → 改造老旧小区) but not a quoted name that
    opens with a numeral: 推进“六水共治” and 推进“五个一批” are two practices, not one called 推进 (dev reports
    三亚 and 杭州); so a document keeps both."""
    from pipeline.themes.rules import canonical_name

    assert canonical_name("改造老旧小区245个", "measure", CODEBOOK) == "改造老旧小区"
    assert canonical_name("完成投资85亿元", "measure", CODEBOOK) == "完成投资"
    assert canonical_name("推进“六水共治”", "measure", CODEBOOK) == "推进六水共治"
    assert canonical_name("纠治“四风”", "measure", CODEBOOK) == "纠治四风"
    text = "深入推进“六水共治”，全面推进“五个一批”。"
    words, _, starts, ends = tokenize(text, LEXICON)
    tokens = pd.DataFrame({"doc_id": "d", "sent_id": 0, "token": words, "start": starts, "end": ends})
    found = extract_items(pd.DataFrame(split(text)).assign(doc_id="d"), tokens, CODEBOOK, dictionary_pos(LEXICON))
    measures = set(found[found.theme == "measure"].canonical)
    assert {"推进六水共治", "推进五个一批"} <= measures, measures


# corpus/raw (the Mudanjiang seed, a research report), verbatim
PLAIN = "现在，宣传社区党建重要性的工作不够深入，抓好社区党建没有真正放到重要的议事日程。"


def test_an_analysis_admits_a_shortcoming_without_conceding_a_government_report_does_not():
    def admitted(genre: str) -> set[str]:
        doc = document(PLAIN)
        doc.genre = genre
        return {r["item"] for r in RULES["admission"].func(doc) if r is not None}

    assert "宣传社区党建重要性的工作不够深入" in admitted("research_report")
    assert not admitted("government_work_report")  # a work report admits in its passage, or concedes


def test_national_formulae_after_a_national_frame_are_context():
    # cities-2024/txt/吉林.txt (a development report), verbatim
    text = (
        "在肯定成绩的同时，我们也清醒认识到，当前外部环境的复杂性、严峻性、不确定性上升，有效需求不足，社会预期偏弱，"
        "我市主导产业受到较大冲击，一些经营主体仍面临不少困难；高校创新资源运用还不充分，高新技术企业占比不高。"
    )
    found = {i for _, i, _ in items("problem_passage", text)}
    assert {"我市主导产业受到较大冲击", "一些经营主体仍面临不少困难", "高新技术企业占比不高"} <= found
    assert not found & {"有效需求不足", "社会预期偏弱"}


def test_the_headline_targets_do_not_swallow_a_plan_whose_line_breaks_were_lost():
    # cities-2024/txt/泸州.txt (a development report) is one line; three of its sentences, in their order there
    text = (
        "综合各方面因素，建议2024年全市经济社会发展的主要预期目标是：地区生产总值增速高于全省0.5个百分点左右；"
        "城镇新增就业3.7万人；居民消费价格指数控制在103左右；地方一般公共预算收入、城乡居民人均可支配收入与经济增长同步；"
        "粮食产量稳定在238万吨以上。"
        "六、聚焦生态文明建设，筑牢长江上游重要生态屏障深入打好污染防治攻坚战。"
        "坚持“三水”统筹[44]、水岸共治，加强农业面源污染防治，推动濑溪河、古蔺河、大陆溪等小流域综合治理。"
    )
    found = {i for _, i, _ in items("action", text)}
    assert "加强农业面源污染防治" in found
    assert not any("新增就业" in i or "粮食产量" in i for i in found)  # the targets themselves are outcomes


def test_a_plan_action_that_repeats_a_review_action_is_a_measure_of_its_own():
    # cities-2024/txt/滁州.txt (a development report): a sentence of the review and one of the plan, verbatim
    review = "新增保障性租赁住房1.6万套、改造老旧小区139个，城镇老旧小区改造、棚户区改造工作获国务院督查激励。"
    plan = "完成城市更新示范片区项目建设，改造老旧小区67个，新增保障性租赁住房1.1万套，努力打造城市更新“滁州样板”。"
    found = extracted(review + "\n" + plan)
    assert {("measure", "改造老旧小区67个"), ("measure", "新增保障性租赁住房1.1万套")} <= found
    assert {("measure", "改造老旧小区139个"), ("measure", "新增保障性租赁住房1.6万套")} <= found
    # a practice named twice is two items, the later one a repeat that the tables counting practices leave out
    twice = extracted("实施城市更新行动，改造老旧小区67个。\n深入实施城市更新行动。")
    assert ("carrier", "城市更新行动") in twice
    got = extracted_items("实施城市更新行动，改造老旧小区67个。\n深入实施城市更新行动。")
    carriers = got[got.theme == "carrier"].sort_values("start")
    assert carriers["item"].tolist() == ["城市更新行动", "城市更新行动"]
    assert carriers["repeat"].tolist() == [False, True]
    assert not got[got.theme == "measure"]["repeat"].any()
    assert item_counts(got).set_index("theme").n.to_dict() == {"carrier": 1, "measure": 3}
    assert (got["item"] == "实施城市更新行动").sum() == 2  # the same action stated twice: two statements


def test_a_clause_that_ends_by_falling_short_is_a_problem_not_a_measure():
    """A provincial report's admission, verbatim: 融入…建设的深度广度不够 admits a shortcoming, so no measure (and no
    carrier named as its object) is read from it; the problem clauses are kept (protocol no. 68)."""
    import csv

    from conftest import need_shared
    from test_protocol import frames

    path = need_shared("provinces-2026") / "2026_内蒙古自治区_政府工作报告.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = next(csv.DictReader(f))["full_text"]
    sentence = next(s for s in text.split("。") if "经济外向度偏低" in s) + "。"
    items = extract_items(*frames({"d": sentence}), CODEBOOK, dictionary_pos(LEXICON))
    assert "融入“一带一路”和中蒙俄经济走廊建设的深度广度不够" in set(items[items.theme == "problem"]["item"])
    assert not any("不够" in i for i in items[items.theme == "measure"]["item"])
    assert not (items.theme == "carrier").any()
