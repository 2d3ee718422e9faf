"""Choosing the evidence: bullets from scored candidates, the same fact merged across outlets, premise checks, verdicts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.answering import verdict as verdicts
from bot.answering.candidates import Candidate, _answer_fit, _GroupMatcher, proper_names
from bot.answering.cues import (
    _ANAPHORA,
    _ENDS_QUOTE,
    _PRONOUN_NEAR_START,
    _PRONOUN_START,
    _QUOTE_MARKS,
    _QUOTE_START,
    _STANCE_VERBS,
    _contrasts,
    _opens_quote,
    _same_script,
    _word_set,
)
from bot.answering.figures import extract_figures
from bot.answering.index import IndexedPassage, LedgerEntry, TermGroup
from bot.answering.question import FRAME_WORDS, Question
from bot.text.stance_verbs import STANCE_VERBS
from bot.answering.tuning import (
    CONTRAST_COVERAGE,
    COVERAGE_FLOOR,
    FACET_FOCUS,
    FIGURE_COVERAGE,
    JUDGE_FLOOR,
    MAX_BULLETS,
    MAX_LIST_BULLETS,
    MAX_QUOTE_SENTENCES,
    MIN_COVERAGE,
    MIN_COVERAGE_WITH_LEDGER,
    ON_THING_COVERAGE,
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
        judged = best.judge is not None
        best_hand = max(c.hand for c in candidates) if judged else 0.0
        for candidate in candidates:
            if judged:
                # Ranked by the answer judge: a bullet is near the judge's best, or near the hand-tuned score's best.
                if candidate.score < best.score * JUDGE_FLOOR and candidate.hand < best_hand * RELATIVE_FLOOR:
                    continue
            elif candidate.score < best.score * RELATIVE_FLOOR:
                break  # candidates are sorted: the rest are weaker still
            near_judged = judged and candidate.score >= best.score * JUDGE_FLOOR  # the judge weighed its words already
            if candidate.coverage < best.coverage * COVERAGE_FLOOR and not (candidate.acts or candidate.reacts or near_judged):
                continue
            self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q, new=len(points) < limit)
        self._cover_parts(q, candidates, points)
        self._cover_verdict(q, candidates, points)
        self._cover_facet(q, candidates, points)
        # The judge's best candidate answers whatever facet the question's wording suggests ("哪些矿产" reads as
        # "where", yet lithium answers it): the facet rule must not drop it.
        confident = {best.passage.id} if judged else set()
        points = self._focus_on_facet(q, points, confident)
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
        places = lambda p: {k for k in p.entities if self.profile.entity(k).kind == "place"}
        if len(places(a) - places(b)) >= 2 or len(places(b) - places(a)) >= 2:
            return False  # one names the places the other only alludes to ("Ukrainian territory"): it says more
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
        """A yes/no question needs the sentences that decide it: add the strongest on-point ones where the asked party
        states the asked stance or its opposite, so a verdict (or a mixed answer) rests on all of them."""
        if not q.yes_no or not _decidable(q):
            return
        pool = {c.passage.id: c for c in candidates[:SEARCH_DEPTH] if c.topical}
        by_id = {c.passage.id: c for c in candidates}
        for entry in self._ledger_for(q):  # the party's recorded stances on what is asked, found or not by the search
            passage = self.index.by_id.get(entry.passage_id)
            if entry.party == q.parties[0] and passage is not None and passage.id not in pool:
                pool[passage.id] = by_id.get(passage.id) or Candidate(
                    passage, ledger=tuple(self._ledger_by_passage().get(passage.id, ())))
        facts = self._stance_facts(q, [c.passage for c in pool.values()])
        chosen = {p.id for point in points for p in point.passages}
        wanted = verdicts.YES.get(q.stance, set()) | verdicts.NO.get(q.stance, set())
        useful = [f for f in facts if f.passage_id not in chosen and f.stance in wanted and f.on_thing]
        useful.sort(key=lambda f: (not f.firm, -pool[f.passage_id].score))
        for fact in useful:
            if fact.passage_id in chosen or len(chosen) >= MAX_BULLETS + 2:
                continue
            candidate = pool[fact.passage_id]
            self._add_point(points, candidate.passage, list(candidate.ledger), candidate.score, q)
            chosen.add(fact.passage_id)

    def _verdict(self, q: Question, points: list[Point]) -> "verdicts.Verdict":
        """Yes, no or neither, from the stances the chosen evidence states (bot.verdicts decides)."""
        if not _decidable(q):
            return verdicts.Verdict(None)
        facts = self._stance_facts(q, [p for point in points for p in point.passages])
        person = next((a for a in q.actors if self.profile.party_of(a) == q.parties[0]), None)
        return verdicts.decide(q.stance, facts, person)

    def _stance_facts(self, q: Question, passages: list[IndexedPassage]) -> list["verdicts.StanceFact"]:
        """The asked party's stances stated in ``passages``: the ledger's entries, else the sentence's own verbs (a
        negated verb turned around), each marked hedged, partial, or off the thing asked."""
        party = q.parties[0]
        groups = self._topic_groups(q)
        matches = _GroupMatcher(self.index, self.profile, proper_names(q.search_text))
        by_passage = self._ledger_by_passage()
        asked_partial = verdicts.partial(q.text)
        facts: list[verdicts.StanceFact] = []
        for passage in dict.fromkeys(passages):
            context = self._antecedent(passage)
            on_thing = self._on_thing(passage, context, groups, matches)
            is_hedged = verdicts.hedged(passage.text)
            is_partial = verdicts.partial(passage.text) and not asked_partial
            entries = [e for e in by_passage.get(passage.id, ()) if e.party == party]
            if entries:
                for e in entries:
                    speaker = e.speaker if e.speaker in self.profile.actors else None
                    facts.append(verdicts.StanceFact(passage.id, e.party, e.stance, speaker, e.attribution or "on_record",
                                                     is_hedged, is_partial, on_thing))
                continue
            for stance, holder in self._stance_subjects(passage):
                if holder != party:
                    continue
                match = _STANCE_VERBS[stance].search(passage.text)
                if match and verdicts.negated_before(passage.text, match.start()):
                    stance = {"accepts": "rejects", "offers": "rejects", "rejects": "offers"}.get(stance, stance)
                facts.append(verdicts.StanceFact(passage.id, party, stance, None, "on_record", is_hedged, is_partial, on_thing))
        return facts

    def _on_thing(self, passage: IndexedPassage, context: IndexedPassage | None, groups: list[TermGroup], matches) -> bool:
        """The sentence itself (or the one it refers back to) is about what the question asks: every named thing of it
        (issue, place: any alias, any script) and most of its other words, directly or through a translation; an
        article that only mentions them elsewhere does not count."""
        if not groups:
            return True
        named = any(g.entity for g in groups)
        # With a named thing (Crimea, the NATO bid), the question's other words say what about it, and evidence words
        # it differently ("return Crimea" / "the future of Crimea is not up for discussion"): they count half.
        weights = [(self.index.idf(g) or self.index.unseen_idf()) * (1.0 if g.entity or not named else 0.5) for g in groups]
        total = matched = 0.0
        for group, weight in zip(groups, weights):
            rows = self.index.group_rows(group)
            credit = max(rows.get(passage.row, 0.0), 0.8 * rows.get(context.row, 0.0) if context else 0.0)
            credit = 1.0 if credit >= 0.5 else credit  # a translation's gloss states the same thing
            if group.entity and group.entity in passage.issues:
                credit = max(credit, 0.8)
            if group.entity and credit < 0.5:
                return False
            total += weight
            matched += weight * credit
        return matched / total >= ON_THING_COVERAGE

    def _topic_groups(self, q: Question) -> list[TermGroup]:
        """The question's terms that name the thing asked about: not its parties or people, not its stance verb."""
        matches = _GroupMatcher(self.index, self.profile)
        return [g for g in matches.topics(self._groups(q.search_text))
                if g.entity or not (g.tokens & STANCE_VERBS.all_words)]

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

    def _focus_on_facet(self, q: Question, points: list[Point], confident: set[int] = set()) -> list[Point]:
        """For "how much/where/who/when" (and disagreements on figures), keep only bullets holding such an answer, when
        some do, or one the answer judge is confident of (``confident``: passage ids)."""
        if (not q.facets and q.kind != "disagreement") or q.kind == "attribution":
            return points
        fitting = [p for p in points if p.main.id in confident
                   or any(_answer_fit(q, x, self.profile, self.index) >= FACET_FOCUS for x in p.passages)]
        return fitting or points

    def _own_figures(self, q: Question, points: list[Point]) -> list[Point]:
        """A figure about another party is another quantity ("Ukraine holds 650 km2" for "how much does Russia hold")."""
        if not q.parties or not ("how_much" in q.facets or q.kind == "disagreement"):
            return points
        own = [p for p in points if self._subject(p.main, claim=True) in (None, q.parties[0])]
        return own if any(extract_figures(p.main.text) for p in own) else points

    def _cover_figures(self, q: Question, candidates: list[Candidate], points: list[Point]) -> None:
        """Sources that give another figure for the same quantity are shown too, each with its source."""
        shown = {(f.unit, f.value) for point in points for p in point.passages for f in extract_figures(p.text)}
        chosen = {p.id for point in points for p in point.passages}
        best_coverage = max((c.coverage for c in candidates if c.passage.id in chosen), default=0.0)
        units: set[str | None] = {unit for unit, _ in shown if unit}
        if units & _DURATION_UNITS:
            units |= _DURATION_UNITS  # 40 minutes and about an hour measure the same length of time
        if not units or units & _PERSONS:
            units |= _PERSONS | {None}  # "700,000 servicemen" and 60万人 count the same people
        topics = self._topic_groups(q)
        added = 0
        for candidate in candidates[:SEARCH_DEPTH]:
            if added >= 2 or len(points) >= MAX_BULLETS + 1:
                break
            floor = best_coverage * FIGURE_COVERAGE if q.kind != "disagreement" else PREMISE_COVERAGE
            # A disagreement's other figure may be worded unlike the question: being on the asked issue is enough.
            on_issue = q.kind == "disagreement" and bool(set(q.issues) & candidate.passage.issues)
            if not candidate.topical or (candidate.coverage < floor and not on_issue):
                continue  # another figure only from a sentence about the same thing...
            if q.parties and self._subject(candidate.passage, claim=True) not in (None, q.parties[0]):
                continue  # ... and the same party's (not "Ukraine holds 650 km2" for "how much does Russia hold")
            if not self._on_thing(candidate.passage, self._antecedent(candidate.passage), [g for g in topics if g.entity], None):
                continue  # ... and the same thing: the Istanbul round's length, not another meeting's
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


_DURATION_UNITS = frozenset(("minute", "hour", "day", "week", "month"))
_PERSONS = frozenset(("people", "troops", "prisoners", "bodies"))
_VERDICT_STANCES = ("accepts", "offers", "demands")
_REJECT_VERB = re.compile(r"\b(?:reject\w*|refus\w*|rul\w* out)\b|拒绝|拒絕", re.I)
def _decidable(q: Question) -> bool:
    """A stance yes or no can answer: a plain verb of it ("agree", "reject"); "negotiable" reads as rejects for
    searching, but its yes and no are the other way round."""
    if not q.parties or not q.stance:
        return False
    return q.stance in _VERDICT_STANCES or (q.stance == "rejects" and bool(_REJECT_VERB.search(q.text)))
