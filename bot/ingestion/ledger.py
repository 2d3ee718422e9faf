"""The position ledger's extraction: who demands, offers, rejects, accepts, conditions or denies what, sentence by sentence.

Rule-based on purpose: stance cues, reporting verbs and attribution marks are generic language
data in the lexicon file; parties, issues and places come from the profile. A finding needs a stance
cue, a party that holds it and an issue the stance is about. The holder is the party whose
representative states the position or to whom a report attributes it: the cue's subject, or the
speaker for speaker-bound cues (must, deny). Commentators hold nothing, the object of a criticism is
not a holder, a denial that something was discussed is about an event, the writer's own guesses
state nobody's position, and questions state none. One sentence gives at most one entry per
(party, issue).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.text.attribution import (
    LATIN_LETTER,
    STANCES,
    WORD,
    Attribution,
    Context,
    Lexicon,
    Mention,
    ParsedSentence,
    Speaker,
    anonymous_phrase,
    attribute,
    load_lexicon,
    named,
    remember,
)
from bot.text import normalize as textnorm
from bot.text.profile import Profile

log = logging.getLogger(__name__)

__all__ = ["STANCES", "Finding", "extract_positions", "load_lexicon"]


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
class _Cue:
    stance: str
    start: int
    end: int
    party_from_speaker: bool
    latin: bool = False  # an English cue (negation and adjacency are counted in words, not characters)


class _Sentence(ParsedSentence):
    """A parsed sentence with the stance cues that survive the rules."""

    def __init__(self, text: str, profile: Profile, lexicon: Lexicon):
        super().__init__(text, profile, lexicon)
        self.cues = self._cues()

    # ----- cues

    def _cues(self) -> list[_Cue]:
        masked = self.lexicon.not_cues.sub(lambda m: " " * len(m.group()), self.folded)
        found = sorted(((m.start(), m.end(), c) for c in self.lexicon.cues for m in c.pattern.finditer(masked)),
                       key=lambda hit: (hit[0], hit[0] - hit[1]))
        cues, taken_until = [], -1
        for start, end, pattern in found:
            if pattern.adjacent and not any(m.kind in ("party", "actor") and re.fullmatch(r"(?:'s)?\s?", self.folded[m.end:start])
                                            for m in self.mentions):
                continue
            if start >= taken_until:
                taken_until = end
                cues.append(_Cue(pattern.stance, start, end, pattern.party_from_speaker,
                                 bool(LATIN_LETTER.search(self.folded[start:end]))))
        kept = [cue for cue in map(self._negated, cues)
                if cue and not self._hypothetical(cue) and not self._nominal(cue) and not self._participle(cue)]
        return self._governing(kept)

    def _negated(self, cue: _Cue) -> _Cue | None:
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
            return _Cue("conditions", cue.start, cue.end, cue.party_from_speaker, cue.latin)  # "did not reject it, but wants ..."
        if re.search(r"\b(?:has|have|had)(?: not|n't)\b|并未|尚未|未曾", before[-24:]) and not re.match(r"rule", self.folded[cue.start:cue.end]):
            return None  # "has not committed", "had not rejected", 并未拒绝: no stance stated either way ("not ruled out" is an opening)
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
        if cue.latin or cue.party_from_speaker:
            return False  # 停火应当…… is a modal said of the ceasefire, not a noun
        return any(m.issue and m.kind == "issue" and 0 <= cue.start - m.end <= 1 for m in self.mentions)

    def _participle(self, cue: _Cue) -> bool:
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

    def _governing(self, cues: list[_Cue]) -> list[_Cue]:
        """Drop cues that belong to another: "rejected demands" (adjacent), "demands that X reject Y" (embedded)."""
        kept: list[_Cue] = []
        for cue in cues:
            if kept and self._adjacent(kept[-1], cue):
                continue
            # what is demanded, made a condition or denied is content, not another stance: "denied reports that X agreed"
            # (a condition inside a denial is denied too: "denied that A demanded X as a condition for a ceasefire")
            embeds = kept and kept[-1].stance in ("demands", "conditions", "denies") \
                and (cue.stance != "conditions" or kept[-1].stance == "denies")
            if embeds and not self.has_break(kept[-1].end, cue.start):
                continue
            kept.append(cue)
        return kept

    def _adjacent(self, first: _Cue, second: _Cue) -> bool:
        gap = self.folded[first.end:second.start]
        if re.search(r"[,，;；:：]", gap):
            return False
        return len(WORD.findall(gap)) <= 1 if second.latin else len(gap.strip()) <= 2 and not re.search(r"[()（）]", gap)

    def scope_end(self, cue: _Cue) -> int:
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

    def condition_span(self, cue: _Cue) -> tuple[int, int] | None:
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

    def holder_before(self, cue: _Cue) -> Mention | None:
        """The mention holding the stance: the noun right before a noun cue, else the cue's subject."""
        relative = re.search(r"(?:,\s*)?\b(?:which|who)\s+(?:also\s+)?$|,\s*that\s+$", self.folded[max(0, cue.start - 30):cue.start])
        if cue.latin and relative:  # "A's draft, which calls for a truce": the thing's owner, if any
            head_end = cue.start - (len(self.folded[max(0, cue.start - 30):cue.start]) - relative.start())
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

    def _clause_initial(self, mention: Mention) -> bool:
        start = self.phrase_start(mention)
        lead = re.split(r"[,，;；:：()（）。]", self.folded[max(0, start - 8):start])[-1]
        return len(lead.strip()) <= 6 and not any(m.end <= start and m.start >= start - len(lead) for m in self.mentions)

    # ----- what

    def issue_mentions(self, start: int, end: int) -> list[Mention]:
        found = [m for m in self.mentions if start <= m.start and m.end <= end and m.issue and not self._circumstance(m, start)]
        return [m for m in found if not self._attached(m, found)]

    def _attached(self, mention: Mention, others: list[Mention]) -> bool:
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

    def _circumstance(self, mention: Mention, floor: int = 0) -> bool:
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


# --------------------------------------------------------------------------- putting it together

def extract_positions(sentences: Sequence[str], profile: Profile, *, cited_agency: str | None = None,
                      lexicon: Lexicon | None = None) -> list[Finding]:
    """Findings for every sentence that has a stance cue, a party holding it and an issue it is about.

    ``sentences`` are one document's sentences in order (pronouns and "the publication" look
    back); ``cited_agency`` is the agency the whole document relays, if any (its display name).
    """
    lexicon = lexicon or load_lexicon()
    context = Context()
    findings: list[Finding] = []
    for index, text in enumerate(sentences):
        sentence = _Sentence(text, profile, lexicon)
        attribution = attribute(sentence, context, profile, cited_agency)
        found = _conditional_offers(_sentence_findings(sentence, index, context, attribution))
        # a conditional frame decides the stance of what it frames: it goes first, and one entry per pair is kept
        findings += _one_per_pair(_conditional_structure(sentence, index, attribution, context)
                                  + _if_then(sentence, index, context, attribution) + found)
        remember(sentence, context, attribution)
        issues = sentence.issue_mentions(0, len(sentence.folded))
        context.issue_mentions = issues or context.issue_mentions
        for mention in issues:
            if mention.issue is not None:
                context.issue_counts[mention.issue] = context.issue_counts.get(mention.issue, 0) + 1
        for party in dict.fromkeys(m.party for m in sentence.mentions if m.party and sentence.is_subject_like(m)):
            context.party_counts[party] = context.party_counts.get(party, 0) + 1
    return findings


_DOCUMENT_CONTENT = re.compile(r"\W*(?:according to|under) the (?:\w+ )?(?:agreement|draft|treaty|document|text|memorandum)\b"
                               r"|\W*(?:根据|按照)(?:该|这份|这一)?(?:协议|草案|文件|备忘录)")


def _sentence_findings(sentence: _Sentence, index: int, context: Context, attribution: Attribution) -> list[tuple[_Cue, Finding]]:
    if not sentence.cues or sentence.lexicon.question.search(sentence.folded):
        return []
    if _DOCUMENT_CONTENT.match(sentence.folded):
        return []  # "According to the agreement, A would have to ...": what a text says, not a party's stance
    found, previous = [], None
    for cue in sentence.cues:
        subject = _subject(sentence, cue, previous)
        previous = (cue, subject)
        governing = attribution.at(sentence.offset(cue.start))
        speaker = governing.speaker
        if speaker is not None and speaker.commentator:
            continue  # commentators, analysts and executives hold no party's position
        both = _both_sides(sentence, cue, subject, context)
        parties = both if both is not None else _holders(sentence, cue, subject, speaker, context)
        if not parties or _event_denial(sentence, cue) or _speculation(sentence, cue, governing):
            continue
        if _criticism(sentence, cue, speaker, parties) or _forecast_of_others(sentence, cue, subject, speaker, parties):
            continue
        if cue.stance == "denies" and subject is not None and subject.party in parties and subject.kind == "actor":
            governing = Attribution(governing.kind if governing.kind != "narrator" else "on_record",
                                    named(sentence, subject), governing.relayed_from)  # whoever denies speaks
        kind, who = _attribution(sentence, governing, subject)
        stated = [(cue.stance, _issues(sentence, cue, subject, context))]
        condition = sentence.condition_span(cue)
        if condition:  # "open to easing sanctions if the other side agrees to a ceasefire": a conditional offer
            acted = any(condition[0] <= m.start < condition[1] and m.party and sentence.is_subject_like(m) for m in sentence.mentions)
            content = ("demands" if cue.stance in ("offers", "accepts") else "conditions",
                       _group(_without_goals(sentence, sentence.issue_mentions(*condition)))
                       if acted or cue.stance not in ("offers", "accepts") else [])
            stated = [("conditions" if cue.stance in ("offers", "accepts") else cue.stance, stated[0][1]), content]
        if cue.stance == "conditions" and not cue.party_from_speaker and not condition:
            stated = _condition_content(sentence, cue, stated[0][1])
        if _discuss_with(sentence, cue):  # "需要与美方进一步讨论,或许需要通电话": an offer to talk to that party
            later = _group(sentence.issue_mentions(cue.end, len(sentence.folded)))
            stated = [("offers", later or stated[0][1])]
        if re.search(r"basis|starting point|基础", sentence.folded[cue.start:cue.end]):
            # "the draft could be the basis for talks": what is put forward is the draft, the talks are its aim
            basis = _group(sentence.issue_mentions(_reported_clause_start(sentence, cue.start), cue.start))
            stated = [(cue.stance, basis or stated[0][1])]
        if _needs_of_a_thing(sentence, cue):  # "any European force would need a backstop": a condition on the force
            stated = [("conditions", issues) for _, issues in stated]
        framed = _modal_subject(sentence, cue)
        if framed is not None:  # "a ceasefire must align with the realities": a condition on the ceasefire
            stated = [("conditions", _group([framed]))] + [(cue.stance, [i for i in stated[0][1] if i[0] != framed.issue])]
        for stance, issues in stated:
            for party in parties:
                for issue, places in issues:
                    found.append((cue, Finding(party, issue, stance, index, sentence.text, who, kind,
                                               governing.relayed_from, places)))
    return found


def _if_then(sentence: _Sentence, index: int, context: Context, attribution: Attribution) -> list[tuple[_Cue, Finding]]:
    """"If X happens, PARTY will Y": a party's conditional position on what both halves are about."""
    # at the start, or after a reporting frame: "他说,如果……,A可以……", "A said that if ..., B would ..."
    match = re.match(r"(?:[^,，:：]{0,40}?(?:说|表示|称|指出|said|says|told reporters)(?: that)?[,，:：]?\s*)?\W*"
                     r"(?:(?:if|only if|once)\b|如果|只要|一旦|假如|倘若|要是|若)(.+?)[,，](.+)$", sentence.folded)
    if not match:
        return []
    consequent = match.start(2)
    subject = next((m for m in sentence.mentions if m.start >= consequent and sentence.is_subject_like(m)), None)
    if subject is None or not subject.party \
            or not re.match(r"[\s.…]*(?:will|would|shall|could|can|(?:is|are|was|were) (?:ready|prepared|willing|open)|就|将|会|愿意|愿|准备|打算|可以|能够|能)",
                         sentence.folded[subject.end:subject.end + 12]):
        return []
    governing = attribution.at(sentence.offset(subject.start))
    if governing.speaker is not None and governing.speaker.commentator:
        return []
    then = _group(sentence.issue_mentions(consequent, len(sentence.folded)))
    first = [(issue, places) for issue, places in _group(_condition_issues(sentence, match.start(1), match.end(1)))
             if issue not in {i for i, _ in then}]
    kind, who = _attribution(sentence, governing, subject)
    cue = _Cue("conditions", match.start(), match.start(), False)
    if not then:  # "if A happens, B will act": the act names no issue, so the condition is what the position is about
        then, first = first, []
    # what the consequent is about is conditional; what must happen first is demanded
    return [(cue, Finding(subject.party, issue, stance, index, sentence.text, who, kind, governing.relayed_from, places))
            for stance, issues in (("conditions", then), ("demands", first)) for issue, places in issues]


_CONDITION = re.compile(r"\b(?:only if|unless|until|provided(?: that)?|providing that|as long as|so long as|on (?:the )?condition that"
                        r"|only once|only after|only when|as soon as|depends? on|depended on|dependent on|contingent (?:on|upon)"
                        r"|hinges? on|conditional (?:on|upon)|without|while|(?:be|is|are|was|were) preceded by"
                        r"|(?:but )?only(?: \w+){0,3}? (?:after|when|once|with|if|in the (?:final|last) stage))\b"
                        r"|只有|只要|除非|前提是|条件是|直到|取决于|\bbefore\b|的(?:前提|条件)(?:之?下)|为(?:前提|条件)")
# Markers that only date the conditioned act ("only once a deal is signed"): the condition is no demand of its own
# unless another party must act. The others ("provided", "on condition that", 前提) make their content a demand.
_TIMING = re.compile(r"until|before|while|only once|only after|only when|as soon as|直到|(?:but )?only(?: \w+){0,3}? (?:after|when|once|in the (?:final|last) stage)")


def _conditional_structure(sentence: _Sentence, index: int, attribution: Attribution,
                           context: Context | None = None) -> list[tuple[_Cue, Finding]]:
    """"X will keep A until Y does B", 只要B,X就A: the party conditions A on B, and demands B when another party must do it."""
    if sentence.lexicon.question.search(sentence.folded):
        return []
    marker = _CONDITION.search(sentence.folded) or re.search(r"没有(?=[^。;；]{1,30}?就(?:不|没有|无法|不会|不能|谈不上))", sentence.folded)
    if marker is None or re.search(r"condition of\s*$", sentence.folded[:marker.end()]):
        return []
    if marker.group() == "before" and not any(m.party and m.start >= marker.end()
                                              and len(WORD.findall(sentence.folded[marker.end():m.start])) <= 1
                                              for m in sentence.mentions):
        return []  # "before the talks" dates something; "before A withdraws" makes A's act a condition
    folded = sentence.folded
    negated_main = re.search(r"\b(?:not|never|no|cannot)\b|n't\b|\brefus", folded[sentence.clause_start(marker.start()):marker.start()])
    if marker.group() == "without" and not negated_main:
        return []  # "talks without preconditions", "met without aides": only a refusal without X makes X a condition
    if marker.group() == "while" and not (negated_main and any(
            m.party and m.start >= marker.end() and len(WORD.findall(folded[marker.end():m.start])) <= 1 for m in sentence.mentions)):
        return []  # "while" contrasts or dates, except in a refusal while another party acts: "will not discuss X while B ..."
    without_zh = re.search(r"没有([^。;；]{1,30}?)就(?=不|没有|无法|不会|不能|谈不上)", folded)
    if without_zh and marker.group() not in ("只有", "只要"):  # 没有X,就没有Y: Y is conditional on X
        marker = without_zh
        condition = (without_zh.start(1), without_zh.end(1))
        main = (without_zh.end(), sentence.clause_end(without_zh.end()))
        comma = max(folded.rfind(",", *condition), folded.rfind("，", *condition))
        if comma != -1:  # 没有X,A就不会Y: A, the subject, stands before 就
            condition, main = (condition[0], comma), (comma + 1, main[1])
    elif marker.group().startswith(("的", "为")):  # 在X的前提下,Y / 以X为条件,Y: the condition comes first
        opening = max(folded.rfind(mark, sentence.clause_start(marker.start()), marker.start()) for mark in ("在", "以", ",", "，"))
        condition = (max(opening, sentence.clause_start(marker.start())) + 1, marker.start())
        main = (marker.end(), sentence.clause_end(marker.end()))
        if marker.group().startswith("为") and sentence.issue_mentions(sentence.clause_start(opening), opening):
            main = (sentence.clause_start(opening), opening)  # 乌克兰愿意停火,但以X为前提: the main clause came first
    elif marker.group() in ("只有", "只要"):
        then = re.search(r"[就才]", folded[marker.end():])
        if then is None:
            return []
        condition = (marker.end(), marker.end() + then.start())
        main = (marker.end() + then.end(), sentence.clause_end(marker.end() + then.end()))
        comma = max(folded.rfind(",", *condition), folded.rfind("，", *condition))
        if comma != -1 and not sentence.issue_mentions(*main):  # 只有在A之后,B才会生效: B's subject stands before 才
            condition, main = (condition[0], comma), (comma + 1, main[1])
    else:
        start = sentence.clause_start(marker.start())
        if marker.group().startswith("but "):  # "ready to meet, but only in the final stage": the main clause is before "but"
            start = sentence.clause_start(max(0, marker.start() - 1))
        for mark in (" that ", ":", "：", "表示,", "表示，", "说,", "说，", "称,"):
            cut = folded.rfind(mark, start, marker.start())
            start = max(start, cut + len(mark)) if cut != -1 else start
        main = (start, marker.start())
        condition = (marker.end(), sentence.clause_end(marker.end()))
    main_issues: list[Mention] = sentence.issue_mentions(*main)
    topic = None
    if not main_issues and context is not None and context.issue_counts and _DEFINITE_THING.search(folded[main[0]:main[1]]):
        # "the force would deploy only once ...": the force, the plan, the deal the document is about
        topic = max(context.issue_counts, key=lambda issue: context.issue_counts[issue])
    if not main_issues and topic is None:
        return []
    governing = attribution.at(sentence.offset(main[0]))
    holder = next((m for m in sentence.mentions if main[0] <= m.start < main[1] and sentence.is_subject_like(m) and m.party), None)
    if holder is None:  # "A insists that any ceasefire be preceded by ...": the subject of the clause that frames the main one
        framing = [m for m in sentence.mentions if sentence.clause_start(main[0]) <= m.start and m.end <= main[0]
                   and m.party and sentence.is_subject_like(m)]
        holder = framing[-1] if framing else None
    timing = _TIMING.fullmatch(marker.group()) is not None
    if governing.speaker is not None and governing.speaker.commentator or governing.speaker is None and (timing or holder is None):
        return []  # the writer's own "until" or a commentator's states nobody's condition
    party = holder.party if holder else (governing.speaker.party if governing.speaker else None)
    if party is None:
        return []
    kind, who = _attribution(sentence, governing, holder)
    other = next((m for m in sentence.mentions if condition[0] <= m.start < condition[1] and m.party
                  and (sentence.is_subject_like(m) or len(WORD.findall(sentence.folded[condition[0]:m.start])) <= 1)), None)
    cue = _Cue("conditions", marker.start(), marker.end(), False)
    conditioned = _group(main_issues) if main_issues else [(topic, ())]
    found = [(cue, Finding(party, issue, "conditions", index, sentence.text, who, kind, governing.relayed_from, places))
             for issue, places in conditioned if issue is not None]
    if other is not None and other.party != party or not timing:  # what must happen first is demanded
        found += [(cue, Finding(party, issue, "demands", index, sentence.text, who, kind, governing.relayed_from, places))
                  for issue, places in _group(_without_goals(sentence, _condition_issues(sentence, *condition)))]
    return found


def _condition_issues(sentence: _Sentence, start: int, end: int) -> list[Mention]:
    """The issues a condition names: an occasion's marks do not apply inside it (在A之后 is the condition, not a date)."""
    found = [m for m in sentence.mentions if start <= m.start and m.end <= end and m.issue]
    return [m for m in found if not sentence._attached(m, found)]


def _discuss_with(sentence: _Sentence, cue: _Cue) -> bool:
    """A "needs to be discussed" cue that names whom to discuss it with: "需要与美方进一步讨论", "to be discussed with the capital"."""
    if cue.stance != "conditions" or not cue.party_from_speaker:
        return False
    partner = any(m.party and cue.start <= m.start and m.end <= cue.end for m in sentence.mentions) \
        or any(m.party and 0 <= m.start - cue.end <= 6 for m in sentence.mentions) and \
        re.match(r"\s*with\b", sentence.folded[cue.end:cue.end + 6]) is not None
    return partner


def _reported_clause_start(sentence: _Sentence, position: int) -> int:
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


def _needs_of_a_thing(sentence: _Sentence, cue: _Cue) -> bool:
    """A "would need"/"will require" said of a thing, not of a party: what the thing needs is its condition."""
    if not re.fullmatch(r"(?:would|will) (?:also )?(?:need|require)", sentence.folded[cue.start:cue.end]):
        return False
    start = sentence.clause_start(cue.start)
    for mark in (" that ", " said ", " says ", ":"):
        cut = sentence.folded.rfind(mark, start, cue.start)
        start = max(start, cut + len(mark)) if cut != -1 else start
    return not any(m.kind in ("party", "actor") and start <= m.start and m.end <= cue.start
                   and re.fullmatch(r"(?:'s)?(?:\s+(?:also|still|only|itself|themselves))*\s*", sentence.folded[m.end:cue.start])
                   for m in sentence.mentions) \
        and re.search(r"\w", sentence.folded[start:cue.start]) is not None


def _modal_subject(sentence: _Sentence, cue: _Cue) -> Mention | None:
    """The issue a speaker-bound modal is said of ("the ceasefire must ...", 停火应当……), if it is the clause's subject."""
    if not cue.party_from_speaker or cue.stance != "demands":
        return None
    clause = sentence.clause_start(cue.start)
    before = [m for m in sentence.mentions if clause <= m.start and m.end <= cue.start]
    if not before or not before[-1].issue or before[-1].kind != "issue":
        return None
    gap = sentence.folded[before[-1].end:cue.start]
    return before[-1] if len(WORD.findall(gap)) <= 2 and not re.search(r"[,，]", gap) else None


def _conditional_offers(found: list[tuple[_Cue, Finding]]) -> list[tuple[_Cue, Finding]]:
    """An offer followed by its condition ("open to talks, provided X"): the offer is conditional, the condition's content is demanded."""
    result = []
    for i, (cue, finding) in enumerate(found):
        later = [(c, f) for c, f in found[i + 1:] if c.stance == "conditions" and c.start > cue.start and f.party == finding.party
                 and c is not cue]
        earlier = [(c, f) for c, f in found[:i] if c.stance in ("offers", "accepts") and c.start < cue.start and f.party == finding.party]
        if cue.stance in ("offers", "accepts") and finding.stance == cue.stance and later:
            finding = _with_stance(finding, "conditions")
        elif cue.stance == "conditions" and finding.stance == "conditions" and earlier \
                and finding.issue not in {f.issue for _, f in earlier}:
            finding = _with_stance(finding, "demands")
        result.append((cue, finding))
    return result


def _one_per_pair(found: list[tuple[_Cue, Finding]]) -> list[Finding]:
    """At most one entry per (party, issue) from one sentence.

    An offer or acceptance with a condition attached is a conditional position ("ready to meet as
    long as ..."); otherwise the first stance stated (the main clause) stands.
    """
    chosen: dict[tuple[str, str], Finding] = {}
    for _, finding in found:
        key = (finding.party, finding.issue)
        if key not in chosen:
            chosen[key] = finding
        elif finding.stance == "conditions" and chosen[key].stance in ("offers", "accepts"):
            chosen[key] = _with_stance(chosen[key], "conditions")
    return list(chosen.values())


def _with_stance(finding: Finding, stance: str) -> Finding:
    return Finding(finding.party, finding.issue, stance, finding.sentence_index, finding.quote, finding.speaker,
                   finding.attribution, finding.relayed_from, finding.places)


def _subject(sentence: _Sentence, cue: _Cue, previous: tuple[_Cue, Mention | None] | None) -> Mention | None:
    """The cue's subject; a cue continuing the previous one's clause ("pushing X to Y in exchange for Z") shares it."""
    subject = sentence.holder_before(cue)
    reporter = _reporting_subject(sentence)
    if cue.latin and subject is not None and reporter is not None and subject.start > reporter.end \
            and re.search(r"\b(?:and|but)\s+(?:also\s+|then\s+)?$", sentence.folded[:cue.start]) \
            and sentence.lexicon.criticism.search(sentence.folded, reporter.end, cue.start):
        return reporter  # "A said the strikes showed that B was not serious and urged C to ...": A urges, B is criticised
    if previous is not None and previous[1] is not None and not sentence.has_break(previous[0].end, cue.start):
        if subject is None or subject.start < previous[0].end and subject is not previous[1]:
            return previous[1]
        if subject.start >= previous[0].end and not re.fullmatch(r"[\s\w'’]{0,30}", sentence.folded[subject.end:cue.start]):
            return previous[1]
    return subject


_BOTH = re.compile(r"\b(?:both sides|both parties|both countries|the two sides|the two countries|the two parties|the sides)\b|双方|两国")
_FORECAST = re.compile(r"\b(?:will|would|shall|could|may|might|should|to)\s+(?:\w+\s+)?$|(?:将|会|可能|应当|应该|预计)\s*$")


def _both_sides(sentence: _Sentence, cue: _Cue, subject: Mention | None, context: Context) -> list[str] | None:
    """"Both sides agreed to ...", 双方同意: the two parties the document is about, when a report says what they did.

    A forecast ("both sides will soon agree") or a wish states nobody's position; the two parties are the sentence's own
    pair ("A and B, both sides ...") or else the two most named as subjects so far in the document. None when the cue's
    subject is not "both sides"."""
    clause = sentence.clause_start(cue.start)
    both = [m for m in _BOTH.finditer(sentence.folded, clause, cue.start)]
    if not both or subject is not None and subject.start > both[-1].end() or cue.party_from_speaker:
        return None
    between = sentence.folded[both[-1].end():cue.start]
    if len(WORD.findall(between)) > 3 or re.search(r"[,，]", between):
        return None
    if _FORECAST.search(between):
        return []
    start = both[-1].start()
    adjacent = [m for m in sentence.mentions if m.party and m.end <= start and re.fullmatch(r"[\s,，]{0,2}", sentence.folded[m.end:start])]
    if adjacent:  # 俄乌双方, "A and B, the two sides": the pair named right before
        run = [adjacent[-1]]
        for other in reversed([m for m in sentence.mentions if m.party and m.end <= run[0].start]):
            if re.fullmatch(r"\s*(?:and|和|与|及|、)?\s*", sentence.folded[other.end:run[0].start]):
                run.insert(0, other)
        pair = [m.party for m in run]
        if len(set(pair)) == 2:
            return list(dict.fromkeys(p for p in pair if p))
    named = list(dict.fromkeys(m.party for m in sentence.mentions if m.party and m.end <= start))
    if len(named) == 2:
        return named
    ranked = sorted(context.party_counts.items(), key=lambda item: -item[1])
    return [party for party, _ in ranked[:2]] if len(ranked) >= 2 else []


def _reporting_subject(sentence: _Sentence) -> Mention | None:
    """The party or actor whose reporting verb opens the sentence ("A said ..."), if any."""
    for mention in sentence.mentions:
        if mention.kind in ("party", "actor") and sentence.is_subject_like(mention):
            report = sentence.lexicon.reporting.search(sentence.folded, mention.end, mention.end + 40)
            if report and len(WORD.findall(sentence.folded[mention.end:report.start()])) <= 3:
                return mention
            return None
    return None


def _holders(sentence: _Sentence, cue: _Cue, subject: Mention | None, speaker: Speaker | None,
             context: Context) -> list[str]:
    """The parties that hold the stance: the cue's subject (and those joined to it), or the speaker."""
    if cue.party_from_speaker and cue.stance == "denies" and subject is not None and subject.party:
        return [subject.party]  # "the spokesman denied reports that the president demanded ...": whoever denies
    if cue.party_from_speaker:
        if speaker is not None and speaker.party:
            return [speaker.party]
        if cue.stance == "rejects" and subject is not None and subject.party and re.match(
                r"(?:'s)?\s*(?:\w+\s+)?(?:called|calls|described|describes|branded|brands|labell?ed|termed|dubbed|斥为|称|视为)",
                sentence.folded[subject.end:subject.end + 30]):
            return [subject.party]  # "A called the idea a non-starter": whoever calls it so rejects it
        if cue.stance != "denies":
            return []
    if subject is not None and _criticised(sentence, subject):
        return []  # "A's leader accused B's of rejecting ...": the object of a criticism holds nothing
    if subject is not None:
        parties = [subject.party, *(m.party for m in sentence.coordinated(subject, cue.start))]
        return list(dict.fromkeys(p for p in parties if p))
    if sentence.starts_with(sentence.lexicon.pronouns_person) and context.person:
        return [context.person.party] if context.person.party else []
    if sentence.starts_with(sentence.lexicon.pronouns) and context.subject_party:
        return [context.subject_party]
    if speaker is not None and speaker.party and not cue.latin or speaker is not None and speaker.party and \
            not any(m.kind in ("party", "actor") and m.end <= cue.start for m in sentence.mentions):
        return [speaker.party]  # "X said there may be room for negotiations": no subject, the speaker's own view
    return []


def _forecast_of_others(sentence: _Sentence, cue: _Cue, subject: Mention | None, speaker: Speaker | None,
                       parties: list[str]) -> bool:
    """A speaker of one party saying what another party will do ("A said B will agree to a truce") forecasts; it
    reports no stance of B's. What B did or said ("A said B had agreed") is a report and stays."""
    if speaker is None or speaker.anonymous or not speaker.party or speaker.party in parties or subject is None:
        return False
    between = sentence.folded[subject.end:cue.start] + sentence.folded[cue.start:cue.end]
    return re.search(r"\b(?:will|would|could|may|might|shall|is going to|are going to)\b|将(?![军领])|(?<![开约聚宴])会(?![谈面议晤见谈])|可能|预计", between) is not None


def _criticised(sentence: _Sentence, mention: Mention) -> bool:
    """Whether the mention is the object of a criticism verb right before it ("accused the president", 指责对方)."""
    before = sentence.folded[max(0, sentence.phrase_start(mention) - 30):sentence.phrase_start(mention)]
    last = list(sentence.lexicon.criticism.finditer(before))
    return bool(last) and len(WORD.findall(before[last[-1].end():])) <= 1 if last else False


def _event_denial(sentence: _Sentence, cue: _Cue) -> bool:
    """A denial that something was discussed, raised or took place is about an event, not a stance on the issue."""
    if cue.stance != "denies":
        return False
    scope = sentence.folded[cue.start:sentence.scope_end(cue)]
    cue_words = sentence.folded[cue.start:cue.end]
    if sentence.lexicon.event_verbs.search(cue_words):
        return True  # "did not discuss", 未讨论
    stance_inside = any(c.pattern.search(scope[len(cue_words):]) for c in sentence.lexicon.cues if not c.party_from_speaker)
    return bool(sentence.lexicon.event_verbs.search(scope)) and not stance_inside


def _speculation(sentence: _Sentence, cue: _Cue, governing: Attribution) -> bool:
    """The writer's own guess ("his administration may push for ...", 普京可能会欢迎) is nobody's stated position."""
    if governing.kind == "relayed" and re.search(r"\bsuggest(?:s|ed)?\b|\bimpl(?:ies|ied)\b|\bspeculat", sentence.folded[:cue.start]):
        return True  # "the report suggested that ...": the outlet's inference, not a stated position
    if governing.speaker is not None:
        return False
    before = sentence.folded[:cue.start]
    if sentence.lexicon.speculation.search(sentence.folded[sentence.clause_start(cue.start):cue.start]) \
            or re.search(r"clear to (?:all )?observers|it is clear that|remained clear|不会轻易|意味着|不能|无法|\bcannot\b|\bunable to\b", before):
        return True
    # a Chinese cue may swallow the hedge: 不会轻易地放弃 ("will not easily give up") is a guess, not a refusal
    with_cue = sentence.folded[sentence.clause_start(cue.start):cue.end]
    return not cue.latin and re.search(r"轻易|可能|或许|也许", sentence.folded[cue.start:cue.end]) is not None \
        and bool(with_cue)


def _criticism(sentence: _Sentence, cue: _Cue, speaker: Speaker | None, parties: list[str]) -> bool:
    """A named speaker of one party characterising another's stance is criticising it: the object holds nothing."""
    if speaker is None or speaker.anonymous or not speaker.party or speaker.party in parties:
        return False
    return sentence.lexicon.criticism.search(sentence.folded) is not None


def _issues(sentence: _Sentence, cue: _Cue, subject: Mention | None, context: Context) -> list[tuple[str, tuple[str, ...]]]:
    """(issue, places) pairs the cue is about: in its scope, else before it, else what "these" points back to."""
    end = sentence.scope_end(cue)
    mentions = _without_goals(sentence, sentence.issue_mentions(cue.end, end))
    question = re.search(r"\bwhether\b|是否", sentence.folded[cue.end:end])
    if question:  # "issues to discuss, including how to monitor the ceasefire and whether ...": the open question is not the matter
        before = [m for m in mentions if m.start < cue.end + question.start()]
        mentions = before or mentions
    clause = sentence.clause_start(cue.start)
    lead_start = max(subject.end if subject else clause, clause)
    if not mentions and (cue.stance in ("rejects", "denies") or cue.party_from_speaker):
        mentions = sentence.issue_mentions(lead_start, cue.start)  # "the future of the peninsula is not up for discussion"
    rest = sentence.folded[cue.end:end]
    verb = re.sub(r"\W", "", rest)
    bare = (not verb or any(c.pattern.fullmatch(verb) for c in sentence.lexicon.cues)) if not cue.latin else not re.search(r"\w", re.sub(r"\b(?:it|this|that|them|any|either)\b", "", rest))
    if not mentions and cue.stance in ("rejects", "accepts") and bare:
        # "..., 俄方不会接受。": a verb with no object of its own takes the matter of the clause before it
        earlier = sentence.issue_mentions(0, subject.start if subject is not None else cue.start)
        mentions = [m for m in earlier if m.issue == earlier[-1].issue] if earlier else []
    if not mentions:
        opened = sentence.folded.rfind("(", 0, cue.start)
        if opened != -1 and ")" not in sentence.folded[opened:cue.start]:
            mentions = sentence.issue_mentions(sentence.clause_start(opened), opened)[-1:]
    if not mentions and sentence.refers_back(min(lead_start, cue.start), end):
        earlier = sentence.issue_mentions(0, cue.start)  # "these four regions are part of A": named before the cue
        mentions = [m for m in earlier if m.issue == earlier[-1].issue] if earlier else context.issue_mentions
        if not earlier and context.issue_counts and _DEFINITE_THING.search(sentence.folded[min(lead_start, cue.start):end]):
            # "welcomed the plan": the plan the document is about, its most named issue, not the last sentence's
            topic = max(context.issue_counts, key=lambda issue: context.issue_counts[issue])
            return [(topic, ())]
    return _group(mentions)


_DEFINITE_THING = re.compile(r"\bthe (?:plan|proposal|mission|deal|idea|initiative|offer|force)\b|该计划|这一计划|该方案|这一方案|该提议|这一提议|该倡议")


_EXCHANGE = re.compile(r"in exchange for|in return for|以换取|换取|作为交换")


def _condition_content(sentence: _Sentence, cue: _Cue, issues: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, list]]:
    """What a condition cue states: the aim it serves is conditional, what it requires is demanded.

    "conditions for a ceasefire include a halt to arms supplies": the ceasefire is conditional, the halt demanded;
    "open to talks provided X": X is demanded (the talks' condition comes from the offer before it). What is given
    "in exchange for" the demand is no stance of its own. Issues pointed back to ("these discussions") stay conditional.
    """
    if _EXCHANGE.fullmatch(sentence.folded[cue.start:cue.end]):
        return []
    in_scope = sentence.issue_mentions(cue.end, sentence.scope_end(cue))
    goals = _goal_mentions(sentence, in_scope)
    if not _is_condition_word(sentence, cue):
        return [("conditions", issues)]  # "did not reject X, but ...": a conditional stance on X itself
    if not in_scope or not {issue for issue, _ in issues} <= {m.issue for m in in_scope}:
        return [("conditions", issues)]
    goal_issues = {m.issue for m in goals}
    content = [(issue, places) for issue, places in issues if issue not in goal_issues]
    if not content:
        return [("conditions", issues)]
    aim = re.search(r"condition|条件", sentence.folded[cue.start:cue.end]) is not None  # "conditions for X": X is the aim
    return [("conditions", _group(goals)), ("demands", content)] if aim else [("demands", content)]


def _is_condition_word(sentence: _Sentence, cue: _Cue) -> bool:
    text = sentence.folded[cue.start:cue.end]
    return any(c.stance == "conditions" and c.pattern.fullmatch(text) for c in sentence.lexicon.cues)


def _goal_mentions(sentence: _Sentence, mentions: list[Mention]) -> list[Mention]:
    return [m for m in mentions
             if re.search(r"(?:conditions?|terms|preconditions?) (?:for|of|under which)\s+(?:(?:a|an|the)\s+)?$", sentence.folded[max(0, m.start - 32):m.start])
             or re.match(r"\s*的?条件|\s*(?:includes?|including|to include|包括)\b", sentence.folded[m.end:m.end + 12])
             # what an act should bring about is its aim: 停火应当带来持久和平 ("a ceasefire should bring lasting peace")
             or re.search(r"(?:带来|导致|实现|bring|bring about|lead to|result in)\s*$", sentence.folded[max(0, m.start - 14):m.start])]


def _without_goals(sentence: _Sentence, mentions: list[Mention]) -> list[Mention]:
    """Drop the aim a condition serves when the condition's content is named too: "conditions for ending the war include X"."""
    goals = _goal_mentions(sentence, mentions)
    rest = [m for m in mentions if m not in goals and m.issue not in {g.issue for g in goals}]
    return rest if goals and rest else mentions


_TITLED_NAME = re.compile(r"['’]s\s+(?:[a-z][\w-]*\s+){1,4}((?:[A-Z][\w'’-]+\s+){1,2}[A-Z][\w'’-]+)\s")


def _titled_name(sentence: _Sentence, subject: Mention | None) -> str | None:
    """The person a party's office names ("A's human rights commissioner Jane Doe demanded ..."): the speaker."""
    if subject is None or subject.kind != "party" or not sentence.text:
        return None
    origin = textnorm.fold_with_offsets(sentence.text)[1] + [len(sentence.text)]
    end = origin[subject.end] if subject.end < len(origin) else len(sentence.text)
    match = _TITLED_NAME.match(sentence.text, end)
    return match.group(1) if match else None


def _group(mentions: list[Mention]) -> list[tuple[str, tuple[str, ...]]]:
    """Issue mentions grouped by issue, each with the places that stand for it."""
    grouped: dict[str, list[str]] = {}
    for mention in mentions:
        if mention.issue is None:
            continue
        places = grouped.setdefault(mention.issue, [])
        if mention.kind == "place" and mention.key not in places:
            places.append(mention.key)
    return [(issue, tuple(places)) for issue, places in grouped.items()]


def _attribution(sentence: _Sentence, governing: Attribution, subject: Mention | None) -> tuple[str, str | None]:
    """on_record, anonymous or relayed, and who said it (a profile key, or the words naming an unnamed source)."""
    speaker = governing.speaker
    if speaker is None and subject is not None:
        phrase_start = sentence.phrase_start(subject)
        marker = sentence.lexicon.anonymous.search(sentence.folded, phrase_start, subject.end + 20)
        if marker and marker.start() <= subject.end + 1:  # "senior officials insist..."
            speaker = Speaker(None, anonymous_phrase(sentence, sentence.clause_start(phrase_start), marker), subject.party, True)
    named_subject = subject.key if subject is not None and subject.kind == "actor" else _titled_name(sentence, subject)
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
