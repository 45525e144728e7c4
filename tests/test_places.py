"""Place attribution against the national gazetteer, with the rule that decided."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from pipeline.ingest.places import attribute, document_level, load_gazetteer

EXPECTED = {  # (province, city, district) the seeds are about
    "qingdao": ("山东省", "青岛市", "市南区"),
    "mudanjiang": ("黑龙江省", "牡丹江市", "东安区"),
    "harbin": ("黑龙江省", "哈尔滨市", None),
    "dalian": ("辽宁省", "大连市", None),
    "nocity": (None, None, None),  # names no city: must stay unknown
}


@pytest.fixture(scope="module")
def gaz():
    from pipeline.config import RESOURCES

    return load_gazetteer(None, str(RESOURCES / "place_block_phrases.txt"))


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_places_without_manifest(seeds_inferred, name):
    row = seeds_inferred[0].loc[SEEDS[name]]
    got = tuple(None if v != v else v for v in (row.province, row.city, row.district))  # NaN -> None
    assert got == EXPECTED[name]
    if row.city == row.city and row.city:
        assert row.city_source in ("title", "body") and row.place_evidence
    else:
        assert row.city_source == "none"


def test_sources_name_the_rule(seeds_inferred):
    docs = seeds_inferred[0]
    assert docs.loc[SEEDS["mudanjiang"], "district_source"] == "title"  # 东安区 in the title
    assert docs.loc[SEEDS["qingdao"], "district_source"] == "body"  # 市南区 throughout the text
    assert docs.loc[SEEDS["harbin"], "city_source"] == "body"


def test_watermark_address_is_not_evidence(gaz):
    body = (
        "长安街道结合牡丹江市东安区实际情况开展调查。\n"
        "地址：浙江省杭州市上城区金钗袋巷79号 电话：0571-87653630\n"
        * 5
        + "东安区社区党组织建设取得进展，东安区各街道积极参与。"
    )
    a = attribute(gaz, None, body)
    assert (a.province, a.city, a.district) == ("黑龙江省", "牡丹江市", "东安区")
    only_address = "地址：浙江省杭州市上城区金钗袋巷79号 电话：0571-87653630\n社区党建工作要创新。" * 3
    assert attribute(gaz, None, only_address).city is None


def test_ambiguous_district_names_need_a_city(gaz):
    # 朝阳区 is in Beijing and in Changchun: alone it decides nothing
    a = attribute(gaz, "朝阳区社区党建调查", "社区党建工作要创新。")
    assert a.district is None and a.city is None
    b = attribute(gaz, "朝阳区社区党建调查", "长春市朝阳区社区党建工作。长春市各区积极推进。")
    assert (b.city, b.district) == ("长春市", "朝阳区")


def test_block_phrases(gaz):
    assert attribute(gaz, None, "社会长治久安。社会长治久安。维护长治久安。").city is None


def test_cities_2024_by_body_alone(cities_txt, gaz):
    """City accuracy on 72 city reports with no manifest, no title and no file name."""
    right = 0
    wrong = []
    for doc_id, text in cities_txt.text.items():
        a = attribute(gaz, None, text)
        ok = bool(a.city) and a.city.startswith(doc_id)
        right += ok
        if not ok:
            wrong.append((doc_id, a.city))
    accuracy = right / len(cities_txt)
    print(f"city accuracy (body only): {right}/{len(cities_txt)} = {accuracy:.3f}; wrong: {wrong}")
    assert accuracy >= 0.95, wrong


def test_cities_2024_ingest_attribution(cities_txt):
    """Through the whole ingest (file name allowed as evidence) every city is right and its province consistent,
    but for the reports the audit finds are another government's (黄山区's, the county-level 恩施市's): those
    are left without a place, never given the city of their file name."""
    contradicted = cities_txt[cities_txt.city_source == "contradicted"]
    assert set(contradicted.doc_id) == {"黄山", "恩施"}
    assert contradicted.city.isna().all() and contradicted.province.isna().all()
    rest = cities_txt.drop(index=contradicted.index)
    bad = rest[~rest.apply(lambda r: str(r.city).startswith(r.doc_id), axis=1)]
    assert bad.empty, bad[["doc_id", "city", "city_source"]]
    assert set(rest.city_source) <= {"filename", "title", "body"}
    assert rest.province.notna().all()


def test_provincial_reports_get_a_province_not_a_city(provinces):
    docs, _ = provinces
    municipalities = {"北京市", "上海市", "天津市", "重庆市"}
    for row in docs.itertuples():
        assert row.province in row.source_file
        if row.province in municipalities:
            assert row.city == row.province
        else:
            assert row.city != row.city or row.city is None, (row.doc_id, row.city)  # NaN/None
        assert document_level(row.text) in ("province", "city")
