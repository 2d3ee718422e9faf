"""The faithfulness guard: a sentence a model wrote reaches the reader only if the quotes it cites support it.

Deterministic on purpose (no second model call). Each sentence must cite at least one quote that
exists, be in the reader's language, and state no figure, date, named party, person, place or
outlet that its cited quotes do not (compared across languages through the profile's aliases and
``bot.text.numbers``); its stance and negation must agree with the quotes ("agreed" where the
quote says "refused" fails). Failing sentences are dropped; when the first one fails or too little
survives, the whole answer is discarded and the extractive answer stands.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from bot.text import normalize as textnorm
from bot.text.date_mentions import DateMention, date_supported
from bot.text.numbers import facts_in, same_number

log = logging.getLogger(__name__)

# Why a sentence was dropped (the counter's keys).
REASONS = ("no_citation", "unknown_citation", "wrong_language", "figure", "date", "name", "stance", "negation", "empty")
MIN_SURVIVING_SHARE = 0.5  # fewer surviving sentences than this share: the model's answer is not used at all
_CITATION = re.compile(r"\s*(?:\[\s*(\d+(?:\s*[,，、;]\s*\d+)*)\s*\]|【\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*】)")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\b(?:Mr|Ms|Dr|St|No|Mt|vs))(?<!\.)[.!?](?!\.)(?=\s|$|[\"”’)\]【])|[。！？!?]")
_LIST_NUMBER = re.compile(r"\W*\d{1,2}[.)]")
_CLOSERS = re.compile(r"[\"”’」』)）]*")
_NEGATOR_EN = re.compile(r"\b(?:not|never|no|neither|nor|cannot|without|none|unwilling|unable|unready)\b|n't\b", re.I)
_NEGATOR_ZH = re.compile(r"不(?!断|過|过|仅|僅|久|少|同|但|论|論|管|得不)|没有|沒有|没|沒|未(?!来|來)|并非|並非|无法|無法|绝不|絕不|别|別")
_CAPITALIZED = re.compile(r"(?<![\w’'])[A-Z][A-Za-z’'-]+")
_NAME_KINDS = ("party", "actor", "place", "outlet")
_DIRECTION = {"more": 1, "at_least": 1, "less": -1, "up_to": -1}
_COMMON_CAPITALIZED = frozenset(["I"])


@dataclass(frozen=True)
class Evidence:
    """One numbered quote the model was given: the verbatim text and where it comes from."""

    n: int
    quote: str
    language: str = "en"
    outlet: str | None = None
    published: date | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence of the model's answer: ``text`` as written (with its [n] marks), ``body`` without them."""

    text: str
    body: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Rejection:
    """A dropped sentence, the rule it broke, and what exactly (the figure, the name...)."""

    sentence: Sentence
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """What survives of an answer; ``fallback`` says why the whole answer is discarded (None: it is used)."""

    kept: tuple[Sentence, ...]
    rejected: tuple[Rejection, ...]
    fallback: str | None
    language: str = "en"

    @property
    def text(self) -> str:
        """The surviving sentences, joined the way the language writes them."""
        sep = "" if self.language.startswith("zh") else " "
        return sep.join(s.text.strip() for s in self.kept)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with the citation marks that follow or end them ("... land [1][2].", "……领土。[1]").

    A full stop inside a quotation ("... dying. This war ...") or an ellipsis does not end a sentence,
    and a list number ("1.") stays with what it numbers.
    """
    text = " ".join(text.split())
    sentences: list[Sentence] = []
    position = 0
    while position < len(text):
        end = _SENTENCE_END.search(text, position)
        while end is not None and _inside_quotation(text[position:end.start()]):
            end = _SENTENCE_END.search(text, end.end())
        stop = len(text) if end is None else end.end()
        stop = _CLOSERS.match(text, stop).end()
        marks = _CITATION.match(text, stop)
        while marks and marks.group(0):  # marks right after the full stop belong to this sentence
            stop = marks.end()
            marks = _CITATION.match(text, stop)
        piece = text[position:stop].strip()
        position = stop
        if not piece:
            continue
        if sentences and not _CITATION.sub("", piece).strip(" .。"):
            piece = sentences.pop().text + piece  # a line of marks alone cites the sentence before it
        elif sentences and (_LIST_NUMBER.fullmatch(sentences[-1].text) or re.match(r"[,;:，；：a-z]", piece)):
            piece = sentences.pop().text + " " + piece  # a list number, or a sentence going on after a quoted question
        sentences.append(_sentence(piece))
    return sentences


def _inside_quotation(text: str) -> bool:
    """An opened quotation is not closed yet: an odd count of straight quotes, or more openings than closings."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”") or text.count("「") > text.count("」")


def _sentence(text: str) -> Sentence:
    cites: list[int] = []
    for match in _CITATION.finditer(text):
        numbers = match.group(1) or match.group(2)
        cites += [int(n) for n in re.split(r"[,，、;\s]+", numbers) if n]
    body = " ".join(_CITATION.sub(" ", text).split())
    return Sentence(text.strip(), body, tuple(dict.fromkeys(cites)))


class Guard:
    """Checks a model's answer against the numbered evidence it was given. One per profile and lexicon."""

    def __init__(self, profile, lexicon):
        """``lexicon`` is the stance lexicon the position ledger reads (cues, negation, clause breaks); the
        caller passes it in, so that answering does not import ingestion."""
        self.profile = profile
        self.lexicon = lexicon
        # Evidence quotes are read once per sentence citing them: remember what they name and state.
        self._keys = lru_cache(maxsize=1 << 12)(self._keys_uncached)
        self.stances = lru_cache(maxsize=1 << 12)(self._stances_uncached)

    # -- the whole answer ---------------------------------------------------------------------------

    def check(self, answer: str, evidence: list[Evidence], language: str) -> Verdict:
        """The sentences of ``answer`` that the evidence supports, and whether the answer may be used at all."""
        answer = to_script(answer, language)
        sentences = split_sentences(answer)
        if not sentences:
            return Verdict((), (), "empty", language)
        by_number = {e.n: e for e in evidence}
        kept, rejected = [], []
        for sentence in sentences:
            problem = self.check_sentence(sentence, by_number, language)
            if problem is None:
                kept.append(sentence)
            else:
                rejected.append(Rejection(sentence, *problem))
                log.info("guard dropped a sentence (%s: %s): %r", problem[0], problem[1], sentence.text[:200])
        fallback = None
        if rejected and rejected[0].sentence is sentences[0]:
            fallback = f"first sentence: {rejected[0].reason}"
        elif len(kept) < MIN_SURVIVING_SHARE * len(sentences):
            fallback = f"{len(kept)} of {len(sentences)} sentences survive"
        return Verdict(tuple(kept), tuple(rejected), fallback, language)

    # -- one sentence --------------------------------------------------------------------------------

    def check_sentence(self, sentence: Sentence, evidence: dict[int, Evidence], language: str) -> tuple[str, str] | None:
        """(reason, detail) when the sentence must be dropped, None when its cited quotes support it."""
        if len(re.sub(r"\W", "", sentence.body)) < 2:
            return "empty", ""
        if not sentence.cites:
            return "no_citation", ""
        missing = [n for n in sentence.cites if n not in evidence]
        if missing:
            return "unknown_citation", ", ".join(map(str, missing))
        if textnorm.is_cjk(sentence.body) != language.startswith("zh"):
            return "wrong_language", textnorm.language_of(sentence.body)
        cited = [evidence[n] for n in sentence.cites]
        return (self.unsupported_facts(sentence.body, cited) or self.unsupported_names(sentence.body, cited)
                or self.stance_conflict(sentence.body, cited))

    def unsupported_facts(self, text: str, cited: list[Evidence]) -> tuple[str, str] | None:
        """A figure or a date of ``text`` that no cited quote states (dates may also be the quote's publication date)."""
        numbers, dates = facts_in(text)
        evidence_numbers = [n for e in cited for n in facts_in(e.quote)[0]]
        for number in numbers:
            same = [other for other in evidence_numbers if same_number(number, other)]
            if not same:
                return "figure", number.text
            direction = _DIRECTION.get(getattr(number, "qualifier", None) or "")
            if direction and all(_DIRECTION.get(getattr(other, "qualifier", None) or "") == -direction for other in same):
                return "figure", number.text  # "less than" what the quote says is "more than"
        evidence_dates = [d for e in cited for d in facts_in(e.quote)[1]]
        evidence_dates += [DateMention(e.published.year, e.published.month, e.published.day, e.published.weekday())
                           for e in cited if e.published]
        for when in dates:
            if not date_supported(when, evidence_dates):
                return "date", text[when.start:when.end]
        return None

    def unsupported_names(self, text: str, cited: list[Evidence]) -> tuple[str, str] | None:
        """A party, person, place or outlet the cited quotes do not name (an actor's party counts for the party);
        in English, a capitalized name outside the profile must appear in a cited quote or its outlet's name."""
        named = self._keys("\n".join(e.quote + "\n" + (e.outlet or "") for e in cited))
        parties = {self.profile.party_of(key) for key in named} - {None}
        mentions = [m for m in self.profile.find(text) if m.kind in _NAME_KINDS]
        for mention in mentions:
            if mention.key not in named and not (mention.kind == "party" and mention.key in parties):
                return "name", mention.surface
        if textnorm.is_cjk(text):
            return None
        covered = [(m.start, m.end) for m in self.profile.find(text)]
        sources = textnorm.fold(" ".join(e.quote + " " + (e.outlet or "") for e in cited))
        first_word = re.search(r"[A-Za-z]", text)
        for match in _CAPITALIZED.finditer(text):
            if first_word and match.start() == first_word.start():
                continue  # the first word of a sentence is capitalized anyway
            if any(s <= match.start() < e for s, e in covered) or match.group(0) in _COMMON_CAPITALIZED:
                continue
            word = textnorm.fold(match.group(0)).strip("'’-")
            if _is_calendar_word(word):
                continue  # dates are checked as dates
            if not re.search(rf"(?<![a-z]){re.escape(word)}", sources):
                return "name", match.group(0)
        return None

    def _keys_uncached(self, text: str) -> frozenset[str]:
        return frozenset(m.key for m in self.profile.find(text))

    def stance_conflict(self, text: str, cited: list[Evidence]) -> tuple[str, str] | None:
        """The sentence gives a party a stance its quotes do not (they record another one of that party on the same
        matter), or negates something its quotes do not negate."""
        claims = self.stances(text)
        evidence = [cue for e in cited for cue in self.stances(e.quote)]
        for claim in claims:
            relevant = [cue for cue in evidence if _same_matter(claim, cue)]
            if relevant and not any(cue.stance in _COMPATIBLE[claim.stance] for cue in relevant):
                return "stance", claim.stance
        return self._negation_conflict(text, cited, evidence)

    def _negation_conflict(self, text: str, cited: list[Evidence], evidence: list["_Cue"]) -> tuple[str, str] | None:
        """Each negation of the sentence must be in a cited quote: in the same language, a negator (or a plain
        rejection such as "rules out") before the same word; across languages, some negation or rejection."""
        negator = _NEGATOR_ZH if textnorm.is_cjk(text) else _NEGATOR_EN
        negations = list(negator.finditer(text))
        if not negations:
            return None
        same_language = [e.quote for e in cited if textnorm.is_cjk(e.quote) == textnorm.is_cjk(text)]
        if not same_language:
            rejecting = any(cue.stance in ("rejects", "denies") for cue in evidence)
            return None if rejecting or any(_negated(e.quote) for e in cited) else ("negation", negations[0].group(0))
        negated_in_quotes = {token for quote in same_language for token in _negated_words(quote, self.lexicon, self.stances(quote))}
        for match in negations:
            words = _words_after(text, match.end())
            if words and not set(words[:1]) & negated_in_quotes:
                return "negation", match.group(0) + " " + words[0]
        return None

    def _stances_uncached(self, text: str) -> tuple["_Cue", ...]:
        """(stance, issues) of each stance cue in ``text``, turned around by a negator just before it ("not ready to"
        offers -> rejects) the way the position ledger reads it; issues are those named in the cue's clause after it."""
        return _stances(self.profile, self.lexicon, text)

    # -- translations ------------------------------------------------------------------------------

    def check_translation(self, source: str, translation: str, language: str) -> str | None:
        """Why a machine translation must not be shown (it adds a figure, date or name, or is in another language),
        or None when it may stand beside its original."""
        if not translation.strip():
            return "empty"
        if textnorm.is_cjk(translation) != language.startswith("zh"):
            return "wrong_language"
        evidence = [Evidence(0, source)]
        problem = self.unsupported_facts(translation, evidence) or self._unsupported_keys(translation, source)
        return problem[0] if problem else None

    def _unsupported_keys(self, text: str, source: str) -> tuple[str, str] | None:
        named = self._keys(source)
        for mention in self.profile.find(text):
            if mention.kind in _NAME_KINDS and mention.key not in named:
                if not (mention.kind == "party" and mention.key in {self.profile.party_of(k) for k in named}):
                    return "name", mention.surface
        return None


def to_script(text: str, language: str) -> str:
    """Chinese text in the reader's script (a model may answer a Traditional question in Simplified)."""
    if language == "zh-Hant":
        return textnorm.to_traditional(text)
    if language == "zh-Hans":
        return textnorm.to_simplified(text)
    return text


def _negated(text: str) -> bool:
    return bool((_NEGATOR_ZH if textnorm.is_cjk(text) else _NEGATOR_EN).search(text))


def _is_calendar_word(word: str) -> bool:
    import calendar

    names = {n.lower() for n in (*calendar.month_name, *calendar.month_abbr, *calendar.day_name) if n}
    return word in names


@dataclass(frozen=True)
class _Cue:
    """A stance cue as read: the stance (after negation), who holds it, the issues of its clause, and where it is."""

    stance: str
    holder: str | None  # the party of the last party or person named before the cue in its clause
    issues: frozenset[str]
    start: int  # offsets into the original text
    end: int
    flipped: bool = False  # turned around by a negator before it


_COMPATIBLE = {"demands": {"demands", "conditions"}, "conditions": {"conditions", "demands"}, "offers": {"offers", "accepts"},
               "accepts": {"accepts", "offers"}, "rejects": {"rejects"}, "denies": {"denies"}}  # denying a report is not refusing


def _same_matter(claim: _Cue, cue: _Cue) -> bool:
    """Two cues about the same thing: the same holder (or one unknown) and a shared issue (or one without any)."""
    same_holder = claim.holder is None or cue.holder is None or claim.holder == cue.holder
    return same_holder and (not claim.issues or not cue.issues or bool(claim.issues & cue.issues))


def _stances(profile, lexicon, text: str) -> tuple[_Cue, ...]:
    folded, origin = textnorm.fold_with_offsets(text)
    to_text = lambda i: origin[i] if i < len(origin) else len(text)
    masked = lexicon.not_cues.sub(lambda m: " " * len(m.group()), folded)
    hits = sorted(((m.start(), m.end(), cue.stance, cue.party_from_speaker) for cue in lexicon.cues
                   for m in cue.pattern.finditer(masked)), key=lambda hit: (hit[0], hit[0] - hit[1]))
    mentions = profile.find(text)
    issues_at = [(m.start, profile.issue_of(m.key)) for m in mentions if profile.issue_of(m.key)]
    holders = [(m.start, m.end, profile.party_of(m.key)) for m in mentions
               if profile.party_of(m.key) and not _after_preposition(text, m.start, lexicon)]
    everywhere = frozenset(issue for _, issue in issues_at)
    found: list[_Cue] = []
    taken_until, refusal_end = -1, None
    for start, end, stance, from_speaker in hits:
        if start < taken_until:
            continue
        taken_until = end
        if refusal_end is not None and _adjacent(masked[refusal_end:start]):
            continue  # "refusal to agree", "rejected the demands": what is refused is not a stance of its own
        refusal_end = None
        latin = bool(re.search(r"[a-z]", folded[start:end]))
        flipped = bool((lexicon.negated_en if latin else lexicon.negated_zh).search(masked[max(0, start - 40):start]))
        if flipped:
            stance = lexicon.flip.get(stance)
            if stance is None:
                continue
        breaks = [m.end() for m in lexicon.clause_breaks.finditer(folded, 0, start)]
        clause_start = to_text(breaks[-1] if breaks else 0)
        after = lexicon.clause_breaks.search(folded, end)
        low, high = to_text(end), to_text(after.start() if after else len(folded))
        before = [party for s, e, party in holders if clause_start <= s and e <= to_text(start)]
        issues = frozenset(issue for at, issue in issues_at if low <= at < high)
        # Who holds it: the party named last before the cue in its clause; unknown ("it", "他") matches any party.
        # On what: the issues after the cue in its clause, else those of the whole sentence ("on X, Russia rejects it").
        # A modal or a denial ("must", 应该, "denied") is the speaker's, whoever the grammatical subject: unknown here.
        holder = before[-1] if before and not from_speaker else None
        found.append(_Cue(stance, holder, issues or everywhere, to_text(start), to_text(end), flipped))
        if stance in ("rejects", "denies") and not flipped:
            refusal_end = end
    return tuple(found)


def _adjacent(gap: str) -> bool:
    """Nothing but a word (or two Chinese characters) between two cues, and no punctuation."""
    if re.search(r"[,，;；:：、。]", gap):
        return False
    if textnorm.is_cjk(gap):
        return len(gap.strip()) <= 2
    return len(re.findall(r"[\w']+", gap)) <= 1


def _after_preposition(text: str, start: int, lexicon) -> bool:
    """A party named right after a preposition ("talks with Ukraine", 与乌克兰) is an object, not who holds a stance."""
    before = text[max(0, start - 12):start]
    if before.endswith(lexicon.prepositions_zh):
        return True
    match = re.search(r"([A-Za-z']+)\s+(?:(?:the|a|an)\s+)?$", before)
    return bool(match) and match.group(1).lower() in lexicon.prepositions_en


_SKIP_EN = frozenset("be been being is are was were will would to do does did have has had a an the any more longer yet so "
                     "also even ever really just".split())


def _words_after(text: str, position: int, count: int = 4) -> list[str]:
    """The first content words after ``position`` (folded and stemmed; auxiliaries and particles skipped)."""
    tokens = [t for t in textnorm.tokenize(text[position:position + 60]) if t not in _SKIP_EN]
    return tokens[:count]


def _negated_words(quote: str, lexicon, cues) -> set[str]:
    """Words a quote negates: the first content word after each negator, and after each plain (not negated)
    rejection or denial ("rules out giving up", "拒绝撤军")."""
    negator = _NEGATOR_ZH if textnorm.is_cjk(quote) else _NEGATOR_EN
    words = {w for match in negator.finditer(quote) for w in _words_after(quote, match.end(), 1)}
    for cue in cues:
        if cue.stance in ("rejects", "denies") and not cue.flipped:
            words |= set(_words_after(quote, cue.end, 1))
            words |= set(textnorm.tokenize(quote[cue.start:cue.end]))  # "refuses" itself: "did not agree" ~ "refused"
    return words
