"""Yes, no or neither: a yes/no question's verdict from the stances its evidence states, never from loose matches.

A verdict is given only when the evidence decides it: a sentence in which the asked party (or the asked person)
itself holds the asked stance, on the thing asked, stated rather than hedged, and no on-point sentence of the same
party saying the opposite. Mixed or partial evidence gets no verdict: the lead says what each source says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The stances that say "yes" to a question asking about a stance, and those that say "no".
YES = {"accepts": {"accepts"}, "offers": {"offers", "accepts"}, "demands": {"demands", "conditions"},
       "rejects": {"rejects"}, "conditions": {"conditions", "demands"}}
NO = {"accepts": {"rejects"}, "offers": {"rejects"}, "demands": {"rejects"}, "rejects": {"accepts", "offers"},
      "conditions": {"rejects"}}

# Hedges make a statement a possibility, not a position: "could broadly agree", "might be open to", 可能.
_HEDGE = re.compile(r"\b(?:could|might|may|possibly|perhaps|reportedly|likely|unlikely|would consider|considering|"
                    r"open to discussing|hint\w*|signal\w*|suggest\w*)\b|可能|或许|或許|也许|也許|有望|考虑|考慮|暗示", re.I)
# Only part of what was asked: "only unarmed monitors", "a 30-day pause on energy strikes only", 仅, 只.
_PARTIAL = re.compile(r"\b(?:only|limited|partial\w*|but not|except|rather than|instead of)\b|仅|僅|只(?!是)|部分|有限", re.I)
# A negator right before a stance verb turns it around ("did not agree", 没有同意).
_NEGATED = re.compile(r"\b(?:not|never|no longer|n't|refus\w+ to|declin\w+ to)\s+(?:\w+\s+){0,2}$|(?:不|没有|沒有|未|并未|並未|拒不)\S{0,2}$", re.I)


@dataclass(frozen=True)
class StanceFact:
    """One stance stated in one evidence sentence: who holds it, which, and how firmly."""

    passage_id: int
    party: str
    stance: str
    speaker: str | None = None  # profile key of the person who states it, when named
    attribution: str = "on_record"  # on_record | anonymous | relayed
    hedged: bool = False
    partial: bool = False
    on_thing: bool = True  # the sentence is about what the question asks (every topic element matched)

    @property
    def firm(self) -> bool:
        return not self.hedged and not self.partial and self.on_thing


@dataclass(frozen=True)
class Verdict:
    """``answer`` is "yes", "no" or None (the evidence does not decide); ``facts`` are what decided it, or for a mixed
    answer, what each source says."""

    answer: str | None
    facts: tuple[StanceFact, ...] = ()
    mixed: bool = False


def hedged(text: str) -> bool:
    return bool(_HEDGE.search(text))


def partial(text: str) -> bool:
    return bool(_PARTIAL.search(text))


def negated_before(text: str, position: int) -> bool:
    """A negation governs the word at ``position`` ("did not agree", 没有同意)."""
    return bool(_NEGATED.search(text[max(0, position - 30):position]))


def decide(stance: str, facts: list[StanceFact], person: str | None = None) -> Verdict:
    """The verdict on "does the party (``person``, when the question names one) take ``stance``?" from ``facts``.

    A person's verdict needs that person (or the party on the record) stating it: anonymous officials' account of
    what a leader "might" accept is reported, not a yes.
    """
    yes, no = YES.get(stance, set()), NO.get(stance, set())
    relevant = [f for f in facts if f.on_thing and (f.stance in yes or f.stance in no)]
    if not relevant:
        return Verdict(None)
    support = [f for f in relevant if f.stance in yes]
    against = [f for f in relevant if f.stance in no]

    def stated(f: StanceFact) -> bool:
        if not f.firm:
            return False
        if person is not None and f.attribution == "anonymous" and f.speaker != person:
            return False
        return True

    firm_support = [f for f in support if stated(f)]
    firm_against = [f for f in against if stated(f)]
    if firm_support and all(f.hedged and not f.partial for f in against):
        return Verdict("yes", tuple(firm_support))  # what is stated outweighs what someone says might happen
    if firm_against and all(f.hedged and not f.partial for f in support):
        return Verdict("no", tuple(firm_against))
    shown = tuple({f.passage_id: f for f in relevant}.values())
    return Verdict(None, shown, mixed=len({f.stance for f in shown}) > 1)
