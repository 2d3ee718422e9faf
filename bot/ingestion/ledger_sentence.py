"""The sentence as the position ledger reads it: its stance cues (negated, hypothetical, nominal or embedded ones
dropped), where each cue's matter ends, the mention that holds it, the issues it is about, and how a finding is
attributed (on record, anonymous, relayed; the speaker's name). Nothing here names a conflict."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import normalize as textnorm
from bot.text.attribution import (
    LATIN_LETTER,
    WORD,
    Attribution,
    Lexicon,
    SentenceMention,
    ParsedSentence,
    Speaker,
    anonymous_phrase,
)
from bot.text.profile import Profile


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

@dataclass(frozen=True)
class Cue:
    stance: str
    start: int
    end: int
    party_from_speaker: bool
    latin: bool = False  # an English cue (negation and adjacency are counted in words, not characters)

class StanceSentence(ParsedSentence):
    """A parsed sentence with the stance cues that survive the rules."""

    def __init__(self, text: str, profile: Profile, lexicon: Lexicon):
        super().__init__(text, profile, lexicon)
        self.cues = self._cues()

    # ----- cues

    def _cues(self) -> list[Cue]:
        # text that looks like a cue but is not one ("neither confirm nor deny", 的要求) holds no cue; a cue's lookahead
        # still reads it: 提出(……的建议) is an offer even though 的建议 alone is no cue
        blocked = [(m.start(), m.end()) for m in self.lexicon.not_cues.finditer(self.folded)]
        found = sorted(((m.start(), m.end(), c) for c in self.lexicon.cues for m in c.pattern.finditer(self.folded)
                        if not any(s < m.end() and m.start() < e for s, e in blocked)),
                       key=lambda hit: (hit[0], hit[0] - hit[1]))
        cues, taken_until = [], -1
        for start, end, pattern in found:
            if pattern.adjacent and not any(m.kind in ("party", "actor") and re.fullmatch(r"(?:'s)?\s?", self.folded[m.end:start])
                                            for m in self.mentions):
                continue
            if start >= taken_until:
                taken_until = end
                cues.append(Cue(pattern.stance, start, end, pattern.party_from_speaker,
                                 bool(LATIN_LETTER.search(self.folded[start:end]))))
        kept = [cue for cue in map(self._negated, cues)
                if cue and not self._hypothetical(cue) and not self._nominal(cue) and not self._participle(cue) and not self._part_of_a_thing(cue)]
        return self._governing(kept)

    def _negated(self, cue: Cue) -> Cue | None:
        """The cue turned around by a negator just before it ("not ready to" -> rejects), or dropped."""
        before = self.folded[max(0, cue.start - 40):cue.start]
        negated: bool
        if cue.latin:
            negated = self.lexicon.negated_en.search(before) is not None
        else:
            # Chinese negation may govern a run of verbs: 也不能保证……，也不能取消……，很容易迫使……
            negated = self.lexicon.negated_zh.search(before) is not None or self._negated_clause_run(cue)
        if re.search(r"\b(?:failed|fails|fail) to\s*$|未能\s*$|没能\s*$", before):
            return None  # "failed to reach an agreement", 未能达成: an outcome, not a refusal
        if not negated:
            return cue
        if not cue.latin and self.folded[cue.end:cue.end + 1] == "的":
            return None  # 没有美国支持的部队 ("a force without US support"): a negated modifier of a noun, not a refusal
        if cue.stance == "rejects" and re.search(r"\b(?:did|does|do|has|have|had)(?: not|n't)\b|并未|没有|未曾", before[-24:]) \
                and re.search(r"\bbut\b|\bhowever\b|但|不过", self.folded[cue.end:]):
            return Cue("conditions", cue.start, cue.end, cue.party_from_speaker, cue.latin)  # "did not reject it, but wants ..."
        if re.search(r"\b(?:has|have|had)(?: not|n't)\b|并未|尚未|未曾", before[-24:]) and not re.match(r"rule", self.folded[cue.start:cue.end]):
            return None  # "has not committed", "had not rejected", 并未拒绝: no stance stated either way ("not ruled out" is an opening)
        flipped = self.lexicon.flip.get(cue.stance)
        return Cue(flipped, cue.start, cue.end, cue.party_from_speaker, cue.latin) if flipped else None

    def _negated_clause_run(self, cue: Cue) -> bool:
        run = self.folded[max(self.clause_start(cue.start), cue.start - 30):cue.start]
        return re.search(r"不能|无法|不可能", run) is not None

    def _hypothetical(self, cue: Cue) -> bool:
        """A cue under "if", "once", "whether", "what"... in its own clause states no position."""
        if cue.stance == "conditions":
            return False
        clause = self.folded[self.clause_start(cue.start):cue.start]
        markers = list(self.lexicon.hypothetical.finditer(clause))
        return bool(markers) and not re.search(r"[,，、]| that ", clause[markers[-1].end():])

    def _part_of_a_thing(self, cue: Cue) -> bool:
        """"is part of A", "belongs to A", 属于A claim a place for a party; "could be part of a deal" claims nothing."""
        if cue.stance != "demands" or not re.search(r"part of|belongs? to|属于", self.folded[cue.start:cue.end]):
            return False
        return not any(m.kind in ("party", "actor") and 0 <= m.start - cue.end <= 6 for m in self.mentions)

    def _nominal(self, cue: Cue) -> bool:
        """A Chinese noun cue right after an issue names a thing, not a stance: 停火提议 is "a ceasefire proposal"."""
        if cue.latin or cue.party_from_speaker or re.match(r"持|保持|表示|予以", self.folded[cue.start:cue.end]):
            return False  # 停火应当…… is a modal said of the ceasefire, 对谈判持开放态度 an attitude to the talks: not nouns
        return any(m.issue and m.kind == "issue" and 0 <= cue.start - m.end <= 1 for m in self.mentions)

    def _participle(self, cue: Cue) -> bool:
        """A past participle after a noun describes the noun: "the exchange of prisoners agreed earlier", "a swap agreed at talks"."""
        word = self.folded[cue.start:cue.end]
        if not cue.latin or not word.endswith("ed") or " " in word:
            return False
        before = WORD.findall(self.folded[max(0, cue.start - 40):cue.start])
        after = WORD.findall(self.folded[cue.end:cue.end + 20])
        if not before or before[-1] in ("has", "have", "had", "was", "were", "is", "are", "be", "been", "being", "also", "then",
                                        "and", "or", "not", "never", "already", "reportedly", "publicly", "formally"):
            return False
        if any(m.kind in ("party", "actor") and 0 <= cue.start - m.end <= 2 for m in self.mentions):
            return False  # "Erewhon agreed", "the ministry rejected"
        return bool(after) and after[0] in ("earlier", "previously", "at", "in", "by", "upon", "under", "during", "last", "with")

    def _governing(self, cues: list[Cue]) -> list[Cue]:
        """Drop cues that belong to another: "rejected demands" (adjacent), "demands that X reject Y" (embedded)."""
        kept: list[Cue] = []
        for cue in cues:
            if kept and self._adjacent(kept[-1], cue):
                continue
            # what is demanded, made a condition or denied is content, not another stance: "denied reports that X agreed"
            # (a condition inside a denial is denied too: "denied that A demanded X as a condition for a ceasefire")
            embeds = kept and kept[-1].stance in ("demands", "conditions", "denies") \
                and (cue.stance != "conditions" or kept[-1].stance == "denies")
            if embeds and not self.has_break(kept[-1].end, cue.start) and not self._closes_relative(kept[-1], cue):
                continue
            kept.append(cue)
        return kept

    def _closes_relative(self, first: Cue, second: Cue) -> bool:
        """Whether ``first`` sits in a relative clause that closes before ``second``: "A, which has demanded X, rejected Y"."""
        opened = re.search(r",\s*(?:which|who)\b[^,]*$", self.folded[max(0, first.start - 40):first.start])
        return opened is not None and "," in self.folded[first.end:second.start]

    def _adjacent(self, first: Cue, second: Cue) -> bool:
        gap = self.folded[first.end:second.start]
        if re.search(r"[,，;；:：]", gap) or re.fullmatch(r"\s*(?:was|were|is|are|has been|have been|had been)\s*", gap):
            return False  # "the proposal was rejected": a noun and the verb said of it
        if second.latin:
            return len(WORD.findall(gap)) <= 1
        named = any(m.kind in ("party", "actor") and first.end <= m.start and m.end <= second.start for m in self.mentions)
        return len(gap.strip()) <= 2 and not re.search(r"[()（）]", gap) and not named  # 同意美国提出的建议: two holders

    def scope_end(self, cue: Cue) -> int:
        """Where the matter of a cue ends: the clause end, a parenthesis, a reporting tail, a purpose, or the next coordinated cue."""
        end = self.clause_end(cue.end)
        for report in self.lexicon.reporting.finditer(self.folded, cue.end, end):
            comma = max(self.folded.rfind(",", cue.end, report.start()), self.folded.rfind("，", cue.end, report.start()))
            if comma != -1:  # "..., the newspaper reported late Tuesday, citing sources from a meeting"
                end = comma
                break
        for later in (c for c in self.cues if c.start > cue.start):
            if re.search(r"[,，;；、]|\band\b|\bor\b|并|而|且|以及", self.folded[cue.end:later.start]) \
                    or later.stance == "conditions" and cue.stance != "conditions":  # "accept a truce on condition that ..."
                end = min(end, later.start)
                break
        opened = self.folded.rfind("(", 0, cue.start)
        if opened > self.folded.rfind(")", 0, cue.start):
            closing = self.folded.find(")", cue.end)
            end = min(end, closing) if closing != -1 else end
        purpose = self.lexicon.purpose.search(self.folded, cue.end, end)
        if purpose:  # "... to address A's security concerns": the aim, not the matter
            end = purpose.start()
        condition = self.lexicon.conditional.search(self.folded, cue.end, end)
        if condition and re.search(r"\b(?:that|which|who)\b", self.folded[cue.end:condition.start()]):
            condition = None  # "a plan for a ceasefire that would begin as soon as ...": the plan's condition, not the speaker's
        return condition.start() if condition and cue.stance != "conditions" else end

    def condition_span(self, cue: Cue) -> tuple[int, int] | None:
        """The "if ..." clause that a cue's scope ran into, as (start, end), if any."""
        end = self.scope_end(cue)
        condition = self.lexicon.conditional.match(self.folded, end)
        if condition and re.search(r"\b(?:that|which|who)\b", self.folded[cue.end:end]):
            return None
        if condition is None:
            return None
        stop = re.search(r"[,，;；]", self.folded[condition.end():])
        return condition.end(), self.clause_end(condition.end()) if stop is None else condition.end() + stop.start()

    # ----- who

    def holder_before(self, cue: Cue) -> SentenceMention | None:
        """The mention holding the stance: the noun right before a noun cue, else the cue's subject."""
        relative = re.search(r"(?:,\s*)?\b(?:which|who)\s+(?:(?:also|has|have|had|long|repeatedly|previously|already|now|is|are|was|were)\s+){0,3}$"
                             r"|,\s*that\s+$", self.folded[max(0, cue.start - 40):cue.start])
        if cue.latin and relative:  # "A's draft, which calls for a truce": the thing's owner, if any
            head_end = cue.start - (len(self.folded[max(0, cue.start - 40):cue.start]) - relative.start())
            antecedent = [m for m in self.mentions if m.kind in ("party", "actor") and m.end <= head_end
                          and re.fullmatch(r"\s*", self.folded[m.end:head_end]) and self.folded[head_end:head_end + 1] == ","]
            if antecedent:  # "A, which has long demanded X": A itself
                return antecedent[-1]
            owners = [m for m in self.mentions if m.end <= head_end and head_end - m.end <= 30 and m.kind in ("party", "actor")
                      and self.folded[m.end:m.end + 2] == "'s"]
            return owners[-1] if owners else None
        for mention in reversed(self.mentions):
            if mention.end <= cue.start and re.fullmatch(r"(?:'s)?\s*|的", self.folded[mention.end:cue.start]):
                if mention.kind in ("party", "actor"):
                    return self.coordination_head(mention)
        clause = self.clause_start(cue.start)
        candidates = [m for m in self.mentions if m.end <= cue.start and self.is_subject_like(m)]
        # a subject inside an embedded "that"-clause or quote before the cue does not reach past it
        that = self.folded.rfind(" that ", clause, cue.start)
        if that != -1:
            inner = [m for m in candidates if m.start > that]
            candidates = inner or candidates
        if not cue.latin:
            initial = [m for m in candidates if self._clause_initial(m)]
            candidates = initial or candidates
        return candidates[-1] if candidates else None

    def _clause_initial(self, mention: SentenceMention) -> bool:
        start = self.phrase_start(mention)
        lead = re.split(r"[,，;；:：()（）。]", self.folded[max(0, start - 8):start])[-1]
        return len(lead.strip()) <= 6 and not any(m.end <= start and m.start >= start - len(lead) for m in self.mentions)

    # ----- what

    def issue_mentions(self, start: int, end: int) -> list[SentenceMention]:
        found = [m for m in self.mentions if start <= m.start and m.end <= end and m.issue and not self._circumstance(m, start)]
        return [m for m in found if not self._attached(m, found)]

    def _attached(self, mention: SentenceMention, others: list[SentenceMention]) -> bool:
        """A mention that modifies another issue's noun is about that issue: "the X Sea shipping", "a ceasefire along the front line"."""
        for other in others:
            if other is mention or other.issue == mention.issue:
                continue
            if other.start >= mention.end and re.fullmatch(r"[\s'’s-]{0,3}", self.folded[mention.end:other.start]) \
                    and mention.kind == "place":
                return True  # a place naming the next issue noun: "the X Sea shipping"
            if other.start >= mention.end and re.fullmatch(r"\s", self.folded[mention.end:other.start]) and mention.kind == "issue" \
                    and re.search(r"[a-z](?:ed|al)$", self.folded[mention.start:mention.end]):
                return True  # an adjective or participle of the next issue noun: "a negotiated peace deal"
            if other.end <= mention.start:
                gap = WORD.findall(self.folded[other.end:mention.start])
                if gap and len(gap) <= 3 and gap[0] in self.lexicon.attached:
                    return True
        return False

    def _circumstance(self, mention: SentenceMention, floor: int = 0) -> bool:
        """An issue named as the occasion ("during the phone call", 通话中, "talks in the capital"), not the matter at stake.

        Only words from ``floor`` on count: the "in" of a cue ("interest in negotiating") is not an occasion's."""
        start = self.phrase_start(mention)
        words = re.split(r"[,，;；:：]", self.folded[max(floor, start - 40):start])[-1].split()[-4:]
        if mention.kind == "place":
            if any(w in self.lexicon.circumstance_temporal for w in words):
                return True
            head = [m for m in self.mentions if m.end <= start and m.issue == mention.issue and m.kind == "issue"
                    and re.fullmatch(r"\s*(?:in|at|在)\s*", self.folded[m.end:start])]
            return bool(head) and self._circumstance(head[-1])  # "agreed at talks in (a venue)"
        if self.folded[mention.end:mention.end + 2].startswith(self.lexicon.circumstance_zh_after):
            return True
        return self._governed_by_circumstance(words)

    def _governed_by_circumstance(self, words: list[str]) -> bool:
        """Whether the preposition nearest before a mention is an occasion's ("during the call"), not another's
        ("agreed in principle to a prisoner exchange": "to" governs the exchange, "in" only "principle")."""
        for i in range(len(words) - 1, -1, -1):
            word = words[i]
            if word == "of" and i > 0 and words[i - 1] in self.lexicon.circumstance_en:
                return True  # "part of", "ahead of"
            if word in self.lexicon.circumstance_en:
                return True
            if word in self.lexicon.prepositions_en:
                return False
        return False

    def refers_back(self, start: int, end: int) -> bool:
        return self.lexicon.demonstratives.search(self.folded[start:end]) is not None

    def offset(self, position: int) -> int:
        """The original-text offset of a folded offset (they differ only where folding changed a length)."""
        return min(position, len(self.text) - 1) if self.text else 0

DEFINITE_THING = re.compile(r"\bthe (?:plan|proposal|mission|deal|idea|initiative|offer|force)\b|该计划|这一计划|该方案|这一方案|该提议|这一提议|该倡议")

def reported_clause_start(sentence: StanceSentence, position: int) -> int:
    """Where the clause holding ``position`` starts, after a reporting frame ("A said (that) ...", "A表示,").
    A parenthesis closed before ``position`` is an aside: its clause breaks do not count."""
    start = sentence.clause_start(position)
    opened = max(sentence.folded.rfind("(", 0, position), sentence.folded.rfind("（", 0, position))
    if opened != -1 and opened < start < position and re.search(r"[)）]", sentence.folded[start:position]):
        start = sentence.clause_start(opened)
    for mark in (" that ", " said ", " says ", ":", "：", "表示", "说", "称"):
        cut = sentence.folded.rfind(mark, start, position)
        start = max(start, cut + len(mark)) if cut != -1 else start
    return start

def goal_mentions(sentence: StanceSentence, mentions: list[SentenceMention]) -> list[SentenceMention]:
    return [m for m in mentions
             if re.search(r"(?:conditions?|terms|preconditions?) (?:for|of|under which)\s+(?:(?:a|an|the)\s+)?$", sentence.folded[max(0, m.start - 32):m.start])
             or re.match(r"\s*的?条件|\s*(?:includes?|including|to include|包括)\b", sentence.folded[m.end:m.end + 12])
             # what an act should bring about is its aim: 停火应当带来持久和平 ("a ceasefire should bring lasting peace")
             or re.search(r"(?:带来|导致|实现|bring|bring about|lead to|result in)\s*$", sentence.folded[max(0, m.start - 14):m.start])]

def without_goals(sentence: StanceSentence, mentions: list[SentenceMention]) -> list[SentenceMention]:
    """Drop the aim a condition serves when the condition's content is named too: "conditions for ending the war include X"."""
    goals = goal_mentions(sentence, mentions)
    rest = [m for m in mentions if m not in goals and m.issue not in {g.issue for g in goals}]
    return rest if goals and rest else mentions

_TITLED_NAME = re.compile(r"['’]s\s+(?:[a-z][\w-]*\s+){1,4}((?:[A-Z][\w'’-]+\s+){1,2}[A-Z][\w'’-]+)\s")

def titled_name(sentence: StanceSentence, subject: SentenceMention | None) -> str | None:
    """The person a party's office names ("A's human rights commissioner Jane Doe demanded ..."): the speaker."""
    if subject is None or subject.kind != "party" or not sentence.text:
        return None
    origin = textnorm.fold_with_offsets(sentence.text)[1] + [len(sentence.text)]
    end = origin[subject.end] if subject.end < len(origin) else len(sentence.text)
    match = _TITLED_NAME.match(sentence.text, end)
    return match.group(1) if match else None

def group_issues(mentions: list[SentenceMention]) -> list[tuple[str, tuple[str, ...]]]:
    """Issue mentions grouped by issue, each with the places that stand for it."""
    grouped: dict[str, list[str]] = {}
    for mention in mentions:
        if mention.issue is None:
            continue
        places = grouped.setdefault(mention.issue, [])
        if mention.kind == "place" and mention.key not in places:
            places.append(mention.key)
    return [(issue, tuple(places)) for issue, places in grouped.items()]

def with_stance(finding: Finding, stance: str) -> Finding:
    return Finding(finding.party, finding.issue, stance, finding.sentence_index, finding.quote, finding.speaker,
                   finding.attribution, finding.relayed_from, finding.places)

def finding_attribution(sentence: StanceSentence, governing: Attribution, subject: SentenceMention | None) -> tuple[str, str | None]:
    """on_record, anonymous or relayed, and who said it (a profile key, or the words naming an unnamed source)."""
    speaker = governing.speaker
    if speaker is None and subject is not None:
        phrase_start = sentence.phrase_start(subject)
        marker = sentence.lexicon.anonymous.search(sentence.folded, phrase_start, subject.end + 20)
        if marker and marker.start() <= subject.end + 1:  # "senior officials insist..."
            speaker = Speaker(None, anonymous_phrase(sentence, sentence.clause_start(phrase_start), marker), subject.party, True)
    named_subject = subject.key if subject is not None and subject.kind == "actor" else titled_name(sentence, subject)
    if speaker is not None and speaker.key is not None and speaker.key in sentence.profile.parties:
        speaker = None  # "A said": only the country is named
    if governing.kind == "relayed":
        if speaker and speaker.key:
            return "relayed", speaker.key
        return "relayed", speaker.text if speaker else named_subject
    if speaker and speaker.anonymous:
        return "anonymous", speaker.text
    if speaker:
        return "on_record", speaker.key or speaker.text
    return "on_record", named_subject
