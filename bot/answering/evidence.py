"""Choosing the evidence: bullets from scored candidates, the same fact merged across outlets, premise checks, verdicts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.answering.candidates import Candidate, _answer_fit
from bot.answering.cues import (
    _ANAPHORA,
    _ENDS_QUOTE,
    _PRONOUN_NEAR_START,
    _PRONOUN_START,
    _QUOTE_MARKS,
    _QUOTE_START,
    _contrasts,
    _opens_quote,
    _same_script,
    _word_set,
)
from bot.answering.figures import extract_figures
from bot.answering.index import IndexedPassage, LedgerEntry
from bot.answering.question import FRAME_WORDS, Question
from bot.answering.tuning import (
    CONTRAST_COVERAGE,
    COVERAGE_FLOOR,
    FACET_FOCUS,
    FIGURE_COVERAGE,
    MAX_BULLETS,
    MAX_LIST_BULLETS,
    MAX_QUOTE_SENTENCES,
    MIN_COVERAGE,
    MIN_COVERAGE_WITH_LEDGER,
    PREMISE_COVERAGE,
    RELATIVE_FLOOR,
    SAME_FACT_COSINE,
    SAME_FACT_JACCARD,
    SAME_STANCE_COSINE,
    SEARCH_DEPTH,
)


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


class EvidenceSelection:
    """Answerer's second half: the bullets chosen from the scored candidates.

    Mixed into ``Answerer``; uses its ``index`` and ``profile`` and the candidate search's helpers."""

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
                 for e in on_issue if e.passage_id in self.index.by_id and self._in_sources(self.index.by_id[e.passage_id])]
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
