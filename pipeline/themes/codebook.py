"""The codebook: themes, their labels and cues, canonical items.

``load_codebook(path)`` reads the YAML and validates it; any problem raises
:class:`CodebookError` naming the entry ("themes.mechanism.suffixes[2]: …").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from ..errors import PipelineError

LIST_FIELDS = (
    "heading_cues",
    "cue_words",
    "suffixes",
    "item_patterns",
    "passage_cues",
    "passage_end",
    "generic",
    "section_words",
    "admission_cues",
    "remedy_words",
    "concession_words",
    "frame_words",
    "passage_weak_cues",
    "passage_overcome",
    "action_verbs",
    "aim_verbs",
    "aim_heads",
    "not_actions",
    "excluded_heads",
    "quoted_heads",
    "heading_remedies",
    "frame_patterns",
    "section_cues",
    "plain_admission_genres",
)


# where a clause ends (compiled once: every sentence of a document is tested)
CLAUSE_MARKS = re.compile(r"[，,；;：:。！？!?]")


class CodebookError(PipelineError, ValueError):
    """A codebook that cannot be used; the message names the entry."""


@dataclass
class Theme:
    name: str
    label_zh: str
    label_en: str
    heading_cues: list[str] = field(default_factory=list)
    cue_words: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    item_patterns: list[re.Pattern] = field(default_factory=list)
    passage_cues: list[str] = field(default_factory=list)
    passage_end: list[str] = field(default_factory=list)
    generic: set[str] = field(default_factory=set)
    section_words: list[str] = field(default_factory=list)
    admission_cues: list[str] = field(default_factory=list)
    remedy_words: list[str] = field(default_factory=list)
    concession_words: list[str] = field(default_factory=list)
    frame_words: list[str] = field(default_factory=list)
    passage_weak_cues: list[str] = field(default_factory=list)
    passage_overcome: list[str] = field(default_factory=list)
    action_verbs: list[str] = field(default_factory=list)
    aim_verbs: list[str] = field(default_factory=list)
    aim_heads: list[str] = field(default_factory=list)
    not_actions: list[str] = field(default_factory=list)
    excluded_heads: list[str] = field(default_factory=list)
    frame_patterns: list[re.Pattern] = field(default_factory=list)
    section_cues: list[str] = field(default_factory=list)
    colour: str = "#999999"
    hatch: str = ""
    quoted_heads: list[str] = field(default_factory=list)  # an item with this head names itself in quotes
    heading_remedies: list[str] = field(default_factory=list)  # a heading cue after one of these is a remedy
    plain_admission_genres: list[str] = field(default_factory=list)  # genres that admit without conceding

    def frames(self, clause: str) -> bool:
        """A clause that only frames an admission, or states national or global conditions."""
        return any(rx.search(clause) for rx in self.frame_patterns) or clause.startswith(tuple(self.frame_words))

    def opens_passage(self, sentence: str) -> bool:
        """A sentence that opens an admission of problems."""
        for clause in CLAUSE_MARKS.split(sentence):
            # a cue inside a remedy (聚焦短板弱项, 补齐县城短板弱项) opens nothing
            if any(c in clause for c in self.passage_cues) and not any(w in clause for w in self.remedy_words):
                return True
        return (
            any(c in sentence for c in self.passage_weak_cues)
            and any(c in sentence for c in self.concession_words)
            and not any(c in sentence for c in self.passage_overcome)
        )


@dataclass
class Phrases:
    """The word lists that trim and delimit items."""

    lead_verbs: re.Pattern  # adverb + verb at the start of a mechanism or carrier
    lead_conjunctions: re.Pattern
    stop_words: frozenset[str]  # a noun phrase does not extend over these
    nominal_pos: frozenset[str]  # POS tags that may stand inside a noun phrase
    subjects: tuple[str, ...] = ()  # set aside before a measure's verb (longest first)
    manner_adverbs: tuple[str, ...] = ()  # outside a measure's span (longest first)
    prepositions: tuple[str, ...] = ()  # a measure may open with one (为社区党组织提供…)


PHRASE_FIELDS = (
    "prepositions",
    "lead_adverbs",
    "lead_verbs",
    "lead_conjunctions",
    "stop_words",
    "nominal_pos",
    "subjects",
    "manner_adverbs",
)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in words)


def parse_phrases(data, source: str) -> Phrases:
    data = data or {}
    if not isinstance(data, dict):
        raise CodebookError(f"{source}.phrases: must be a mapping of word lists")
    bad = set(data) - set(PHRASE_FIELDS)
    if bad:
        raise CodebookError(f"{source}.phrases: unknown key(s) {sorted(bad)} (known: {', '.join(PHRASE_FIELDS)})")
    lists = {k: _strings(data.get(k), f"phrases.{k}") for k in PHRASE_FIELDS}
    verbs = (
        rf"^(?:{_alternation(lists['lead_adverbs'])}|)(?:{_alternation(lists['lead_verbs'])})"
        if lists["lead_verbs"]
        else r"(?!)"
    )
    conj = rf"^(?:{_alternation(lists['lead_conjunctions'])})" if lists["lead_conjunctions"] else r"(?!)"

    def longest_first(words):
        return tuple(sorted(set(words), key=lambda w: (-len(w), w)))

    return Phrases(
        re.compile(verbs),
        re.compile(conj),
        frozenset(lists["stop_words"]),
        frozenset(lists["nominal_pos"]),
        longest_first(lists["subjects"]),
        longest_first(lists["manner_adverbs"]),
        tuple(lists["prepositions"]),
    )


@dataclass(eq=False)  # hashed by identity: the rules memoise their answers per codebook (read once, never changed)
class Codebook:
    themes: dict[str, Theme]
    precedence: list[str]
    canonical: dict[str, str]  # alias -> canonical name
    version: str
    sha256: str
    neutral_intro: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    phrases: Phrases = field(default_factory=lambda: parse_phrases({}, "codebook"))

    def colour(self, theme: str) -> str:
        return self.themes[theme].colour if theme in self.themes else "#999999"

    def label(self, theme: str, lang: str = "zh") -> str:
        t = self.themes[theme]
        return t.label_en if lang == "en" else t.label_zh

    @cached_property
    def _aliases(self) -> re.Pattern:
        """Any alias, in one expression: most items hold none, and need no look at each alias."""
        words = sorted(self.canonical, key=len, reverse=True)
        return re.compile("|".join(re.escape(w) for w in words)) if words else re.compile(r"(?!)")

    def canonical_of(self, item: str) -> str:
        """The canonical name of an item: an alias equal to it, else the longest alias inside it."""
        if item in self.canonical:
            return self.canonical[item]
        if not self._aliases.search(item):
            return item
        inside = [a for a in self.canonical if a in item]
        return self.canonical[max(inside, key=len)] if inside else item


def _strings(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CodebookError(f"{where}: must be a list of strings, got {type(value).__name__}")
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            raise CodebookError(f"{where}[{i}]: must be a non-empty string, got {v!r}")
    return [v.strip() for v in value]


def parse_codebook(  # noqa: C901 - one validation step per key, each naming the bad entry
    data: dict, source: str = "codebook", sha: str = ""
) -> Codebook:
    if not isinstance(data, dict):
        raise CodebookError(f"{source}: must be a mapping with 'themes'")
    unknown = set(data) - {"version", "themes", "precedence", "canonical", "neutral_intro", "rules", "phrases"}
    if unknown:
        raise CodebookError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, dict) or not raw_themes:
        raise CodebookError(f"{source}: 'themes' must map theme names to their entries")
    themes = {}
    for name, entry in raw_themes.items():
        where = f"themes.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise CodebookError(f"{where}: a theme name is lower-case letters, digits and _ (it is a column name)")
        if not isinstance(entry, dict):
            raise CodebookError(f"{where}: must be a mapping")
        bad = set(entry) - set(LIST_FIELDS) - {"label_zh", "label_en", "colour", "hatch"}
        if bad:
            raise CodebookError(
                f"{where}: unknown key(s) {sorted(bad)} "
                f"(known: label_zh, label_en, colour, hatch, {', '.join(LIST_FIELDS)})"
            )
        for key in ("label_zh", "label_en"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CodebookError(f"{where}.{key}: required, a non-empty string")
        lists = {k: _strings(entry.get(k), f"{where}.{k}") for k in LIST_FIELDS}
        compiled: dict[str, list[re.Pattern]] = {}
        for key in ("item_patterns", "frame_patterns"):
            compiled[key] = []
            for i, p in enumerate(lists[key]):
                try:
                    compiled[key].append(re.compile(p))
                except re.error as e:
                    raise CodebookError(f"{where}.{key}[{i}]: not a valid regular expression ({e})") from e
        patterns = compiled["item_patterns"]
        if not (
            lists["heading_cues"]
            or lists["suffixes"]
            or lists["item_patterns"]
            or lists["passage_cues"]
            or lists["action_verbs"]
        ):
            raise CodebookError(
                f"{where}: needs at least one of heading_cues, suffixes, item_patterns, passage_cues, action_verbs"
            )
        themes[name] = Theme(
            name,
            entry["label_zh"].strip(),
            entry["label_en"].strip(),
            lists["heading_cues"],
            lists["cue_words"],
            lists["suffixes"],
            patterns,
            lists["passage_cues"],
            lists["passage_end"],
            set(lists["generic"]),
            lists["section_words"],
            lists["admission_cues"],
            lists["remedy_words"],
            lists["concession_words"],
            lists["frame_words"],
            lists["passage_weak_cues"],
            lists["passage_overcome"],
            lists["action_verbs"],
            lists["aim_verbs"],
            lists["aim_heads"],
            lists["not_actions"],
            lists["excluded_heads"],
            compiled["frame_patterns"],
            lists["section_cues"],
            quoted_heads=lists["quoted_heads"],
            heading_remedies=lists["heading_remedies"],
            plain_admission_genres=lists["plain_admission_genres"],
        )
        colour = entry.get("colour", "#999999")
        if not (isinstance(colour, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour)):
            raise CodebookError(f"{where}.colour: a colour like '#0072B2', got {colour!r}")
        themes[name].colour, themes[name].hatch = colour, str(entry.get("hatch") or "")
    precedence = _strings(data.get("precedence"), f"{source}.precedence") or list(themes)
    for i, t in enumerate(precedence):
        if t not in themes:
            raise CodebookError(f"precedence[{i}]: '{t}' is not a theme (themes: {', '.join(themes)})")
    precedence += [t for t in themes if t not in precedence]
    canonical: dict[str, str] = {}
    raw_canon = data.get("canonical") or {}
    if not isinstance(raw_canon, dict):
        raise CodebookError("canonical: must map a canonical name to a list of aliases")
    for name, aliases in raw_canon.items():
        for a in [name] + _strings(aliases, f"canonical.{name}"):
            if a in canonical and canonical[a] != name:
                raise CodebookError(f"canonical.{name}: alias '{a}' already belongs to '{canonical[a]}'")
            canonical[a] = name
    neutral = _strings(data.get("neutral_intro"), "neutral_intro")
    from .rules import RULES, default_rules

    rules = _strings(data.get("rules"), f"{source}.rules") or default_rules()
    for i, r in enumerate(rules):
        if r not in RULES:
            raise CodebookError(f"rules[{i}]: '{r}' is not a rule (rules: {', '.join(RULES)})")
    return Codebook(
        themes,
        precedence,
        canonical,
        str(data.get("version", "")),
        sha,
        neutral,
        rules,
        parse_phrases(data.get("phrases"), source),
    )


def load_codebook(path: Path | str) -> Codebook:
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise CodebookError(f"{path}: not readable YAML ({e})") from e
    return parse_codebook(data, str(path), hashlib.sha256(raw).hexdigest())
