"""The position ledger's extraction: who demands, offers, rejects, accepts, conditions or denies what, sentence by sentence.

Rule-based on purpose: stance cues, reporting verbs and attribution marks are generic
language data in ``bot/text/data/stances.yaml``; parties, issues and places come from the
profile. A sentence yields a finding only when it has a stance cue, a party holding
the stance, and an issue the stance is about, so precision stays high.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.text import normalize as textnorm
from bot.text.profile import Profile

log = logging.getLogger(__name__)

STANCES_FILE = Path(__file__).resolve().parent.parent / "text" / "data" / "stances.yaml"
STANCES = ("demands", "offers", "rejects", "accepts", "conditions", "denies")
_WORD = re.compile(r"[\w'’.-]+")
_LATIN_LETTER = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Finding:
    """One party's stance on one issue, as stated in one sentence."""

    party: str
    issue: str
    stance: str  # demands | offers | rejects | accepts | conditions | denies
    sentence_index: int
    quote: str
    speaker: str | None  # actor/party key, or free text for unnamed speakers ("five senior officials")
    attribution: str  # on_record | anonymous | relayed
    relayed_from: str | None
    places: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the cue lexicon

@dataclass(frozen=True)
class _CuePattern:
    stance: str
    pattern: re.Pattern
    party_from_speaker: bool


@dataclass(frozen=True)
class Lexicon:
    """Compiled cues and attribution marks from ``stances.yaml``."""

    cues: tuple[_CuePattern, ...]
    not_cues: re.Pattern
    negated_en: re.Pattern
    negated_zh: re.Pattern
    flip: dict[str, str | None]
    hypothetical: re.Pattern
    conditional: re.Pattern
    clause_breaks: re.Pattern
    prepositions_en: frozenset[str]
    prepositions_zh: tuple[str, ...]
    circumstance_en: frozenset[str]
    circumstance_temporal: frozenset[str]
    circumstance_zh_after: tuple[str, ...]
    pronouns_person: re.Pattern
    pronouns: re.Pattern
    demonstratives: re.Pattern
    reporting: re.Pattern
    relay: tuple[re.Pattern, ...]
    report_words: re.Pattern
    publication: re.Pattern
    anonymous: re.Pattern


def _words_pattern(alternatives: str) -> re.Pattern:
    """Compile alternatives; each Latin alternative is held to word boundaries, Chinese ones are not."""
    return re.compile("|".join(_bounded(part) for part in _split_alternatives(alternatives)))


def _bounded(pattern: str) -> str:
    if re.search(f"[{textnorm.CJK_CHARS}]", pattern):
        return f"(?:{pattern})"
    return rf"(?<![\w'-])(?:{pattern})(?![\w-])"


def _split_alternatives(pattern: str) -> list[str]:
    """Split a regex on its top-level ``|`` only."""
    parts, depth, current, escaped = [], 0, [], False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p]


def _word_set(alternatives: str) -> frozenset[str]:
    return frozenset(alternatives.split("|"))


@functools.lru_cache(maxsize=4)
def load_lexicon(path: Path = STANCES_FILE) -> Lexicon:
    """Read and compile a stance lexicon (the bundled one by default)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cues = []
    for stance, entries in data["stances"].items():
        if stance not in STANCES:
            raise ValueError(f"{path}: unknown stance {stance!r}")
        for entry in entries:
            pattern, from_speaker = (entry["pattern"], entry.get("party") == "speaker") if isinstance(entry, dict) else (entry, False)
            cues.append(_CuePattern(stance, _words_pattern(pattern), from_speaker))
    negation = data["negation"]
    return Lexicon(
        cues=tuple(cues),
        not_cues=_words_pattern("|".join(data["not_cues"])),
        negated_en=re.compile(negation["before_en"]),
        negated_zh=re.compile(negation["before_zh"]),
        flip=dict(negation["flip"]),
        hypothetical=_words_pattern(data["hypothetical"]),
        conditional=_words_pattern(data["conditional"]),
        clause_breaks=re.compile(data["clause_breaks"]),
        prepositions_en=_word_set(data["prepositions_en"]),
        prepositions_zh=tuple(data["prepositions_zh"].split("|")),
        circumstance_en=_word_set(data["circumstance_en"]),
        circumstance_temporal=_word_set(data["circumstance_temporal"]),
        circumstance_zh_after=tuple(data["circumstance_zh_after"].split("|")),
        pronouns_person=_words_pattern(data["pronouns_person"]),
        pronouns=_words_pattern(data["pronouns"]),
        demonstratives=_words_pattern(data["demonstratives"]),
        reporting=_words_pattern(data["reporting"]),
        relay=tuple(_words_pattern(p) for p in data["relay"]),
        report_words=_words_pattern(data["report_words"]),
        publication=_words_pattern(data["publication"]),
        anonymous=_words_pattern(data["anonymous"]),
    )


# --------------------------------------------------------------------------- one sentence, analysed

@dataclass(frozen=True)
class _Mention:
    key: str
    kind: str
    start: int  # offsets into the folded sentence
    end: int
    party: str | None
    issue: str | None


@dataclass(frozen=True)
class _Cue:
    stance: str
    start: int
    end: int
    party_from_speaker: bool
    latin: bool = False  # an English cue (negation and adjacency are counted in words, not characters)


@dataclass(frozen=True)
class _Speaker:
    key: str | None  # actor/party key when named
    text: str  # how the sentence names the speaker
    party: str | None
    anonymous: bool


@dataclass
class _Context:
    """What earlier sentences of the same document leave for pronouns and "the publication"."""

    subject_party: str | None = None
    person: _Speaker | None = None
    issue_mentions: list[_Mention] = field(default_factory=list)
    outlet: str | None = None


class _Sentence:
    """A sentence folded for matching, with its mentions and the stance cues that survive the rules."""

    def __init__(self, text: str, profile: Profile, lexicon: Lexicon):
        self.text = text
        self.lexicon = lexicon
        self.folded, origin = textnorm.fold_with_offsets(text)
        self.mentions = self._mentions(profile, origin)
        self.cues = self._cues()

    def _mentions(self, profile: Profile, origin: list[int]) -> list[_Mention]:
        folded_at = [len(self.folded)] * (len(self.text) + 1)
        for j in range(len(origin) - 1, -1, -1):
            folded_at[origin[j]] = j
        return [_Mention(m.key, m.kind, folded_at[m.start], folded_at[m.end], profile.party_of(m.key), profile.issue_of(m.key))
                for m in profile.find(self.text)]

    # ----- clauses

    def clause_start(self, position: int) -> int:
        starts = [m.end() for m in self.lexicon.clause_breaks.finditer(self.folded, 0, position)]
        return starts[-1] if starts else 0

    def clause_end(self, position: int) -> int:
        match = self.lexicon.clause_breaks.search(self.folded, position)
        return match.start() if match else len(self.folded)

    def has_break(self, start: int, end: int) -> bool:
        return self.lexicon.clause_breaks.search(self.folded[start:end]) is not None

    # ----- cues

    def _cues(self) -> list[_Cue]:
        masked = self.lexicon.not_cues.sub(lambda m: " " * len(m.group()), self.folded)
        found = sorted(((m.start(), m.end(), c) for c in self.lexicon.cues for m in c.pattern.finditer(masked)),
                       key=lambda hit: (hit[0], hit[0] - hit[1]))
        cues, taken_until = [], -1
        for start, end, pattern in found:
            if start >= taken_until:
                taken_until = end
                cues.append(_Cue(pattern.stance, start, end, pattern.party_from_speaker,
                                 bool(_LATIN_LETTER.search(self.folded[start:end]))))
        kept = [cue for cue in map(self._negated, cues) if cue and not self._hypothetical(cue) and not self._nominal(cue)]
        return self._governing(kept)

    def _negated(self, cue: _Cue) -> _Cue | None:
        """The cue turned around by a negator just before it ("not ready to" -> rejects), or dropped."""
        before = self.folded[max(0, cue.start - 40):cue.start]
        if cue.latin:
            negated = self.lexicon.negated_en.search(before)
        else:
            # Chinese negation may govern a run of verbs: 也不能保证……，也不能取消……，很容易迫使……
            negated = self.lexicon.negated_zh.search(before) or self._negated_clause_run(cue)
        if not negated:
            return cue
        flipped = self.lexicon.flip.get(cue.stance)
        return _Cue(flipped, cue.start, cue.end, cue.party_from_speaker, cue.latin) if flipped else None

    def _negated_clause_run(self, cue: _Cue) -> bool:
        run = self.folded[max(self.clause_start(cue.start), cue.start - 30):cue.start]
        return re.search(r"不能|无法|不可能", run) is not None

    def _hypothetical(self, cue: _Cue) -> bool:
        """A cue under "if", "once", "whether", "what"... in its own clause states no position."""
        if cue.stance == "conditions":
            return False
        clause = self.folded[self.clause_start(cue.start):cue.start]
        markers = list(self.lexicon.hypothetical.finditer(clause))
        return bool(markers) and not re.search(r"[,，、]| that ", clause[markers[-1].end():])

    def _nominal(self, cue: _Cue) -> bool:
        """A Chinese noun cue right after an issue names a thing, not a stance: 停火提议 is "a ceasefire proposal"."""
        if cue.latin:
            return False
        return any(m.issue and m.kind == "issue" and 0 <= cue.start - m.end <= 1 for m in self.mentions)

    def _governing(self, cues: list[_Cue]) -> list[_Cue]:
        """Drop cues that belong to another: "rejected demands" (adjacent), "demands that X reject Y" (embedded)."""
        kept: list[_Cue] = []
        for cue in cues:
            if kept and self._adjacent(kept[-1], cue):
                continue
            # what is demanded, made a condition or denied is content, not another stance: "denied reports that X agreed"
            embeds = kept and kept[-1].stance in ("demands", "conditions", "denies") and cue.stance != "conditions"
            if embeds and not self.has_break(kept[-1].end, cue.start):
                continue
            kept.append(cue)
        return kept

    def _adjacent(self, first: _Cue, second: _Cue) -> bool:
        gap = self.folded[first.end:second.start]
        if re.search(r"[,，;；:：]", gap):
            return False
        return len(_WORD.findall(gap)) <= 1 if second.latin else len(gap.strip()) <= 2

    def scope_end(self, cue: _Cue) -> int:
        """Where the matter of a cue ends: the clause end, a parenthesis, a reporting tail, or the next coordinated cue."""
        end = self.clause_end(cue.end)
        for report in self.lexicon.reporting.finditer(self.folded, cue.end, end):
            comma = max(self.folded.rfind(",", cue.end, report.start()), self.folded.rfind("，", cue.end, report.start()))
            if comma != -1:  # "..., the newspaper reported late Tuesday, citing sources from a meeting"
                end = comma
                break
        for later in (c for c in self.cues if c.start > cue.start):
            if re.search(r"[,，;；、]|\band\b|\bor\b|并|而|且|以及", self.folded[cue.end:later.start]):
                end = min(end, later.start)
                break
        opened = self.folded.rfind("(", 0, cue.start)
        if opened > self.folded.rfind(")", 0, cue.start):
            closing = self.folded.find(")", cue.end)
            end = min(end, closing) if closing != -1 else end
        condition = self.lexicon.conditional.search(self.folded, cue.end, end)
        return condition.start() if condition and cue.stance != "conditions" else end

    def condition_span(self, cue: _Cue) -> tuple[int, int] | None:
        """The "if ..." clause that a cue's scope ran into, as (start, end), if any."""
        end = self.scope_end(cue)
        condition = self.lexicon.conditional.match(self.folded, end)
        if condition is None:
            return None
        stop = re.search(r"[,，;；]", self.folded[condition.end():])
        return condition.end(), self.clause_end(condition.end()) if stop is None else condition.end() + stop.start()

    # ----- who

    def phrase_start(self, mention: _Mention) -> int:
        """Where the noun phrase holding ``mention`` starts: runs of adjacent mentions count as one."""
        start = mention.start
        for other in reversed(self.mentions):
            if other.end <= start and re.fullmatch(r"[\s'’s-]{0,3}", self.folded[other.end:start]):
                start = other.start
        return start

    def is_subject_like(self, mention: _Mention) -> bool:
        """True unless the mention is an object (after a preposition) or a modifier ("the A-B call")."""
        if mention.kind not in ("party", "actor"):
            return False
        if re.match(r"-[a-z]", self.folded[mention.end:mention.end + 2]) or self.folded[mention.start - 1:mention.start] == "-":
            return False
        start = self.phrase_start(mention)
        before = self.folded[max(0, start - 30):start]
        if before.endswith(self.lexicon.prepositions_zh):
            return False
        words = [w.strip(".'’\"“”") for w in re.split(r"[,，;；:：()（）]", before)[-1].split()]
        words = [w for w in words if w not in _DETERMINERS]
        return not (words and words[-1] in self.lexicon.prepositions_en)

    def holder_before(self, cue: _Cue) -> _Mention | None:
        """The mention holding the stance: the noun right before a noun cue, else the cue's subject."""
        for mention in reversed(self.mentions):
            if mention.end <= cue.start and re.fullmatch(r"(?:'s)?\s*|的", self.folded[mention.end:cue.start]):
                if mention.kind in ("party", "actor"):
                    return self._coordination_head(mention)
        candidates = [m for m in self.mentions if m.end <= cue.start and self.is_subject_like(m)]
        if not cue.latin:
            initial = [m for m in candidates if self._clause_initial(m)]
            candidates = initial or candidates
        return candidates[-1] if candidates else None

    def _clause_initial(self, mention: _Mention) -> bool:
        start = self.phrase_start(mention)
        lead = re.split(r"[,，;；:：()（）。]", self.folded[max(0, start - 8):start])[-1]
        return len(lead.strip()) <= 6 and not any(m.end <= start and m.start >= start - len(lead) for m in self.mentions)

    def _coordination_head(self, mention: _Mention) -> _Mention:
        """The first of "A and B" when the cue follows the last."""
        for other in reversed(self.mentions):
            if other.end <= mention.start and other.kind in ("party", "actor") \
                    and re.fullmatch(_JOINER, self.folded[other.end:mention.start]):
                return self._coordination_head(other)
        return mention

    def coordinated(self, mention: _Mention, limit: int) -> list[_Mention]:
        """Mentions joined to ``mention`` by "and"/和/与 before ``limit``: "A and B agree"."""
        joined, end = [], mention.end
        for other in self.mentions:
            if other.start >= end and other.end <= limit and other.kind in ("party", "actor"):
                if not re.fullmatch(_JOINER, self.folded[end:other.start]):
                    break
                joined.append(other)
                end = other.end
        return joined

    def starts_with(self, pattern: re.Pattern) -> bool:
        return pattern.match(self.folded.lstrip(" -–—\"“'")) is not None

    # ----- what

    def issue_mentions(self, start: int, end: int) -> list[_Mention]:
        return [m for m in self.mentions if start <= m.start and m.end <= end and m.issue and not self._circumstance(m)]

    def _circumstance(self, mention: _Mention) -> bool:
        """An issue named as the occasion ("during the phone call", 通话中), not the matter at stake."""
        start = self.phrase_start(mention)
        words = re.split(r"[,，;；:：]", self.folded[max(0, start - 40):start])[-1].split()[-4:]
        if mention.kind == "place":
            return any(w in self.lexicon.circumstance_temporal for w in words)
        if self.folded[mention.end:mention.end + 2].startswith(self.lexicon.circumstance_zh_after):
            return True
        return any(w in self.lexicon.circumstance_en for w in words)

    def refers_back(self, start: int, end: int) -> bool:
        return self.lexicon.demonstratives.search(self.folded[start:end]) is not None


_JOINER = r"\s*(?:and|&|和|与|及|、)\s*"
_DETERMINERS = frozenset("a an the its his her their our this that these those".split())


# --------------------------------------------------------------------------- relays and speakers

def _relay(sentence: _Sentence, context: _Context) -> tuple[bool, str | None]:
    """Whether the sentence relays another outlet's report, and which outlet (a profile key) if named."""
    lexicon, folded = sentence.lexicon, sentence.folded
    for pattern in lexicon.relay:
        for match in pattern.finditer(folded):
            source = _source_span(match)
            if source is None:
                return True, None
            outlets = [m for m in sentence.mentions if source[0] <= m.start < source[1] and m.kind == "outlet"]
            if outlets:
                return True, outlets[0].key
            if lexicon.report_words.search(folded[source[0]:source[1]]):
                later = [m for m in sentence.mentions if m.kind == "outlet" and m.start >= source[0]]
                return True, later[0].key if later else None
    for outlet in (m for m in sentence.mentions if m.kind == "outlet"):
        if _reporting_follows(sentence, outlet.end):
            return True, outlet.key
    for match in lexicon.publication.finditer(folded):
        if _reporting_follows(sentence, match.end()):
            return True, context.outlet
    for outlet in (m for m in sentence.mentions if m.kind == "outlet"):
        if re.search(r"(?:told|tells|telling|告诉|对)\s*$", folded[max(0, outlet.start - 8):outlet.start]):
            return False, outlet.key  # "sources told the agency": the outlet heard it first-hand
    return False, None


def _source_span(match: re.Match) -> tuple[int, int] | None:
    named = [name for name, value in match.groupdict().items() if value]
    return (match.start(named[0]), match.end(named[0])) if named else None


def _reporting_follows(sentence: _Sentence, position: int) -> bool:
    window = sentence.folded[position:position + 40]
    match = sentence.lexicon.reporting.search(window)
    if match is None or re.search(r"[,，;；.。]", window[:match.start()]):
        return False
    return len(_WORD.findall(window[:match.start()])) <= 4


def _speaker(sentence: _Sentence, context: _Context) -> _Speaker | None:
    """Who the sentence quotes: "according to X", the subject of its first reporting verb, or "X: ..." headlines."""
    cited = _cited_speaker(sentence)
    if cited is not None:
        return cited
    first = sentence.mentions[0] if sentence.mentions else None
    if first and first.kind in ("party", "actor") and re.fullmatch(r"[\s\"“'-]*(?:the\s+)?", sentence.folded[:first.start]) \
            and re.match(r"\s*[:：]", sentence.folded[first.end:]):
        return _named(sentence, first)
    for match in sentence.lexicon.reporting.finditer(sentence.folded):
        speaker = _speaker_before(sentence, match.start(), context) or _speaker_after(sentence, match)
        if speaker:
            return speaker
    return None


def _cited_speaker(sentence: _Sentence) -> _Speaker | None:
    """The speaker named in "according to X" / "citing X" / 援引X, when X is a person or unnamed sources."""
    for pattern in sentence.lexicon.relay:
        for match in pattern.finditer(sentence.folded):
            source = _source_span(match)
            if source is None:
                continue
            start, end = source
            anonymous = sentence.lexicon.anonymous.search(sentence.folded, start, end)
            inside = [m for m in sentence.mentions if start <= m.start and m.end <= end and m.kind in ("party", "actor")]
            if anonymous:
                return _Speaker(None, _anonymous_phrase(sentence, start, anonymous), _first_party(inside), True)
            if inside and not sentence.lexicon.report_words.search(sentence.folded[start:end]):
                return _named(sentence, inside[0])
    return None


def _speaker_before(sentence: _Sentence, position: int, context: _Context) -> _Speaker | None:
    folded = sentence.folded
    start = max(sentence.clause_start(position), position - 120)
    for mark in (":", "：", " that "):
        cut = folded.rfind(mark, start, position)
        start = max(start, cut + len(mark)) if cut != -1 else start
    inside = [m for m in sentence.mentions if start <= m.start and m.end <= position]
    anonymous = sentence.lexicon.anonymous.search(folded, start, position)
    if anonymous:
        return _Speaker(None, _anonymous_phrase(sentence, start, anonymous), _first_party(inside), True)
    named = [m for m in inside if sentence.is_subject_like(m)]
    if named and position - named[-1].end <= 40:
        return _named(sentence, named[-1])
    if sentence.lexicon.pronouns_person.fullmatch(folded[start:position].strip().split(" ")[-1] or "-"):
        return context.person
    return None


def _speaker_after(sentence: _Sentence, match: re.Match) -> _Speaker | None:
    """Inverted reports: "..., said the minister" or "Quote from the president's spokesman John Doe"."""
    if not _LATIN_LETTER.search(match.group()):
        return None
    following = [m for m in sentence.mentions if m.start >= match.end() and m.kind in ("party", "actor")]
    if not following or not re.fullmatch(r"\s{0,2}", sentence.folded[match.end():sentence.phrase_start(following[0])]) \
            and not re.fullmatch(r"\s*(?:the\s+)?", sentence.folded[match.end():following[0].start]):
        return None
    who = following[0]
    for nxt in following[1:]:  # the name that ends the phrase: "spokesman John Doe"
        if not re.fullmatch(r"[\s'’s-]{0,3}", sentence.folded[who.end:nxt.start]):
            break
        who = nxt
    return _named(sentence, who)


def _named(sentence: _Sentence, mention: _Mention) -> _Speaker:
    return _Speaker(mention.key, sentence.text[mention.start:mention.end], mention.party, False)


def _first_party(mentions: list[_Mention]) -> str | None:
    return next((m.party for m in mentions if m.party), None)


def _anonymous_phrase(sentence: _Sentence, start: int, marker: re.Match) -> str:
    """The few words that name an unnamed speaker: "five current and former officials"."""
    end = marker.end()
    for more in sentence.lexicon.anonymous.finditer(sentence.folded, end, min(len(sentence.folded), end + 12)):
        if re.fullmatch(r"\s?", sentence.folded[end:more.start()]):
            end = more.end()
    lead = sentence.folded[start:marker.start()]
    lead = re.split(r"[,，;；:：(（]", lead)[-1]
    words = lead.split()
    if len(words) > 6 or any(w in ("to", "from", "by", "with") for w in words[-6:][:-1]):
        words = words[-3:]
    begin = marker.start() - len(" ".join(words)) - (1 if words else 0)
    phrase = sentence.text[max(begin, start):end].strip(" ,:;，")
    return re.sub(r"^(?:according to|citing|据|援引)\s*", "", phrase, flags=re.I)


# --------------------------------------------------------------------------- putting it together

def extract_positions(sentences: Sequence[str], profile: Profile, *, cited_agency: str | None = None,
                      lexicon: Lexicon | None = None) -> list[Finding]:
    """Findings for every sentence that has a stance cue, a party holding it and an issue it is about.

    ``sentences`` are one document's sentences in order (pronouns and "the publication" look
    back); ``cited_agency`` is the agency the whole document relays, if any (its display name).
    """
    lexicon = lexicon or load_lexicon()
    context = _Context()
    findings: list[Finding] = []
    for index, text in enumerate(sentences):
        sentence = _Sentence(text, profile, lexicon)
        findings += _sentence_findings(sentence, index, context, profile, cited_agency)
        _remember(sentence, context)
    return findings


def _sentence_findings(sentence: _Sentence, index: int, context: _Context, profile: Profile,
                       cited_agency: str | None) -> list[Finding]:
    if not sentence.cues:
        return []
    relayed, outlet = _relay(sentence, context)
    speaker = _speaker(sentence, context)
    relayed_from = profile.display(outlet, "en") if outlet else cited_agency
    findings, seen, previous = [], set(), None
    for cue in sentence.cues:
        subject = _subject(sentence, cue, previous)
        previous = (cue, subject)
        parties = _holders(sentence, cue, subject, speaker, context)
        if not parties:
            continue
        attribution, who = _attribution(sentence, relayed, speaker, subject)
        stated = [(cue.stance, issues) for issues in [_issues(sentence, cue, subject, context)]]
        condition = sentence.condition_span(cue)
        if condition:  # "open to easing sanctions if the other side agrees to a ceasefire": a condition
            stated.append(("conditions", _group(sentence.issue_mentions(*condition))))
        for stance, issues in stated:
            for party, (issue, places) in ((party, item) for party in parties for item in issues):
                if (party, issue, stance) not in seen:
                    seen.add((party, issue, stance))
                    findings.append(Finding(party, issue, stance, index, sentence.text, who, attribution, relayed_from, places))
    return findings


def _subject(sentence: _Sentence, cue: _Cue, previous: tuple[_Cue, _Mention | None] | None) -> _Mention | None:
    """The cue's subject; a cue continuing the previous one's clause ("pushing X to Y in exchange for Z") shares it."""
    subject = sentence.holder_before(cue)
    if previous is not None and previous[1] is not None and not sentence.has_break(previous[0].end, cue.start):
        if subject is None or subject.start < previous[0].end and subject is not previous[1]:
            return previous[1]
        if subject.start >= previous[0].end and not re.fullmatch(r"[\s\w'’]{0,30}", sentence.folded[subject.end:cue.start]):
            return previous[1]
    return subject


def _holders(sentence: _Sentence, cue: _Cue, subject: _Mention | None, speaker: _Speaker | None,
             context: _Context) -> list[str]:
    """The parties that hold the stance: the cue's subject (and those joined to it), or the speaker."""
    if cue.party_from_speaker:
        if speaker is not None and speaker.party:
            return [speaker.party]
        if cue.stance != "denies":
            return []
    if subject is not None:
        parties = [subject.party, *(m.party for m in sentence.coordinated(subject, cue.start))]
        return list(dict.fromkeys(p for p in parties if p))
    if sentence.starts_with(sentence.lexicon.pronouns_person) and context.person:
        return [context.person.party] if context.person.party else []
    if sentence.starts_with(sentence.lexicon.pronouns) and context.subject_party:
        return [context.subject_party]
    return []


def _issues(sentence: _Sentence, cue: _Cue, subject: _Mention | None, context: _Context) -> list[tuple[str, tuple[str, ...]]]:
    """(issue, places) pairs the cue is about: in its scope, else before it, else what "these" points back to."""
    end = sentence.scope_end(cue)
    mentions = sentence.issue_mentions(cue.end, end)
    clause = sentence.clause_start(cue.start)
    lead_start = max(subject.end if subject else clause, clause)
    if not mentions and (cue.stance in ("rejects", "denies") or cue.party_from_speaker):
        mentions = sentence.issue_mentions(lead_start, cue.start)  # "the future of the peninsula is not up for discussion"
    if not mentions:
        opened = sentence.folded.rfind("(", 0, cue.start)
        if opened != -1 and ")" not in sentence.folded[opened:cue.start]:
            mentions = sentence.issue_mentions(sentence.clause_start(opened), opened)[-1:]
    if not mentions and sentence.refers_back(min(lead_start, cue.start), end):
        earlier = sentence.issue_mentions(0, min(lead_start, cue.start))
        mentions = [m for m in earlier if m.issue == earlier[-1].issue] if earlier else context.issue_mentions
    return _group(mentions)


def _group(mentions: list[_Mention]) -> list[tuple[str, tuple[str, ...]]]:
    """Issue mentions grouped by issue, each with the places that stand for it."""
    grouped: dict[str, list[str]] = {}
    for mention in mentions:
        places = grouped.setdefault(mention.issue, [])
        if mention.kind == "place" and mention.key not in places:
            places.append(mention.key)
    return [(issue, tuple(places)) for issue, places in grouped.items()]


def _attribution(sentence: _Sentence, relayed: bool, speaker: _Speaker | None, subject: _Mention | None) -> tuple[str, str | None]:
    """on_record, anonymous or relayed, and who said it (a profile key, or the words naming an unnamed source)."""
    if speaker is None and subject is not None:
        phrase_start = sentence.phrase_start(subject)
        marker = sentence.lexicon.anonymous.search(sentence.folded, phrase_start, subject.end + 20)
        if marker and marker.start() <= subject.end + 1:  # "senior officials insist..."
            speaker = _Speaker(None, _anonymous_phrase(sentence, sentence.clause_start(phrase_start), marker), subject.party, True)
    named_subject = subject.key if subject is not None and subject.kind == "actor" else None
    if relayed:
        if speaker and speaker.key:
            return "relayed", speaker.key
        return "relayed", named_subject or (speaker.text if speaker else None)
    if speaker and speaker.anonymous:
        return "anonymous", speaker.text
    if speaker:
        return "on_record", speaker.key
    return "on_record", named_subject


def _remember(sentence: _Sentence, context: _Context) -> None:
    subjects = [m for m in sentence.mentions if sentence.is_subject_like(m)]
    if subjects:
        context.subject_party = subjects[0].party
        people = [m for m in subjects if m.kind == "actor"]
        if people:
            context.person = _named(sentence, people[0])
    issues = sentence.issue_mentions(0, len(sentence.folded))
    if issues:
        context.issue_mentions = issues
    outlets = [m.key for m in sentence.mentions if m.kind == "outlet"]
    if outlets:
        context.outlet = outlets[-1]
