"""Grounded answers: find the evidence for a question, write a lead in its language, cite verbatim quotes; overview commands."""
from __future__ import annotations

import calendar
import heapq
import logging
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from bot import i18n, textnorm
from bot.embed import Embedder
from bot.messages import Bullet, Citation, Reply, cite
from bot.question import FRAME_WORDS, STANCE_WORDS, Question, parse_question
from bot.retrieval import ENTITY_PREFIX, CosineZ, IndexedPassage, LedgerEntry, PassageIndex, TermGroup
from storage.models import Document, Passage

log = logging.getLogger(__name__)

MAX_BULLETS = 4  # few, strong bullets
MAX_LIST_BULLETS = 8  # aggregation, timeline and the overview commands list more
SEARCH_DEPTH = 40
LEDGER_DEPTH = 40  # ledger passages on the asked party and issue added beyond the search's hits
RELATIVE_FLOOR = 0.78  # a further bullet must score at least this share of the best one
TITLE_WEIGHT = 0.5  # an article whose headline matches the question lends its sentences this much (times the share)
SPEAKER_BONUS = 0.4  # for "what did X say", a sentence where X speaks
ACTS_BONUS = 0.6  # the asked party is the subject of the asked stance in the sentence
SUBJECT_BONUS = 0.3  # the sentence's first named party is the one the question asks about
COVERAGE_FLOOR = 0.6  # ... and contain at least this share of what the best one matches of the question
MIN_COVERAGE = 0.5  # share of the question's weighted terms the best passage must contain
MIN_COVERAGE_WITH_LEDGER = 0.34  # ... or this much when the ledger records the asked party on the asked issue
SAME_FACT_COSINE = 0.935  # two passages this close say the same thing (merged into one bullet)
SAME_FACT_JACCARD = 0.55
MAX_QUOTE_SENTENCES = 3  # a bullet quotes at most this many consecutive sentences
SAME_STANCE_COSINE = 0.88  # ... or this close when the ledger records the same stance in both
FOLLOWER_DISCOUNT = 0.2  # a quote continuing a strong candidate's speaker scores this much less per sentence away
PARTY_CREDIT = 0.6
NAME_CHECK_DEPTH = 10  # a name of the question must be stated by one of this many best candidates
REACTION_Z = 0.5  # a reaction must be closer in meaning to the question than the corpus's average sentence
DENSE_RESCUE_Z = 3.8  # a passage this many deviations above the corpus's cosine is on topic even without shared words
FIGURE_COVERAGE = 0.75  # another source's figure is shown when its sentence matches the question this well (vs the best)
CONTRAST_COVERAGE = 0.25  # a sentence setting the two compared parties against each other needs little else
FACET_FOCUS = 0.5  # a bullet of a "where/who/when/how much" answer must fit the facet at least this well
INFORMATIVE_IDF = 3.0  # an entity this rare in the corpus (or rarer) fully answers "where"/"who"
PREMISE_COVERAGE = 0.25  # passages on the issue that may show who really demands or accepts it
UNSEEN_WEIGHT = 0.75  # a question word absent from the corpus weighs this share of an average known term
CONTEXT_CREDIT = 0.8
DOCUMENT_CREDIT = 0.4
PLACE_CREDIT = 0.8  # a term only the passage's headline or another of its sentences names counts this much  # a term found only in the sentence a passage refers back to ("these areas") counts this much  # a passage naming the party of an asked actor ("the Kremlin" for "Putin") half-matches it
ANSWER_STANCES = ("demands", "conditions", "rejects", "offers", "accepts", "denies")

_NUMBER_WORDS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())} | {"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}
_FIGURE_EN = re.compile(
    r"(?P<q>more than|over|about|around|roughly|approximately|nearly|almost|some|up to|at least|less than|fewer than)?\s*"
    r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)\s*(?P<m>thousand|million|billion)?\s*"
    r"(?P<u>%|percent\b|per cent\b|square kilomet(?:re|er)s\b|sq\.? km\b|km2\b|kilomet(?:re|er)s\b|km\b|-?days?\b|-?hours?\b|"
    r"troops\b|soldiers\b|people\b|years?\b)?", re.I)
_FIGURE_ZH = re.compile(r"(?P<q>超过|逾|约|大约|近|将近|不到|至少)?(?P<n>\d+(?:[.,]\d+)*)\s*(?P<m>万|亿)?"
                        r"(?P<u>%|平方公里|公里|天|小时|人|名|年)?")
_UNITS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "square kilometres": "square_km", "square kilometers": "square_km",
    "sq km": "square_km", "sq. km": "square_km", "km2": "square_km", "平方公里": "square_km", "kilometres": "km",
    "kilometers": "km", "km": "km", "公里": "km", "day": "day", "days": "day", "天": "day", "hour": "hour", "hours": "hour",
    "小时": "hour", "people": "people", "人": "people", "troops": "troops", "soldiers": "troops", "名": "troops",
    "year": "year", "years": "year", "年": "year",
}
_QUALIFIERS = {"more than": "more", "over": "more", "超过": "more", "逾": "more", "at least": "more", "至少": "more",
               "less than": "less", "fewer than": "less", "不到": "less", "up to": "less"}
_MONTHS = "|".join(calendar.month_name[1:])
_DATE_EN = re.compile(rf"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:(?:{_MONTHS})\s+\d{{1,2}}(?:,\s*\d{{4}})?|"
                      rf"\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?|(?:{_MONTHS})\s+(?:of\s+)?\d{{4}})\b|"
                      rf"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
_DATE_ZH = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|(?:周|星期)[一二三四五六日天]")
_YEAR_EN = re.compile(r"\b(?:in|since|until|by|from) ((?:19|20)\d\d)\b")
_ATTRIBUTION_EN = re.compile(r"\b(?:according to|citing|cited by|source:)\s+(?P<who>[^,.;:\"“]{3,80})|"
                             r"(?P<subject>(?:[A-Z][\w’'-]*|two|three|four|five|six|several|some|many|one)(?:[\s-][\w’'-]+){0,7}?)\s+"
                             r"(?:have |has )?(?:said|say|says|told|stated|claimed|reported|revealed|noted)\b", re.I)
_ATTRIBUTION_ZH = re.compile(r"据(?P<who>[^,,。:]{2,20}?)(?:报道|称|说|透露)|(?P<subject>[^,,。:“”]{2,20}?)(?:说|表示|称|透露|报道)")
_CONTRAST = re.compile(r"\b(?:while|whereas|but|however|unlike|instead)\b|而|但|却|相反", re.I)
_ANAPHORA = re.compile(r"\b(?:these|those|the (?:four|five|three|two)|them|they|this|such)\b|这些|那些|此|其", re.I)
_SPEECH_THEN_QUOTE = re.compile(r"[^\"“”「」。.]{0,40}?(?:\b(?:said|says|told|stated|wrote|added|replied|stressed)\b|说|說|表示|称|稱|告诉|告訴)"
                                r"[^\"“”「」。]{0,40}?[\"“「]", re.I)
_SPEECH = re.compile(r"\b(?:said|says|told|stated|wrote|added|replied|stressed|argued|claimed|warned|unveiled|announced|"
                     r"revealed|explained|concluded|predicted)\b|说|說|表示|称|稱|告诉|告訴|透露|宣布", re.I)
_PRONOUN_NEAR_START = re.compile(r"\b(?:he|she|they)\b|他|她", re.I)
_ENDS_QUOTE = re.compile(r"^[^\"“”「」]*[\"”」]")  # a closing quote mark with no opening one before it
_COLON_QUOTE = re.compile(r"\s*[::]\s*[\"“「]")
_QUOTE_START = re.compile(r"^\W{0,2}[\"“「]")
_QUOTE_MARKS = re.compile(r"[\"“”「」『』]")
_PRONOUN_START = re.compile(r"^\W*(?:he|she|they|it|his|her|their)\b|^\W*(?:他|她|他们|她们)", re.I)
_STANCE_VERBS = {
    "accepts": re.compile(r"\b(?:agree[ds]?|accept\w*|endors\w*|backs|backed|support(?:s|ed)?)\b|同意|接受|支持|赞成|认可", re.I),
    "demands": re.compile(r"\b(?:demand\w*|insist\w*|seek\w*|wants?|push\w* (?:for|to)|requir\w*|calls? for)\b|要求|坚持|寻求|迫使", re.I),
    "rejects": re.compile(r"\b(?:reject\w*|refus\w*|rules? out|ruled out|not up for discussion|not negotiable|will not work)\b"
                          r"|拒绝|反对|排除|驳回", re.I),
    "offers": re.compile(r"\b(?:offer\w*|propos(?:e|es|ed|ing)|willing|open to|ready to|prepared to|promis\w*|pledg\w*|vow\w*|"
                         r"said (?:it|they|he|she|we) would)\b|提议|愿意|准备|承诺|保证", re.I),
    "denies": re.compile(r"\b(?:den(?:y|ies|ied))\b|否认", re.I),
}
_ATTRIBUTION_CUES = re.compile(r"\b(?:according to|said|says|told|citing|sources?|officials?|reported|claimed)\b|据|称|表示|报道|透露|消息", re.I)


@dataclass
class Candidate:
    """A passage considered as evidence, with what the question's reading found in it."""

    passage: IndexedPassage
    retrieval: float = 0.0
    coverage: float = 0.0
    part_coverage: dict[int, float] = field(default_factory=dict)
    topical: bool = True  # matches an issue, place or plain word of the question, not only its parties
    acts: bool = False  # the asked party is the subject of the asked stance ("Putin agreed...")
    reacts: bool = False  # for "how did X react to Y": X's side speaking about Y
    title: float = 0.0  # how much of the question the passage's headline covers
    dense_z: float = 0.0  # how far the passage's cosine with the question stands above the corpus's
    ledger: tuple[LedgerEntry, ...] = ()
    score: float = 0.0


@dataclass
class Point:
    """One evidence bullet: the quoted passage, the same fact from other outlets, and their ledger entries.

    ``context`` is the main passage with the adjacent sentence it needs (quoted together), in order.
    """

    passages: list[IndexedPassage]
    ledger: list[LedgerEntry]
    score: float
    context: list[IndexedPassage] = field(default_factory=list)

    @property
    def main(self) -> IndexedPassage:
        return self.passages[0]


@dataclass(frozen=True)
class PremiseFact:
    """What a source says a party does on the issue a false-premise question is about."""

    party: str
    stance: str
    passage: IndexedPassage
    ledger: tuple[LedgerEntry, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A number with its unit, as a source states it."""

    value: float
    unit: str | None
    qualifier: str | None
    text: str


class Answerer:
    """The one answer engine behind every adapter and ``parley ask``: questions, positions, timelines, comparisons."""

    def __init__(self, engine, profile, settings, embedder=None):
        self.engine = engine
        self.profile = profile
        self.settings = settings
        self.embedder = embedder or Embedder(threads=getattr(settings, "embed_threads", 0))
        cache_dir = getattr(settings, "cache_dir", None)
        self.index = PassageIndex(engine, profile, self.embedder, snapshot_dir=Path(cache_dir) / "index" if cache_dir else None)
        self._ledger_indexed: tuple[list | None, tuple[dict, dict]] = (None, ({}, {}))
        self._mentions: tuple[list | None, int, Counter, Counter] = (None, 0, Counter(), Counter())
        # One question at a time: answering reads the index in many steps, and a sync may rebuild it.
        self._lock = threading.RLock()

    # -- questions --------------------------------------------------------------------------------

    def ask(self, question: str, *, fallback_language: str | None = None) -> Reply:
        """Answer a free-text question with cited, verbatim evidence, or abstain; in the question's language."""
        with self._lock:
            return self._ask(question, fallback_language)

    def rank(self, question: str, limit: int = 50) -> list[int]:
        """Passage ids in the order the answer engine weighs them as evidence for ``question`` (search, ledger and
        coverage together), best first: what recall is measured on."""
        with self._lock:
            self.index.sync()
            if not self.index.passages:
                return []
            candidates = self._candidates(parse_question(question, self.profile))
            return [c.passage.id for c in candidates[:limit]]

    def _ask(self, question: str, fallback_language: str | None) -> Reply:
        self.index.sync()
        q = parse_question(question, self.profile, fallback_language)
        log.debug("question %r read as %s", question, q)
        if q.kind == "latest":
            return self.latest(q.language)
        if not self.index.passages:
            return self._abstain(q, empty=True)
        if q.kind == "out_of_scope":
            return self._abstain(q, off_topic=True)
        listed = self._ledger_listing(q)
        if listed is not None:
            return listed
        candidates = self._candidates(q)
        if not self._answerable(q, candidates):
            return self._abstain(q, off_topic=not q.entities)
        premise = self._premise_facts(q, candidates) if q.kind == "false_premise" else None
        if q.kind == "false_premise" and not premise:
            q = replace(q, kind="position")  # the premise holds, or the sources cannot tell: answer plainly
        points = self._select(q, candidates, premise)
        if not points:
            return self._abstain(q)
        return self._reply(q, points, premise)

    def _ledger_listing(self, q: Question) -> Reply | None:
        """Timelines and "all the conditions" come from the ledger when it holds at least two such stances."""
        if not q.parties or q.kind not in ("timeline", "aggregation"):
            return None
        party = q.parties[0]
        if q.kind == "timeline":
            rows = [e for e in self.index.ledger if e.party == party and (not q.issues or e.issue in q.issues)]
            issue = q.issues[0] if q.issues else None
            label = i18n.t("answer.comparison.issue", q.language, issue=self._name(issue, q.language)) if issue else ""
            lead = i18n.t("answer.lead.timeline", q.language, party=self._name(party, q.language), issue=label)
        else:
            rows = [e for e in self.index.ledger if e.party == party and e.stance in ("demands", "conditions")]
            documents = len({e.document_id for e in rows})
            lead = i18n.t("answer.lead.aggregation", q.language, party=self._name(party, q.language), count=documents)
        unique: dict[int | None, LedgerEntry] = {}
        for entry in sorted(rows, key=_timeline_order):
            unique.setdefault(entry.passage_id if entry.passage_id is not None else -entry.id, entry)
        if len(unique) < 2:
            return None
        return self._ledger_reply(lead, list(unique.values()), q.language, show_party=False,
                                  show_issue=q.kind == "aggregation" or not q.issues, limit=MAX_LIST_BULLETS)

    def _groups(self, text: str) -> list[TermGroup]:
        """The question's searchable terms: entities and content words, without the words that only frame it.

        A stance verb ("asking", "agree", 同意) matches any verb of its stance, in either language.
        """
        groups = []
        for group in self.index.query_groups(text):
            if group.entity:
                groups.append(group)
                continue
            token = group.alternatives[0][0]
            stance = next((s for s, words in STANCE_WORDS.items() if token in words), None)
            if stance:
                groups.append(self._stance_group(token, stance))
            elif not group.tokens & FRAME_WORDS:
                groups.append(group)
        return groups

    def _stance_group(self, token: str, stance: str) -> TermGroup:
        alternatives = {token: 1.0}
        for word in STANCE_WORDS[stance]:
            alternatives.setdefault(word, 0.9)
            if not textnorm.is_cjk(word):  # English verbs also meet Chinese passages through their glosses
                for alternative, weight in self.index.word_group(word).alternatives[1:]:
                    alternatives.setdefault(alternative, weight)
        return TermGroup(tuple(alternatives.items()), surface=token)

    def _candidates(self, q: Question) -> list[Candidate]:
        groups = self._groups(q.text)
        if q.kind in ("false_premise", "disagreement"):
            # A premise's verb is what gets checked, not searched for; "do the sources agree" is about the sources.
            groups = [g for g in groups if g.entity or not any(g.alternatives[0][0] in w for w in STANCE_WORDS.values())]
        boost = set(q.entities) | set(q.parties) | set(q.issues)
        pool: dict[int, Candidate] = {}
        vector = self._gather(pool, q.text, groups, boost, weight=1.0)
        dense_z = self._dense_z(vector)
        parts = q.parts if len(q.parts) > 1 else ()
        part_groups = [self._groups(part) for part in parts]
        for part, pgroups in zip(parts, part_groups):
            self._gather(pool, part, pgroups, boost, weight=0.9)
        for passage in self._ledger_passages(q, pool, dense_z):
            pool[passage.id] = Candidate(passage)
        matches = _GroupMatcher(self.index, self.profile, proper_names(q.text))
        ledger_by_passage = self._ledger_by_passage()
        for candidate in pool.values():
            candidate.ledger = tuple(ledger_by_passage.get(candidate.passage.id, ()))
            context = self._antecedent(candidate.passage)
            candidate.coverage = matches.coverage(candidate.passage, groups, context)
            candidate.title = matches.title_coverage(candidate.passage, groups)
            candidate.dense_z = dense_z[candidate.passage.row] if dense_z is not None else 0.0
            candidate.topical = matches.topical(candidate.passage, groups, context) or (
                dense_z is not None and dense_z[candidate.passage.row] >= DENSE_RESCUE_Z and not candidate.passage.fragment)
            candidate.part_coverage = {i: matches.coverage(candidate.passage, g, context) for i, g in enumerate(part_groups)}
            candidate.score = self._score(q, candidate)
        if "speech" in q.cues:
            self._follow_speakers(q, pool, groups, matches, ledger_by_passage)
        return sorted(pool.values(), key=lambda c: c.score, reverse=True)

    def _gather(self, pool: dict[int, Candidate], text: str, groups: list[TermGroup], boost: set[str], weight: float):
        """Add the index's hits for ``text`` to the pool; returns the text's vector (None without an embedder)."""
        vector = self.embedder.query(text) if self.index.embedder is not None else None
        for hit in self.index.search(text, groups=groups, boost_entities=boost, limit=SEARCH_DEPTH, vector=vector):
            candidate = pool.setdefault(hit.passage.id, Candidate(hit.passage))
            candidate.retrieval = max(candidate.retrieval, hit.score * weight)
        return vector

    def _dense_z(self, vector) -> "CosineZ | None":
        """How far each passage's cosine stands above the corpus's (z-scores): unrelated text scores ~0.7 too."""
        return None if vector is None else self.index.cosine_z(vector)

    def _follow_speakers(self, q: Question, pool: dict[int, Candidate], groups, matches, ledger_by_passage) -> None:
        """What someone said often continues in the next sentences ("He also called it..."): lift those quotes.

        A sentence right after a strong candidate inherits part of its score when it quotes someone and
        names one of the question's entities (or opens with a pronoun referring back).
        """
        anchors = sorted(pool.values(), key=lambda c: c.score, reverse=True)[:6]
        asked = set(q.entities) | set(q.parties)
        for anchor in anchors:
            if anchor.coverage < MIN_COVERAGE or not (_QUOTE_MARKS.search(anchor.passage.text) or _SPEECH.search(anchor.passage.text)):
                continue  # only what someone said continues in the next sentences
            if q.speaker and not _speaks(anchor.passage, q.speaker, self.profile, party_level=True):
                continue  # ... and only when it is the asked person speaking
            # A sentence ending a quote ('... will fall too," Musk wrote') also owns the quote's opening sentence.
            offsets = (-1, 1, 2) if _ENDS_QUOTE.match(anchor.passage.text) else (1, 2)
            for offset in offsets:
                follower = self.index.neighbour(anchor.passage, offset)
                if follower is None or not _QUOTE_MARKS.search(follower.text):
                    continue
                names_asked = bool(asked & (follower.entities | follower.parties))
                if not (names_asked or _PRONOUN_NEAR_START.search(follower.text[:40]) or _QUOTE_START.match(follower.text)):
                    continue
                candidate = pool.get(follower.id)
                if candidate is None:
                    candidate = pool[follower.id] = Candidate(follower, ledger=tuple(ledger_by_passage.get(follower.id, ())))
                    candidate.coverage = matches.coverage(follower, groups)
                    candidate.topical = matches.topical(follower, groups)
                    candidate.score = self._score(q, candidate)
                inherited = anchor.score - FOLLOWER_DISCOUNT * abs(offset)
                if inherited > candidate.score and anchor.topical:
                    candidate.score = inherited
                    candidate.coverage = max(candidate.coverage, anchor.coverage * 0.8)
                    candidate.topical = True

    def _ledger_passages(self, q: Question, pool: dict[int, Candidate], dense_z) -> list[IndexedPassage]:
        """Passages of ledger entries on what is asked that the search missed: the LEDGER_DEPTH closest in meaning to the
        question (when no passage has a vector yet: the newest), so the pool stays the same size however many such
        stances the corpus holds."""
        found = {}
        for entry in self._ledger_for(q):
            passage = self.index.by_id.get(entry.passage_id)
            if passage is not None and passage.id not in pool:
                found[passage.id] = (passage, entry.published or date.min)
        if len(found) <= LEDGER_DEPTH:
            return [passage for passage, _ in found.values()]

        def closeness(item) -> float:
            return float(dense_z[item[0].row])

        def recency(item) -> tuple:
            return item[1], item[0].id

        ranked = heapq.nlargest(LEDGER_DEPTH, found.values(), key=closeness if dense_z is not None else recency)
        return [passage for passage, _ in ranked]

    def _ledger_for(self, q: Question) -> list[LedgerEntry]:
        """Ledger entries about the asked parties (and issues, when the question names some)."""
        if not q.parties or not (q.issues or q.stance):
            return []
        by_party = self._ledger_index()[1]
        parties = list(dict.fromkeys(q.parties))
        entries = by_party.get(parties[0], []) if len(parties) == 1 else sorted(
            (e for party in parties for e in by_party.get(party, ())), key=lambda e: e.id)  # each list is in id order
        if not q.issues:
            return list(entries)
        issues, places, first = set(q.issues), set(q.places), q.parties[0]
        return [e for e in entries if e.issue in issues or (e.stance == q.stance and e.party == first)
                or (places and not places.isdisjoint(e.places))]

    def _ledger_by_passage(self) -> dict[int, list[LedgerEntry]]:
        """Ledger entries by passage id."""
        return self._ledger_index()[0]

    def _ledger_index(self) -> tuple[dict[int, list[LedgerEntry]], dict[str, list[LedgerEntry]]]:
        """Ledger entries by passage id and by party, rebuilt only when a sync replaced the ledger."""
        ledger = self.index.ledger
        if self._ledger_indexed[0] is not ledger:
            by_passage: dict[int, list[LedgerEntry]] = defaultdict(list)
            by_party: dict[str, list[LedgerEntry]] = defaultdict(list)
            for entry in ledger:
                by_party[entry.party].append(entry)
                if entry.passage_id is not None:
                    by_passage[entry.passage_id].append(entry)
            self._ledger_indexed = (ledger, (by_passage, by_party))
        return self._ledger_indexed[1]

    def _score(self, q: Question, c: Candidate) -> float:
        """Retrieval rank, term coverage, the ledger and the question's facet, weighed together."""
        p = c.passage
        score = 0.5 * c.retrieval + 1.5 * c.coverage + TITLE_WEIGHT * c.title
        relevant = [e for e in c.ledger if e.party in q.parties]
        if relevant:
            score += 0.2
            if any(e.issue in q.issues for e in relevant):
                score += 0.2
            if q.stance and any(e.stance == q.stance for e in relevant):
                score += 0.3
        score += 0.25 * _facet_fit(q, p, self.profile, self.index)
        if q.parties and q.kind not in ("comparison", "false_premise") and self._subject(p) == q.parties[0]:
            score += SUBJECT_BONUS  # the sentence is about the asked party, not merely mentioning it
        if q.speaker:
            # A sentence closing a quotation is spoken by whoever opened it in the sentence before.
            previous = self.index.neighbour(p, -1) if _ENDS_QUOTE.match(p.text) else None
            spoken = [x for x in (p, previous) if x is not None]
            if any(_speaks(x, q.speaker, self.profile) for x in spoken):
                score += SPEAKER_BONUS  # "what did X say": X is the one speaking here
            elif any(_speaks(x, q.speaker, self.profile, party_level=True) for x in spoken):
                score += SPEAKER_BONUS / 2  # ... or someone speaking for X's side
            else:
                spoken = []
            if spoken and "response" in q.cues and c.topical and c.dense_z >= REACTION_Z:
                c.reacts = True  # "how did X react to Y": X's own words on Y (by meaning, not one shared word) are the reaction
                score += ACTS_BONUS
        if q.stances_asked and q.parties and q.kind != "false_premise":
            c.acts = any((stance, q.parties[0]) in self._stance_subjects(p) for stance in q.stances_asked)
            # ... on what the question is about: "the Kremlin agreed to a ceasefire" does not answer how it met the missiles
            c.acts = c.acts and (c.topical or not q.issues or self._on_issue(q, p))
            if c.acts:  # the asked party is the one doing what the question asks about (on the asked issue: more so)
                score += ACTS_BONUS if not q.issues or self._on_issue(q, p) else ACTS_BONUS / 2
        if _same_script(p.language, q.language):
            score += 0.1
        if p.fragment:
            score -= 0.6
        return score

    def _on_issue(self, q: Question, p: IndexedPassage) -> bool:
        """The passage is on an asked issue, or its article is: a headline naming the issue, or an article naming the
        asked place ("the Jeddah talks": a report from Jeddah), though this sentence names neither."""
        if set(q.issues) & p.issues:
            return True
        title = self.index.title_terms.get(p.document_id, set())
        named = self.index.document_terms.get(p.document_id, set())
        return any(ENTITY_PREFIX + issue in title for issue in q.issues) or any(ENTITY_PREFIX + place in named for place in q.places)

    def _answerable(self, q: Question, candidates: list[Candidate]) -> bool:
        """The best passage must contain most of what the question asks about (ledger matches need less)."""
        candidates = [c for c in candidates if c.topical]
        if not candidates or self._misses_a_name(q, candidates):
            return False
        best = max(candidates, key=lambda c: c.coverage)
        if best.coverage >= MIN_COVERAGE:
            return True
        if best.coverage < MIN_COVERAGE_WITH_LEDGER:
            return False
        on_ledger = any(e.party in q.parties and e.issue in q.issues for c in candidates for e in c.ledger)
        both_compared = q.kind == "comparison" and any(set(q.parties[:2]) <= c.passage.parties for c in candidates)
        return on_ledger or both_compared

    def _misses_a_name(self, q: Question, candidates: list[Candidate]) -> bool:
        """A name the question gives that no strong candidate states outright ("the French election" answered by
        the US one): the corpus never names it, or only a translation's gloss does, so the sources are about
        something else."""
        names = proper_names(q.text)
        top = candidates[:NAME_CHECK_DEPTH]
        for group in self._groups(q.text):
            if group.entity or not group.tokens & names:
                continue
            rows = self.index.group_rows(group)
            if not any(rows.get(c.passage.row, 0.0) >= 1.0 for c in top):
                return True
        return False

    # -- choosing the evidence ----------------------------------------------------------------------

    def _select(self, q: Question, candidates: list[Candidate], premise: list["PremiseFact"] | None) -> list[Point]:
        limit = MAX_LIST_BULLETS if q.kind in ("aggregation", "timeline") else MAX_BULLETS
        best = candidates[0]
        points: list[Point] = []
        for fact in (premise or [])[:MAX_BULLETS]:
            self._add_point(points, fact.passage, list(fact.ledger), best.score, q)
        if q.kind == "comparison" and len(q.parties) >= 2:
            # Sentences that set the two parties against each other answer "how do they differ" best.
            contrasted = [c for c in candidates if c.coverage >= CONTRAST_COVERAGE
                          and _contrasts(c.passage, q.parties[0], q.parties[1], self.profile)]
            # Words rarely name what is compared ("pace" vs 快速/较慢): the vectors choose among them.
            for candidate in sorted(contrasted, key=lambda c: -c.dense_z)[:2]:
                self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
        for candidate in candidates:
            if candidate.score < best.score * RELATIVE_FLOOR:
                break  # candidates are sorted: the rest are weaker still
            if candidate.coverage < best.coverage * COVERAGE_FLOOR and not (candidate.acts or candidate.reacts):
                continue
            self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q, new=len(points) < limit)
        self._cover_parts(q, candidates, points)
        self._cover_verdict(q, candidates, points)
        self._cover_facet(q, candidates, points)
        points = self._focus_on_facet(q, points)
        if "how_much" in q.facets or q.kind == "disagreement":
            self._cover_figures(q, candidates, points)
            points = self._own_figures(q, points)
        if q.kind == "comparison":
            self._cover_parties(q, candidates, points)
        if q.kind == "timeline":
            points.sort(key=lambda point: (self.index.documents[point.main.document_id].published or date.min))
        return points

    def _add_point(self, points: list[Point], passage: IndexedPassage, ledger: list[LedgerEntry], score: float, q: Question,
                   new: bool = True) -> None:
        """Add a bullet, or merge it into one that states the same fact (another outlet's report), or extend a
        bullet's quote when it continues the same quotation; ``new=False`` only merges and extends."""
        for point in points:
            if any(p.id == passage.id for p in point.passages) or any(passage.id == c.id for c in point.context):
                return
            if self._continues_quote(point, passage):
                point.context = sorted(point.context + [passage], key=lambda p: p.seq)
                return
            if self._same_fact(point.main, passage):
                if any(p.document_id == passage.document_id for p in point.passages):
                    return
                point.passages.append(passage)
                point.ledger.extend(ledger)
                if _same_script(passage.language, q.language) and not _same_script(point.main.language, q.language):
                    point.passages.insert(0, point.passages.pop())  # prefer the quote in the question's language
                    point.context = self._context(point.main, q)
                return
        if not new:
            return
        chosen = {p.id for point in points for p in point.passages + point.context}
        context = [p for p in self._context(passage, q) if p.id == passage.id or p.id not in chosen]
        points.append(Point([passage], list(ledger), score, context=context))

    def _continues_quote(self, point: Point, passage: IndexedPassage) -> bool:
        """The passage is the next (or opening) sentence of the same quotation as the bullet's quote."""
        context = point.context or [point.main]
        if passage.document_id != context[0].document_id or len(context) >= MAX_QUOTE_SENTENCES:
            return False
        if passage.seq == context[-1].seq + 1:
            return bool(_QUOTE_MARKS.search(passage.text)) and bool(
                _PRONOUN_NEAR_START.search(passage.text[:40]) or _QUOTE_START.match(passage.text)
                or _QUOTE_MARKS.search(context[-1].text))
        return passage.seq == context[0].seq - 1 and bool(_ENDS_QUOTE.match(context[0].text)) and bool(_QUOTE_START.match(passage.text))

    def _same_fact(self, a: IndexedPassage, b: IndexedPassage) -> bool:
        """Two outlets' sentences stating one fact: near-identical vectors and shared words, and no conflicting figures."""
        if {f.value for f in extract_figures(a.text)} != {f.value for f in extract_figures(b.text)}:
            return False
        left, right = _word_set(a.text), _word_set(b.text)
        jaccard = len(left & right) / len(left | right) if left and right else 0.0
        cosine = self.index.cosine(a, b)
        if jaccard >= SAME_FACT_JACCARD or (cosine is not None and cosine >= SAME_FACT_COSINE and jaccard >= 0.3):
            return True
        # Paraphrases: two outlets' sentences recording the same stance of the same party on the same issue.
        stances = lambda p: {(e.party, e.issue, e.stance) for e in self._ledger_by_passage().get(p.id, ())}
        return (a.document_id != b.document_id and cosine is not None and cosine >= SAME_STANCE_COSINE
                and bool(stances(a) & stances(b)))

    def _context(self, passage: IndexedPassage, q: Question) -> list[IndexedPassage]:
        """The sentences a quote needs to be understood: the one it refers back to, or the one naming its specifics."""
        previous = self.index.neighbour(passage, -1)
        if previous is not None and self._refers_back(passage, previous):
            return [previous, passage]
        following = self.index.neighbour(passage, 1)
        if following is not None and self._names_specifics(passage, following, q):
            return [passage, following]
        return [passage]

    def _antecedent(self, passage: IndexedPassage) -> IndexedPassage | None:
        """The previous sentence, when this one refers back to it."""
        previous = self.index.neighbour(passage, -1)
        return previous if previous is not None and self._refers_back(passage, previous) else None

    def _refers_back(self, passage: IndexedPassage, previous: IndexedPassage) -> bool:
        places = lambda p: {k for k in p.entities if self.profile.entity(k).kind == "place"}
        actors = lambda p: {k for k in p.entities if self.profile.entity(k).kind == "actor"}
        if _ANAPHORA.search(passage.text) and places(previous) and not places(passage):
            return True
        if _ENDS_QUOTE.match(passage.text) and _opens_quote(previous.text):
            return True  # the rest of a quotation: the sentence that opened it says who is speaking
        return bool(_PRONOUN_START.match(passage.text) and actors(previous) and not actors(passage))

    def _names_specifics(self, passage: IndexedPassage, following: IndexedPassage, q: Question) -> bool:
        """The next sentence lists the places of the asked issue that this one only alludes to."""
        if not q.issues:
            return False
        specific = {k for k in following.entities
                    if self.profile.entity(k).kind == "place" and self.profile.issue_of(k) in q.issues}
        named_here = {k for k in passage.entities if self.profile.entity(k).kind == "place"}
        shared = _word_set(passage.text) & _word_set(following.text)
        return len(specific) >= 2 and not named_here and bool(shared - FRAME_WORDS)

    def _cover_parts(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """Each sub-question of a compound question gets its best passage, if it has a good one."""
        for index in range(len(q.parts) if len(q.parts) > 1 else 0):
            chosen = {p.id for point in points for p in point.passages}
            covered = [c for c in candidates if c.passage.id in chosen and c.part_coverage.get(index, 0) >= MIN_COVERAGE]
            if covered:
                continue
            best = max(candidates, key=lambda c: (c.part_coverage.get(index, 0), c.score))
            if best.part_coverage.get(index, 0) >= MIN_COVERAGE:
                self._add_point(points, best.passage, list(best.ledger), best.score, q)

    def _cover_verdict(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """A yes/no question needs the sentence that decides it: add the best one recording the asked party's
        stance (or its opposite) on what the question names, when the chosen evidence does not decide."""
        if not q.yes_no or not _decidable(q) or _verdict(q, points):
            return
        for candidate in candidates[:SEARCH_DEPTH]:
            if _decide(q, candidate.ledger):
                self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
                return

    def _cover_facet(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """A "where/who/when/how much" answer must contain a place, person, date or figure: add the best that does."""
        if not (q.facets or q.kind == "disagreement") or q.kind == "attribution":
            return  # "according to whom" is answered by who said it, not by another person named
        if any(_answer_fit(q, p, self.profile, self.index) >= 1.0 for point in points for p in point.passages):
            return
        for candidate in candidates[:SEARCH_DEPTH]:
            if candidate.topical and candidate.coverage >= MIN_COVERAGE_WITH_LEDGER and _answer_fit(q, candidate.passage, self.profile, self.index) >= 1.0:
                self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
                return

    def _focus_on_facet(self, q: Question, points: list[Point]) -> list[Point]:
        """For "how much/where/who/when" (and disagreements on figures), keep only bullets holding such an answer, when some do."""
        if (not q.facets and q.kind != "disagreement") or q.kind == "attribution":
            return points
        fitting = [p for p in points if any(_answer_fit(q, x, self.profile, self.index) >= FACET_FOCUS for x in p.passages)]
        return fitting or points

    def _own_figures(self, q: Question, points: list[Point]) -> list[Point]:
        """A figure about another party is another quantity ("Ukraine holds 650 km2" for "how much does Russia hold")."""
        if not q.parties or not ("how_much" in q.facets or q.kind == "disagreement"):
            return points
        own = [p for p in points if self._subject(p.main) in (None, q.parties[0])]
        return own if any(extract_figures(p.main.text) for p in own) else points

    def _cover_figures(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """Sources that give another figure for the same quantity are shown too, each with its source."""
        shown = {(f.unit, f.value) for point in points for p in point.passages for f in extract_figures(p.text)}
        chosen = {p.id for point in points for p in point.passages}
        best_coverage = max((c.coverage for c in candidates if c.passage.id in chosen), default=0.0)
        units = {unit for unit, _ in shown if unit}
        added = 0
        for candidate in candidates[:SEARCH_DEPTH]:
            if added >= 2 or len(points) >= MAX_BULLETS + 1:
                break
            floor = best_coverage * FIGURE_COVERAGE if q.kind != "disagreement" else PREMISE_COVERAGE
            # A disagreement's other figure may be worded unlike the question: being on the asked issue is enough.
            on_issue = q.kind == "disagreement" and bool(set(q.issues) & candidate.passage.issues)
            if not candidate.topical or (candidate.coverage < floor and not on_issue):
                continue  # another figure only from a sentence about the same thing...
            if q.parties and self._subject(candidate.passage) not in (None, q.parties[0]):
                continue  # ... and the same party's (not "Ukraine holds 650 km2" for "how much does Russia hold")
            figures = {(f.unit, f.value) for f in extract_figures(candidate.passage.text) if f.unit in units}
            if figures - shown:
                self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
                shown |= figures
                added += 1

    def _cover_parties(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """A comparison shows each compared party, preferably a sentence that sets the two side by side."""
        for party in q.parties[:2]:
            if any(party in p.parties for point in points for p in point.passages):
                continue
            for candidate in candidates:
                if party in candidate.passage.parties and candidate.coverage >= MIN_COVERAGE_WITH_LEDGER:
                    self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
                    break

    def _premise_facts(self, q: Question, candidates: list[Candidate]) -> list["PremiseFact"] | None:
        """For "why did X agree to Y": what the sources say instead, or None when the premise holds or cannot be checked.

        The ledger decides when it has entries on the issue; otherwise the strongest passages on the
        issue are read for who demands, rejects or accepts it.
        """
        asserted = q.parties[0]
        on_issue = [e for e in self.index.ledger if e.issue in q.issues or set(e.places) & set(q.places)]
        if q.places:  # "give up Crimea" is about Crimea, not every territorial stance
            named = lambda e: set(e.places) & set(q.places) or (e.passage_id in self.index.by_id and
                                                               set(q.places) & self.index.by_id[e.passage_id].entities)
            on_issue = [e for e in on_issue if named(e)]
        facts = [PremiseFact(e.party, e.stance, self.index.by_id[e.passage_id], (e,))
                 for e in on_issue if e.passage_id in self.index.by_id]
        if not facts:
            facts = [PremiseFact(party, stance, c.passage, ())
                     for c in candidates[:12] if set(q.issues) & c.passage.issues and c.coverage >= PREMISE_COVERAGE
                     for stance, party in self._stance_subjects(c.passage)]
        if any(f.party == asserted and f.stance in ("accepts", "offers") for f in facts if f.ledger) or any(
                f.party == asserted and f.stance in ("accepts", "offers") and not f.ledger and len(f.passage.parties) == 1
                for f in facts):
            return None
        against = [f for f in facts if (f.party != asserted and f.stance in ("demands", "conditions"))
                   or (f.party == asserted and f.stance in ("rejects", "denies") and f.ledger)]
        unique: dict[int, PremiseFact] = {}
        for fact in against:
            unique.setdefault(fact.passage.id, fact)
        return list(unique.values()) or None

    def _subject(self, passage: IndexedPassage) -> str | None:
        """The party a sentence is about: that of the first party or person it names (after any heading)."""
        body_start = passage.text.rfind(":", 0, 40) + 1
        for mention in passage.mentions:
            party = self.profile.party_of(mention.key)
            if party and mention.start >= body_start:
                return party
        return None

    def _stance_subjects(self, passage: IndexedPassage) -> list[tuple[str, str]]:
        """(stance, party) pairs read from a sentence: each stance verb's subject is the party named last before it
        in its clause, else the first party the sentence names after any heading ("2. NATO Exclusion: Putin demands")."""
        mentions = [m for m in passage.mentions if self.profile.party_of(m.key)]
        if not mentions:
            return []
        body_start = passage.text.rfind(":", 0, 40) + 1
        pairs = []
        for stance, pattern in _STANCE_VERBS.items():
            match = pattern.search(passage.text)
            if not match:
                continue
            clause_start = max(passage.text.rfind(sep, 0, match.start()) for sep in (",", ";", ",", ";", ":")) + 1
            before = [m for m in mentions if clause_start <= m.start < match.start()]
            subject = before[-1] if before else next((m for m in mentions if m.start >= body_start), mentions[0])
            pairs.append((stance, self.profile.party_of(subject.key)))
        return pairs

    # -- writing the reply -------------------------------------------------------------------------

    def _reply(self, q: Question, points: list[Point], premise: list["PremiseFact"] | None) -> Reply:
        citations, bullets, numbers = self._cite(points)
        lead = self._lead(q, points, premise, numbers)
        if citations and all(not _same_script(c.language, q.language) for c in citations):
            lead += i18n.t("answer.lead.other_language", q.language)
        if not lead.endswith((".", "。", ":", ":")):
            lead += i18n.t("answer.end", q.language)
        return Reply(lead=lead, bullets=tuple(bullets), citations=tuple(citations), language=q.language,
                     as_of=_as_of(citations), labels=i18n.labels(q.language))

    def _cite(self, points: list[Point]) -> tuple[list[Citation], list[Bullet], dict[int, int]]:
        """Number the sources in order of use; each bullet quotes its main passage (with context) verbatim."""
        citations: list[Citation] = []
        by_passage: dict[int, int] = {}
        bullets = []
        for point in points:
            numbers = []
            for passage in point.passages:
                if passage.id not in by_passage:
                    span = point.context if passage is point.main else [passage]
                    citations.append(self._citation(len(citations) + 1, passage, self.index.quote(span)))
                    by_passage[passage.id] = len(citations)
                numbers.append(by_passage[passage.id])
            for passage in point.context:
                by_passage.setdefault(passage.id, by_passage[point.main.id])
            quote = " ".join(citations[by_passage[point.main.id] - 1].quote.split())
            bullets.append(Bullet(text=quote, cites=tuple(dict.fromkeys(numbers))))
        return citations, bullets, by_passage

    def _citation(self, n: int, passage: IndexedPassage, quote: str) -> Citation:
        doc = self.index.documents[passage.document_id]
        return Citation(n=n, document_id=doc.id, origin=doc.origin, url=doc.url, title=doc.title, outlet=doc.outlet,
                        published=doc.published, quote=quote, language=passage.language)

    def _lead(self, q: Question, points: list[Point], premise, numbers: dict[int, int]) -> str:
        """The sentence written for the asker, in the question's language, stating the key facts found;
        a yes/no question gets its yes or no first, when the asked party's recorded stances decide it."""
        lead = self._plain_lead(q, points, premise, numbers)
        verdict = "no" if premise else _verdict(q, points)
        if q.yes_no and verdict:
            return i18n.t(f"answer.verdict.{verdict}", q.language) + lead
        if q.has_premise and not premise and verdict == "no":
            # "Why did X reject Y?" when the sources record X accepting Y: say the premise is wrong before the evidence.
            return i18n.t("answer.verdict.premise_contradicted", q.language, party=self._name(q.parties[0], q.language)) + lead
        return lead

    def _plain_lead(self, q: Question, points: list[Point], premise, numbers: dict[int, int]) -> str:
        writer = _LeadWriter(self, q, points, numbers)
        if premise:
            return writer.premise(premise)
        if q.kind == "attribution":
            return writer.attribution()
        if q.kind == "comparison":
            return writer.comparison()
        if q.kind in ("aggregation", "timeline"):
            return writer.listing()
        if "how_much" in q.facets or q.kind == "disagreement":
            lead = writer.figures()
            if lead:
                return lead
        if "where" in q.facets:
            return writer.names("answer.lead.places", kinds=("place", "party"))
        if "who" in q.facets:
            return writer.names("answer.lead.people", kinds=("actor",))
        if "when" in q.facets:
            lead = writer.dates()
            if lead:
                return lead
        if q.kind == "position":
            lead = writer.position()
            if lead:
                return lead
        return writer.general()

    # -- abstaining ---------------------------------------------------------------------------------

    def _abstain(self, q: Question, *, empty: bool = False, off_topic: bool = False) -> Reply:
        """A clear "I don't know", in the question's language, saying what the corpus does cover."""
        lang = q.language
        if empty or not self.index.passages:
            lead = i18n.t("answer.abstain.empty", lang)
        else:
            parties, issues, span, count = self._coverage_summary(lang)
            key = "answer.abstain.off_topic" if off_topic else "answer.abstain"
            lead = i18n.t(key, lang, parties=parties, issues=issues, span=span, count=count,
                          topic=i18n.t("answer.topic.default", lang))
        return Reply(lead=lead, language=lang, abstained=True, labels=i18n.labels(lang))

    def _coverage_summary(self, lang: str) -> tuple[str, str, str, int]:
        parties, issues = self._mention_counts()
        names = lambda counter: _join([self.profile.display(k, lang) for k, _ in counter.most_common(4)], lang)
        dates = sorted(d.published for d in self.index.documents.values() if d.published)
        span = (i18n.t("answer.span", lang, start=dates[0].isoformat(), end=dates[-1].isoformat())
                if dates else i18n.t("answer.span.undated", lang))
        return names(parties), names(issues), span, len(self.index.documents)

    def _mention_counts(self) -> tuple[Counter, Counter]:
        """How many passages name each party and each issue; recounted only for the passages indexed since."""
        passages = self.index.passages
        counted_in, counted, parties, issues = self._mentions
        if counted_in is not passages:  # the index was rebuilt: count afresh
            counted, parties, issues = 0, Counter(), Counter()
        for passage in passages[counted:]:
            parties.update(k for k in passage.parties if k in self.profile.parties)
            issues.update(k for k in passage.issues if k in self.profile.issues)
        self._mentions = (passages, len(passages), parties, issues)
        return parties, issues

    # -- overview commands --------------------------------------------------------------------------

    def positions(self, party: str | None, language: str) -> Reply:
        """The party x issue matrix: each pair's latest stance with its date, cited."""
        with self._lock:
            return self._positions_unlocked(party, language)

    def _positions_unlocked(self, party: str | None, language: str) -> Reply:
        self.index.sync()
        entries = [e for e in self.index.ledger if party is None or e.party == party]
        latest: dict[tuple[str, str], LedgerEntry] = {}
        for entry in sorted(entries, key=_entry_order):
            latest[(entry.party, entry.issue)] = entry
        label = i18n.t("answer.positions.party", language, party=self._name(party, language)) if party else ""
        if not latest:
            return Reply(lead=i18n.t("answer.positions.none", language, party=label), language=language,
                         abstained=True, kind="info", labels=i18n.labels(language))
        rows = sorted(latest.values(), key=lambda e: (self._order(e.party), self._order(e.issue)))
        return self._ledger_reply(i18n.t("answer.positions.lead", language, party=label), rows, language,
                                  show_party=party is None, limit=None)

    def timeline(self, party: str, issue: str, language: str) -> Reply:
        """A party's stances on an issue in date order, cited."""
        with self._lock:
            return self._timeline_unlocked(party, issue, language)

    def _timeline_unlocked(self, party: str, issue: str, language: str) -> Reply:
        self.index.sync()
        rows = sorted((e for e in self.index.ledger if e.party == party and e.issue == issue), key=_timeline_order)
        if not rows:
            return Reply(lead=i18n.t("answer.timeline.none", language, party=self._name(party, language),
                                     issue=self._name(issue, language)),
                         language=language, abstained=True, kind="info", labels=i18n.labels(language))
        issue_label = i18n.t("answer.comparison.issue", language, issue=self._name(issue, language))
        lead = i18n.t("answer.lead.timeline", language, party=self._name(party, language), issue=issue_label)
        return self._ledger_reply(lead, rows, language, show_party=False, show_issue=False, limit=None)

    def compare(self, a: str, b: str, issue: str | None, language: str) -> Reply:
        """Two parties side by side: each one's latest stance per issue (or on one issue), cited."""
        with self._lock:
            return self._compare_unlocked(a, b, issue, language)

    def _compare_unlocked(self, a: str, b: str, issue: str | None, language: str) -> Reply:
        self.index.sync()
        latest: dict[tuple[str, str], LedgerEntry] = {}
        for entry in sorted((e for e in self.index.ledger if e.party in (a, b) and (issue is None or e.issue == issue)),
                            key=_entry_order):
            latest[(entry.party, entry.issue)] = entry
        if issue is None:  # without an issue, compare where both have spoken, if anywhere
            shared = {i for p, i in latest if p == a} & {i for p, i in latest if p == b}
            if shared:
                latest = {k: v for k, v in latest.items() if k[1] in shared}
        issue_label = i18n.t("answer.comparison.issue", language, issue=self._name(issue, language)) if issue else ""
        names = dict(first=self._name(a, language), second=self._name(b, language), issue=issue_label)
        if not latest:
            return Reply(lead=i18n.t("answer.compare.none", language, **names), language=language,
                         abstained=True, kind="info", labels=i18n.labels(language))
        rows = sorted(latest.values(), key=lambda e: (self._order(e.issue), e.party != a))
        return self._ledger_reply(i18n.t("answer.lead.comparison", language, **names), rows, language,
                                  show_party=True, show_issue=issue is None, limit=None)

    def latest(self, language: str, limit: int = 5) -> Reply:
        """The newest documents, one per story (its newest report), each with its headline and link."""
        with self._lock:
            return self._latest_unlocked(language, limit)

    def _latest_unlocked(self, language: str, limit: int = 5) -> Reply:
        self.index.sync()
        with Session(self.engine) as session:
            newest = session.exec(
                select(Document).order_by(Document.published.desc().nulls_last(), Document.ingested_at.desc()).limit(limit * 4)
            ).all()
            per_story: dict[str, Document] = {}
            for document in newest:
                per_story.setdefault(document.story_id or document.id, document)
            documents = list(per_story.values())[:limit]
            firsts = {d.id: session.exec(select(Passage).where(Passage.document_id == d.id).order_by(Passage.seq).limit(1)).first()
                      for d in documents}
        if not documents:
            return Reply(lead=i18n.t("answer.latest.none", language), language=language, abstained=True,
                         labels=i18n.labels(language))
        citations, bullets = [], []
        for document in documents:
            first = firsts.get(document.id)
            headline = (document.summary or {}).get("headline") or document.title or (first.text if first else document.id)
            citations.append(Citation(n=len(citations) + 1, document_id=document.id, origin=document.origin, url=document.url,
                                      title=document.title, outlet=document.outlet, published=document.published,
                                      quote=first.text if first else "", language=document.language))
            bullets.append(Bullet(text=headline, cites=(len(citations),)))
        return Reply(lead=i18n.t("answer.latest.lead", language) + ":", bullets=tuple(bullets), citations=tuple(citations),
                     language=language, as_of=_as_of(citations), labels=i18n.labels(language))

    def _ledger_reply(self, lead: str, rows: list[LedgerEntry], language: str, *, show_party: bool,
                      show_issue: bool = True, limit: int | None = MAX_LIST_BULLETS) -> Reply:
        citations: list[Citation] = []
        bullets = []
        numbers: dict[int, int] = {}
        for entry in rows[:limit] if limit else rows:
            passage = self.index.by_id.get(entry.passage_id)
            key = passage.id if passage else -entry.id
            if key not in numbers:
                citations.append(self._entry_citation(len(citations) + 1, entry, passage))
                numbers[key] = len(citations)
            bullets.append(Bullet(text=self._entry_line(entry, language, show_party, show_issue), cites=(numbers[key],)))
        return Reply(lead=lead + ":", bullets=tuple(bullets), citations=tuple(citations), language=language,
                     as_of=_as_of(citations), labels=i18n.labels(language))

    def _entry_line(self, entry: LedgerEntry, language: str, show_party: bool, show_issue: bool) -> str:
        head = []
        if show_party:
            head.append(self._name(entry.party, language))
        if show_issue:
            head.append(self._name(entry.issue, language))
        when = entry.published.isoformat() if entry.published else i18n.t("label.undated", language)
        stance = i18n.t(f"stance.{entry.stance}", language) if entry.stance in ANSWER_STANCES else entry.stance
        prefix = " · ".join(head)
        return f"{prefix + ': ' if prefix else ''}{stance} ({when}) — {entry.quote}"

    def _entry_citation(self, n: int, entry: LedgerEntry, passage: IndexedPassage | None) -> Citation:
        doc = self.index.documents[entry.document_id]
        quote = passage.text if passage is not None else entry.quote
        return Citation(n=n, document_id=doc.id, origin=doc.origin, url=doc.url, title=doc.title, outlet=doc.outlet,
                        published=doc.published, quote=quote, language=passage.language if passage else doc.language)

    def _name(self, key: str | None, language: str) -> str:
        if not key:
            return ""
        try:
            return self.profile.display(key, language)
        except KeyError:
            return key

    def _order(self, key: str) -> int:
        keys = [e.key for e in self.profile.entities()]
        return keys.index(key) if key in keys else len(keys)


class _GroupMatcher:
    """Which query term groups a passage contains, and the idf-weighted share of the question they make up."""

    def __init__(self, index: PassageIndex, profile, names: frozenset[str] = frozenset()):
        self.index = index
        self.profile = profile
        self.names = names  # tokens of the question's capitalized words: proper names
        self._group_weights: dict[int, tuple[list[TermGroup], list[float]]] = {}

    def coverage(self, passage: IndexedPassage, groups: list[TermGroup], context: IndexedPassage | None = None) -> float:
        """Share of the groups' weight the passage (or the sentence it refers back to) contains; translations count less.

        A word no passage contains weighs a fraction of the average known term: it may be a paraphrase
        ("negotiable" for "not up for discussion"), but several of them mean the corpus is not about it.
        """
        weights = self._weights(groups)
        total = sum(weights)
        matched = sum(weight * self.credit(passage, group, context) for group, weight in zip(groups, weights))
        return matched / total if total else 0.0

    def _weights(self, groups: list[TermGroup]) -> list[float]:
        """Each group's weight in ``coverage``: its idf, or for a word no passage contains a fraction of the known
        terms' average; the same for every candidate of a question, so worked out once per list of groups."""
        known = self._group_weights.get(id(groups))
        if known is not None and known[0] is groups:
            return known[1]
        weights = [self.index.idf(group) for group in groups]
        seen = [w for w in weights if w]
        unseen_weight = UNSEEN_WEIGHT * (sum(seen) / len(seen)) if seen else 1.0
        for i, (group, weight) in enumerate(zip(groups, weights)):
            if not weight:
                # A name the corpus never mentions (a person, a country) means the question is about something else.
                weights[i] = self.index.unseen_idf() if group.entity or group.tokens & self.names else unseen_weight
        self._group_weights[id(groups)] = (groups, weights)  # holding the list keeps its id from being reused
        return weights

    def credit(self, passage: IndexedPassage, group: TermGroup, context: IndexedPassage | None = None) -> float:
        """How fully the passage contains one group: 1 directly, less through a translation, context or the party."""
        rows = self.index.group_rows(group)
        credit = max(rows.get(passage.row, 0.0), CONTEXT_CREDIT * rows.get(context.row, 0.0) if context else 0.0)
        if credit < PARTY_CREDIT and group.entity and rows and self._party_match(group.entity, passage):
            credit = PARTY_CREDIT  # not for someone the corpus never mentions: the question is about them
        elif credit < PARTY_CREDIT * CONTEXT_CREDIT and group.entity and rows and context and self._party_match(group.entity, context):
            credit = PARTY_CREDIT * CONTEXT_CREDIT  # the sentence it continues names the party's spokesman
        if credit < PLACE_CREDIT and group.entity in passage.issues:
            credit = PLACE_CREDIT  # the issue through one of its places ("territory" in a sentence about Kursk)
        if credit < DOCUMENT_CREDIT and group.tokens & self.index.document_terms.get(passage.document_id, set()):
            credit = DOCUMENT_CREDIT  # the article is about it (its headline or another sentence names it)
        return credit

    def title_coverage(self, passage: IndexedPassage, groups: list[TermGroup]) -> float:
        """Share of the question's known terms that the passage's headline contains: how much the article is about it."""
        title = self.index.title_terms.get(passage.document_id, set())
        weights = [(self.index.idf(g), g) for g in groups]
        total = sum(w for w, _ in weights)
        return sum(w for w, g in weights if g.tokens & title) / total if total else 0.0

    def topical(self, passage: IndexedPassage, groups: list[TermGroup], context: IndexedPassage | None = None) -> bool:
        """The passage matches something the question is about beyond who: an issue, a place or a plain word."""
        topics = self.topics(groups)
        return not topics or any(self.credit(passage, g, context) >= 0.5 for g in topics)

    def topics(self, groups: list[TermGroup]) -> list[TermGroup]:
        """The groups naming what the question is about (issues, places, plain words), not who."""
        return [g for g in groups if not g.entity or self.profile.entity(g.entity).kind in ("issue", "place")]

    def _party_match(self, key: str, passage: IndexedPassage) -> bool:
        party = self.profile.party_of(key)
        return bool(party) and party in passage.parties


def proper_names(text: str) -> frozenset[str]:
    """Tokens of the capitalized words inside a question (not its first word): names of people, places, things."""
    words = re.findall(r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?", text.strip())
    return frozenset(token for word in words for token in textnorm.tokenize(word))


class _LeadWriter:
    """Builds the lead sentence of an answer from its evidence, in the question's language."""

    def __init__(self, answerer: Answerer, q: Question, points: list[Point], numbers: dict[int, int]):
        self.answerer = answerer
        self.profile = answerer.profile
        self.q = q
        self.lang = q.language
        self.points = points
        self.numbers = numbers

    def refs(self, passages) -> str:
        return cite(*(self.numbers[p.id] for p in passages if p.id in self.numbers))

    def name(self, key: str) -> str:
        return self.answerer._name(key, self.lang)

    def general(self) -> str:
        """The question's own subjects, then the places the top evidence names that the question did not."""
        asked = [self.name(k) for k in self.q.entities if self.profile.entity(k).kind != "issue"][:4]
        topic = i18n.t("answer.topic", self.lang, names=_join(asked, self.lang)) if asked else ""
        lead = i18n.t("answer.lead.general", self.lang, topic=topic)
        places = self._evidence_names(("place",), points=self.points[:2])
        if places:
            lead += i18n.t("answer.end", self.lang) + " " + i18n.t("answer.lead.names", self.lang, names=_join(places[:6], self.lang))
        return lead

    def names(self, key: str, kinds: tuple[str, ...]) -> str:
        names = self._evidence_names(kinds, points=self.points[:3], rank=True)
        if "actor" in kinds:
            names = self._described_people() + [n for n in names if n not in self._described_people()]
        if not names:
            return self.general()
        return i18n.t(key, self.lang, names=_join(names[:6], self.lang))

    def _described_people(self) -> list[str]:
        """People the question names by role ("Putin's press secretary"): their names are the answer to "who"."""
        people = []
        for mention in self.profile.find(self.q.text):
            entity = self.profile.entity(mention.key)
            names = {textnorm.fold(n) for n in entity.names.values()}
            if entity.kind == "actor" and not any(textnorm.fold(mention.surface) in n for n in names):
                people.append(self.name(mention.key))
        return people

    def _evidence_names(self, kinds: tuple[str, ...], points: list[Point], rank: bool = False) -> list[str]:
        """Display names of profile entities the evidence (with its context) names and the question does not."""
        asked = set(self.q.entities) | set(self.q.parties)
        seen: dict[str, None] = {}
        for point in points:
            for passage in point.context or [point.main]:
                for mention in passage.mentions:
                    if mention.kind in kinds and mention.key not in asked:
                        seen.setdefault(mention.key, None)
            for entry in point.ledger:
                for place in entry.places:
                    if "place" in kinds and place not in asked:
                        seen.setdefault(place, None)
        keys = list(seen)
        if rank:  # the rarest first: the venue named once is the answer, the country every article names is context
            idf = self.answerer.index.entity_idf
            keys = sorted(keys, key=lambda k: -idf(k))
            keys = [k for k in keys if idf(k) >= INFORMATIVE_IDF / 2] or keys
        return [self.name(key) for key in keys]

    def position(self) -> str | None:
        entries = [e for point in self.points for e in point.ledger if e.party in self.q.parties]
        if not entries:
            return None
        party = self.q.parties[0] if any(e.party == self.q.parties[0] for e in entries) else entries[0].party
        issue = next((e.issue for e in entries if e.issue in self.q.issues), None)
        chosen = [e for e in entries if e.party == party and (issue is None or e.issue == issue)]
        if self.q.stance and any(e.stance == self.q.stance for e in chosen):
            chosen = [e for e in chosen if e.stance == self.q.stance]
        if not chosen:
            return None
        stances = self._stance_list(chosen)
        places = self._evidence_names(("place",), points=self.points[:3])
        tail = f" ({_join(places[:6], self.lang)})" if places else ""
        if issue:
            return i18n.t("answer.lead.position", self.lang, party=self.name(party), issue=self.name(issue), stances=stances) + tail
        return i18n.t("answer.lead.position_any", self.lang, party=self.name(party), stances=stances) + tail

    def _stance_list(self, entries: list[LedgerEntry]) -> str:
        by_stance: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            passage = self.answerer.index.by_id.get(entry.passage_id)
            if passage is not None and passage.id in self.numbers:
                by_stance[entry.stance].append(self.numbers[passage.id])
        parts = [i18n.t(f"stance.{s}", self.lang) + " " + cite(*sorted(set(ns)))
                 for s, ns in by_stance.items() if s in ANSWER_STANCES]
        return "; ".join(parts)

    def figures(self) -> str | None:
        found: list[tuple[Figure, IndexedPassage]] = []
        for point in self.points:
            for passage in point.passages:
                found += [(f, passage) for f in extract_figures(passage.text)]
        units = asked_units(self.q.text)
        found = [(f, p) for f, p in found if f.unit in units] or found  # "how many hours": the hours
        if not found:
            return None
        rendered: dict[str, list[IndexedPassage]] = {}
        for figure, passage in found:
            rendered.setdefault(render_figure(figure, self.lang), []).append(passage)
        parts = [f"{text} {self.refs(passages)}".strip() for text, passages in list(rendered.items())[:5]]
        units = Counter(f.unit for f, _ in found)
        values_per_unit = {u: {f.value for f, _ in found if f.unit == u} for u in units}
        differ = any(len(v) > 1 for u, v in values_per_unit.items() if u and u != "percent")
        key = "answer.lead.disagreement" if self.q.kind == "disagreement" else (
            "answer.lead.figures_differ" if differ else "answer.lead.figures")
        return i18n.t(key, self.lang, figures="; ".join(parts))

    def dates(self) -> str | None:
        found: dict[str, list[IndexedPassage]] = {}
        for point in self.points:
            for passage in point.passages:
                for text in extract_dates(passage.text, self.lang):
                    found.setdefault(text, []).append(passage)
        if not found:
            return None
        full = {text: passages for text, passages in found.items() if re.search(r"\d", text)}
        parts = [f"{text} {self.refs(passages)}" for text, passages in list((full or found).items())[:3]]
        return i18n.t("answer.lead.dates", self.lang, dates="; ".join(parts))

    def attribution(self) -> str:
        sources = []
        for point in self.points[:2]:
            who = self._who(point)
            if who and who not in sources:
                sources.append(f"{who} {self.refs(point.passages)}")
        if not sources:
            return self.general()
        return i18n.t("answer.lead.attribution", self.lang, who="; ".join(sources))

    def _who(self, point: Point) -> str | None:
        passage = point.main
        doc = self.answerer.index.documents[passage.document_id]
        speaker = next((e.speaker for e in point.ledger if e.speaker), None) or _speaker_in(passage.text)
        if speaker in self.profile.parties or speaker in self.profile.actors:
            speaker = self.name(speaker)
        how = next((e.attribution for e in point.ledger), None)
        relayed = next((e.relayed_from for e in point.ledger if e.relayed_from), "")
        parts = []
        if speaker:
            label = i18n.t(f"attribution.{how}", self.lang, source=self.outlet(relayed)) if how in ("anonymous", "relayed") else None
            if label and how == "anonymous" and self.lang.startswith("zh") and not textnorm.is_cjk(speaker):
                parts.append(label)  # "five current and former Russian officials" would leave English in a Chinese lead
            else:
                parts.append(i18n.t("attribution.speaker", self.lang, speaker=speaker, how=label) if label else speaker)
        outlet = self.outlet(doc.outlet) or doc.title
        if doc.cited_agency and not (how == "relayed" and textnorm.fold(doc.cited_agency) == textnorm.fold(relayed)):
            parts.append(i18n.t("attribution.citing", self.lang, outlet=outlet, agency=self.outlet(doc.cited_agency)))
        elif outlet:
            parts.append(outlet)
        return ", ".join(parts) or None

    def outlet(self, name: str | None) -> str | None:
        """An outlet or agency under its name for the reader ("Kommersant" -> 生意人报), when the profile knows it."""
        if not name:
            return name
        mention = next((m for m in self.profile.find(name) if m.kind == "outlet" and m.end - m.start == len(name.strip())), None)
        return self.profile.display(mention.key, self.lang) if mention else name

    def comparison(self) -> str:
        keys = [a for a in self.q.actors if self.profile.party_of(a) in self.q.parties[:2]]
        first_party, second_party = self.q.parties[0], self.q.parties[1]
        first = next((a for a in keys if self.profile.party_of(a) == first_party), first_party)
        second = next((a for a in keys if self.profile.party_of(a) == second_party), second_party)
        issue = self.q.issues[0] if self.q.issues else None
        issue_label = i18n.t("answer.comparison.issue", self.lang, issue=self.name(issue)) if issue else ""
        return i18n.t("answer.lead.comparison", self.lang, first=self.name(first), second=self.name(second), issue=issue_label)

    def listing(self) -> str:
        party = self.q.parties[0]
        if self.q.kind == "aggregation":
            count = len({p.document_id for point in self.points for p in point.passages})
            return i18n.t("answer.lead.aggregation", self.lang, party=self.name(party), count=count)
        issue = self.q.issues[0] if self.q.issues else None
        issue_label = i18n.t("answer.comparison.issue", self.lang, issue=self.name(issue)) if issue else ""
        return i18n.t("answer.lead.timeline", self.lang, party=self.name(party), issue=issue_label)

    def premise(self, premise: list[PremiseFact]) -> str:
        asserted = self.q.parties[0]
        others: dict[tuple[str, str], list[int]] = {}
        for fact in premise:
            if fact.passage.id in self.numbers:
                others.setdefault((fact.party, fact.stance), []).append(self.numbers[fact.passage.id])
        described = [i18n.t("answer.premise.others", self.lang, party=self.name(party), stance=i18n.t(f"stance_noun.{stance}", self.lang))
                     + " " + cite(*sorted(set(ns))) for (party, stance), ns in others.items()]
        stance = self.q.stance if self.q.stance in ("accepts", "offers") else "accepts"
        return i18n.t("answer.lead.premise", self.lang, party=self.name(asserted), verb=i18n.t(f"premise.{stance}", self.lang),
                      others=_join(described, self.lang))


# -- helpers ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1 << 14)  # asked of many candidates by several steps of one answer
def extract_figures(text: str) -> tuple[Figure, ...]:
    """Numbers with units ("more than 110,000 square kilometres", "18%", "10万平方公里") stated in ``text``."""
    figures = []
    pattern = _FIGURE_ZH if textnorm.is_cjk(text) else _FIGURE_EN
    for match in pattern.finditer(text):
        number = match.group("n").replace(",", "").lower()
        try:
            value = float(_NUMBER_WORDS.get(number, number))
        except ValueError:
            continue
        multiplier = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "万": 1e4, "亿": 1e8}.get((match.group("m") or "").lower(), 1)
        value *= multiplier
        unit_text = (match.group("u") or "").lower().lstrip("-")
        unit = _UNITS.get(unit_text)
        if unit is None and unit_text.endswith("s"):
            unit = _UNITS.get(unit_text[:-1])
        if unit == "year" or (unit is None and (value < 1000 or 1900 <= value <= 2100)):
            continue  # years and bare small numbers (list items, dates) are not figures
        if not match.group("n")[0].isdigit() and unit is None:
            continue  # "one source", "two officials": a number word needs a unit to be a figure
        qualifier = _QUALIFIERS.get((match.group("q") or "").lower(), "about" if match.group("q") else None)
        figures.append(Figure(value, unit, qualifier, match.group(0).strip()))
    return tuple(figures)


@lru_cache(maxsize=1024)
def asked_units(question: str) -> frozenset[str]:
    """The units a "how much/how many" question names ("how many hours", "what percentage", "多少平方公里")."""
    folded = textnorm.fold(question)
    units = {unit for word, unit in _UNITS.items() if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded)}
    if re.search(r"\bpercent|\bper cent|百分|比例", folded):
        units.add("percent")
    return frozenset(units - {"year"})


def render_figure(figure: Figure, language: str) -> str:
    """A figure in the reader's language: "more than 110,000 square kilometres", "超过11万平方公里"."""
    value = figure.value
    if language.startswith("zh") and value >= 10000 and value % 1000 == 0:
        number = f"{value / 10000:g}" + ("萬" if language == "zh-Hant" else "万")
    else:
        number = f"{value:,.0f}" if value == int(value) else f"{value:,g}"
    unit = i18n.t(f"unit.{figure.unit}", language) if figure.unit else ""
    qualifier = i18n.t(f"qualifier.{figure.qualifier}", language) if figure.qualifier else ""
    return f"{qualifier}{number}{unit}"


def extract_dates(text: str, language: str) -> list[str]:
    """Date expressions in ``text``, rewritten for the reader ("March 23" <-> "3月23日") where that is mechanical."""
    found = [m.group(0) for m in _DATE_EN.finditer(text)] + [m.group(0) for m in _DATE_ZH.finditer(text)]
    found += [m.group(1) for m in _YEAR_EN.finditer(text) if not any(m.group(1) in f for f in found)]
    return [_localize_date(d, language) for d in dict.fromkeys(found)]


def _localize_date(text: str, language: str) -> str:
    months = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
    if language.startswith("zh"):
        match = re.search(rf"({_MONTHS})\s+(\d{{1,2}})", text)
        if match:
            return f"{months[match.group(1).lower()]}月{int(match.group(2))}日"
        return text
    match = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", text)
    if match:
        return f"{calendar.month_name[int(match.group(2))]} {int(match.group(3))}" + (f", {match.group(1)}" if match.group(1) else "")
    return text


def _speaker_in(text: str) -> str | None:
    """Who a sentence attributes its claim to ("five current and former Russian officials said ...")."""
    pattern = _ATTRIBUTION_ZH if textnorm.is_cjk(text) else _ATTRIBUTION_EN
    match = pattern.search(text)
    if not match:
        return None
    who = (match.group("who") or match.group("subject") or "").strip()
    who = re.sub(r"^(?:details|more details|background)\s*:\s*", "", who, flags=re.I)
    return who or None


def _facet_fit(q: Question, passage: IndexedPassage, profile, index: PassageIndex | None = None) -> float:
    """How well a passage has the kind of thing the question asks for: the answer type, then quotes and stances."""
    fit = _answer_fit(q, passage, profile, index)
    text = passage.text
    if q.kind == "attribution":
        fit += 1.0 if _ATTRIBUTION_CUES.search(text) else 0.0
    if q.kind == "comparison" and len(q.parties) >= 2:
        both = len(set(q.parties[:2]) & passage.parties) == 2
        fit += (0.6 if both else 0.0) + (1.4 if both and _contrasts(passage, q.parties[0], q.parties[1], profile) else 0.0)
    if "speech" in q.cues and _QUOTE_MARKS.search(text):
        fit += 0.8 + (0.8 if _quotes_someone(passage, q, profile) else 0.0)
    if q.stance and q.stance in passage_stances(text):
        fit += 0.4
    return fit


def _answer_fit(q: Question, passage: IndexedPassage, profile, index: PassageIndex | None = None) -> float:
    """Whether the passage holds the answer type asked for: a figure (in the asked unit), a place, a person, a date.

    A place or person answers "where"/"who" in proportion to how rare it is in the corpus: the country
    every article mentions is context, the venue named once is the answer.
    """
    fit = 0.0
    text = passage.text
    asked = set(q.entities)
    rarity = (lambda key: min(1.0, index.entity_idf(key) / INFORMATIVE_IDF)) if index is not None else (lambda key: 1.0)
    if "how_much" in q.facets or q.kind == "disagreement":
        figures = extract_figures(text)
        units = asked_units(q.text)
        fit += 1.6 if figures and (not units or any(f.unit in units for f in figures)) else 0.4 * bool(figures)
    if "where" in q.facets:
        fit += max((rarity(k) for k in passage.entities if profile.entity(k).kind in ("place", "party")
                    and k not in asked and k not in q.parties), default=0.0)
    if "who" in q.facets:
        fit += max((rarity(k) for k in passage.entities if profile.entity(k).kind == "actor" and k not in asked), default=0.0)
    if "when" in q.facets:
        fit += 1.0 if extract_dates(text, q.language) else 0.0
    return fit


_VERDICT_STANCES = ("accepts", "offers", "demands")
_REJECT_VERB = re.compile(r"\b(?:reject\w*|refus\w*|rul\w* out)\b|拒绝|拒絕", re.I)
_OPPOSED = {"accepts": {"rejects"}, "offers": {"rejects"}, "demands": {"rejects"}, "conditions": {"rejects"},
            "rejects": {"accepts", "offers"}, "denies": set()}


def _verdict(q: Question, points: list[Point]) -> str | None:
    """Yes when the evidence records the asked party taking the asked stance, no when it records the opposite.

    Only stances on what the question names count (its places first: "Crimea", not all territory); without
    an asked stance or such a record the sources do not say yes or no, and no verdict is given.
    """
    if not _decidable(q):
        return None
    return _decide(q, [e for point in points for e in point.ledger])


def _decidable(q: Question) -> bool:
    """A stance yes or no can answer: a plain verb of it ("agree", "reject"); "negotiable" reads as rejects for
    searching, but its yes and no are the other way round."""
    if not q.parties or not q.stance:
        return False
    return q.stance in _VERDICT_STANCES or (q.stance == "rejects" and bool(_REJECT_VERB.search(q.text)))


def _decide(q: Question, entries) -> str | None:
    entries = [e for e in entries if e.party == q.parties[0]]
    if q.places:
        entries = [e for e in entries if set(e.places) & set(q.places)]
    elif q.issues:
        entries = [e for e in entries if e.issue in q.issues]
    stances = {e.stance for e in entries}
    if q.stance in stances:
        return "yes"
    if stances & _OPPOSED.get(q.stance, set()):
        return "no"
    return None


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
        if _SPEECH.search(clause):
            return True
    return False


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


def _as_of(citations) -> date | None:
    dates = [c.published for c in citations if c.published]
    return max(dates) if dates else None


def _entry_order(entry: LedgerEntry):
    """Oldest first; undated entries count as oldest, so a dated stance is the "latest"."""
    return (entry.published or date.min, entry.id)


def _timeline_order(entry: LedgerEntry):
    """Oldest first; undated entries go last, after everything whose date is known."""
    return (entry.published is None, entry.published or date.max, entry.id)


def _join(items: list[str], language: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    sep, last = i18n.t("answer.list.sep", language), i18n.t("answer.list.and", language)
    return sep.join(items[:-1]) + last + items[-1]


def to_contract_json(question: str, reply: Reply) -> dict:
    """The ``parley ask --json`` object of the evaluation contract (question, language, answer, abstained, as_of, citations)."""
    return {
        "question": question,
        "language": reply.language,
        "answer": reply.text,
        "abstained": reply.abstained,
        "as_of": reply.as_of.isoformat() if reply.as_of else None,
        "citations": [c.to_json() for c in reply.citations],
    }
