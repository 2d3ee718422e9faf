"""Verdicts: yes or no only when the evidence decides it; the "Yes" cases that must not happen, in general form."""
from __future__ import annotations

import pytest

from bot.answering.verdict import StanceFact, decide, hedged, negated_before, partial


def fact(stance: str, pid: int = 1, **kw) -> StanceFact:
    return StanceFact(passage_id=pid, party="x", stance=stance, **kw)


def test_a_stated_stance_on_the_thing_asked_is_a_yes():
    assert decide("accepts", [fact("accepts")]).answer == "yes"


def test_a_stated_opposite_is_a_no():
    assert decide("accepts", [fact("rejects")]).answer == "no"
    assert decide("rejects", [fact("accepts")]).answer == "no"


def test_no_yes_from_a_sentence_about_something_else():
    # A verbatim citation to an unrelated matter (a prisoner swap for a question on peacekeepers) decides nothing.
    verdict = decide("accepts", [fact("accepts", on_thing=False)])
    assert verdict.answer is None and not verdict.facts


def test_no_yes_from_a_hedge():
    # "could broadly agree", "might be open to": a possibility, not a position.
    assert decide("accepts", [fact("accepts", hedged=True)]).answer is None
    assert decide("offers", [fact("offers", hedged=True)]).answer is None


def test_no_yes_for_a_person_from_anonymous_officials():
    # "Did <leader> say he is willing...": unnamed officials saying so is reported, not the leader stating it.
    assert decide("offers", [fact("offers", attribution="anonymous")], person="leader").answer is None
    assert decide("offers", [fact("offers", attribution="on_record", speaker="leader")], person="leader").answer == "yes"


def test_mixed_evidence_gets_no_verdict_but_each_source():
    # One official rejects, another accepts only a part: say what each says.
    verdict = decide("accepts", [fact("rejects", pid=1), fact("accepts", pid=2, partial=True)])
    assert verdict.answer is None and verdict.mixed
    assert {f.passage_id for f in verdict.facts} == {1, 2}


def test_partial_acceptance_is_not_a_yes():
    assert decide("accepts", [fact("accepts", partial=True)]).answer is None


def test_a_stated_position_outweighs_a_hedged_opposite():
    assert decide("rejects", [fact("rejects", pid=1), fact("offers", pid=2, hedged=True)]).answer == "yes"
    assert decide("accepts", [fact("rejects", pid=1), fact("accepts", pid=2, hedged=True)]).answer == "no"


def test_stances_that_answer_nothing_asked_are_ignored():
    assert decide("accepts", [fact("demands")]).answer is None


@pytest.mark.parametrize("text, expected", [
    ("The Kremlin could broadly agree to a ceasefire", True),
    ("Russia might be open to withdrawing troops", True),
    ("俄方可能同意停火", True),
    ("Putin agreed to a 30-day pause", False),
])
def test_hedges(text, expected):
    assert hedged(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("Moscow would accept only unarmed monitors", True),
    ("仅同意暂停袭击能源设施", True),
    ("Russia accepted the ceasefire", False),
])
def test_partial(text, expected):
    assert partial(text) is expected


@pytest.mark.parametrize("text, verb", [
    ("he did not agree to the immediate ceasefire", "agree"),
    ("Moscow has never accepted", "accepted"),
    ("俄方没有同意", "同意"),
])
def test_negation_before_a_verb(text, verb):
    assert negated_before(text, text.index(verb))


def test_no_negation_when_there_is_none():
    text = "Putin agreed to a 30-day pause"
    assert not negated_before(text, text.index("agreed"))
