"""The one list of stance verbs (bot/text/data/stances.yaml, ``stance_verbs``) read by questions, sources and search."""
from __future__ import annotations

import textwrap

from bot.answering import cues, question
from bot.text.stance_verbs import STANCE_VERBS, load_stance_verbs


def test_the_question_reader_the_answer_scorer_and_the_search_read_the_same_list():
    assert question.STANCE_WORDS is STANCE_VERBS.words
    assert cues._STANCE_VERBS is STANCE_VERBS.in_sources


def test_a_word_added_to_the_file_changes_questions_sources_and_search_at_once(tmp_path):
    lexicon = tmp_path / "stances.yaml"
    lexicon.write_text(textwrap.dedent("""\
        stance_verbs:
          rejects:
            words: [spurn*, 唾弃]
          accepts:
            words: [embrace*]
            questions_only: [sign* up]
        """), encoding="utf-8")
    verbs = load_stance_verbs(lexicon)
    assert verbs.in_sources["rejects"].search("Moscow spurned the offer")
    assert verbs.asked("did moscow spurn the offer?") == "rejects"
    assert "spurn" in verbs.words["rejects"]
    assert verbs.asked("will kyiv sign up to the plan?") == "accepts"
    assert not verbs.in_sources["accepts"].search("Kyiv signed up to the plan")  # a question-only phrase
    assert "sign" not in verbs.words["accepts"]  # phrases are not search words


def test_chinese_verbs_match_in_both_scripts():
    assert STANCE_VERBS.in_sources["rejects"].search("俄方拒絕了這一提議")
    assert STANCE_VERBS.in_sources["rejects"].search("俄方拒绝了这一提议")
    assert STANCE_VERBS.in_sources["accepts"].search("烏方表示贊成")


def test_a_question_takes_the_first_stance_it_names():
    assert STANCE_VERBS.asked("what does russia demand on nato?") == "demands"
    assert STANCE_VERBS.asked("what does ukraine say it won't accept?") == "rejects"  # before "accept"
    assert STANCE_VERBS.asked("is ukraine willing to hold elections?") == "offers"
    assert STANCE_VERBS.asked("what conditions does russia set?") == "conditions"
    assert STANCE_VERBS.asked("where were the talks held?") is None


def test_question_only_words_do_not_make_a_source_sentence_a_stance():
    assert cues.passage_stances("Peskov asked reporters to wait for the official statement.") == []
    assert cues.passage_stances("Kyiv would give up nothing, the minister said.") == []
    assert "demands" in cues.passage_stances("Russia demanded that Ukraine withdraw its troops.")
