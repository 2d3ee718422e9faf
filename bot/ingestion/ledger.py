"""The position ledger's extraction: who demands, offers, rejects, accepts, conditions or denies what, sentence by sentence.

Rule-based on purpose: stance cues, reporting verbs and attribution marks are generic language
data in the lexicon file; parties, issues and places come from the profile. A finding needs a stance
cue, a party that holds it and an issue the stance is about. The holder is the party whose
representative states the position or to whom a report attributes it: the cue's subject, or the
speaker for speaker-bound cues (must, deny). Commentators hold nothing, the object of a criticism is
not a holder, a denial that something was discussed is about an event, the writer's own guesses
and forecasts of what another party will do state nobody's position, and questions state none.
One sentence gives at most one entry per (party, issue).

The sentence as the ledger reads it (its cues, their scope, their subject) is in ``ledger_sentence``;
conditional frames ("only if", "provided", 只有……才, 在……的前提下) are in ``ledger_conditions``.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from bot.ingestion.ledger_conditions import (
    condition_content,
    conditional_offers,
    conditional_structure,
    discuss_with,
    if_then,
    modal_subject,
    needs_of_a_thing,
)
from bot.ingestion.ledger_sentence import (
    DEFINITE_THING,
    Cue,
    Finding,
    StanceSentence,
    finding_attribution,
    group_issues,
    reported_clause_start,
    with_stance,
    without_goals,
)
from bot.text.attribution import (
    STANCES,
    WORD,
    Attribution,
    Context,
    Lexicon,
    SentenceMention,
    Speaker,
    attribute,
    load_lexicon,
    named,
    remember,
)
from bot.text.profile import Profile

log = logging.getLogger(__name__)

__all__ = ["STANCES", "Finding", "extract_positions", "load_lexicon"]

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
        sentence = StanceSentence(text, profile, lexicon)
        attribution = attribute(sentence, context, profile, cited_agency)
        found = conditional_offers(_sentence_findings(sentence, index, context, attribution))
        # a conditional frame decides the stance of what it frames: it goes first, and one entry per pair is kept
        findings += _one_per_pair(conditional_structure(sentence, index, attribution, context)
                                  + if_then(sentence, index, context, attribution) + found)
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

_CAMPAIGN = re.compile(r"\bas a (?:presidential )?candidate\b|\bon the campaign trail\b|\bduring (?:his|her|the) (?:election |presidential )?campaign\b"
                       r"|\bcampaign (?:promise|pledge)|\bif (?:he|she) (?:takes|took|were to take) office\b|\bif (?:re-?)?elected\b"
                       r"|竞选期间|竞选时|竞选承诺|作为候选人|如果(?:他|她)上任|若当选|如果当选")


def _sentence_findings(sentence: StanceSentence, index: int, context: Context, attribution: Attribution) -> list[tuple[Cue, Finding]]:
    if not sentence.cues or sentence.lexicon.question.search(sentence.folded):
        return []
    if _CAMPAIGN.search(sentence.folded):
        return []  # "as a candidate, promised to end the war": a campaign promise is no party's position
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
        kind, who = finding_attribution(sentence, governing, subject)
        stated = [(cue.stance, _issues(sentence, cue, subject, context))]
        condition = sentence.condition_span(cue)
        if condition:  # "open to easing sanctions if the other side agrees to a ceasefire": a conditional offer
            acted = any(condition[0] <= m.start < condition[1] and m.party and sentence.is_subject_like(m) for m in sentence.mentions)
            content = ("demands" if cue.stance in ("offers", "accepts") else "conditions",
                       group_issues(without_goals(sentence, sentence.issue_mentions(*condition)))
                       if acted or cue.stance not in ("offers", "accepts") else [])
            stated = [("conditions" if cue.stance in ("offers", "accepts") else cue.stance, stated[0][1]), content]
        if cue.stance == "conditions" and not cue.party_from_speaker and not condition:
            stated = condition_content(sentence, cue, stated[0][1])
        if discuss_with(sentence, cue):  # "需要与美方进一步讨论,或许需要通电话": an offer to talk to that party
            later = group_issues(sentence.issue_mentions(cue.end, len(sentence.folded)))
            stated = [("offers", later or stated[0][1])]
        if re.search(r"basis|starting point|基础", sentence.folded[cue.start:cue.end]):
            # "the draft could be the basis for talks": what is put forward is the draft, the talks are its aim
            basis = group_issues(sentence.issue_mentions(reported_clause_start(sentence, cue.start), cue.start))
            stated = [(cue.stance, basis or stated[0][1])]
        if needs_of_a_thing(sentence, cue):  # "any European force would need a backstop": a condition on the force
            stated = [("conditions", issues) for _, issues in stated]
        framed = modal_subject(sentence, cue)
        if framed is not None:  # "a ceasefire must align with the realities": a condition on the ceasefire
            stated = [("conditions", group_issues([framed]))] + [(cue.stance, [i for i in stated[0][1] if i[0] != framed.issue])]
        for stance, issues in stated:
            for party in parties:
                for issue, places in issues:
                    found.append((cue, Finding(party, issue, stance, index, sentence.text, who, kind,
                                               governing.relayed_from, places)))
    return found

def _one_per_pair(found: list[tuple[Cue, Finding]]) -> list[Finding]:
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
            chosen[key] = with_stance(chosen[key], "conditions")
    return list(chosen.values())

def _subject(sentence: StanceSentence, cue: Cue, previous: tuple[Cue, SentenceMention | None] | None) -> SentenceMention | None:
    """The cue's subject; a cue continuing the previous one's clause ("pushing X to Y in exchange for Z") shares it."""
    agent = _passive_agent(sentence, cue)
    if agent is not None:
        return agent  # "the proposal was rejected by A": A rejects it
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

def _both_sides(sentence: StanceSentence, cue: Cue, subject: SentenceMention | None, context: Context) -> list[str] | None:
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

def _passive_agent(sentence: StanceSentence, cue: Cue) -> SentenceMention | None:
    """The agent of a passive cue: "was rejected by A", "had been welcomed by A"."""
    if not cue.latin or not re.search(r"\b(?:was|were|been|is|are|be|being)\s+(?:\w+ly\s+)?$", sentence.folded[max(0, cue.start - 24):cue.start]):
        return None
    by = re.match(r"\s+(?:\w+ly\s+)?by\s+(?:the\s+)?", sentence.folded[cue.end:cue.end + 24])
    if by is None:
        return None
    return next((m for m in sentence.mentions if m.start == cue.end + by.end() and m.kind in ("party", "actor")), None)


def _reporting_subject(sentence: StanceSentence) -> SentenceMention | None:
    """The party or actor whose reporting verb opens the sentence ("A said ..."), if any."""
    for mention in sentence.mentions:
        if mention.kind in ("party", "actor") and sentence.is_subject_like(mention):
            report = sentence.lexicon.reporting.search(sentence.folded, mention.end, mention.end + 40)
            if report and len(WORD.findall(sentence.folded[mention.end:report.start()])) <= 3:
                return mention
            return None
    return None

def _holders(sentence: StanceSentence, cue: Cue, subject: SentenceMention | None, speaker: Speaker | None,
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

def _forecast_of_others(sentence: StanceSentence, cue: Cue, subject: SentenceMention | None, speaker: Speaker | None,
                       parties: list[str]) -> bool:
    """A speaker of one party saying what another party will do ("A said B will agree to a truce") forecasts; it
    reports no stance of B's. What B did or said ("A said B had agreed") is a report and stays."""
    if speaker is None or speaker.anonymous or not speaker.party or speaker.party in parties or subject is None:
        return False
    between = sentence.folded[subject.end:cue.start] + sentence.folded[cue.start:cue.end]
    return re.search(r"\b(?:will|would|could|may|might|shall|is going to|are going to)\b|将(?![军领])|(?<![开约聚宴])会(?![谈面议晤见谈])|可能|预计", between) is not None

def _criticised(sentence: StanceSentence, mention: SentenceMention) -> bool:
    """Whether the mention is the object of a criticism verb right before it ("accused the president", 指责对方)."""
    before = sentence.folded[max(0, sentence.phrase_start(mention) - 30):sentence.phrase_start(mention)]
    last = list(sentence.lexicon.criticism.finditer(before))
    return bool(last) and len(WORD.findall(before[last[-1].end():])) <= 1 if last else False

def _event_denial(sentence: StanceSentence, cue: Cue) -> bool:
    """A denial that something was discussed, raised or took place is about an event, not a stance on the issue."""
    if cue.stance != "denies":
        return False
    scope = sentence.folded[cue.start:sentence.scope_end(cue)]
    cue_words = sentence.folded[cue.start:cue.end]
    if sentence.lexicon.event_verbs.search(cue_words):
        return True  # "did not discuss", 未讨论
    stance_inside = any(c.pattern.search(scope[len(cue_words):]) for c in sentence.lexicon.cues if not c.party_from_speaker)
    return bool(sentence.lexicon.event_verbs.search(scope)) and not stance_inside

def _speculation(sentence: StanceSentence, cue: Cue, governing: Attribution) -> bool:
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

def _criticism(sentence: StanceSentence, cue: Cue, speaker: Speaker | None, parties: list[str]) -> bool:
    """A named speaker of one party characterising another's stance is criticising it: the object holds nothing."""
    if speaker is None or speaker.anonymous or not speaker.party or speaker.party in parties:
        return False
    return sentence.lexicon.criticism.search(sentence.folded) is not None

def _issues(sentence: StanceSentence, cue: Cue, subject: SentenceMention | None, context: Context) -> list[tuple[str, tuple[str, ...]]]:
    """(issue, places) pairs the cue is about: in its scope, else before it, else what "these" points back to."""
    end = sentence.scope_end(cue)
    mentions = without_goals(sentence, sentence.issue_mentions(cue.end, end))
    question = re.search(r"\bwhether\b|是否", sentence.folded[cue.end:end])
    if question:  # "issues to discuss, including how to monitor the ceasefire and whether ...": the open question is not the matter
        before = [m for m in mentions if m.start < cue.end + question.start()]
        mentions = before or mentions
    clause = sentence.clause_start(cue.start)
    lead_start = max(subject.end if subject and subject.end <= cue.start else clause, clause)
    if not mentions and subject is not None and subject.start > cue.end:  # a passive: what was rejected stands before the cue
        mentions = sentence.issue_mentions(lead_start, cue.start)
    if not mentions and (cue.stance in ("rejects", "denies") or cue.party_from_speaker):
        mentions = sentence.issue_mentions(lead_start, cue.start)  # "the future of the peninsula is not up for discussion"
    if not mentions and not cue.latin:  # 俄方对谈判持开放态度, 对该提议表示欢迎: the matter is what 对 introduces
        toward = sentence.folded.rfind("对", lead_start, cue.start)
        mentions = sentence.issue_mentions(toward + 1, cue.start) if toward != -1 else []
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
        if not earlier and context.issue_counts and DEFINITE_THING.search(sentence.folded[min(lead_start, cue.start):end]):
            # "welcomed the plan": the plan the document is about, its most named issue, not the last sentence's
            topic = max(context.issue_counts, key=lambda issue: context.issue_counts[issue])
            return [(topic, ())]
    return group_issues(mentions)
