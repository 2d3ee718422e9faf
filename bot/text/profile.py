"""The replaceable conflict profile: parties, actors, issues, places, their aliases in every script, and dated events."""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot.text import normalize as textnorm
from bot.errors import ParleyError

log = logging.getLogger(__name__)

DEFAULT_PROFILE = Path(__file__).resolve().parent / "profiles" / "default.yaml"
KINDS = {"parties": "party", "actors": "actor", "issues": "issue", "places": "place", "outlets": "outlet"}
LANGUAGES = ("en", "zh-Hans", "zh-Hant")



class ProfileError(ParleyError, ValueError):
    """A profile file is missing, not YAML, or breaks the profile schema."""


@dataclass(frozen=True)
class Entity:
    """One named thing of the profile: a party, an actor speaking for one, an issue, or a place."""

    key: str
    kind: str  # "party" | "actor" | "issue" | "place" | "outlet"
    names: dict[str, str]
    aliases: tuple[str, ...]  # every surface form in every script, names included
    party: str | None = None  # actors: the party they speak for
    issue: str | None = None  # places: the issue they belong to
    stems: tuple[str, ...] = ()  # Latin word beginnings that match any ending: "recogni" -> recognize, recognition


@dataclass(frozen=True)
class Mention:
    """One alias occurrence; ``start``/``end`` index the original text, ``surface`` is what it says there."""

    key: str
    kind: str
    start: int
    end: int
    surface: str


class Profile:
    """Everything conflict-specific Parley knows, loaded from one YAML file."""

    def __init__(self, name: str, entities: list[Entity], events: list[tuple[date, list[str]]], source: str = "",
                 ignore: tuple[str, ...] = ()):
        self.name = name
        self.source = source
        self.ignore = ignore
        self.events = sorted(events, key=lambda event: event[0])
        self._entities: dict[str, Entity] = {}
        for entity in entities:
            if entity.key in self._entities:
                raise ProfileError(f"{source}: key {entity.key!r} is used twice")
            self._entities[entity.key] = entity
        by_kind = {kind: {e.key: e for e in entities if e.kind == kind} for kind in KINDS.values()}
        self.parties, self.actors = by_kind["party"], by_kind["actor"]
        self.issues, self.places = by_kind["issue"], by_kind["place"]
        self.outlets = by_kind["outlet"]
        self._check_links()
        self._folded_index, self._exact_index = _build_indexes(entities, ignore)
        self._event_patterns = [(day, [textnorm.fold(label) for label in labels]) for day, labels in self.events]
        textnorm.add_words(alias for e in entities for alias in e.aliases)

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Profile":
        """Read a profile YAML file; None means the bundled default. Raises ProfileError naming the file and the problem."""
        path = Path(path) if path is not None else DEFAULT_PROFILE
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
        except yaml.YAMLError as exc:
            raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: object, source: str = "<profile>") -> "Profile":
        """Build a profile from already parsed YAML data."""
        if not isinstance(data, dict):
            raise ProfileError(f"{source}: a profile is a mapping with 'name', 'parties', 'issues'...")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ProfileError(f"{source}: 'name' is missing or empty")
        unknown = set(data) - set(KINDS) - {"name", "description", "events", "languages", "ignore"}
        if unknown:
            raise ProfileError(f"{source}: unknown section(s) {sorted(unknown)}")
        entities = [
            _parse_entity(key, body, kind, source)
            for section, kind in KINDS.items()
            for key, body in _section(data, section, source).items()
        ]
        if not any(e.kind == "party" for e in entities):
            raise ProfileError(f"{source}: 'parties' must name at least one party")
        events = _parse_events(data.get("events") or [], source)
        ignore = tuple(_all_scripts(_string_list(data.get("ignore") or [], f"{source}: 'ignore'")))
        profile = cls(name.strip(), entities, events, source, ignore)
        log.info("loaded profile %r from %s: %s entities", profile.name, source, len(entities))
        return profile

    @property
    def fingerprint(self) -> str:
        """A digest of everything that decides what the profile finds in a text: equal profiles, equal digests."""
        content = repr((self.name, sorted(map(repr, self._entities.values())), self.events, self.ignore))
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    def find(self, text: str) -> list[Mention]:
        """Every alias occurrence in ``text``, any script, longest match first, ordered by position."""
        folded, folded_origin = textnorm.fold_with_offsets(text)
        exact, exact_origin = _nfkc_with_offsets(text)
        spans = [(folded_origin[s], folded_origin[e - 1] + 1, key) for s, e, key in self._folded_index.scan(folded)]
        spans += [(exact_origin[s], exact_origin[e - 1] + 1, key) for s, e, key in self._exact_index.scan(exact)]
        spans.sort(key=lambda span: (span[0], span[0] - span[1]))
        mentions: list[Mention] = []
        taken_until = -1
        for start, end, key in spans:
            if start < taken_until:
                continue
            taken_until = end  # an ignored form ("美元") still hides the shorter alias inside it
            if key:
                entity = self._entities[key]
                mentions.append(Mention(key, entity.kind, start, end, text[start:end]))
        return mentions

    def _check_links(self) -> None:
        for entity in self._entities.values():
            if entity.party is not None and entity.party not in self.parties:
                raise ProfileError(f"{self.source}: actor {entity.key!r} speaks for unknown party {entity.party!r}")
            if entity.issue is not None and entity.issue not in self.issues:
                raise ProfileError(f"{self.source}: place {entity.key!r} belongs to unknown issue {entity.issue!r}")
            if entity.kind == "place" and entity.issue is None:
                raise ProfileError(f"{self.source}: place {entity.key!r} needs an 'issue'")

    def party_of(self, key: str) -> str | None:
        """The party a party or actor speaks for; None for issues, places and unknown keys."""
        entity = self._entities.get(key)
        if entity is None:
            return None
        if entity.kind == "party":
            return entity.key
        return entity.party

    def issue_of(self, key: str) -> str | None:
        """The issue an issue or place belongs to; None otherwise."""
        entity = self._entities.get(key)
        if entity is None:
            return None
        return entity.key if entity.kind == "issue" else entity.issue

    def expand(self, key: str) -> list[str]:
        """All surface forms of an entity in every script, for cross-lingual query expansion."""
        return list(self.entity(key).aliases)

    def display(self, key: str, language: str) -> str:
        """The entity's name for readers of ``language`` (en, zh-Hans, zh-Hant); falls back sensibly."""
        names = self.entity(key).names
        if language in names:
            return names[language]
        if language.startswith("zh"):
            chinese = names.get("zh-Hans") or names.get("zh-Hant")
            if chinese:
                convert = textnorm.to_traditional if language in ("zh-Hant", "zh-TW", "zh-HK") else textnorm.to_simplified
                return convert(chinese)
        return names.get("en") or key

    def entity(self, key: str) -> Entity:
        """The entity with this key; KeyError names the profile when there is none."""
        try:
            return self._entities[key]
        except KeyError:
            raise KeyError(f"profile {self.name!r} has no entity {key!r}") from None

    def entities(self) -> list[Entity]:
        """All entities, in file order."""
        return list(self._entities.values())

    def event_dates(self, text: str) -> list[date]:
        """Dates of the profile's events that ``text`` refers to (by any of their labels)."""
        folded = textnorm.fold(text)
        return [day for day, labels in self._event_patterns if any(label in folded for label in labels)]


def _section(data: dict, section: str, source: str) -> dict:
    body = data.get(section) or {}
    if not isinstance(body, dict):
        raise ProfileError(f"{source}: '{section}' must be a mapping of key -> entry")
    return body


def _parse_entity(key: object, body: object, kind: str, source: str) -> Entity:
    where = f"{source}: {kind} {key!r}"
    if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+", key):
        raise ProfileError(f"{where}: keys are lowercase ascii words (a-z, 0-9, _)")
    if not isinstance(body, dict):
        raise ProfileError(f"{where}: entry must be a mapping with 'names' and 'aliases'")
    names = body.get("names")
    if not isinstance(names, dict) or not names.get("en") or not all(isinstance(v, str) for v in names.values()):
        raise ProfileError(f"{where}: 'names' must map languages to strings and include 'en'")
    aliases = _string_list(body.get("aliases", []), f"{where}: 'aliases'")
    stems = _string_list(body.get("stems", []), f"{where}: 'stems'")
    link = {"actor": "party", "place": "issue"}.get(kind)
    unexpected = set(body) - {"names", "aliases", "stems", "party", "issue", "note"}
    if unexpected:
        raise ProfileError(f"{where}: unknown field(s) {sorted(unexpected)}")
    return Entity(
        key=key,
        kind=kind,
        names=dict(names),
        aliases=_all_scripts([*names.values(), *aliases]),
        party=body.get("party") if link == "party" else None,
        issue=body.get("issue") if link == "issue" else None,
        stems=tuple(s.lower() for s in stems),
    )


def _string_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ProfileError(f"{where} must be a list of strings")
    return [str(v).strip() for v in value if str(v).strip()]


def _all_scripts(aliases: list[str]) -> tuple[str, ...]:
    """Aliases plus the other Chinese script of each, deduplicated in order."""
    seen: dict[str, None] = {}
    for alias in aliases:
        for form in (alias, textnorm.to_simplified(alias), textnorm.to_traditional(alias)):
            seen.setdefault(form, None)
    return tuple(seen)


def _parse_events(value: object, source: str) -> list[tuple[date, list[str]]]:
    if not isinstance(value, list):
        raise ProfileError(f"{source}: 'events' must be a list of {{date, labels}}")
    events = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("date"), date):
            raise ProfileError(f"{source}: event {item!r} needs a 'date' written as YYYY-MM-DD")
        labels = _string_list(item.get("labels", []), f"{source}: event {item['date']} 'labels'")
        if not labels:
            raise ProfileError(f"{source}: event {item['date']} has no labels")
        events.append((item["date"], list(_all_scripts(labels))))
    return events


def _is_acronym(alias: str) -> bool:
    """All-capital Latin aliases ("US", "UN", "EU") match case-sensitively, so "us" and "un" stay words."""
    letters = [ch for ch in alias if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isascii() and ch.isupper() for ch in letters)


def _is_latin(ch: str) -> bool:
    """A letter or digit of an alphabetic script (Latin, Greek, Cyrillic): the stuff words are made of."""
    return ch.isalnum() and (ch.isascii() or "\u00c0" <= ch <= "\u04ff")


class _AliasIndex:
    """Longest-match lookup of surface forms in a text: a dict per first character, tried longest first.

    Latin forms must start and end on word boundaries and may take a plural -s/-es;
    stems match the beginning of a word and take the whole word. Chinese has no boundaries.
    A form mapped to "" (an ignored form) is found, so it hides shorter forms, but names nothing.
    """

    def __init__(self, forms: dict[str, str], stems: dict[str, str] | None = None, plurals: bool = True):
        self.forms = forms
        self.stems = stems or {}
        self.plurals = plurals
        self._lengths: dict[str, list[int]] = {}
        for form in list(forms) + list(self.stems):
            self._lengths.setdefault(form[0], []).append(len(form))
        for first, lengths in self._lengths.items():
            self._lengths[first] = sorted(set(lengths), reverse=True)

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, key) matches; of overlapping ones the longest wins, then the leftmost."""
        found, i = [], 0
        while i < len(text):
            match = self._match_from(text, i)
            if match is None:
                i += 1
                continue
            # "the ministry spokesman": a longer alias starting inside this match takes precedence.
            longer = (self._match_from(text, j) for j in range(match[0] + 1, match[1]))
            better = next((m for m in longer if m and m[1] - m[0] > match[1] - match[0]), None)
            if better is not None:
                match = better
            found.append(match)
            i = match[1]
        return found

    def _match_from(self, text: str, i: int) -> tuple[int, int, str] | None:
        lengths = self._lengths.get(text[i])
        if lengths is None or (_is_latin(text[i]) and i > 0 and _is_latin(text[i - 1])):
            return None
        return self._match_at(text, i, lengths)

    def _match_at(self, text: str, i: int, lengths: list[int]) -> tuple[int, int, str] | None:
        for length in lengths:
            candidate = text[i:i + length]
            if len(candidate) < length:
                continue
            key = self.forms.get(candidate)
            if key is not None:
                end = self._word_end(text, i + length, candidate)
                if end is not None:
                    return i, end, key
            key = self.stems.get(candidate)
            if key is not None:
                end = i + length
                while end < len(text) and _is_latin(text[end]):
                    end += 1
                return i, end, key
        return None

    def _word_end(self, text: str, end: int, form: str) -> int | None:
        """Where a match of ``form`` ending at ``end`` really ends, or None if it stops mid-word."""
        if not _is_latin(form[-1]):
            return end
        candidates = [end + 2, end + 1, end] if self.plurals and form[-1].isalpha() else [end]
        for stop in candidates:
            if stop > len(text) or (stop != end and text[end:stop] not in ("s", "es")):
                continue
            if stop == len(text) or not _is_latin(text[stop]):
                return stop
        return None


def _build_indexes(entities: list[Entity], ignore: tuple[str, ...] = ()) -> tuple[_AliasIndex, _AliasIndex]:
    """One index for folded text, one for case-sensitive acronyms in unfolded text."""
    folded_forms: dict[str, str] = {textnorm.fold(form): "" for form in ignore}
    exact_forms: dict[str, str] = {}
    stems: dict[str, str] = {}
    for entity in entities:
        for alias in entity.aliases:
            if _is_acronym(alias):
                exact_forms.setdefault(unicodedata.normalize("NFKC", alias), entity.key)
            else:
                folded_forms.setdefault(textnorm.fold(alias), entity.key)
        for stem in entity.stems:
            stems.setdefault(textnorm.fold(stem), entity.key)
    return _AliasIndex(folded_forms, stems), _AliasIndex(exact_forms, plurals=False)


def _nfkc_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFKC without case folding (for case-sensitive acronyms), mapped back to original indices."""
    pieces = [unicodedata.normalize("NFKC", ch) for ch in text]
    return "".join(pieces), [i for i, piece in enumerate(pieces) for _ in piece]
