"""Conditional positions for the ledger: "only if", "provided", "as long as", "unless", "without", "until",
只有……才, 只要……就, 在……的前提下, 以……为条件, 没有……就不, and "if ..., A will ...".

The matter of the main clause is conditional; what the condition requires is demanded (a timing, "only once a
deal is signed", demands nothing unless another party must act); the aim of "conditions for X" is conditional;
what is given "in exchange for" a demand holds no stance of its own.
"""
from __future__ import annotations

import re

from bot.ingestion.ledger_sentence import (
    DEFINITE_THING,
    Cue,
    Finding,
    StanceSentence,
    finding_attribution,
    goal_mentions,
    group_issues,
    with_stance,
    without_goals,
)
from bot.text.attribution import WORD, Attribution, Context, SentenceMention


def if_then(sentence: StanceSentence, index: int, context: Context, attribution: Attribution) -> list[tuple[Cue, Finding]]:
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
    then = group_issues(sentence.issue_mentions(consequent, len(sentence.folded)))
    first = [(issue, places) for issue, places in group_issues(_condition_issues(sentence, match.start(1), match.end(1)))
             if issue not in {i for i, _ in then}]
    kind, who = finding_attribution(sentence, governing, subject)
    cue = Cue("conditions", match.start(), match.start(), False)
    if not then:  # "if A happens, B will act": the act names no issue, so the condition is what the position is about
        then, first = first, []
    # what the consequent is about is conditional; what must happen first is demanded
    return [(cue, Finding(subject.party, issue, stance, index, sentence.text, who, kind, governing.relayed_from, places))
            for stance, issues in (("conditions", then), ("demands", first)) for issue, places in issues]

_CONDITION = re.compile(r"\b(?:only if|unless|until|provided(?: that)?|providing that|as long as|so long as|on (?:the )?condition that"
                        r"|only once|only after|only when|as soon as|depends? on|depended on|dependent on|contingent (?:on|upon)"
                        r"|hinges? on|conditional (?:on|upon)|without|while|once(?= (?:a|an|the|\w+(?: \w+){0,2} (?:is|are|was|were|has|have|had)) )|(?:be|is|are|was|were) preceded by"
                        r"|(?:but )?only(?: \w+){0,3}? (?:after|when|once|with|if|in the (?:final|last) stage))\b"
                        r"|只有|只要|除非|前提是|条件是|直到|取决于|\bbefore\b|的(?:前提|条件)(?:之?下)|为(?:前提|条件)")

_TIMING = re.compile(r"until|before|while|once|only once|only after|only when|as soon as|直到|(?:but )?only(?: \w+){0,3}? (?:after|when|once|in the (?:final|last) stage)")

def conditional_structure(sentence: StanceSentence, index: int, attribution: Attribution,
                           context: Context | None = None) -> list[tuple[Cue, Finding]]:
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
    main_issues: list[SentenceMention] = [m for m in sentence.issue_mentions(*main) if not condition[0] <= m.start < condition[1]]
    topic = None
    if not main_issues and context is not None and context.issue_counts and DEFINITE_THING.search(folded[main[0]:main[1]]):
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
    kind, who = finding_attribution(sentence, governing, holder)
    other = next((m for m in sentence.mentions if condition[0] <= m.start < condition[1] and m.party
                  and (sentence.is_subject_like(m) or len(WORD.findall(sentence.folded[condition[0]:m.start])) <= 1)), None)
    cue = Cue("conditions", marker.start(), marker.end(), False)
    conditioned = group_issues(main_issues) if main_issues else [(topic, ())]
    found = [(cue, Finding(party, issue, "conditions", index, sentence.text, who, kind, governing.relayed_from, places))
             for issue, places in conditioned if issue is not None]
    if other is not None and other.party != party or not timing:  # what must happen first is demanded
        found += [(cue, Finding(party, issue, "demands", index, sentence.text, who, kind, governing.relayed_from, places))
                  for issue, places in group_issues(without_goals(sentence, _condition_issues(sentence, *condition)))]
    return found

def _condition_issues(sentence: StanceSentence, start: int, end: int) -> list[SentenceMention]:
    """The issues a condition names: an occasion's marks do not apply inside it (在A之后 is the condition, not a date)."""
    found = [m for m in sentence.mentions if start <= m.start and m.end <= end and m.issue]
    return [m for m in found if not sentence._attached(m, found)]

def discuss_with(sentence: StanceSentence, cue: Cue) -> bool:
    """A "needs to be discussed" cue that names whom to discuss it with: "需要与美方进一步讨论", "to be discussed with the capital"."""
    if cue.stance != "conditions" or not cue.party_from_speaker:
        return False
    partner = any(m.party and cue.start <= m.start and m.end <= cue.end for m in sentence.mentions) \
        or any(m.party and 0 <= m.start - cue.end <= 6 for m in sentence.mentions) and \
        re.match(r"\s*with\b", sentence.folded[cue.end:cue.end + 6]) is not None
    return partner

def needs_of_a_thing(sentence: StanceSentence, cue: Cue) -> bool:
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

def modal_subject(sentence: StanceSentence, cue: Cue) -> SentenceMention | None:
    """The issue a speaker-bound modal is said of ("the ceasefire must ...", 停火应当……), if it is the clause's subject."""
    if not cue.party_from_speaker or cue.stance != "demands":
        return None
    clause = sentence.clause_start(cue.start)
    before = [m for m in sentence.mentions if clause <= m.start and m.end <= cue.start]
    if not before or not before[-1].issue or before[-1].kind != "issue":
        return None
    gap = sentence.folded[before[-1].end:cue.start]
    return before[-1] if len(WORD.findall(gap)) <= 2 and not re.search(r"[,，]", gap) else None

def conditional_offers(found: list[tuple[Cue, Finding]]) -> list[tuple[Cue, Finding]]:
    """An offer followed by its condition ("open to talks, provided X"): the offer is conditional, the condition's content is demanded."""
    result = []
    for i, (cue, finding) in enumerate(found):
        later = [(c, f) for c, f in found[i + 1:] if c.stance == "conditions" and c.start > cue.start and f.party == finding.party
                 and c is not cue]
        earlier = [(c, f) for c, f in found[:i] if c.stance in ("offers", "accepts") and c.start < cue.start and f.party == finding.party]
        if cue.stance in ("offers", "accepts") and finding.stance == cue.stance and later:
            finding = with_stance(finding, "conditions")
        elif cue.stance == "conditions" and finding.stance == "conditions" and earlier \
                and finding.issue not in {f.issue for _, f in earlier}:
            finding = with_stance(finding, "demands")
        result.append((cue, finding))
    return result

_EXCHANGE = re.compile(r"in exchange for|in return for|以换取|换取|作为交换")

def condition_content(sentence: StanceSentence, cue: Cue, issues: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, list]]:
    """What a condition cue states: the aim it serves is conditional, what it requires is demanded.

    "conditions for a ceasefire include a halt to arms supplies": the ceasefire is conditional, the halt demanded;
    "open to talks provided X": X is demanded (the talks' condition comes from the offer before it). What is given
    "in exchange for" the demand is no stance of its own. Issues pointed back to ("these discussions") stay conditional.
    """
    if _EXCHANGE.fullmatch(sentence.folded[cue.start:cue.end]):
        return []
    in_scope = sentence.issue_mentions(cue.end, sentence.scope_end(cue))
    goals = goal_mentions(sentence, in_scope)
    if not _is_condition_word(sentence, cue):
        return [("conditions", issues)]  # "did not reject X, but ...": a conditional stance on X itself
    if not in_scope or not {issue for issue, _ in issues} <= {m.issue for m in in_scope}:
        return [("conditions", issues)]
    goal_issues = {m.issue for m in goals}
    content = [(issue, places) for issue, places in issues if issue not in goal_issues]
    if not content:
        return [("conditions", issues)]
    aim = re.search(r"condition|terms|条件", sentence.folded[cue.start:cue.end]) is not None  # "conditions for X": X is the aim
    return [("conditions", group_issues(goals)), ("demands", content)] if aim else [("demands", content)]

def _is_condition_word(sentence: StanceSentence, cue: Cue) -> bool:
    text = sentence.folded[cue.start:cue.end]
    return any(c.stance == "conditions" and c.pattern.fullmatch(text) for c in sentence.lexicon.cues)
