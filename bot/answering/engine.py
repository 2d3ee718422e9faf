"""The answer engine's front: Answerer reads a question, gathers and chooses evidence, then replies with cited, verbatim quotes or abstains."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.answering import judge
from bot.answering.candidates import CandidateSearch
from bot.answering.evidence import EvidenceSelection
from bot.answering.index import LedgerEntry
from bot.answering.lead import ReplyWriting, _join
from bot.answering.overviews import Overviews, _timeline_order
from bot.answering.pgindex import open_index
from bot.answering.question import Question, parse_question
from bot.answering.tuning import MAX_LIST_BULLETS
from bot.embedding.embedder import Embedder
from bot.messages import Reply
from bot.text import i18n

log = logging.getLogger(__name__)


class Answerer(CandidateSearch, EvidenceSelection, ReplyWriting, Overviews):
    """The one answer engine behind every adapter and ``parley ask``: questions, positions, timelines, comparisons."""

    def __init__(self, engine, profile, settings, embedder=None, writer=None):
        self.engine = engine
        self.writer = writer  # LLM writer (bot.answering.writer): words the lead from the chosen quotes; None = extractive
        self._sources: str | None = None  # parity view: "en" or "zh" answers from that language's passages only
        self.profile = profile
        self.settings = settings
        self.embedder = embedder or Embedder(threads=getattr(settings, "embed_threads", 0))
        cache_dir = getattr(settings, "cache_dir", None)
        self.index = open_index(engine, profile, self.embedder, snapshot_dir=Path(cache_dir) / "index" if cache_dir else None)
        self._ledger_indexed: tuple[list | None, tuple[dict, dict]] = (None, ({}, {}))
        self._mentions: tuple[list | None, int, Counter, Counter] = (None, 0, Counter(), Counter())
        # One question at a time: answering reads the index in many steps, and a sync may rebuild it.
        self._lock = threading.RLock()

    def ask(self, question: str, *, fallback_language: str | None = None, sources: str | None = None) -> Reply:
        """Answer a free-text question with cited, verbatim evidence, or abstain; in the question's language.

        ``sources`` ("en" or "zh") answers from the passages in that language only (the parity view).
        """
        with self._lock:
            self._sources = sources
            try:
                reply = self._ask(question, fallback_language)
            finally:
                self._sources = None
        # LLM writer: outside the lock, so a slow model never holds up other questions.
        return self.writer.improve(question, reply) if self.writer is not None else reply

    def _in_sources(self, passage) -> bool:
        """Parity view: the passage is in the language the answer is restricted to (always true otherwise)."""
        return self._sources is None or (passage is not None and passage.language.startswith("zh") == (self._sources == "zh"))

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
        if self._judged_off_point(candidates) or not self._answerable(q, candidates):
            return self._abstain(q, off_topic=not q.entities)
        premise = self._premise_facts(q, candidates) if q.kind == "false_premise" else None
        if q.kind == "false_premise" and not premise:
            q = replace(q, kind="position")  # the premise holds, or the sources cannot tell: answer plainly
        points = self._select(q, candidates, premise)
        if not points:
            return self._abstain(q)
        return self._reply(q, points, premise)

    def _judged_off_point(self, candidates) -> bool:
        """The answer judge gives no candidate even a small chance of answering: "I don't know" beats a loose quote.

        Not in the parity view: the floor was measured on the best of a whole pool, and one language's share of it
        is another statistic (that side's own answerability rules still apply). Nor without meaning scores."""
        if self._sources:
            return False
        if all(c.dense_z == 0.0 or c.dense_z <= -9.99 for c in candidates):
            return False  # no meaning scores yet (a tiny corpus, nothing embedded): not the scale the floor was read on
        model = judge.load()
        best = candidates[0].judge if candidates else None
        return model is not None and best is not None and best < model.floor

    def _ledger_listing(self, q: Question) -> Reply | None:
        """Timelines and "all the conditions" come from the ledger when it holds at least two such stances."""
        if not q.parties or q.kind not in ("timeline", "aggregation"):
            return None
        party = q.parties[0]
        ledger = [e for e in self.index.ledger if self._in_sources(self.index.by_id.get(e.passage_id))] \
            if self._sources else self.index.ledger  # parity view
        if q.kind == "timeline":
            rows = [e for e in ledger if e.party == party and (not q.issues or e.issue in q.issues)]
            issue = q.issues[0] if q.issues else None
            label = i18n.t("answer.comparison.issue", q.language, issue=self._name(issue, q.language)) if issue else ""
            lead = i18n.t("answer.lead.timeline", q.language, party=self._name(party, q.language), issue=label)
        else:
            rows = [e for e in ledger if e.party == party and e.stance in ("demands", "conditions")]
            documents = len({e.document_id for e in rows})
            lead = i18n.t("answer.lead.aggregation", q.language, party=self._name(party, q.language), count=documents)
        unique: dict[int | None, LedgerEntry] = {}
        for entry in sorted(rows, key=_timeline_order):
            unique.setdefault(entry.passage_id if entry.passage_id is not None else -entry.id, entry)
        if len(unique) < 2:
            return None
        return self._ledger_reply(lead, list(unique.values()), q.language, show_party=False,
                                  show_issue=q.kind == "aggregation" or not q.issues, limit=MAX_LIST_BULLETS)

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
