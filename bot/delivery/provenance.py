"""Where a reply's evidence stands: "as of" (publication or, for undated sources, arrival), staleness, and which
other outlets reported the same story ("also reported by ..."), for answers and pushes alike."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session, select, col

from bot.messages import Bullet, Reply
from bot.text import i18n
from storage.models import Document, Story

log = logging.getLogger(__name__)

MAX_OUTLETS = 4  # named in one "also reported by" note; more are counted


def annotate(engine: Engine, reply: Reply, *, stale_after_days: int = 30, today: date | None = None) -> Reply:
    """``reply`` with an as-of date (the arrival date, labelled as such, when every cited source is undated),
    a note when its newest evidence is older than ``stale_after_days`` (0: never), and under the first bullet
    citing each story the other outlets that carried it, with its count of independent sources."""
    if not reply.citations or reply.kind == "error":
        return reply
    with Session(engine) as session:
        documents = _documents(session, {c.document_id for c in reply.citations})
        members, stories = _stories(session, {d.story_id for d in documents.values() if d.story_id})
    language = reply.language
    as_of, arrived = reply.as_of, reply.as_of_arrived
    if as_of is None:
        arrivals = [_day(documents[c.document_id].ingested_at) for c in reply.citations if c.document_id in documents]
        if arrivals:
            as_of, arrived = max(arrivals), True
    notes = list(reply.notes)
    today = today or datetime.now(timezone.utc).date()
    if stale_after_days > 0 and as_of is not None and (today - as_of).days > stale_after_days:
        notes.append(i18n.t("provenance.stale", language, month=month_label(as_of, language)))
    bullets, told = _with_coverage(reply, documents, members, stories)
    for citation in reply.citations:  # documents the lead cites but no bullet does
        document = documents.get(citation.document_id)
        if document is not None and document.story_id and document.story_id not in told:
            told.add(document.story_id)
            note = also_reported(document, members.get(document.story_id, []), stories.get(document.story_id), language)
            if note:
                notes.insert(0, f"[{citation.n}] {note}")
    return replace(reply, as_of=as_of, as_of_arrived=arrived, notes=tuple(notes), bullets=bullets,
                   labels={**i18n.labels(language), **reply.labels})


def month_label(day: date, language: str) -> str:
    """ "March 2025", or "2025年3月" in Chinese."""
    if language.startswith("zh"):
        return f"{day.year}年{day.month}月"
    return day.strftime("%B %Y")


def also_reported(document: Document, members: list[Document], story: Story | None, language: str) -> str:
    """ "also reported by TASS, Reuters (1 independent source: wire reprints)", or "" when no other outlet did."""
    own = outlet_name(document).casefold()
    others: list[str] = []
    for member in sorted(members, key=lambda m: (m.published or date.max, m.ingested_at)):
        name = outlet_name(member)
        if name and name.casefold() != own and name not in others:
            others.append(name)
    if not others:
        return ""
    shown = i18n.t("answer.list.sep", language).join(others[:MAX_OUTLETS])
    if len(others) > MAX_OUTLETS:
        shown += i18n.t("provenance.more", language, count=len(others) - MAX_OUTLETS)
    outlets = len({outlet_name(m).casefold() for m in members if outlet_name(m)} | {own})
    independent = story.independent_sources if story else outlets
    key = "provenance.independent.one" if independent == 1 else "provenance.independent.many"
    sources = i18n.t(key, language, count=independent)
    if independent < outlets:
        wire = any((m.cited_agency or "").strip() for m in members)
        sources += i18n.t("provenance.reason.wire" if wire else "provenance.reason.reprints", language)
    return i18n.t("provenance.also", language, outlets=shown, sources=sources)


def outlet_name(document: Document) -> str:
    """The outlet a reader knows the document by: its outlet, else its site; never a file path."""
    if document.outlet and document.outlet.strip():
        return document.outlet.strip()
    host = urlsplit(document.url or "").hostname or ""
    return host.removeprefix("www.")


def _with_coverage(reply: Reply, documents: dict[str, Document], members: dict[str, list[Document]],
                   stories: dict[str, Story]) -> tuple[tuple[Bullet, ...], set[str]]:
    by_number = {c.n: c for c in reply.citations}
    told: set[str] = set()
    bullets = []
    for bullet in reply.bullets:
        notes = [bullet.note] if bullet.note else []
        for n in bullet.cites:
            citation = by_number.get(n)
            document = documents.get(citation.document_id) if citation else None
            if document is None or not document.story_id or document.story_id in told:
                continue
            told.add(document.story_id)
            note = also_reported(document, members.get(document.story_id, []), stories.get(document.story_id),
                                 reply.language)
            if note:
                notes.append(note)
        bullets.append(replace(bullet, note="; ".join(notes)) if notes else bullet)
    return tuple(bullets), told


def _documents(session: Session, ids: set[str]) -> dict[str, Document]:
    if not ids:
        return {}
    return {d.id: d for d in session.exec(select(Document).where(col(Document.id).in_(ids))).all()}


def _stories(session: Session, story_ids: set[str]) -> tuple[dict[str, list[Document]], dict[str, Story]]:
    if not story_ids:
        return {}, {}
    members: dict[str, list[Document]] = {}
    for document in session.exec(select(Document).where(col(Document.story_id).in_(story_ids))).all():
        members.setdefault(document.story_id, []).append(document)
    stories = {s.id: s for s in session.exec(select(Story).where(col(Story.id).in_(story_ids))).all()}
    return members, stories


def _day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date() if moment.tzinfo else moment.date()
