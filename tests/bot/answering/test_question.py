"""Reading questions: language and script, entities through the profile, kind, facets, stance and sub-questions."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.text.profile import Profile
from bot.answering.question import FRAME_WORDS, STANCE_WORDS, content_tokens, parse_question, split_parts

CAUCASUS = Path(__file__).resolve().parents[2] / "data" / "profiles" / "caucasus.yaml"


@pytest.fixture(scope="module")
def profile():
    return Profile.load(None)


@pytest.mark.parametrize("text, language", [
    ("What does Russia demand?", "en"),
    ("俄罗斯要求什么?", "zh-Hans"),
    ("俄羅斯要求什麼?", "zh-Hant"),
    ("澤倫斯基如何看待談判?", "zh-Hant"),
])
def test_language_and_script(profile, text, language):
    assert parse_question(text, profile, fallback_language="en").language == language


def test_fallback_language_only_when_the_text_cannot_tell(profile):
    assert parse_question("???", profile, fallback_language="zh-Hant").language == "zh-Hant"
    assert parse_question("What now?", profile, fallback_language="zh-Hant").language == "en"


@pytest.mark.parametrize("text, kind, facets", [
    ("What is Russia's position on NATO membership?", "position", set()),
    ("俄羅斯對克里米亞的立場是什麼?", "position", set()),
    ("How much territory does Russia control?", "factual", {"how_much"}),
    ("When will the next talks be held?", "factual", {"when"}),
    ("Where will the delegations meet?", "factual", {"where"}),
    ("普京和特朗普在哪里会面?", "factual", {"where"}),
    ("Who is the US special envoy?", "factual", {"who"}),
    ("How has Russia's stance on the ceasefire changed over time?", "timeline", set()),
    ("How do Ukraine's and Russia's positions on the ceasefire differ?", "comparison", set()),
    ("What are all of Russia's conditions?", "aggregation", set()),
    ("According to whom could the Kremlin accept a truce?", "attribution", {"who"}),
    ("Do the sources disagree on how much land Russia holds?", "disagreement", {"how_much"}),
    ("Why did Ukraine agree to give up Crimea?", "false_premise", set()),
    ("为什么乌克兰同意放弃克里米亚?", "false_premise", set()),
    ("What's the latest news?", "latest", set()),
    ("最新消息是什么?", "latest", set()),
    ("Write me a poem about the moon", "out_of_scope", set()),
    ("What is the capital of Australia?", "out_of_scope", set()),
    ("明天基辅天气如何?", "out_of_scope", set()),
])
def test_kinds_and_facets(profile, text, kind, facets):
    question = parse_question(text, profile)
    assert question.kind == kind
    assert set(question.facets) == facets


def test_entities_resolve_actors_to_parties_and_places_to_issues(profile):
    question = parse_question("What is Putin asking Trump to recognize in Zaporizhzhia?", profile)
    assert question.parties == ("russia", "united_states")
    assert question.actors == ("putin", "trump")
    assert "zaporizhzhia" in question.places and "territory" in question.issues
    assert question.stance == "demands"


@pytest.mark.parametrize("text, stance", [
    ("Does Russia reject the ceasefire?", "rejects"),
    ("普京同意了什么?", "accepts"),
    ("What did Ukraine offer?", "offers"),
    ("Did the Kremlin deny the call?", "denies"),
])
def test_stance_asked(profile, text, stance):
    assert parse_question(text, profile).stance == stance


def test_compound_questions_split_into_parts():
    assert split_parts("What did Biden authorize, and how did Moscow react?") == (
        "What did Biden authorize", "how did Moscow react")
    assert split_parts("Who is the envoy and what did he say?") == ("Who is the envoy", "what did he say")
    assert split_parts("What does Russia demand?") == ("What does Russia demand?",)


def test_frame_words_are_not_searched_but_stance_verbs_have_synonyms():
    assert content_tokens("What is Russia's position on Crimea?") == ["russia", "crimea"]
    assert {"view", "position", "立场"} <= FRAME_WORDS
    assert {"demand", "要求"} <= STANCE_WORDS["demands"] and "同意" in STANCE_WORDS["accepts"]


def test_another_conflicts_profile_drives_the_reading():
    caucasus = Profile.load(CAUCASUS)
    question = parse_question("Does Aliyev demand that Armenia change the constitution?", caucasus)
    assert question.parties == ("azerbaijan", "armenia")
    assert question.issues == ("constitution",)
    assert question.kind == "position" and question.stance == "demands"
    assert parse_question("亚美尼亚对过境走廊的立场是什么?", caucasus).issues == ("corridor",)


@pytest.mark.parametrize("text", ["Do the sources agree on how much land Russia holds?", "各来源关于俄罗斯控制的面积说法一致吗?"])
def test_agreeing_sources_are_not_a_partys_stance(profile, text):
    q = parse_question(text, profile)
    assert q.kind == "disagreement" and q.stance is None


@pytest.mark.parametrize("text, yes_no", [
    ("Is Putin willing to give up Crimea?", True),
    ("Did the US promise to resume military aid?", True),
    ("俄罗斯同意归还克里米亚吗?", True),
    ("普京是否同意停火?", True),
    ("What does Russia demand?", False),
    ("Do the sources agree on how much land Russia holds?", False),  # a disagreement, not a party's yes or no
])
def test_yes_no_questions(profile, text, yes_no):
    assert parse_question(text, profile).yes_no is yes_no


@pytest.mark.parametrize("text", ["维特科夫如何评价这次通话?", "維特科夫如何評價這次通話?", "How did Witkoff characterise the call?"])
def test_asking_how_someone_assessed_something_asks_what_they_said(profile, text):
    q = parse_question(text, profile)
    assert q.speaker == "witkoff" and "speech" in q.cues


def test_asking_how_a_party_reacted_in_chinese_asks_what_it_said(profile):
    q = parse_question("莫斯科對導彈授權有何反應?", profile)
    assert q.speaker == "moscow" and "response" in q.cues
