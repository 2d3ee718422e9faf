"""Whose position is it (issue 15): holders, commentators, criticism, event denials, conditions, speakers, one entry per pair."""
from pathlib import Path

import pytest

from bot.ingestion.ledger import extract_positions
from bot.text.profile import Profile

CAUCASUS = Path(__file__).resolve().parents[2] / "data" / "profiles" / "caucasus.yaml"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return Profile.load()


def triples(findings) -> set[tuple[str, str, str]]:
    return {(f.party, f.issue, f.stance) for f in findings}


@pytest.mark.parametrize("sentence", [
    "Tesla chief executive Elon Musk wrote on X that Ukraine should accept a ceasefire along the front line.",
    "The Tesla and SpaceX CEO explained that Ukraine's leadership refused negotiations while pressing the West for more weapons.",
    "Analysts at a Washington think tank said the Kremlin rejects any ceasefire.",
    "A former US ambassador said Washington should demand new sanctions on Russia.",
    "分析人士表示,俄罗斯拒绝任何停火。",
])
def test_a_commentator_holds_no_partys_position(profile, sentence):
    assert extract_positions([sentence], profile) == []


def test_he_after_a_commentator_is_still_the_commentator(profile):
    sentences = ["埃隆·马斯克此前曾预测,俄罗斯可能会攻击敖德萨。", "他主张通过谈判解决冲突。"]
    assert extract_positions(sentences, profile) == []


@pytest.mark.parametrize("sentence", [
    ("Ukrainian President Volodymyr Zelensky said he supported the ceasefire, but added that Putin's refusal to agree to a "
    "broader deal indicated that Russia wants war."),
    "Zelensky accused Putin of rejecting any peace deal.",
])
def test_the_object_of_a_criticism_is_not_a_holder(profile, sentence):
    assert not [f for f in extract_positions([sentence], profile) if f.party == "russia"]


@pytest.mark.parametrize("sentence", [
    "The Kremlin said Putin and Trump did not discuss territory during the phone call.",
    "The Kremlin said the annexed territories were not specifically dealt with in the call.",
    "尽管克里姆林宫否认在普京和特朗普最近的通话中特别讨论了这些地区,但一项潜在的协议正在谈判之中。",
])
def test_a_denial_about_a_call_is_an_event_not_a_stance(profile, sentence):
    assert extract_positions(["Putin wants the four regions recognised.", sentence], profile)[1:] == []


def test_a_denial_of_a_report_about_the_partys_own_position_is_a_denial(profile):
    [denial] = extract_positions(["克里姆林宫发言人佩斯科夫周五否认了有关普京要求西方领导人书面承诺停止北约东扩作为结束战争条件的报道。"],
                                 profile)
    assert (denial.party, denial.issue, denial.stance, denial.speaker) == ("russia", "nato_membership", "denies", "peskov")
    # what the denied report said, conditions included, is denied: not a condition Russia sets on the ceasefire
    found = extract_positions(["Kremlin spokesman Dmitry Peskov on Friday denied that Russia had demanded a Ukrainian withdrawal "
                               "from the Donetsk region as a condition for a ceasefire."], profile)
    assert triples(found) == {("russia", "territory", "denies")}


@pytest.mark.parametrize("sentence", [
    "Will Russia accept a 30-day ceasefire without preconditions?",
    "俄罗斯会接受停火吗？",
    "Trump's calls for peace have resonated with voters, and his administration may push for swift negotiations.",
    "The White House has not committed to providing security guarantees, a US official told reporters.",
    "特朗普也不能保证乌克兰永远不会加入北约,也不能取消所有西方制裁。",
])
def test_questions_guesses_and_non_commitments_state_nothing(profile, sentence):
    assert extract_positions([sentence], profile) == []


def test_conditions_and_what_they_demand(profile):
    open_to_talks = extract_positions([("Putin is open to negotiations, provided the agreement includes the recognition of "
                                       "Russian-occupied territories and a guarantee that Ukraine will not join NATO.")], profile)
    assert {("russia", "talks", "conditions"), ("russia", "territory", "demands")} <= triples(open_to_talks)
    assert ("russia", "peace_deal", "demands") not in triples(open_to_talks)  # "the agreement includes" frames the terms
    caucasus = Profile.load(CAUCASUS)
    only_if = extract_positions(["阿塞拜疆总统阿利耶夫表示,只要亚美尼亚修改宪法,阿方就准备签署和平条约。"], caucasus)
    assert triples(only_if) == {("azerbaijan", "peace_treaty", "conditions"), ("azerbaijan", "constitution", "demands")}
    until = extract_positions([("Two European officials said the EU would keep sanctions in place until Russia pays for the "
                               "reconstruction of Ukraine.")], profile)
    assert triples(until) == {("european_union", "sanctions", "conditions"), ("european_union", "reparations", "demands")}
    assert extract_positions(["If a ceasefire is not agreed, the fighting will go on."], profile) == []
    before = extract_positions(["Lavrov said Russia would not agree to a ceasefire before Ukraine withdraws its troops from "
                                "Donetsk."], profile)
    assert triples(before) == {("russia", "ceasefire", "conditions"), ("russia", "territory", "demands")}
    dated = extract_positions(["Lavrov said Russia was ready to resume talks before the summit."], profile)
    assert {f.stance for f in dated} == {"offers"}  # "before the summit" only dates it


def test_an_armenian_statement_is_armenias():
    caucasus = Profile.load(CAUCASUS)
    found = extract_positions(["Armenian Prime Minister Nikol Pashinyan rejected Azerbaijan's demand to change the constitution."],
                              caucasus)
    assert triples(found) == {("armenia", "constitution", "rejects")}


def test_an_issue_only_when_the_sentence_is_about_it(profile):
    shipping = extract_positions(["Russia agreed to a Black Sea shipping deal."], profile)
    assert "territory" not in {f.issue for f in shipping} and "maritime_ceasefire" in {f.issue for f in shipping}
    front_line = extract_positions(["Ukraine is ready to accept a ceasefire along the current front line."], profile)
    assert triples(front_line) == {("ukraine", "ceasefire", "accepts")}
    rationale = extract_positions([("Putin demands that Ukraine's aspirations to join NATO be halted to address Russia's "
                                   "security concerns.")], profile)
    assert triples(rationale) == {("russia", "nato_membership", "demands")}
    venue = extract_positions(["The two sides swapped soldiers, the first stage of an exchange agreed at talks in Istanbul."], profile)
    assert "talks" not in {f.issue for f in venue}


def test_one_sentence_gives_at_most_one_entry_per_party_and_issue(profile):
    found = extract_positions([("The Kremlin on Tuesday ruled out holding peace talks at the Vatican and proposed that a third "
                               "round of direct negotiations take place in Istanbul.")], profile)
    assert len([f for f in found if (f.party, f.issue) == ("russia", "talks")]) == 1
    sybiha = extract_positions(["Sybiha said Ukraine was ready to meet in any format as long as the talks could lead to a ceasefire."],
                               profile)
    assert [f.stance for f in sybiha if f.issue == "talks"] == ["conditions"]


def test_speakers_are_resolved(profile):
    he = extract_positions(["Kremlin spokesman Dmitry Peskov spoke to reporters on Friday.",
                            "He said Russia was ready to hold a second round of talks in Istanbul."], profile)
    assert [(f.party, f.issue, f.stance, f.speaker) for f in he] == [("russia", "talks", "offers", "peskov")]
    office = extract_positions([("White House press secretary Karoline Leavitt denied that Trump had offered to recognise "
                                "Crimea as Russian.")], profile)
    assert [(f.party, f.stance, f.speaker) for f in office] == [("united_states", "denies", "Karoline Leavitt")]
    two = extract_positions([('Umerov said Kyiv wanted "a full ceasefire", but a Ukrainian source said Russia had demanded that '
                             'Ukraine withdraw its forces from Donetsk.')], profile)
    russia = [f for f in two if f.party == "russia"]
    assert [(f.issue, f.stance, f.speaker, f.attribution) for f in russia] == \
        [("territory", "demands", "a Ukrainian source", "anonymous")]
    country = extract_positions(["Ukraine said it was ready to accept a ceasefire."], profile)
    assert [f.speaker for f in country] == [None]  # only the country is named


def test_a_quotation_runs_on_to_the_next_sentence(profile):
    found = extract_positions(['Peskov said: "Putin has already said that freezing the conflict will not work.',
                               'And the missile authorisation is a very dangerous escalation on the part of the United States."'],
                              profile)
    assert ("russia", "weapons", "rejects") in triples(found)
    assert {f.speaker for f in found} == {"peskov"}


def test_a_cue_ending_in_a_preposition_keeps_its_object(profile):
    # the "in" of "interest in" is the cue's, not an occasion ("in the talks"), so the talks are its matter
    found = extract_positions(["Russian President Vladimir Putin has expressed interest in negotiating with Donald Trump."], profile)
    assert triples(found) == {("russia", "talks", "offers")}


def test_what_a_document_says_is_no_partys_stance(profile):
    assert extract_positions(["According to the agreement, Ukraine would have to pledge permanent neutrality in exchange "
                              "for international security guarantees."], profile) == []


def test_the_plan_is_what_the_document_is_about(profile):
    sentences = ["Britain said it was ready to send peacekeepers to Ukraine.", "European troops would form a reassurance force.",
                 "Will the force deploy before a ceasefire?", "Ukrainian Foreign Minister Andrii Sybiha welcomed the plan."]
    found = extract_positions(sentences, profile)
    assert ("ukraine", "security_guarantees", "accepts") in triples(found)
    assert ("ukraine", "ceasefire", "accepts") not in triples(found)  # the last issue named is not the plan's


def test_these_points_to_what_the_sentence_names_before_the_last_sentence(profile):
    sentences = ["There may be room for negotiations on the four eastern oblasts.", "Moscow claims that these four oblasts are part of Russia."]
    found = [f for f in extract_positions(sentences, profile) if f.sentence_index == 1]
    assert triples(found) == {("russia", "territory", "demands")}


def test_to_be_discussed_with_a_party_is_an_offer_to_talk(profile):
    sentences = ["俄罗斯总统普京周四表示,俄方原则上同意停火。", "他表示,这些细微差别需要与美方进一步讨论,或许需要与特朗普总统通电话。"]
    found = [f for f in extract_positions(sentences, profile) if f.sentence_index == 1]
    assert [(f.party, f.issue, f.stance, f.speaker) for f in found] == [("russia", "talks", "offers", "putin")]
    # without a partner, open questions are a condition: "many issues need to be discussed, including the ceasefire's monitoring"
    found = extract_positions(["普京说,有许多问题需要讨论,包括如何监督停火。"], profile)
    assert triples(found) == {("russia", "ceasefire", "conditions")}
