"""Who says what in a news sentence: the speaker, whether they speak for a party, and on whose record it stands.

Shared by the position ledger and the answer engine. A sentence is read once (folded text and
profile mentions, ``ParsedSentence``); ``Attributor.document`` then walks a document's sentences in
order and gives each an ``Attribution``: the speaker (a profile actor or party, an unnamed source,
or a commentator who speaks for no party), and the kind (on_record, anonymous, relayed from an
outlet, or narrator when the writer speaks). Pronouns and role nouns ("he", "the spokesman", 他,
该发言人) resolve to the last named speaker. Cue words live in the lexicon file; nothing here names
a conflict.
"""
from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.text import normalize as textnorm
from bot.text.profile import Profile

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "stances.yaml"
STANCES = ("demands", "offers", "rejects", "accepts", "conditions", "denies")
WORD = re.compile(r"[\w'’.-]+")
LATIN_LETTER = re.compile(r"[a-z]")
KINDS = ("on_record", "anonymous", "relayed", "narrator")


# --------------------------------------------------------------------------- the lexicon

@dataclass(frozen=True)
class CuePattern:
    stance: str
    pattern: re.Pattern
    party_from_speaker: bool
    adjacent: bool = False  # a noun that holds a stance only when a party names it: "an American plan", 美国提出的


@dataclass(frozen=True)
class Lexicon:
    """Compiled cues and attribution marks from the lexicon file."""

    cues: tuple[CuePattern, ...]
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
    commentators: re.Pattern
    role_nouns: re.Pattern
    speculation: re.Pattern
    event_verbs: re.Pattern
    criticism: re.Pattern
    purpose: re.Pattern
    attached: frozenset[str]
    question: re.Pattern


def words_pattern(alternatives: str) -> re.Pattern:
    """Compile alternatives; each Latin alternative is held to word boundaries, Chinese ones are not."""
    return re.compile("|".join(_bounded(part) for part in _split_alternatives(alternatives)))


def _bounded(pattern: str) -> str:
    if re.search(f"[{textnorm.CJK_CHARS}]", pattern):
        return f"(?:{pattern})"
    return rf"(?<![\w'-])(?:{pattern})(?![\w-])"


def _split_alternatives(pattern: str) -> list[str]:
    """Split a regex on its top-level ``|`` only."""
    parts: list[str] = []
    current: list[str] = []
    depth, escaped = 0, False
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
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read and compile a lexicon file (the bundled one by default)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cues = []
    for stance, entries in data["stances"].items():
        if stance not in STANCES:
            raise ValueError(f"{path}: unknown stance {stance!r}")
        for entry in entries:
            pattern, holder = (entry["pattern"], entry.get("party")) if isinstance(entry, dict) else (entry, None)
            cues.append(CuePattern(stance, words_pattern(pattern), holder == "speaker", holder == "adjacent"))
    negation = data["negation"]
    return Lexicon(
        cues=tuple(cues),
        not_cues=words_pattern("|".join(data["not_cues"])),
        negated_en=re.compile(negation["before_en"]),
        negated_zh=re.compile(negation["before_zh"]),
        flip=dict(negation["flip"]),
        hypothetical=words_pattern(data["hypothetical"]),
        conditional=words_pattern(data["conditional"]),
        clause_breaks=re.compile(data["clause_breaks"]),
        prepositions_en=_word_set(data["prepositions_en"]),
        prepositions_zh=tuple(data["prepositions_zh"].split("|")),
        circumstance_en=_word_set(data["circumstance_en"]),
        circumstance_temporal=_word_set(data["circumstance_temporal"]),
        circumstance_zh_after=tuple(data["circumstance_zh_after"].split("|")),
        pronouns_person=words_pattern(data["pronouns_person"]),
        pronouns=words_pattern(data["pronouns"]),
        demonstratives=words_pattern(data["demonstratives"]),
        reporting=words_pattern(data["reporting"]),
        relay=tuple(words_pattern(p) for p in data["relay"]),
        report_words=words_pattern(data["report_words"]),
        publication=words_pattern(data["publication"]),
        anonymous=words_pattern(data["anonymous"]),
        commentators=words_pattern(data["commentators"]),
        role_nouns=words_pattern(data["role_nouns"]),
        speculation=re.compile(data["speculation"]),
        event_verbs=words_pattern(data["event_verbs"]),
        criticism=words_pattern(data["criticism"]),
        purpose=words_pattern(data["purpose"]),
        attached=_word_set(data["attached"]),
        question=re.compile(data["question"]),
    )


# --------------------------------------------------------------------------- one sentence, read once

@dataclass(frozen=True)
class SentenceMention:
    """A profile ``Mention`` read into one sentence: offsets into the folded sentence, and the party or issue it stands for."""

    key: str
    kind: str
    start: int
    end: int
    party: str | None
    issue: str | None


_JOINER = r"\s*(?:and|&|和|与|及|、)\s*"
_DETERMINERS = frozenset(["a", "an", "the", "its", "his", "her", "their", "our", "this", "that", "these", "those"])


class ParsedSentence:
    """A sentence folded for matching, with its profile mentions and clause boundaries."""

    def __init__(self, text: str, profile: Profile, lexicon: Lexicon):
        self.text = text
        self.lexicon = lexicon
        self.folded, origin = textnorm.fold_with_offsets(text)
        folded_at = [len(self.folded)] * (len(text) + 1)
        for j in range(len(origin) - 1, -1, -1):
            folded_at[origin[j]] = j
        self.mentions = [SentenceMention(m.key, m.kind, folded_at[m.start], folded_at[m.end], profile.party_of(m.key), profile.issue_of(m.key))
                         for m in profile.find(text)]
        self.profile = profile

    # ----- clauses

    def clause_start(self, position: int) -> int:
        starts = [m.end() for m in self.lexicon.clause_breaks.finditer(self.folded, 0, position)]
        return starts[-1] if starts else 0

    def clause_end(self, position: int) -> int:
        match = self.lexicon.clause_breaks.search(self.folded, position)
        return match.start() if match else len(self.folded)

    def has_break(self, start: int, end: int) -> bool:
        return self.lexicon.clause_breaks.search(self.folded[start:end]) is not None

    def starts_with(self, pattern: re.Pattern) -> bool:
        return pattern.match(self.folded.lstrip(" -–—\"“'")) is not None

    # ----- noun phrases

    def phrase_start(self, mention: SentenceMention) -> int:
        """Where the noun phrase holding ``mention`` starts: runs of adjacent mentions count as one."""
        start = mention.start
        for other in reversed(self.mentions):
            if other.end <= start and re.fullmatch(r"[\s'’s-]{0,3}", self.folded[other.end:start]):
                start = other.start
        return start

    def is_subject_like(self, mention: SentenceMention) -> bool:
        """True unless the mention is an object (after a preposition) or a modifier ("the A-B call")."""
        if mention.kind not in ("party", "actor"):
            return False
        if re.match(r"-[a-z]", self.folded[mention.end:mention.end + 2]) or self.folded[mention.start - 1:mention.start] == "-":
            return False
        start = self.phrase_start(mention)
        before = self.folded[max(0, start - 30):start]
        if before.endswith(self.lexicon.prepositions_zh):
            return False
        if re.search(r"\b(?:that|said|says)\s+(?:the\s+)?$", before):
            return True  # "... and that the Vatican had said": the subject of a reported clause
        words = [w.strip(".'’\"“”") for w in re.split(r"[,，;；:：()（）]", before)[-1].split()]
        words = [w for w in words if w not in _DETERMINERS]
        return not (words and words[-1] in self.lexicon.prepositions_en)

    def coordination_head(self, mention: SentenceMention) -> SentenceMention:
        """The first of "A and B" when a cue follows the last."""
        for other in reversed(self.mentions):
            if other.end <= mention.start and other.kind in ("party", "actor") \
                    and re.fullmatch(_JOINER, self.folded[other.end:mention.start]):
                return self.coordination_head(other)
        return mention

    def coordinated(self, mention: SentenceMention, limit: int) -> list[SentenceMention]:
        """Mentions joined to ``mention`` by "and"/和/与 before ``limit``: "A and B agree"."""
        joined, end = [], mention.end
        for other in self.mentions:
            if other.start >= end and other.end <= limit and other.kind in ("party", "actor"):
                if not re.fullmatch(_JOINER, self.folded[end:other.start]):
                    break
                joined.append(other)
                end = other.end
        return joined


# --------------------------------------------------------------------------- speakers and attributions

@dataclass(frozen=True)
class Speaker:
    """Who speaks: a named actor or party (``key``), or the words naming an unnamed source or a commentator."""

    key: str | None
    text: str
    party: str | None
    anonymous: bool
    role: str = "party"  # party | commentator | unknown
    cited: bool = False  # named as a report's source ("citing anonymous sources"), not as the one speaking

    @property
    def commentator(self) -> bool:
        return self.role == "commentator"


@dataclass(frozen=True)
class Attribution:
    """On whose record a sentence (or a span of it) stands."""

    kind: str  # on_record | anonymous | relayed | narrator
    speaker: Speaker | None
    relayed_from: str | None  # the outlet's English display name
    spans: tuple[tuple[int, int, Attribution], ...] = ()  # (start, end, attribution) over the original text

    def at(self, offset: int) -> Attribution:
        """The attribution governing a character offset of the sentence: a sentence may quote two speakers."""
        for start, end, attribution in self.spans:
            if start <= offset < end:
                return attribution
        return self

    @property
    def who(self) -> str | None:
        """What the ledger stores as the speaker: a profile key, or the words naming an unnamed one."""
        if self.speaker is None:
            return None
        return self.speaker.key or self.speaker.text


@dataclass
class Context:
    """What earlier sentences of the same document leave for pronouns and "the publication"."""

    subject_party: str | None = None
    person: Speaker | None = None
    issue_mentions: list[SentenceMention] = field(default_factory=list)
    outlet: str | None = None
    open_quote: Attribution | None = None  # the speaker of a quotation still open at the end of the last sentence
    issue_counts: dict[str, int] = field(default_factory=dict)  # issues named so far in the document: its topic
    party_counts: dict[str, int] = field(default_factory=dict)  # parties named as subjects so far: who "both sides" are


class Attributor:
    """Attributions for the sentences of one document, in order (pronouns look back)."""

    def __init__(self, profile: Profile, lexicon: Lexicon | None = None):
        self.profile = profile
        self.lexicon = lexicon or load_lexicon()

    def document(self, sentences: Sequence[str], cited_agency: str | None = None) -> list[Attribution]:
        """One Attribution per sentence."""
        context = Context()
        result = []
        for text in sentences:
            sentence = ParsedSentence(text, self.profile, self.lexicon)
            result.append(attribute(sentence, context, self.profile, cited_agency))
            remember(sentence, context, result[-1])
        return result


def attribute(sentence: ParsedSentence, context: Context, profile: Profile, cited_agency: str | None = None) -> Attribution:
    """The sentence's attribution, with per-clause spans when a later clause has a speaker of its own."""
    whole = _attribution(sentence, 0, len(sentence.folded), context, profile, cited_agency)
    if whole.speaker is None and context.open_quote is not None:  # a quotation running on from the previous sentence
        whole = Attribution("relayed" if whole.kind == "relayed" else
                            ("anonymous" if context.open_quote.speaker and context.open_quote.speaker.anonymous else "on_record"),
                            context.open_quote.speaker, whole.relayed_from)
    spans = []
    for start, end in _report_segments(sentence)[1:]:
        own = _attribution(sentence, start, end, context, profile, cited_agency, inherit=False)
        if own.speaker is not None and own.speaker != whole.speaker:
            spans.append((start, end, own))
    if not spans:
        return whole
    origin = _origin(sentence)
    return Attribution(whole.kind, whole.speaker, whole.relayed_from,
                       tuple((origin[s], origin[e - 1] + 1 if e > 0 else 0, a) for s, e, a in spans))


def _origin(sentence: ParsedSentence) -> list[int]:
    _, origin = textnorm.fold_with_offsets(sentence.text)
    return origin + [len(sentence.text)]


_RELATIVE = re.compile(r",\s*(?:who|whose|which|speaking|as)\s")


def _report_breaks(sentence: ParsedSentence, start: int, end: int) -> list[re.Match]:
    """Clause breaks that may start another speaker's clause: not "X, who spoke on condition of anonymity, said"."""
    return [m for m in sentence.lexicon.clause_breaks.finditer(sentence.folded, start, end) if not _RELATIVE.match(m.group())]


def _report_segments(sentence: ParsedSentence) -> list[tuple[int, int]]:
    """Clauses (by the lexicon's clause breaks) of the folded sentence: each may carry its own speaker."""
    cuts = [0] + [m.end() for m in _report_breaks(sentence, 0, len(sentence.folded))] + [len(sentence.folded)]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _attribution(sentence: ParsedSentence, start: int, end: int, context: Context, profile: Profile,
                 cited_agency: str | None, inherit: bool = True) -> Attribution:
    relayed, outlet = relay(sentence, context, start, end)
    speaker = find_speaker(sentence, context, start, end, inherit=inherit)
    relayed_from = profile.display(outlet, "en") if outlet else (cited_agency if inherit else None)
    if relayed or cited_agency:  # a document that as a whole passes on an agency's report relays every sentence of it
        return Attribution("relayed", speaker, relayed_from)
    if speaker is not None and speaker.anonymous:
        return Attribution("anonymous", speaker, relayed_from)
    if speaker is not None:
        return Attribution("on_record", speaker, relayed_from)
    return Attribution("narrator", None, relayed_from)


def relay(sentence: ParsedSentence, context: Context, start: int = 0, end: int | None = None) -> tuple[bool, str | None]:
    """Whether the span relays another outlet's report, and which outlet (a profile key) if named."""
    lexicon, folded = sentence.lexicon, sentence.folded
    end = len(folded) if end is None else end
    mentions = [m for m in sentence.mentions if start <= m.start and m.end <= end]
    for pattern in lexicon.relay:
        for match in pattern.finditer(folded, start, end):
            source = _source_span(match)
            if source is None:
                return True, None
            outlets = [m for m in mentions if source[0] <= m.start < source[1] and m.kind == "outlet"]
            if outlets:
                return True, outlets[0].key
            if lexicon.report_words.search(folded[source[0]:source[1]]):
                later = [m for m in mentions if m.kind == "outlet" and m.start >= source[0]]
                return True, later[0].key if later else None
    for outlet in (m for m in mentions if m.kind == "outlet"):
        if _reporting_follows(sentence, outlet.end):
            return True, outlet.key
    for match in lexicon.publication.finditer(folded, start, end):
        if _reporting_follows(sentence, match.end()):
            return True, context.outlet
    for outlet in (m for m in mentions if m.kind == "outlet"):
        if re.search(r"(?:told|tells|telling|告诉|对)\s*$", folded[max(0, outlet.start - 8):outlet.start]):
            return False, outlet.key  # "sources told the agency": the outlet heard it first-hand
    return False, None


def _source_span(match: re.Match) -> tuple[int, int] | None:
    named = [name for name, value in match.groupdict().items() if value]
    return (match.start(named[0]), match.end(named[0])) if named else None


def _reporting_follows(sentence: ParsedSentence, position: int) -> bool:
    window = sentence.folded[position:position + 40]
    match = sentence.lexicon.reporting.search(window)
    if match is None or re.search(r"[,，;；.。]", window[:match.start()]):
        return False
    return len(WORD.findall(window[:match.start()])) <= 4


def find_speaker(sentence: ParsedSentence, context: Context, start: int = 0, end: int | None = None, *,
                 inherit: bool = True) -> Speaker | None:
    """Who the span quotes: "according to X", the subject of its first reporting verb, or "X: ..." headlines."""
    end = len(sentence.folded) if end is None else end
    cited = _cited_speaker(sentence, start, end)
    if cited is not None:
        return cited
    inside = [m for m in sentence.mentions if start <= m.start and m.end <= end]
    first = inside[0] if inside else None
    if start == 0 and first and first.kind in ("party", "actor") \
            and re.fullmatch(r"[\s\"“'-]*(?:the\s+)?", sentence.folded[:first.start]) \
            and re.match(r"\s*[:：]", sentence.folded[first.end:]):
        return named(sentence, first)
    for match in sentence.lexicon.reporting.finditer(sentence.folded, start, end):
        speaker = _speaker_before(sentence, max(start, 0), match.start(), context) or _speaker_after(sentence, match)
        if speaker:
            return speaker
    return None


def _cited_speaker(sentence: ParsedSentence, start: int, end: int) -> Speaker | None:
    """The speaker named in "according to X" / "citing X" / 援引X, when X is a person or unnamed sources."""
    for pattern in sentence.lexicon.relay:
        for match in pattern.finditer(sentence.folded, start, end):
            source = _source_span(match)
            if source is None:
                continue
            s, e = source
            anonymous = sentence.lexicon.anonymous.search(sentence.folded, s, e)
            inside = [m for m in sentence.mentions if s <= m.start and m.end <= e and m.kind in ("party", "actor")]
            if anonymous:
                return Speaker(None, anonymous_phrase(sentence, s, anonymous), _first_party(inside), True, cited=True)
            if inside and not sentence.lexicon.report_words.search(sentence.folded[s:e]):
                return named(sentence, inside[0])
    return None


def _speaker_before(sentence: ParsedSentence, floor: int, position: int, context: Context) -> Speaker | None:
    folded = sentence.folded
    breaks = _report_breaks(sentence, 0, position)
    start = max(breaks[-1].end() if breaks else 0, position - 120, floor)
    for mark in (":", "：", " that "):
        cut = folded.rfind(mark, start, position)
        start = max(start, cut + len(mark)) if cut != -1 else start
    inside = [m for m in sentence.mentions if start <= m.start and m.end <= position]
    lead = folded[start:position]
    anonymous = sentence.lexicon.anonymous.search(folded, start, position)
    # whom it was said to is no speaker: 对记者说, 向媒体表示 ("told reporters") names the audience, not a commentator
    commentator = sentence.lexicon.commentators.search(re.sub(r"(?:对|向|告诉|跟)[^，,。]{0,8}?(?:记者|媒体|新闻界)", "", lead))
    named_inside = [m for m in inside if sentence.is_subject_like(m)]
    if commentator and not (named_inside and named_inside[-1].kind == "actor" and named_inside[-1].start > start + commentator.end()):
        # "The Tesla and SpaceX CEO explained", "a former US diplomat said": speaks for no party
        return Speaker(None, _phrase(sentence, start, position), None, False, "commentator")
    if anonymous:
        return Speaker(None, anonymous_phrase(sentence, start, anonymous), _first_party(inside), True)
    if named_inside and position - named_inside[-1].end <= 40:
        return named(sentence, named_inside[-1])
    last_word = lead.strip().split(" ")[-1] or "-"
    coordinated = not lead.strip() or re.fullmatch(r"\s*(?:and|but|also|then|并|并且|还|又|但|但是|而)\s*", lead)
    if coordinated or sentence.lexicon.pronouns_person.fullmatch(last_word) \
            or sentence.lexicon.pronouns_person.fullmatch(lead.strip()[-1:] or "-") or sentence.lexicon.role_nouns.search(lead[-24:]):
        # "X said ..., but added that he ...": the person named earlier in the sentence, else the previous sentence's
        earlier = [m for m in sentence.mentions if m.end <= start and m.kind == "actor" and sentence.is_subject_like(m)]
        if earlier:
            return named(sentence, earlier[0])
        return None if coordinated else context.person
    return None


def _phrase(sentence: ParsedSentence, start: int, position: int) -> str:
    origin = _origin(sentence)
    lead = sentence.text[origin[start]:origin[position]] if position > start else ""
    lead = re.split(r"[,，;；:：]", lead)[-1]
    return lead.strip(" \"“”'") or sentence.text[origin[start]:origin[position]].strip()


def _speaker_after(sentence: ParsedSentence, match: re.Match) -> Speaker | None:
    """Inverted reports: "..., said the minister" or "Quote from the president's spokesman John Doe"."""
    if not LATIN_LETTER.search(match.group()):
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
    return named(sentence, who)


_NAME_AFTER = re.compile(r"\s+((?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+)")


def named(sentence: ParsedSentence, mention: SentenceMention) -> Speaker:
    """A speaker named by a profile mention; an actor the profile ties to no party is a commentator.

    An office followed by a name the profile does not know ("the presidency's press secretary Jane Doe")
    is that person, speaking for the office's party.
    """
    following = next((m for m in sentence.mentions if m.kind == "actor" and m.start >= mention.end
                      and re.fullmatch(r"\s{1,2}", sentence.folded[mention.end:m.start])), None)
    if mention.kind == "actor" and following is not None and following.party == mention.party:
        return named(sentence, following)  # "Foreign Minister Jane Doe": the person, not the office
    origin = _origin(sentence)
    end = origin[mention.end - 1] + 1 if mention.end > mention.start else 0
    text = sentence.text[origin[mention.start]:end] if end else mention.key
    role = "party" if mention.party else "commentator"
    after = _NAME_AFTER.match(sentence.text, end) if end else None
    if after and mention.kind == "actor" and not any(m.start >= mention.end and m.start <= mention.end + 2 for m in sentence.mentions) \
            and not re.match(r"(?:On|In|At|The|This|That|On|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", after.group(1)):
        return Speaker(None, after.group(1), mention.party, False, role)
    return Speaker(mention.key, text, mention.party, False, role)


def _first_party(mentions: list[SentenceMention]) -> str | None:
    return next((m.party for m in mentions if m.party), None)


def anonymous_phrase(sentence: ParsedSentence, start: int, marker: re.Match) -> str:
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
    origin = _origin(sentence)
    phrase = sentence.text[origin[max(begin, start)]:origin[end - 1] + 1 if end > 0 else 0].strip(" ,:;，")
    return re.sub(r"^(?:according to|citing|据|援引)\s*", "", phrase, flags=re.IGNORECASE)


def remember(sentence: ParsedSentence, context: Context, attribution: Attribution | None = None) -> None:
    """Carry the sentence's subject, named person, issues, outlet and open quotation over to the next sentence."""
    opened = sentence.text.count("“") - sentence.text.count("”") + (sentence.text.count('"') % 2)
    if attribution is not None and attribution.speaker is not None and opened > 0:
        context.open_quote = attribution
    elif opened != 0 or re.search(r"[”\"]\s*$", sentence.text.strip()):
        context.open_quote = None
    subjects = [m for m in sentence.mentions if sentence.is_subject_like(m)]
    if subjects:
        context.subject_party = subjects[0].party
        people = [m for m in subjects if m.kind == "actor"]
        if people:
            context.person = named(sentence, people[0])
    issues = [m for m in sentence.mentions if m.issue]
    if issues:
        context.issue_mentions = issues
    outlets = [m.key for m in sentence.mentions if m.kind == "outlet"]
    if outlets:
        context.outlet = outlets[-1]
