"""Tests for bot.text.attribution: who speaks in a sentence, for which party, and on whose record."""
import pytest

from bot.text.attribution import Attributor
from bot.text.profile import Profile


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return Attributor(Profile.load())


def test_kinds_of_attribution(attributor):
    named, anonymous, relayed, narrator = attributor.document([
        "Kremlin spokesman Dmitry Peskov said Moscow rejects any ceasefire.",
        "消息人士称,俄罗斯要求乌克兰保持中立。",
        "According to TASS, Ukraine rejects the peace plan.",
        "Russia and Ukraine exchanged prisoners on Friday.",
    ])
    assert (named.kind, named.who, named.speaker.party) == ("on_record", "peskov", "russia")
    assert (anonymous.kind, anonymous.speaker.anonymous) == ("anonymous", True)
    assert (relayed.kind, relayed.relayed_from) == ("relayed", "TASS")
    assert (narrator.kind, narrator.speaker) == ("narrator", None)


def test_pronouns_and_role_nouns_resolve_to_the_last_named_speaker(attributor):
    sentences = ["Ukrainian Foreign Minister Andrii Sybiha arrived in Istanbul.", "He said Kyiv wanted a ceasefire.",
                 "泽连斯基周日抵达伊斯坦布尔。", "他表示,乌方愿意谈判。", "The spokesman said talks would continue."]
    result = attributor.document(sentences)
    assert result[1].who == "sybiha" and result[3].who == "zelensky" and result[4].who == "zelensky"


def test_commentators_speak_for_no_party(attributor):
    [musk, ceo, analyst] = attributor.document([
        "Elon Musk said Ukraine should negotiate.",
        "The Tesla and SpaceX CEO explained that Ukraine's position continued to weaken.",
        "分析人士表示,俄罗斯不会让步。",
    ])
    assert all(a.speaker is not None and a.speaker.commentator and a.speaker.party is None for a in (musk, ceo, analyst))


def test_a_sentence_may_quote_two_speakers(attributor):
    text = "Umerov said Kyiv wanted a ceasefire, but a Ukrainian source said Russia had demanded a withdrawal."
    [attribution] = attributor.document([text])
    assert attribution.who == "umerov"
    later = attribution.at(text.index("Russia had"))
    assert (later.kind, later.who) == ("anonymous", "a Ukrainian source")


def test_a_document_relaying_an_agency_relays_every_sentence(attributor):
    [first, second] = attributor.document(["Five Russian officials said the Kremlin could agree to a ceasefire.",
                                           "Peskov said freezing the conflict will not work."], cited_agency="Reuters")
    assert (first.kind, first.relayed_from, second.kind, second.who) == ("relayed", "Reuters", "relayed", "peskov")


def test_the_subject_of_a_second_that_clause_is_a_subject():
    from bot.text.attribution import ParsedSentence, load_lexicon

    sentence = ParsedSentence("Trump wrote that talks would start and that the Vatican was interested in hosting them.",
                              Profile.load(), load_lexicon())
    vatican = next(m for m in sentence.mentions if m.key == "vatican")
    assert sentence.is_subject_like(vatican)  # "and that the": a reported clause's subject, not the object of "and"
