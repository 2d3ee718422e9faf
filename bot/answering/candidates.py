"""Finding and scoring candidate evidence: the question's term groups, the search pool, coverage and facet fit."""
from __future__ import annotations

import heapq
import re
from functools import lru_cache
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from bot.answering import judge
from bot.answering.cues import (
    _ATTRIBUTION_CUES,
    _ENDS_QUOTE,
    _PRONOUN_NEAR_START,
    _PRONOUN_START,
    _QUOTE_MARKS,
    _QUOTE_START,
    _STANCE_VERBS,
    _contrasts,
    _quotes_someone,
    _same_script,
    _speaks,
    passage_stances,
    reports,
)
from bot.answering.figures import asked_units, extract_dates, extract_figures
from bot.answering.index import ENTITY_PREFIX, CosineZ, IndexedPassage, LedgerEntry, PassageIndex, TermGroup
from bot.answering.question import FRAME_WORDS, Question
from bot.answering.tuning import (
    ACTS_BONUS,
    CONTEXT_CREDIT,
    CROSS_LANGUAGE_Z,
    DENSE_RESCUE_Z,
    MIN_CROSS_COVERAGE,
    DOCUMENT_CREDIT,
    FOLLOWER_DISCOUNT,
    INFORMATIVE_IDF,
    LEDGER_DEPTH,
    MIN_COVERAGE,
    MIN_COVERAGE_WITH_LEDGER,
    NAME_CHECK_DEPTH,
    PARTY_CREDIT,
    PLACE_CREDIT,
    REACTION_Z,
    SEARCH_DEPTH,
    SPEAKER_BONUS,
    SUBJECT_BONUS,
    TITLE_WEIGHT,
    UNSEEN_WEIGHT,
)
from bot.text import clauses
from bot.text.stance_verbs import STANCE_VERBS
from bot.text import normalize as textnorm


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
    judge: float | None = None  # the answer judge's probability that the passage answers the question (None: no judge)
    hand: float = 0.0  # the hand-tuned score, when the judge's probability has replaced it as ``score``


class CandidateSearch:
    """Answerer's first half: the pool of candidate passages for a question, each scored.

    Mixed into ``Answerer``; uses its ``index``, ``profile``, ``embedder`` and ``_ledger_indexed``."""

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
            stance = STANCE_VERBS.stance_of_token(token)
            if stance:
                groups.append(self._stance_group(token, stance))
            elif not group.tokens & FRAME_WORDS:
                groups.append(group)
        return groups

    def _stance_group(self, token: str, stance: str) -> TermGroup:
        alternatives = {token: 1.0}
        for word in STANCE_VERBS.source_words[stance]:
            alternatives.setdefault(word, 0.9)
            if not textnorm.is_cjk(word):  # English verbs also meet Chinese passages through their glosses
                for alternative, weight in self.index.word_group(word).alternatives[1:]:
                    alternatives.setdefault(alternative, weight)
        return TermGroup(tuple(alternatives.items()), surface=token)

    def _candidates(self, q: Question) -> list[Candidate]:
        """The pool of candidate passages for ``q``, best first: the hand-tuned scores, re-ranked by the answer judge
        (bot.answering.judge) when its weights are shipped."""
        ranked = self._judged(q, self._scored_pool(q))  # judged on the whole pool, as it was trained
        return [c for c in ranked if self._in_sources(c.passage)] if self._sources else ranked  # parity view

    def _judged(self, q: Question, candidates: list[Candidate]) -> list[Candidate]:
        """Re-rank the pool by the judge's probability that each candidate answers the question (any language): it
        becomes the candidate's ``score`` (and ``judge``); the hand-tuned score is kept in ``hand``. Without weights
        (or a pool) the hand-tuned order stands."""
        model = judge.load()
        if model is None or not candidates:
            return candidates
        probabilities = model.probabilities(judge.features(self, q, candidates))
        for candidate, probability in zip(candidates, probabilities):
            candidate.hand, candidate.judge = candidate.score, float(probability)
            candidate.score = candidate.judge  # evidence is chosen by it (see EvidenceSelection._select)
        return sorted(candidates, key=lambda c: -c.score)

    def _scored_pool(self, q: Question) -> list[Candidate]:
        """The pool of candidate passages for ``q`` with the hand-tuned scores, best first (what the judge learns from)."""
        groups = self._groups(q.search_text)
        if q.kind in ("false_premise", "disagreement"):
            # A premise's verb is what gets checked, not searched for; "do the sources agree" is about the sources.
            groups = [g for g in groups if g.entity or g.alternatives[0][0] not in STANCE_VERBS.all_words]
        boost = set(q.entities) | set(q.parties) | set(q.issues)
        pool: dict[int, Candidate] = {}
        vector = self._gather(pool, q.search_text, groups, boost, weight=1.0)
        dense_z = self._dense_z(vector)
        parts = q.parts if len(q.parts) > 1 else ()
        part_groups = [self._groups(part) for part in parts]
        for part, pgroups in zip(parts, part_groups):
            self._gather(pool, part, pgroups, boost, weight=0.9)
        for passage in self._ledger_passages(q, pool, dense_z):
            pool[passage.id] = Candidate(passage)
        matches = _GroupMatcher(self.index, self.profile, proper_names(q.search_text))
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
            if anchor.coverage < MIN_COVERAGE or not (_QUOTE_MARKS.search(anchor.passage.text) or reports(anchor.passage.text)):
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
        if not candidates or self._misses_a_name(q, candidates) or self._misses_an_entity(q, candidates):
            return False
        best = max(candidates, key=lambda c: c.coverage)
        if best.coverage >= MIN_COVERAGE:
            return True
        if any(not _same_script(c.passage.language, q.language) and c.dense_z >= CROSS_LANGUAGE_Z
               and c.coverage >= MIN_CROSS_COVERAGE for c in candidates[:NAME_CHECK_DEPTH]):
            return True  # words rarely meet across languages; a sentence this close in meaning, naming what is asked, does
        if best.coverage < MIN_COVERAGE_WITH_LEDGER:
            return False
        on_ledger = any(e.party in q.parties and e.issue in q.issues for c in candidates for e in c.ledger)
        both_compared = q.kind == "comparison" and any(set(q.parties[:2]) <= c.passage.parties for c in candidates)
        return on_ledger or both_compared

    def _misses_a_name(self, q: Question, candidates: list[Candidate]) -> bool:
        """A name the question gives that no strong candidate states outright ("the French election" answered by
        the US one): the corpus never names it, or only a translation's gloss does, so the sources are about
        something else."""
        names = proper_names(q.search_text)
        top = candidates[:NAME_CHECK_DEPTH]
        for group in self._groups(q.search_text):
            if group.entity or not group.tokens & names:
                continue
            rows = self.index.group_rows(group)
            if not any(rows.get(c.passage.row, 0.0) >= 1.0 for c in top):
                return True
        return False

    def _misses_an_entity(self, q: Question, candidates: list[Candidate]) -> bool:
        """A party, person or place the question names that none of the strong candidates (or the sentence each refers
        back to) names, in any script: "who led the delegation in Jeddah" answered from talks in Istanbul, "what did
        India say" answered with Russia's words. A person may be stood for by their side (the Kremlin for Putin)
        only when the corpus names that person somewhere."""
        top = candidates[:NAME_CHECK_DEPTH * 2]
        for mention in self.profile.find(q.search_text):
            kind = self.profile.entity(mention.key).kind
            if kind not in ("party", "actor", "place"):
                continue
            group = self.index.entity_group(mention.key, mention.surface)
            rows = self.index.group_rows(group)
            if not rows:
                return True  # the corpus never names it

            def names(c: Candidate) -> bool:
                context = [x for x in (self._antecedent(c.passage),) if x is not None]
                if _QUOTE_MARKS.search(c.passage.text) or _PRONOUN_START.match(c.passage.text):
                    # a quotation or a "he said" continues its speaker from the sentences before
                    context += [x for x in (self.index.neighbour(c.passage, -1), self.index.neighbour(c.passage, -2)) if x]
                if rows.get(c.passage.row, 0.0) >= 1.0 or any(rows.get(x.row, 0.0) >= 1.0 for x in context):
                    return True
                if kind == "party":  # a party is named by its people and seats too ("Moscow rejected...")
                    return mention.key in c.passage.parties or any(mention.key in x.parties for x in context)
                return kind == "actor" and self.profile.party_of(mention.key) in c.passage.parties

            if not any(names(c) for c in top):
                return True
        return False

    def _subject(self, passage: IndexedPassage, claim: bool = False) -> str | None:
        """The party a sentence is about: that of the first party or person it names (after any heading), or with
        ``claim``, that its claim names, past "X said" / "据X报道" ("Zelensky said Russia has 600,000 troops": Russia's
        figure)."""
        body_start = passage.text.rfind(":", 0, 40) + 1
        clause = clauses.split(passage.text) if claim else None
        if clause is not None and clause.who:
            claim_at = passage.text.find(clause.core[:20])
            body_start = max(body_start, claim_at) if claim_at > 0 else body_start
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
        """The groups naming what the question is about (issues, places, plain words), not who. When a word of the
        thing asked occurs nowhere in the corpus, not the stance verb either: "has X agreed to a prisoner exchange" is
        about the exchange, and X agreeing to something else is no match."""
        topics = [g for g in groups if not g.entity or self.profile.entity(g.entity).kind in ("issue", "place")]
        things = [g for g in topics if g.entity or g.alternatives[0][0] not in STANCE_VERBS.all_words]
        if any(not self.index.group_rows(g) for g in things):
            return things  # what is asked about is missing from the corpus: the verb alone makes nothing on topic
        return topics

    def _party_match(self, key: str, passage: IndexedPassage) -> bool:
        party = self.profile.party_of(key)
        return bool(party) and party in passage.parties


@lru_cache(maxsize=256)
def described_by_role(text: str, profile) -> frozenset[str]:
    """People a question names by a role rather than by name ("Putin's press secretary", 克宫发言人)."""
    keys = set()
    for mention in profile.find(text):
        entity = profile.entity(mention.key)
        if entity.kind == "actor" and not any(textnorm.fold(mention.surface) in textnorm.fold(n) for n in entity.names.values()):
            keys.add(mention.key)
    return frozenset(keys)




def proper_names(text: str) -> frozenset[str]:
    """Tokens of the capitalized words inside a question (not its first word): names of people, places, things."""
    words = re.findall(r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?", text.strip())
    return frozenset(token for word in words for token in textnorm.tokenize(word))


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
        roles = described_by_role(q.text, profile)  # "Putin's press secretary": the person behind the role answers
        fit += max((rarity(k) if k not in roles else 1.0 for k in passage.entities
                    if profile.entity(k).kind == "actor" and (k not in asked or k in roles)), default=0.0)
    if "when" in q.facets:
        fit += 1.0 if extract_dates(text, q.language) else 0.0
    return fit
