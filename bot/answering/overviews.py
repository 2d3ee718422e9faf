"""The overview commands: a party's positions, a timeline, a comparison, the gap matrix, the latest documents.

Every ledger line says who stated the position (the speaker, on record / anonymous / relayed and by
whom), when (the date, or "undated" and when the report arrived), and cites the sentence. One
sentence gives at most one line per (party, issue).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, select

from bot.answering.cues import ANSWER_STANCES
from bot.answering.index import IndexedPassage, LedgerEntry
from bot.answering.lead import _as_of
from bot.answering.tuning import MAX_LIST_BULLETS
from bot.messages import Attachment, Bullet, Citation, Reply
from bot.text import i18n
from storage.models import Document, Passage

MATRIX_TEXT_ISSUES = 12  # issues listed in the text matrix; a chat message holds about that many
JSON_FIELDS = ("party", "issue", "stance", "speaker", "attribution", "relayed_from", "quote", "document_id", "origin", "published")


class Overviews:
    """The overview commands (/positions, /timeline, /compare, /matrix, /latest), read from the ledger and the documents.

    Mixed into ``Answerer``; uses its ``engine``, ``index``, ``profile`` and ``_lock``."""

    # -- the ledger, one line per (sentence, party, issue) --------------------------------------

    def _entries(self, party: str | None = None, issue: str | None = None, parties: Iterable[str] = ()) -> list[LedgerEntry]:
        """Ledger entries (optionally of one party, one issue or some parties), at most one per sentence, party and issue."""
        self.index.sync()
        wanted = set(parties)
        seen: set[tuple] = set()
        entries = []
        for entry in self.index.ledger:
            if party is not None and entry.party != party or issue is not None and entry.issue != issue \
                    or wanted and entry.party not in wanted:
                continue
            key = (entry.passage_id if entry.passage_id is not None else -entry.id, entry.party, entry.issue)
            if key not in seen:
                seen.add(key)
                entries.append(entry)
        return entries

    def _arrivals(self, entries: Iterable[LedgerEntry]) -> dict[str, datetime]:
        """When each undated entry's document arrived: undated reports are placed and marked by it."""
        ids = {e.document_id for e in entries if e.published is None}
        if not ids:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(select(Document.id, Document.ingested_at).where(Document.id.in_(sorted(ids)))).all()
        return {doc_id: arrived for doc_id, arrived in rows}

    def _when(self, entry: LedgerEntry, arrivals: dict[str, datetime]) -> date:
        """The date an entry stands at on a timeline: its publication date, else the day its report arrived."""
        if entry.published is not None:
            return entry.published
        arrived = arrivals.get(entry.document_id)
        return arrived.date() if arrived else date.min

    def _latest(self, entries: list[LedgerEntry]) -> dict[tuple[str, str], LedgerEntry]:
        """Each (party, issue)'s latest entry: the newest dated one; an undated report only where nothing dated exists
        (its arrival says when Parley read it, not when it was said), the last to arrive."""
        latest: dict[tuple[str, str], LedgerEntry] = {}
        for entry in sorted(entries, key=_entry_order):
            latest[(entry.party, entry.issue)] = entry
        return latest

    def ledger_json(self, party: str | None = None) -> list[dict]:
        """``parley positions --json``: one object per ledger entry (the contract in the README), oldest first."""
        with self._lock:
            entries = self._entries(party)
            arrivals = self._arrivals(entries)
            rows = []
            for entry in sorted(entries, key=lambda e: (self._when(e, arrivals), e.id)):
                doc = self.index.documents.get(entry.document_id)
                rows.append({
                    "party": entry.party, "issue": entry.issue, "stance": entry.stance,
                    "speaker": self._speaker_name(entry.speaker, "en"), "attribution": entry.attribution,
                    "relayed_from": entry.relayed_from, "quote": entry.quote, "document_id": entry.document_id,
                    "origin": doc.origin if doc else None,
                    "published": entry.published.isoformat() if entry.published else None,
                })
            return rows

    def positions(self, party: str | None, language: str) -> Reply:
        """Each (party, issue)'s latest stance with its date, speaker and attribution, cited."""
        with self._lock:
            return self._positions_unlocked(party, language)

    def _positions_unlocked(self, party: str | None, language: str) -> Reply:
        latest = self._latest(self._entries(party))
        label = i18n.t("answer.positions.party", language, party=self._name(party, language)) if party else ""
        if not latest:
            return Reply(lead=i18n.t("answer.positions.none", language, party=label), language=language,
                         abstained=True, kind="info", labels=i18n.labels(language))
        rows = sorted(latest.values(), key=lambda e: (self._order(e.party), self._order(e.issue)))
        return self._ledger_reply(i18n.t("answer.positions.lead", language, party=label), rows, language,
                                  show_party=party is None, limit=None)

    def timeline(self, party: str | None, issue: str | None, language: str) -> Reply:
        """Stances over time: one party on one issue, one party on every issue, or every party on one issue."""
        with self._lock:
            return self._timeline_unlocked(party, issue, language)

    def timeline_rows(self, party: str | None, issue: str | None) -> list[tuple[date, bool, LedgerEntry]]:
        """(the date it stands at, whether that date is only its arrival, entry) in time order, for text and charts."""
        entries = self._entries(party, issue)
        arrivals = self._arrivals(entries)
        ordered = sorted(entries, key=lambda e: (self._when(e, arrivals), e.id))
        return [(self._when(e, arrivals), e.published is None, e) for e in ordered]

    def _timeline_unlocked(self, party: str | None, issue: str | None, language: str) -> Reply:
        entries = self._entries(party, issue)
        if not entries:
            return Reply(lead=i18n.t("answer.timeline.none", language, party=self._name(party, language) or "-",
                                     issue=self._name(issue, language) or "-"),
                         language=language, abstained=True, kind="info", labels=i18n.labels(language))
        arrivals = self._arrivals(entries)
        rows = sorted(entries, key=lambda e: (self._when(e, arrivals), e.id))
        if party and issue:
            issue_label = i18n.t("answer.comparison.issue", language, issue=self._name(issue, language))
            lead = i18n.t("answer.lead.timeline", language, party=self._name(party, language), issue=issue_label)
        elif party:
            lead = i18n.t("ledger.timeline.lead.party", language, party=self._name(party, language))
        else:
            lead = i18n.t("ledger.timeline.lead.issue", language, issue=self._name(issue, language))
        return self._ledger_reply(lead, rows, language, show_party=party is None, show_issue=issue is None, limit=None,
                                  arrivals=arrivals)

    def compare(self, a: str, b: str, issue: str | None, language: str) -> Reply:
        """Two parties side by side: each one's latest stance per issue (or on one issue), "silent" where one has none."""
        with self._lock:
            return self._compare_unlocked(a, b, issue, language)

    def _compare_unlocked(self, a: str, b: str, issue: str | None, language: str) -> Reply:
        latest = self._latest([e for e in self._entries(issue=issue) if e.party in (a, b)])
        issue_label = i18n.t("answer.comparison.issue", language, issue=self._name(issue, language)) if issue else ""
        names = dict(first=self._name(a, language), second=self._name(b, language), issue=issue_label)
        if not latest:
            return Reply(lead=i18n.t("answer.compare.none", language, **names), language=language,
                         abstained=True, kind="info", labels=i18n.labels(language))
        issues = sorted({i for _, i in latest}, key=self._order)
        rows: list[LedgerEntry | tuple[str, str]] = []
        for each in issues:
            rows += [latest.get((party, each), (party, each)) for party in (a, b)]
        return self._ledger_reply(i18n.t("answer.lead.comparison", language, **names), rows, language,
                                  show_party=True, show_issue=issue is None, limit=None)

    # -- the gap matrix ---------------------------------------------------------------------------

    def matrix_data(self, issues: Iterable[str] = (), parties: Iterable[str] = ()) -> dict:
        """Issues x parties: each cell the latest stance with its date, None where the party is silent."""
        with self._lock:
            wanted = list(issues)
            entries = [e for e in self._entries(parties=parties) if not wanted or e.issue in wanted]
            latest = self._latest(entries)
            arrivals = self._arrivals(latest.values())
        column_keys = sorted({p for p, _ in latest}, key=self._order)
        row_keys = wanted or sorted({i for _, i in latest}, key=self._order)
        cells = {}
        for issue in row_keys:
            for party in column_keys:
                entry = latest.get((party, issue))
                cells[f"{issue}|{party}"] = None if entry is None else {
                    "stance": entry.stance, "published": entry.published.isoformat() if entry.published else None,
                    "arrived": self._when(entry, arrivals).isoformat() if entry.published is None else None,
                    "speaker": self._speaker_name(entry.speaker, "en"), "attribution": entry.attribution,
                    "relayed_from": entry.relayed_from, "quote": entry.quote, "document_id": entry.document_id}
        return {"issues": row_keys, "parties": column_keys, "cells": cells}

    def matrix(self, issues: Iterable[str], language: str, *, picture: bool = True) -> Reply:
        """/matrix [ISSUE...]: the gap matrix as text (a line per issue: who agrees, where the gap is), with a PNG when asked."""
        data = self.matrix_data(issues)
        wanted = [self._name(i, language) for i in issues]
        if not any(data["cells"].values()):
            on = i18n.t("ledger.matrix.on", language, issues=_join_names(wanted, language)) if wanted else ""
            return Reply(lead=i18n.t("ledger.matrix.none", language, issues=on), language=language, abstained=True,
                         kind="info", labels=i18n.labels(language))
        bullets = [Bullet(text=self._matrix_line(data, issue, language)) for issue in data["issues"][:MATRIX_TEXT_ISSUES]]
        if len(data["issues"]) > MATRIX_TEXT_ISSUES:
            bullets.append(Bullet(text=i18n.t("ledger.matrix.more", language, count=len(data["issues"]) - MATRIX_TEXT_ISSUES)))
        attachment = None
        if picture:
            from bot.answering import (
                charts,  # matplotlib loads only when a picture is wanted
            )

            drawn = charts.usable_language(language)  # Chinese labels only when a CJK font is installed
            attachment = Attachment(charts.matrix_png(data, self._labels(data, drawn), drawn), "matrix.png",
                                    i18n.t("ledger.matrix.alt", language))
        dates = [date.fromisoformat(c["published"]) for c in data["cells"].values() if c and c["published"]]
        return Reply(lead=i18n.t("ledger.matrix.lead", language) + ":", bullets=tuple(bullets), language=language,
                     as_of=max(dates) if dates else None, labels=i18n.labels(language), kind="info", attachment=attachment)

    def timeline_picture(self, party: str | None, issue: str | None, language: str) -> Attachment | None:
        """A chart of the timeline (one party's stances over time, or several parties on one issue), or None when empty."""
        with self._lock:
            rows = self.timeline_rows(party, issue)
        if not rows:
            return None
        from bot.answering import charts

        drawn = charts.usable_language(language)
        series = [(day, undated, self._name(e.party if issue else e.issue, drawn), e.stance) for day, undated, e in rows]
        labels = {s: self._stance_word(s, drawn) for s in ANSWER_STANCES}
        title = " · ".join(n for n in (self._name(party, drawn), self._name(issue, drawn)) if n)
        return Attachment(charts.timeline_png(series, labels, title, drawn), "timeline.png", i18n.t("ledger.timeline.alt", language))

    def _labels(self, data: dict, language: str) -> dict:
        return {"issues": {i: self._name(i, language) for i in data["issues"]},
                "parties": {p: self._name(p, language) for p in data["parties"]},
                "stances": {s: self._stance_word(s, language) for s in ANSWER_STANCES},
                "silent": i18n.t("ledger.silent", language)}

    def _matrix_line(self, data: dict, issue: str, language: str) -> str:
        """"ceasefire: Russia accepts (2025-03-13), Ukraine silent — gap: Russia accepts / Ukraine rejects"."""
        cells = [(p, data["cells"][f"{issue}|{p}"]) for p in data["parties"]]
        spoken = [(p, c) for p, c in cells if c]
        shown = []
        for party, cell in cells:
            if cell is None:
                continue
            when = cell["published"] or i18n.t("label.undated", language)
            shown.append(f"{self._name(party, language)} {self._stance_word(cell['stance'], language)} ({when})")
        by_stance: dict[str, list[str]] = {}
        for party, cell in spoken:
            by_stance.setdefault(cell["stance"], []).append(self._name(party, language))
        silent = [self._name(p, language) for p, c in cells if c is None]
        if len(spoken) == 1:
            verdict = i18n.t("ledger.matrix.alone", language, party=self._name(spoken[0][0], language),
                             stance=self._stance_word(spoken[0][1]["stance"], language))
        elif len(by_stance) == 1 and next(iter(by_stance)) in ("accepts", "rejects", "offers"):
            stance, names = next(iter(by_stance.items()))
            verdict = i18n.t("ledger.matrix.agree", language, parties=_join_names(names, language),
                             stance=self._stance_word(stance, language))
        elif len(by_stance) == 1:  # both "demand" something: rarely the same thing, so no claim of agreement
            stance, names = next(iter(by_stance.items()))
            verdict = i18n.t("ledger.matrix.same", language, parties=_join_names(names, language),
                             stance=self._stance_word(stance, language))
        else:
            sides = [i18n.t("ledger.matrix.side", language, parties=_join_names(names, language), stance=self._stance_word(s, language))
                     for s, names in by_stance.items()]
            verdict = i18n.t("ledger.matrix.gap", language, sides=" / ".join(sides))
        silent_text = f"; {i18n.t('ledger.silent', language)}: {_join_names(silent, language)}" if silent else ""
        return f"{self._name(issue, language)}: {', '.join(shown)}{silent_text} — {verdict}"

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

    def _ledger_reply(self, lead: str, rows: list, language: str, *, show_party: bool, show_issue: bool = True,
                      limit: int | None = MAX_LIST_BULLETS, arrivals: dict[str, datetime] | None = None) -> Reply:
        """Ledger lines, each cited; a (party, issue) tuple in ``rows`` is a party that has said nothing: "silent"."""
        citations: list[Citation] = []
        bullets = []
        numbers: dict[int, int] = {}
        entries = [r for r in rows if isinstance(r, LedgerEntry)]
        arrivals = arrivals if arrivals is not None else self._arrivals(entries)
        for entry in rows[:limit] if limit else rows:
            if not isinstance(entry, LedgerEntry):
                party, issue = entry
                name = " · ".join(n for n in (self._name(party, language), self._name(issue, language) if show_issue else "") if n)
                bullets.append(Bullet(text=i18n.t("ledger.silent.line", language, party=name)))
                continue
            passage = self.index.by_id.get(entry.passage_id)
            key = passage.id if passage else -entry.id
            if key not in numbers:
                citations.append(self._entry_citation(len(citations) + 1, entry, passage))
                numbers[key] = len(citations)
            bullets.append(Bullet(text=self._entry_line(entry, language, show_party, show_issue, arrivals), cites=(numbers[key],)))
        return Reply(lead=lead + ":", bullets=tuple(bullets), citations=tuple(citations), language=language,
                     as_of=_as_of(citations), labels=i18n.labels(language))

    def _entry_line(self, entry: LedgerEntry, language: str, show_party: bool, show_issue: bool,
                    arrivals: dict[str, datetime] | None = None) -> str:
        """"Russia · territory: rejects (2025-03-19; Dmitry Peskov, on record) — quote"."""
        head = []
        if show_party:
            head.append(self._name(entry.party, language))
        if show_issue:
            head.append(self._name(entry.issue, language))
        if entry.published is not None:
            when = entry.published.isoformat()
        else:
            arrived = (arrivals or {}).get(entry.document_id)
            when = i18n.t("ledger.undated", language, date=arrived.date().isoformat()) if arrived else i18n.t("label.undated", language)
        prefix = " · ".join(head)
        return f"{prefix + ': ' if prefix else ''}{self._stance_word(entry.stance, language)} ({when}; {self._who(entry, language)}) — {entry.quote}"

    def _who(self, entry: LedgerEntry, language: str) -> str:
        """Who stated it and on whose record: "Dmitry Peskov, on record", "five officials, anonymous", "Putin, relayed by Kommersant"."""
        who = self._speaker_name(entry.speaker, language)
        kind = entry.attribution if entry.attribution in ("on_record", "anonymous", "relayed") else "on_record"
        outlet = entry.relayed_from or i18n.t("ledger.relayed.unknown", language)
        if who:
            return i18n.t(f"ledger.{kind}", language, who=who, outlet=outlet)
        return i18n.t(f"ledger.{kind}.nobody", language, outlet=outlet)

    def _speaker_name(self, speaker: str | None, language: str) -> str | None:
        """A speaker key as its display name; unnamed speakers are stored as the words naming them."""
        if not speaker:
            return None
        try:
            return self.profile.display(speaker, language)
        except KeyError:
            return speaker

    def _stance_word(self, stance: str, language: str) -> str:
        return i18n.t(f"stance.{stance}", language) if stance in ANSWER_STANCES else stance

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


def _join_names(names: list[str], language: str) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return i18n.t("answer.list.sep", language).join(names[:-1]) + i18n.t("answer.list.and", language) + names[-1]


def _entry_order(entry: LedgerEntry):
    """Oldest first; undated entries count as oldest, so a dated stance is the "latest"."""
    return (entry.published or date.min, entry.id)


def _timeline_order(entry: LedgerEntry):
    """Oldest first by date; undated entries after the dated ones, in the order they arrived."""
    return (entry.published is None, entry.published or date.max, entry.id)
