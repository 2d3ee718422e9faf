"""What a sentence signals lexically: speech, quotation, attribution, contrast, reference back, stance verbs."""
from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.index import IndexedPassage
from bot.answering.question import Question
from bot.text import normalize as textnorm
from bot.text.attribution import load_lexicon
from bot.text.stance_verbs import STANCE_VERBS

ANSWER_STANCES = ("demands", "conditions", "rejects", "offers", "accepts", "denies")
_ATTRIBUTION_EN = re.compile(r"\b(?:according to|citing|cited by|source:)\s+(?P<who>[^,.;:\"“]{3,80})|"
                             r"(?P<subject>(?:[A-Z][\w’'-]*|two|three|four|five|six|several|some|many|one)(?:[\s-][\w’'-]+){0,7}?)\s+"
                             r"(?:have |has )?(?:said|say|says|told|stated|claimed|reported|revealed|noted)\b", re.I)
_ATTRIBUTION_ZH = re.compile(r"据(?P<who>[^,,。:]{2,20}?)(?:报道|称|说|透露)|(?P<subject>[^,,。:“”]{2,20}?)(?:说|表示|称|透露|报道)")
_CONTRAST = re.compile(r"\b(?:while|whereas|but|however|unlike|instead)\b|而|但|却|相反", re.I)
_ANAPHORA = re.compile(r"\b(?:these|those|the (?:four|five|three|two)|them|they|this|such)\b|这些|那些|此|其", re.I)
_SPEECH_THEN_QUOTE = re.compile(r"[^\"“”「」。.]{0,40}?(?:\b(?:said|says|told|stated|wrote|added|replied|stressed)\b|说|說|表示|称|稱|告诉|告訴)"
                                r"[^\"“”「」。]{0,40}?[\"“「]", re.I)
_PRONOUN_NEAR_START = re.compile(r"\b(?:he|she|they)\b|他|她", re.I)
_ENDS_QUOTE = re.compile(r"^[^\"“”「」]*[\"”」]")  # a closing quote mark with no opening one before it
_COLON_QUOTE = re.compile(r"\s*[::]\s*[\"“「]")
_QUOTE_START = re.compile(r"^\W{0,2}[\"“「]")
_QUOTE_MARKS = re.compile(r"[\"“”「」『』]")
_PRONOUN_START = re.compile(r"^\W*(?:he|she|they|it|his|her|their)\b|^\W*(?:他|她|他们|她们)", re.I)
_STANCE_VERBS = STANCE_VERBS.in_sources  # what a source sentence's verbs state (bot/text/data/stances.yaml)
_ATTRIBUTION_CUES = re.compile(r"\b(?:according to|said|says|told|citing|sources?|officials?|reported|claimed)\b|据|称|表示|报道|透露|消息", re.I)


def _speaker_in(text: str) -> str | None:
    """Who a sentence attributes its claim to ("five current and former Russian officials said ...")."""
    pattern = _ATTRIBUTION_ZH if textnorm.is_cjk(text) else _ATTRIBUTION_EN
    match = pattern.search(text)
    if not match:
        return None
    who = (match.group("who") or match.group("subject") or "").strip()
    who = re.sub(r"^(?:details|more details|background)\s*:\s*", "", who, flags=re.I)
    return who or None


def _contrasts(passage: IndexedPassage, first: str, second: str, profile) -> bool:
    """The sentence sets the two parties against each other: "X wants ..., while Y seeks ...", "X……,而Y……"."""
    spots = [(m.start, profile.party_of(m.key)) for m in passage.mentions if profile.party_of(m.key) in (first, second)]
    for (start, party), (later, other) in zip(spots, spots[1:]):
        if party != other and _CONTRAST.search(passage.text, start, later):
            return True
    return False


def _quotes_someone(passage: IndexedPassage, q: Question, profile) -> bool:
    """The passage quotes one of the question's people or parties directly ("Putin said: “...”")."""
    asked = set(q.entities) | set(q.parties)
    for mention in passage.mentions:
        if mention.key in asked or profile.party_of(mention.key) in asked:
            if _SPEECH_THEN_QUOTE.match(passage.text, mention.end):
                return True
    return False


def _speaks(passage: IndexedPassage, speaker: str, profile, party_level: bool = False) -> bool:
    """The speaker (or, with ``party_level``, anyone of its party) is named and speaks before anyone else is named:
    "Trump ... said", "普京说", "Peskov: “...”"."""
    party = profile.party_of(speaker)
    mentions = passage.mentions
    for index, mention in enumerate(mentions):
        if mention.key != speaker and not (party_level and party and profile.party_of(mention.key) == party):
            continue
        if _COLON_QUOTE.match(passage.text, mention.end):
            return True
        end = mentions[index + 1].start if index + 1 < len(mentions) else len(passage.text)
        clause = re.split(r"[。.;;]", passage.text[mention.end:min(end, mention.end + 40)])[0]
        if reports(clause):
            return True
    return False


@lru_cache(maxsize=8192)  # asked of the same candidate sentences question after question; folding costs more than the search
def reports(text: str) -> bool:
    """The text uses a reporting verb ("said", "told", 表示, 稱): the lexicon's list, the one the ledger reads."""
    return load_lexicon().reporting.search(textnorm.fold(text)) is not None


def passage_stances(text: str) -> list[str]:
    """The stances a sentence's verbs express (demands, rejects, accepts, offers, denies), read lexically."""
    return [stance for stance, pattern in _STANCE_VERBS.items() if pattern.search(text)]


def _opens_quote(text: str) -> bool:
    """The sentence opens a quotation it does not close (an odd count of straight quotes, or an unmatched curly one)."""
    straight = text.count('"') % 2 == 1
    curly = text.count("“") + text.count("「") > text.count("”") + text.count("」")
    return straight or curly


@lru_cache(maxsize=1 << 13)  # candidates are compared pairwise: each sentence is tokenized once, not per pair
def _word_set(text: str) -> frozenset[str]:
    return frozenset(textnorm.tokenize(text))


def _same_script(passage_language: str, question_language: str) -> bool:
    return passage_language.startswith("zh") == question_language.startswith("zh")


# A place named as a venue: "talks in Moscow", "met in Washington", "在莫斯科举行", "于基辅".
_VENUE_BEFORE = re.compile(r"\b(?:in|at|to|from|hosted by|held in|venue(?: of| for| is)?|city of)\s+(?:the\s+)?$|(?:在|于|於|赴|前往|到)\s*$", re.I)
_VENUE_AFTER_ZH = re.compile(r"\s*(?:举行|舉行|会面|會面|会谈|會談|召开|召開)")
