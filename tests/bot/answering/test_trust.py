"""Answers a reader can trust, on a small corpus of another conflict (so nothing here is keyed to the seed documents):
no "Yes" the evidence does not state, abstention on near misses, "latest" as a word, both language directions,
attribution through pronouns, and a capital named as a venue answering "where"."""
from __future__ import annotations

from datetime import date

import pytest

from bot.answering.engine import Answerer
from bot.embedding.embedder import Embedder
from bot.text import normalize as textnorm
from bot.text.profile import Profile
from storage.db import open_database
from tests.bot.answering.test_index import PROFILE, store
from tests.conftest import make_settings

DOCS = {
    "talks": ("en", date(2025, 5, 2), [
        "Armenian Prime Minister Nikol Pashinyan met reporters in Yerevan on Monday.",
        "He said Armenia would not change its constitution under outside pressure.",
        "The next round of talks on the transit corridor will be held in Baku on June 3, the foreign ministry said.",
    ]),
    "hedge": ("en", date(2025, 5, 3), [
        "Two Azerbaijani officials said Baku could accept an international border commission if Armenia agreed first.",
        "The officials spoke on condition of anonymity.",
    ]),
    "refusal": ("en", date(2025, 5, 4), [
        "Ilham Aliyev rejected any role for foreign monitors on the border.",
        "Jeyhun Bayramov said the peace treaty text was almost ready.",
    ]),
    "zh": ("zh-Hans", date(2025, 5, 5), [
        "阿利耶夫表示,阿塞拜疆要求亚美尼亚在签署和平条约前修改宪法。",
        "帕希尼扬同意就过境走廊继续谈判。",
    ]),
}


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    path = tmp_path_factory.mktemp("trust") / "trust.db"
    engine = open_database(f"sqlite:///{path}")
    for doc_id, (language, published, sentences) in DOCS.items():
        store(engine, doc_id, sentences, language, published)
    yield Answerer(engine, Profile.load(PROFILE), make_settings(f"sqlite:///{path}"), embedder=Embedder(threads=1))
    engine.dispose()


def cited(reply) -> set[str]:
    return {c.document_id for c in reply.citations}


# -- verdicts: the "Yes" that must not happen -----------------------------------------------------

def test_no_yes_from_officials_saying_a_party_could_accept(answerer):
    reply = answerer.ask("Has Azerbaijan accepted an international border commission?")
    assert not reply.lead.startswith(("Yes", "是"))


def test_no_yes_about_something_the_sources_never_mention(answerer):
    reply = answerer.ask("Has Armenia agreed to a prisoner exchange?")
    assert reply.abstained  # the sources speak of Armenia agreeing to something else: not evidence either way


def test_a_stated_rejection_gets_a_no_with_the_sentence_that_says_so(answerer):
    reply = answerer.ask("Has Aliyev accepted foreign monitors on the border?")
    assert reply.lead.startswith("No")
    assert "refusal" in cited(reply)


# -- abstention on near misses --------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    "Who led Armenia's delegation in Geneva?",       # a place the corpus never names
    "What did Aliyev say about Nakhchivan?",         # a profile place the corpus never names
    "What did the mediators say about the border?",  # a party the corpus never quotes
])
def test_abstains_when_a_named_element_is_missing(answerer, question):
    assert answerer.ask(question).abstained


# -- "latest" is a word ---------------------------------------------------------------------------

def test_latest_in_a_specific_question_answers_it(answerer):
    reply = answerer.ask("What is the latest on the transit corridor?")
    assert not reply.abstained
    assert any("corridor" in c.quote or "走廊" in c.quote for c in reply.citations)
    assert not reply.lead.startswith("The newest documents")


@pytest.mark.parametrize("question", ["What's new?", "最新消息", "Any news today?"])
def test_a_bare_news_request_lists_the_newest_documents(answerer, question):
    reply = answerer.ask(question)
    assert not reply.abstained and len(reply.citations) >= 2


# -- both language directions ---------------------------------------------------------------------

def test_english_question_answered_from_a_chinese_document(answerer):
    reply = answerer.ask("What did Pashinyan agree to?")
    assert not reply.abstained and "zh" in cited(reply)
    assert not textnorm.is_cjk(reply.lead) and "Pashinyan" in reply.lead and "corridor" in reply.lead


def test_chinese_question_answered_from_an_english_document(answerer):
    reply = answerer.ask("阿利耶夫拒绝了什么?")
    assert not reply.abstained and "refusal" in cited(reply)
    assert textnorm.is_cjk(reply.lead) and "阿利耶夫" in reply.lead and "拒绝" in reply.lead


# -- attribution ----------------------------------------------------------------------------------

def test_a_pronoun_is_attributed_to_the_speaker_named_before(answerer):
    reply = answerer.ask("Who said Armenia would not change its constitution under outside pressure?")
    assert not reply.abstained
    assert "Nikol Pashinyan" in reply.lead and "Test Wire" not in reply.lead.split("[")[0].replace("reported by Test Wire", "")


def test_anonymous_officials_are_marked_as_such(answerer):
    reply = answerer.ask("Who says Baku could accept a border commission?")
    assert not reply.abstained
    assert "officials" in reply.lead and "anonymous" in reply.lead


# -- a capital named as a venue answers "where" -----------------------------------------------------

def test_a_capital_that_is_also_a_party_answers_where(answerer):
    reply = answerer.ask("Where will the next round of talks on the transit corridor be held?")
    assert not reply.abstained
    assert reply.lead.startswith("Baku")
