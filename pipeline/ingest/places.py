"""Places: which province, city and district a document is about.

The gazetteer is the national administrative-division table (adcode, name,
longitude, latitude) shipped as a data file by the ``cpca`` package — all
of China's provinces, prefecture-level divisions and counties.  A researcher
can pass their own table with the same columns (``places.gazetteer`` in
params.yaml).

Attribution looks at evidence in order and records which rule decided:
``title`` (a place named in the title), ``filename`` (a file named after a
place, as in ``杭州.txt``), ``body`` (the place the text keeps naming).
Addresses, phone numbers and postcodes are not evidence: lines carrying
contact cues are ignored, and the cleaner has already removed watermarks and
footers.  When the evidence is thin or split, the field stays null.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "自治州直辖县级行政区划"}
MUNICIPALITIES = {"11", "12", "31", "50"}  # Beijing, Tianjin, Shanghai, Chongqing
CONTACT_CUES = re.compile(r"地址|电话|传真|邮编|邮政编码|Email|E-mail|网址|www\.|QQ")


@dataclass(frozen=True)
class Place:
    code: str  # 6-digit adcode
    name: str
    level: str  # province | city | district
    province: str  # name of its province
    city: str | None  # name of its prefecture-level city (None for provinces)
    lon: float | None = None
    lat: float | None = None


@dataclass
class Attribution:
    province: str | None = None
    city: str | None = None
    district: str | None = None
    province_source: str = "none"
    city_source: str = "none"
    district_source: str = "none"
    adcode: str | None = None
    evidence: str = ""  # e.g. "title:东安区" or "body:青岛市×5,大连市×1"
    mentions: str = ""  # the cities the body names most, "青岛市×25,济南市×2" (read by the corpus audit)


def default_gazetteer_path() -> Path:
    """adcodes.csv inside the installed cpca package (found without importing it)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the gazetteer package 'cpca' is not installed (see requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"


def _nations(path: Path) -> list[str]:
    f = path.parent / "56_nations.csv"
    if not f.exists():
        return []
    names = [line.strip().split(",")[-1] for line in f.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return sorted({n for n in names if n.endswith("族")}, key=len, reverse=True)


def short_name(name: str, level: str, nations: list[str]) -> str | None:
    """The name as reports often write it: 黑龙江省→黑龙江, 凉山彝族自治州→凉山, 青岛市→青岛."""
    s = name
    if level == "province":
        s = re.sub(r"(省|市|特别行政区|自治区)$", "", s)
        for n in nations:
            s = s.replace(n, "") if s.endswith(n) else s
        s = re.sub(r"(壮族|回族|维吾尔)$", "", s)
    elif level == "city":
        s = re.sub(r"(市|地区|盟)$", "", s)
        if s.endswith("自治州"):
            s = s[:-3]
            changed = True
            while changed:
                changed = False
                for n in nations:
                    if s.endswith(n) and len(s) > len(n) + 1:
                        s, changed = s[: -len(n)], True
    else:
        return None  # county names are too ambiguous without their suffix
    return s if len(s) >= 2 and s != name else None


class Gazetteer:
    def __init__(self, path: Path | None = None, block_phrases: list[str] | None = None):
        self.path = Path(path) if path else default_gazetteer_path()
        nations = _nations(self.path)
        rows = list(csv.DictReader(self.path.open(encoding="utf-8")))
        names: dict[str, str] = {}
        for r in rows:
            names[r["adcode"][:6]] = r["name"]
        self.places: dict[str, Place] = {}
        for r in rows:
            code, name = r["adcode"][:6], r["name"].strip()
            if name in PLACEHOLDERS:
                continue
            prov = names.get(code[:2] + "0000", "")
            if code.endswith("0000"):
                level, city = "province", None
            elif code.endswith("00") or code[2:4] == "90":
                # a prefecture-level city, or a county-level city run by the province (天门市)
                level, city = "city", name
            else:
                level = "district"
                city = names.get(code[:4] + "00")
                if city in PLACEHOLDERS or city is None:
                    city = prov if code[:2] in MUNICIPALITIES else None
            lon = float(r["longitude"]) if r.get("longitude") else None
            lat = float(r["latitude"]) if r.get("latitude") else None
            self.places[code] = Place(code, name, level, prov, city, lon, lat)
        self.by_surface: dict[str, list[tuple[Place, bool]]] = defaultdict(list)
        self.surfaces: dict[str, set[str]] = defaultdict(set)  # a place's name → how texts write it
        for p in self.places.values():
            self.by_surface[p.name].append((p, True))
            self.surfaces[p.name].add(p.name)
            s = short_name(p.name, p.level, nations)
            if s:
                self.by_surface[s].append((p, False))
                self.surfaces[p.name].add(s)
        self.automaton = ahocorasick.Automaton()
        for surface in self.by_surface:
            self.automaton.add_word(surface, surface)
        self.automaton.make_automaton()
        # stretches of characters that occur in place names, long enough to hold one (see mentions)
        letters = "".join(sorted({c for surface in self.by_surface for c in surface}))
        shortest = min((len(s) for s in self.by_surface), default=1)
        self.name_runs = re.compile(f"[{re.escape(letters)}]{{{shortest},}}") if letters else None
        self.block = ahocorasick.Automaton()
        for phrase in block_phrases or []:
            self.block.add_word(phrase, len(phrase))
        if block_phrases:
            self.block.make_automaton()
        self.has_block = bool(block_phrases)

    def city_of(self, p: Place) -> Place | None:
        if p.level == "city":
            return p
        if p.level == "province" and p.code[:2] in MUNICIPALITIES:
            return p
        if p.level == "district":
            if p.code[:2] in MUNICIPALITIES:
                return self.places.get(p.code[:2] + "0000")
            return self.places.get(p.code[:4] + "00")
        return None

    def province_of(self, p: Place) -> Place | None:
        return self.places.get(p.code[:2] + "0000")

    def mentions(self, text: str) -> list[tuple[int, int, str, list[tuple[Place, bool]]]]:
        """Leftmost-longest place mentions: (start, end, surface, candidates).

        A character that is in no place name sends the automaton back to its start with no match pending, so
        only the stretches of name characters long enough to hold a name are scanned, each with the character
        after it (before which the automaton decides as it does in the whole text, and not always as it does
        at the end of a text): the same mentions, faster, as the automaton's cost is per character and most
        characters of a text are in no place name."""
        blocked: set[int] = set()
        if self.has_block:
            for end, length in self.block.iter(text):
                blocked.update(range(end - length + 1, end + 1))
        out: list[tuple[int, int, str, list[tuple[Place, bool]]]] = []
        if self.name_runs is None:
            return out
        for run in self.name_runs.finditer(text):
            offset = run.start()
            stretch = text[offset : run.end() + 1]
            for run_end, surface in self.automaton.iter_long(stretch):  # leftmost-longest, non-overlapping
                end = offset + run_end
                start = end - len(surface) + 1
                if blocked and any(i in blocked for i in range(start, end + 1)):
                    continue
                out.append((start, end + 1, surface, self.by_surface[surface]))
        return out


@lru_cache(maxsize=4)
def place_words(path: str | None) -> frozenset[str]:
    """Every way the gazetteer's places are written (青岛市, 青岛), and each county's or district's name without its
    level (天柱县 → 天柱, 六枝特区 → 六枝): what tells a name of its own inside a park's or zone's name."""
    gaz = load_gazetteer(path, None)
    words = set(gaz.by_surface)
    for p in gaz.places.values():
        m = COUNTY_LEVEL.match(p.name)
        if m:
            words.add(m.group(1))
    return frozenset(words)


COUNTY_LEVEL = re.compile(r"^(.{2,}?)(?:特区|林区|自治县|自治旗|县|区|市|旗)$")


@lru_cache(maxsize=4)
def load_gazetteer(path: str | None, block_file: str | None) -> Gazetteer:
    phrases = []
    if block_file and Path(block_file).exists():
        phrases = [
            ln.strip()
            for ln in Path(block_file).read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
    return Gazetteer(Path(path) if path else None, phrases)


def _votes(gaz: Gazetteer, text: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Count mentions per province, city and district code in text."""
    prov: Counter[str] = Counter()
    city: Counter[str] = Counter()
    dist: Counter[str] = Counter()
    for line in text.split("\n"):
        if CONTACT_CUES.search(line):
            continue  # an address or phone line says where a host sits, not what the text is about
        for _start, end, _surface, cands in gaz.mentions(line):
            if end < len(line) and line[end : end + 1] in "路街道巷村镇乡" and not any(full for _, full in cands):
                continue  # 中山路, 长安街 — a street named after a place
            levels = {p.level for p, _ in cands}
            provinces = [p for p, _ in cands if p.level == "province"]
            if provinces and not (line[end : end + 1] == "市" and "city" in levels):
                for p in provinces:  # 吉林 alone is the province
                    prov[p.code] += 1
                continue
            cities = [p for p, _ in cands if p.level == "city"]
            if cities:
                for p in cities:
                    city[p.code] += 1 / len(cities)  # type: ignore[assignment]  # fractional votes; typeshed says int
                continue
            dists = [p for p, _ in cands if p.level == "district"]
            for p in dists:
                dist[p.code] += 1 / len(dists)  # type: ignore[assignment]  # fractional votes; typeshed says int
    return prov, city, dist


LEVEL_MARKERS = {
    # only the forms a text uses of itself; a city report also writes 全省 (全省第一) and 省委
    "province": re.compile(r"我省|本省|我自治区|全自治区|[我全]区各族|代表(?:省|自治区)人民政府|代表(?:省|自治区)政府"),
    "city": re.compile(
        r"我市|本市|全市|我州|本州|全州|我盟|全盟|代表(?:市|州|盟)人民政府|代表(?:市|州)政府|代表(?:行署|行政公署)"
    ),
}


def document_level(text: str) -> str | None:
    """The level a text speaks from: a provincial report says 我省 and
    "我代表省人民政府", a city's 我市/全市.  None when it says neither."""
    p = len(LEVEL_MARKERS["province"].findall(text))
    c = len(LEVEL_MARKERS["city"].findall(text))
    if p and p >= c:
        return "province"
    if c:
        return "city"
    return None


def attribute(  # noqa: C901 - the rules are read top to bottom in the order they decide; see the docstring
    gaz: Gazetteer,
    title: str | None,
    body: str,
    filename_stem: str | None = None,
    min_mentions: int = 2,
    dominance: float = 1.5,
    district_min: int = 3,
    district_share: float = 0.6,
) -> Attribution:
    """Decide province/city/district and say which rule decided each."""
    a = Attribution()
    counted: list[tuple[Counter[str], Counter[str], Counter[str]]] = []

    def body_votes() -> tuple[Counter[str], Counter[str], Counter[str]]:
        if not counted:  # the body is scanned once, whatever the rules below ask
            counted.append(_votes(gaz, body))
        prov, city, dist = counted[0]
        return Counter(prov), Counter(city), Counter(dist)

    def resolve_from(text: str, source: str) -> bool:
        prov, city, dist = _votes(gaz, text)
        # a district named in a title pins its city (unambiguous names only)
        dist_unique = [c for c in dist if len(gaz.by_surface[gaz.places[c].name]) == 1]
        if city:
            code = max(city, key=lambda c: (city[c], c))
            p = gaz.places[code]
            a.city, a.city_source, a.adcode = p.name, source, p.code
            province = gaz.province_of(p)
            assert province is not None  # every place's province is in the table
            a.province, a.province_source = province.name, source
            a.evidence = f"{source}:{p.name}"
            in_city = [c for c in dist_unique if gaz.places[c].city == p.name]
            if in_city:
                d = gaz.places[max(in_city, key=lambda c: (dist[c], c))]
                a.district, a.district_source, a.adcode = d.name, source, d.code
            return True
        if dist_unique:
            best = max(dist_unique, key=lambda c: (dist[c], c))
            if True:  # the name is unique in China, so it pins city and province
                d = gaz.places[best]
                c = gaz.city_of(d)
                a.district, a.district_source, a.adcode = d.name, source, d.code
                if c:
                    a.city, a.city_source = c.name, source
                province = gaz.province_of(d)
                assert province is not None  # every place's province is in the table
                a.province, a.province_source = province.name, source
                a.evidence = f"{source}:{d.name}"
                return True
        if prov:
            code = max(prov, key=lambda c: (prov[c], c))
            p = gaz.places[code]
            a.province, a.province_source = p.name, source
            if code[:2] in MUNICIPALITIES:
                a.city, a.city_source = p.name, source
            a.evidence = f"{source}:{p.name}"
        return False

    if title and resolve_from(title, "title"):
        pass
    elif filename_stem and (exact := _exact_place(gaz, filename_stem)):
        resolve_from(exact, "filename")
    level = document_level(body)
    if a.city is None and level == "province" and a.province is None:
        prov, _, _ = body_votes()
        if prov:  # a provincial text: the province it keeps naming, no city
            code = max(prov, key=lambda c: (prov[c], c))
            a.province, a.province_source = gaz.places[code].name, "body"
            a.evidence = f"body:{gaz.places[code].name}×{prov[code]}"
    if a.city is None and level != "province":
        prov, city, dist = body_votes()
        # districts of a city count towards it
        for code, n in dist.items():
            c = gaz.city_of(gaz.places[code])
            cands = sum(1 for p, _ in gaz.by_surface[gaz.places[code].name])
            if c and cands == 1:
                city[c.code] += 0.5 * n  # type: ignore[assignment]  # fractional votes; typeshed says int
        if a.province:  # a province from the title limits the cities
            city = Counter({c: n for c, n in city.items() if gaz.places[c].province == a.province})
        # municipalities are provinces in the table; as cities they compete too
        for code, n in prov.items():
            if code[:2] in MUNICIPALITIES:
                city[code] += n
        ranked = city.most_common()
        if ranked and ranked[0][1] >= min_mentions and (len(ranked) == 1 or ranked[0][1] >= dominance * ranked[1][1]):
            p = gaz.places[ranked[0][0]]
            a.city, a.city_source = p.name, "body"
            a.adcode = a.adcode or p.code
            if a.province is None:
                province = gaz.province_of(p)
                assert province is not None  # every place's province is in the table
                a.province, a.province_source = province.name, "body"
            a.evidence = "body:" + ",".join(f"{gaz.places[c].name}×{n:g}" for c, n in ranked[:3])
        elif a.province is None and prov:
            pr = prov.most_common()
            if pr[0][1] >= min_mentions and (len(pr) == 1 or pr[0][1] >= dominance * pr[1][1]):
                a.province, a.province_source = gaz.places[pr[0][0]].name, "body"
                a.evidence = "body:" + ",".join(f"{gaz.places[c].name}×{n:g}" for c, n in pr[:3])
    if a.city and a.district is None and title:
        # a district name shared by several cities (朝阳区) decides once the city is known
        _, _, tdist = _votes(gaz, title)
        in_city = sorted(c for c in tdist if gaz.places[c].city == a.city)
        if in_city:
            a.district, a.district_source, a.adcode = gaz.places[in_city[0]].name, "title", in_city[0]
    if a.city and a.district is None:
        _, _, dist = body_votes()
        votes_in_city = {
            c: n
            for c, n in dist.items()
            if gaz.places[c].city == a.city
            or (gaz.places[c].code[:2] in MUNICIPALITIES and gaz.places[c].province == a.city)
        }
        total = sum(votes_in_city.values())
        if votes_in_city:
            best = max(votes_in_city, key=lambda c: (votes_in_city[c], c))
            if votes_in_city[best] >= district_min and votes_in_city[best] >= district_share * total:
                a.district, a.district_source = gaz.places[best].name, "body"
                a.adcode = gaz.places[best].code
    prov, city, _ = body_votes()
    for code, n in prov.items():  # municipalities are cities too
        if code[:2] in MUNICIPALITIES:
            city[code] += n
    ranked = sorted(city.items(), key=lambda kv: (-kv[1], gaz.places[kv[0]].name))[:5]
    a.mentions = ",".join(f"{gaz.places[c].name}×{n:g}" for c, n in ranked)
    return a


def _exact_place(gaz: Gazetteer, stem: str) -> str | None:
    """A file stem that is exactly a place name (full or short), else None."""
    stem = stem.strip()
    return stem if stem in gaz.by_surface else None
