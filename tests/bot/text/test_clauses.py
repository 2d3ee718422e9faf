"""Splitting a news sentence into who says it and what is said, and cutting long quotes to what matters."""
from __future__ import annotations

import pytest

from bot.text.clauses import excerpt, shorten, split, starts_with_pronoun


@pytest.mark.parametrize("text, who, core_start", [
    ("Envoy Jane Roe said the talks would resume in Geneva on Monday.", "Envoy Jane Roe", "the talks would resume"),
    ("The talks would resume in Geneva on Monday, envoy Jane Roe told reporters after the call.", "envoy Jane Roe",
     "The talks would resume"),
    ("Details: In a first report on the deal, five senior officials said the ministry could accept a truce.",
     "five senior officials", "the ministry could accept"),
    ("According to two diplomats, the summit was postponed.", "two diplomats", "the summit was postponed"),
    ('Quote from the spokesman John Doe: "Freezing the conflict will not work in any way.', "the spokesman John Doe",
     "Freezing the conflict"),
    ("外交部发言人李明表示,双方将在日内瓦恢复会谈。", "外交部发言人李明", "双方将在日内瓦恢复会谈"),
    ("据新华社报道,双方将在日内瓦恢复会谈。", "新华社", "双方将在日内瓦恢复会谈"),
    ("双方将在日内瓦恢复会谈,李明说。", "李明", "双方将在日内瓦恢复会谈"),
])
def test_split_finds_the_source_and_the_claim(text, who, core_start):
    clause = split(text)
    assert clause.who == who
    assert clause.core.startswith(core_start)


def test_a_sentence_without_a_reporting_frame_is_all_claim():
    clause = split("The ceasefire took effect at midnight.")
    assert clause.who is None and clause.core == "The ceasefire took effect at midnight"


def test_reportedly_has_no_named_source():
    assert split("据报道,双方将在日内瓦恢复会谈。").who is None


def test_shorten_cuts_at_a_clause_but_keeps_asked_words():
    core = ("he supported the limited ceasefire, but added that he believes the other side's refusal to agree to a "
            "broader deal indicated that its leader was not ready for peace and still seeks to weaken the country")
    assert shorten(core) == "he supported the limited ceasefire …"
    assert "broader deal" in shorten(core, keep=("broader",))


def test_excerpt_is_verbatim_and_holds_the_important_span():
    text = ("In a long interview on Tuesday, covering many other subjects at length, the minister, who had just "
            "returned, said that the delegation would meet in Geneva on June 2, and added several remarks about "
            "the weather, the economy and the coming elections in the region.")
    start = text.index("Geneva")
    piece = excerpt(text, [(start, start + len("Geneva"))], limit=20)
    assert "Geneva" in piece
    assert piece.strip("…") in text
    assert len(piece.split()) <= 22


def test_pronoun_openings():
    assert starts_with_pronoun("he would not give up the region")
    assert starts_with_pronoun("他表示不会放弃")
    assert not starts_with_pronoun("Helsinki hosted the talks")
