"""The overview commands: a party's positions, a timeline, a comparison, the latest documents."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.answering.cues import ANSWER_STANCES
from bot.answering.index import IndexedPassage, LedgerEntry
from bot.answering.lead import _as_of
from bot.answering.tuning import MAX_LIST_BULLETS
from bot.messages import Bullet, Citation, Reply
from bot.text import i18n
from storage.models import Document, Passage


class Overviews:
    """The overview commands (/positions, /timeline, /compare, /latest), read from the ledger and the documents.

    Mixed into ``Answerer``; uses its ``engine``, ``index``, ``profile`` and ``_lock``."""

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


def _entry_order(entry: LedgerEntry):
    """Oldest first; undated entries count as oldest, so a dated stance is the "latest"."""
    return (entry.published or date.min, entry.id)


def _timeline_order(entry: LedgerEntry):
    """Oldest first; undated entries go last, after everything whose date is known."""
    return (entry.published is None, entry.published or date.max, entry.id)
