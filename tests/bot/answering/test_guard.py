"""The faithfulness guard, sentence by sentence: citations, language, figures, dates, names, stances and negations,
compared across English and Chinese; and its bench over scripted answers from the seed corpus."""
from __future__ import annotations

import random
from datetime import date

import pytest

from bot.answering.guard import Evidence, Guard, split_sentences
from bot.ingestion.ledger import load_lexicon
from bot.text.profile import Profile

PUSH = ("President Vladimir Putin is pushing U.S. President Donald Trump to recognize Russia's annexation of Ukrainian "
        "territory in exchange for a pledge not to seize more land, the Kommersant business newspaper reported late "
        "Tuesday, citing anonymous sources.")
ZH_REGIONS = "据报道,普京总统正寻求美国承认俄罗斯吞并顿涅茨克、卢甘斯克、赫尔松和扎波罗热地区,以换取不进一步侵占乌克兰领土的承诺。"
OPEN = ("Russian officials have said that Russian ruler Vladimir Putin is open to discussing a ceasefire agreement in "
        "Ukraine with Donald Trump, but rules out the liberation of occupied territories and insists that Ukraine abandon "
        "its NATO aspirations.")
SHARE = "Russia currently occupies about 18% of Ukraine's territory, some 600,000 people fled."
ZH_AREA = "俄罗斯已占领超过11万平方公里的乌克兰领土。"
TITLE = "Putin is ready to discuss freezing war and ceasefire with Trump, but won't give up territories"
EVIDENCE = {1: Evidence(1, PUSH, "en", "The Moscow Times", date(2025, 3, 19)), 2: Evidence(2, ZH_REGIONS, "zh-Hans"),
            3: Evidence(3, OPEN, "en"), 4: Evidence(4, SHARE, "en"), 5: Evidence(5, ZH_AREA, "zh-Hans"), 6: Evidence(6, TITLE, "en")}


@pytest.fixture(scope="module")
def guard():
    return Guard(Profile.load(), load_lexicon())


def problem(guard, text: str, language: str = "en"):
    sentences = split_sentences(text)
    assert len(sentences) == 1, sentences
    return guard.check_sentence(sentences[0], EVIDENCE, language)


@pytest.mark.parametrize("text, language", [
    ("Putin is pushing Trump to recognize the annexation of Ukrainian territory [1].", "en"),
    ("Putin wants the US to recognize Russia's annexation of Donetsk, Luhansk, Kherson and Zaporizhzhia [2].", "en"),
    ("普京要求美国承认俄罗斯吞并顿涅茨克、卢甘斯克、赫尔松和扎波罗热[2]。", "zh-Hans"),
    ("據報導,普丁正尋求美國承認俄羅斯吞併頓涅茨克[2]。", "zh-Hant"),
    ("Russia occupies about 18% of Ukraine's territory [4].", "en"),
    ("俄罗斯占领了乌克兰约百分之十八的领土[4]。", "zh-Hans"),
    ("About 60万 people fled [4].", "en"),
    ("约六十万人逃离[4]。", "zh-Hans"),
    ("Russia has seized more than 110,000 square kilometres [5].", "en"),
    ("Kommersant reported this on Tuesday [1].", "en"),
    ("The report was published on March 19, 2025 [1].", "en"),
    ("Putin is open to discussing a ceasefire [3].", "en"),
    ("Putin rules out the liberation of occupied territories [3].", "en"),
    ("Putin will not give up territories [6].", "en"),
    ("普京不会放弃领土[6]。", "zh-Hans"),
    ("普京愿意讨论停火[3]。", "zh-Hans"),
    ("Russia demands recognition of its annexation [1][2].", "en"),
])
def test_faithful_sentences_pass(guard, text, language):
    assert problem(guard, text, language) is None


@pytest.mark.parametrize("text, language, reason", [
    ("Putin is open to discussing a ceasefire.", "en", "no_citation"),
    ("Putin is open to discussing a ceasefire [7].", "en", "unknown_citation"),
    ("普京愿意讨论停火[3]。", "en", "wrong_language"),
    ("Putin is open to discussing a ceasefire [3].", "zh-Hans", "wrong_language"),
    ("Russia occupies about 20% of Ukraine's territory [4].", "en", "figure"),
    ("俄罗斯占领了乌克兰约百分之二十的领土[4]。", "zh-Hans", "figure"),
    ("About 60 million people fled [4].", "en", "figure"),
    ("Russia has seized less than 110,000 square kilometres [5].", "en", "figure"),
    ("Russia has seized more than 120,000 square kilometres [5].", "en", "figure"),
    ("Kommersant reported this on Monday [1].", "en", "date"),
    ("Kommersant reported this on March 20 [1].", "en", "date"),
    ("Zelensky is open to discussing a ceasefire [3].", "en", "name"),
    ("Putin made the demand in Geneva [1].", "en", "name"),
    ("泽连斯基愿意讨论停火[3]。", "zh-Hans", "name"),
    ("Putin refused to discuss a ceasefire [3].", "en", "stance"),
    ("Putin agreed to give up the occupied territories [3].", "en", "stance"),
    ("普京拒绝讨论停火[3]。", "zh-Hans", "stance"),
    ("Putin is not pushing Trump to recognize the annexation [1].", "en", "negation"),
    ("Putin is unwilling to discuss a ceasefire agreement [3].", "en", "negation"),
    ("Kommersant reported this on Tuesday, March 19 [1].", "en", "date"),  # 2025-03-19 was a Wednesday
])
def test_unsupported_sentences_are_dropped_with_their_reason(guard, text, language, reason):
    found = problem(guard, text, language)
    assert found is not None and found[0] == reason, found


def test_a_party_is_supported_by_its_person_but_not_the_other_way(guard):
    assert problem(guard, "Russia is pushing the US to recognize the annexation [1].") is None  # Putin speaks for Russia
    only_russia = {1: Evidence(1, "Russia rejects the proposal.", "en")}
    sentence = split_sentences("Putin rejects the proposal [1].")[0]
    assert guard.check_sentence(sentence, only_russia, "en")[0] == "name"


def test_the_whole_answer_falls_back_when_its_first_sentence_fails(guard):
    verdict = guard.check("Putin refused to discuss a ceasefire [3]. Putin is open to discussing a ceasefire [3].",
                          list(EVIDENCE.values()), "en")
    assert verdict.fallback and verdict.fallback.startswith("first sentence")
    verdict = guard.check("Putin is open to discussing a ceasefire [3]. Talks were held in Geneva [3].", list(EVIDENCE.values()), "en")
    assert verdict.fallback is None and verdict.text == "Putin is open to discussing a ceasefire [3]."
    verdict = guard.check("Putin is open to discussing a ceasefire [3]. Talks were held in Geneva [3]. In Oslo too [3].",
                          list(EVIDENCE.values()), "en")
    assert verdict.fallback == "1 of 3 sentences survive"


def test_a_simplified_answer_to_a_traditional_question_is_shown_in_traditional(guard):
    verdict = guard.check("普京正寻求美国承认俄罗斯吞并顿涅茨克[2]。", list(EVIDENCE.values()), "zh-Hant")
    assert verdict.fallback is None and verdict.text == "普京正尋求美國承認俄羅斯吞併頓涅茨克[2]。"


@pytest.mark.parametrize("text, expected", [
    ("Putin wants X [1]. He also said Y [2][3].", [("Putin wants X [1].", (1,)), ("He also said Y [2][3].", (2, 3))]),
    ("普京说。[1]他还说了别的。【2】", [("普京说。[1]", (1,)), ("他还说了别的。【2】", (2,))]),
    ("Trump said: “People are dying. I want to end it.” [1]", [("Trump said: “People are dying. I want to end it.” [1]", (1,))]),
    ("“If this happens soon, Russia... will not claim Odesa,” it wrote [1].", [("“If this happens soon, Russia... will not claim Odesa,” it wrote [1].", (1,))]),
    ("1. Recognition: Russia seeks X [1]. 2. NATO: Putin demands Y [2, 3].", [("1. Recognition: Russia seeks X [1].", (1,)), ("2. NATO: Putin demands Y [2, 3].", (2, 3))]),
    ("U.S. President Trump spoke [1].", [("U.S. President Trump spoke [1].", (1,))]),
])
def test_sentences_and_their_citations(text, expected):
    assert [(s.text, s.cites) for s in split_sentences(text)] == expected


def test_a_translation_must_not_add_what_its_sentence_lacks(guard):
    assert guard.check_translation(ZH_AREA, "Russia has seized more than 110,000 square kilometres of Ukrainian territory.", "en") is None
    assert guard.check_translation(ZH_AREA, "Russia has seized more than 210,000 square kilometres of Ukrainian territory.", "en") == "figure"
    assert guard.check_translation(ZH_AREA, "Russia and Belarus have seized more than 110,000 square kilometres.", "en") == "name"
    assert guard.check_translation(ZH_AREA, "俄罗斯已占领超过11万平方公里的乌克兰领土。", "en") == "wrong_language"


def test_the_guard_bench_lets_almost_no_invented_fact_through(seeded_services):
    from bench.guard import measure

    result, passed, dropped = measure(seeded_services, random.Random(7))
    assert result["invented"] >= 300 and result["faithful"] >= 200
    assert set(result["invented_by_kind"]) >= {"changed_figure", "flipped_stance", "negated", "swapped_name", "shifted_date",
                                               "no_citation", "dangling_citation"}
    # Measured at 2 of 564 (one quote whose refusal sits in a parenthesis) and no faithful sentence dropped.
    assert result["invented_reaching_reader"] <= 4, passed
    assert result["faithful_dropped_rate"] <= 0.02, dropped
