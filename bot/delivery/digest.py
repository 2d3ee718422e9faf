"""What subscribers read: one document's arrival summary, and the digest of the stories since a date, in their language.

Bullets quote the documents verbatim (in the document's language); everything around them
(leads, position-change sentences, counts) is written in the reader's language.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Iterable

from sqlmodel import Session, select, col

from bot.text import i18n
from bot.messages import Bullet, Citation, Reply
from storage.models import Document, Position, Story

log = logging.getLogger(__name__)

MAX_DIGEST_STORIES = 10
POINTS_OF_EACH = 2  # per story: key points, later additions, position changes


class _Citations:
    """Numbers quotes as they are first cited, reusing the number of a quote cited before."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._numbers: dict[tuple[str, str], int] = {}

    def cite(self, document: Document, quote: str) -> int:
        key = (document.id, quote)
        if key not in self._numbers:
            n = len(self.items) + 1
            self._numbers[key] = n
            self.items.append(Citation(n, document.id, document.origin, document.url, document.title, document.outlet,
                                       document.published, quote, document.language))
        return self._numbers[key]


# ------------------------------------------------------------------------------ one document


def render_arrival(engine, document: Document, language: str, *, profile=None, stale_after_days: int = 0) -> Reply:
    """What a subscriber reading ``language`` is pushed when ``document`` arrives.

    When the document is in another language and its story has a report in the reader's, that report's summary
    is pushed instead; otherwise the push says that the original is in another language (its bullets quote it
    verbatim). The push carries its as-of date and the story's other outlets, like an answer.
    """
    from bot.delivery.provenance import annotate

    language = i18n.normalize_language(language) or "en"
    shown = document
    with Session(engine) as session:
        if not _same_script(document.language, language) and document.story_id:
            members = session.exec(select(Document).where(Document.story_id == document.story_id,
                                                          Document.announced_at.is_not(None))).all()
            readable = [m for m in members if _same_script(m.language, language)]
            if readable:
                shown = max(readable, key=lambda m: (m.published or date.min, m.ingested_at))
    reply = render_summary(shown, language, profile=profile)
    if not _same_script(shown.language, language):
        original = i18n.t(f"language.{_script_key(shown.language)}", language)
        reply = replace(reply, notes=(*reply.notes, i18n.t("summary.original_language", language, original=original)))
    return annotate(engine, reply, stale_after_days=stale_after_days)


def _same_script(document_language: str | None, reader: str) -> bool:
    """Chinese in either script reads as Chinese; anything else must match the reader's language."""
    document_language = document_language or "en"
    return document_language.startswith("zh") == reader.startswith("zh")


def _script_key(language: str | None) -> str:
    return "zh" if (language or "").startswith("zh") else "en" if (language or "en") == "en" else "other"



def render_summary(document: Document, language: str, profile=None) -> Reply:
    """A document's arrival summary for a reader of ``language``: headline, cited bullets, what's new."""
    language = i18n.normalize_language(language) or "en"
    data = document.summary or {}
    citations = _Citations()
    duplicate = data.get("status") == "duplicate" or bool(document.duplicate_of)
    headline = data.get("headline") or document.title
    if duplicate:
        lead = i18n.t("summary.lead.update", language, headline=headline, sources=data.get("independent_sources", 1))
        bullets = _new_point_bullets(document, data, language, citations, profile)
        if not bullets:
            bullets = [Bullet(i18n.t("summary.nothing_new", language))]
    else:
        lead = i18n.t("summary.lead.new", language, headline=headline)
        bullets = [Bullet(item["text"], (citations.cite(document, item["quote"]),)) for item in _items(data, "items")]
        if not bullets:
            bullets = [Bullet(text, (citations.cite(document, text),)) for text in data.get("bullets", [])]
        bullets += _change_bullets(document, data, language, citations, profile)
    if not citations.items:
        citations.cite(document, document.title)
    return Reply(lead=lead, bullets=tuple(bullets), citations=tuple(citations.items), language=language,
                 as_of=document.published, kind="summary", labels=_labels(language))


def _items(data: dict, key: str) -> list[dict]:
    return [item for item in data.get(key) or [] if item.get("text") and item.get("quote")]


def _new_point_bullets(document: Document, data: dict, language: str, citations: _Citations, profile) -> list[Bullet]:
    bullets = [Bullet(item["text"], (citations.cite(document, item["quote"]),)) for item in _items(data, "new_items")]
    return bullets + _change_bullets(document, data, language, citations, profile)


def _change_bullets(document: Document, data: dict, language: str, citations: _Citations, profile) -> list[Bullet]:
    bullets = []
    for change in data.get("changes") or []:
        text = describe_change(change, profile, language)
        cites = (citations.cite(document, change["quote"]),) if change.get("quote") else ()
        bullets.append(Bullet(text, cites))
    return bullets


def _labels(language: str) -> dict[str, str]:
    labels = i18n.labels(language)
    labels["new_points"] = i18n.t("summary.label.new_points", language)
    return labels


# ------------------------------------------------------------------------------ the digest


@dataclass
class _StoryEntry:
    story: Story | None
    documents: list[Document] = field(default_factory=list)

    @property
    def newest(self) -> tuple:
        return max((d.published or date.min, d.ingested_at) for d in self.documents)


def build_digest(engine, since: datetime | date | str, language: str, filters: dict | None = None, *,
                 parties: Iterable[str] = (), issues: Iterable[str] = (), languages: Iterable[str] = (),
                 profile=None) -> Reply:
    """The stories with documents since ``since``, newest first, each with its key points and what later reports added.

    ``since`` as a date (or "YYYY-MM-DD") selects documents published on or after it (undated
    ones cannot be placed and are left out); as a datetime (a daily digest's last run) it
    selects documents announced after it, dated or not. ``filters`` (or the keyword arguments) keep only stories about those parties or
    issues, or with documents in those languages. Nothing to report gives an abstained Reply.
    """
    language = i18n.normalize_language(language) or "en"
    since = _parse_since(since)
    filters = filters or {}
    wanted_parties = set(parties) | set(filters.get("parties") or ())
    wanted_issues = set(issues) | set(filters.get("issues") or ())
    wanted_languages = set(languages) | set(filters.get("languages") or ())
    with Session(engine) as session:
        documents = _documents_since(session, since)
        documents = [d for d in documents if _language_ok(d.language, wanted_languages)]
        documents = _about(session, documents, wanted_parties, wanted_issues)
        entries = _group_by_story(session, documents)
    label = since.date().isoformat() if isinstance(since, datetime) else since.isoformat()
    if not entries:
        return Reply(lead=i18n.t("summary.digest.empty", language, since=label), language=language, abstained=True,
                     kind="digest", labels=_labels(language))
    return _render_digest(entries, label, language, profile)


def _parse_since(since: datetime | date | str) -> datetime | date:
    if isinstance(since, str):
        text = since.strip()
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    if isinstance(since, datetime) and since.tzinfo is None:
        return since.replace(tzinfo=timezone.utc)
    return since


def _documents_since(session: Session, since: datetime | date) -> list[Document]:
    query = select(Document).where(Document.announced_at.is_not(None))
    if isinstance(since, datetime):
        query = query.where(col(Document.announced_at) >= since)
    else:
        query = query.where(col(Document.published) >= since)
    return list(session.exec(query.order_by(Document.ingested_at)).all())


def _language_ok(language: str, wanted: set[str]) -> bool:
    """Like the subscription filter: "zh" stands for both Chinese scripts."""
    if not wanted or language in wanted:
        return True
    if language.startswith("zh"):
        return "zh" in wanted or (language == "zh" and any(w.startswith("zh") for w in wanted))
    return False


def _about(session: Session, documents: list[Document], parties: set[str], issues: set[str]) -> list[Document]:
    """Documents whose ledger positions or summary concern the wanted parties and issues (all when none are wanted)."""
    if not parties and not issues:
        return documents
    ids = [d.id for d in documents]
    topics: dict[str, tuple[set, set]] = {d.id: (set((d.summary or {}).get("parties", [])),
                                                 set((d.summary or {}).get("issues", []))) for d in documents}
    if ids:
        for document_id, party, issue in session.exec(
                select(Position.document_id, Position.party, Position.issue).where(col(Position.document_id).in_(ids))).all():
            topics[document_id][0].add(party)
            topics[document_id][1].add(issue)
    return [d for d in documents
            if (not parties or topics[d.id][0] & parties) and (not issues or topics[d.id][1] & issues)]


def _group_by_story(session: Session, documents: list[Document]) -> list[_StoryEntry]:
    entries: dict[str, _StoryEntry] = {}
    for document in documents:
        key = document.story_id or document.id
        if key not in entries:
            entries[key] = _StoryEntry(session.get(Story, document.story_id) if document.story_id else None)
        entries[key].documents.append(document)
    return sorted(entries.values(), key=lambda e: e.newest, reverse=True)


def _render_digest(entries: list[_StoryEntry], since: str, language: str, profile) -> Reply:
    citations = _Citations()
    bullets: list[Bullet] = []
    for entry in entries[:MAX_DIGEST_STORIES]:
        bullets += _story_bullets(entry, language, citations, profile)
    if len(entries) > MAX_DIGEST_STORIES:
        bullets.append(Bullet(i18n.t("summary.digest.more", language, count=len(entries) - MAX_DIGEST_STORIES)))
    dates = [d.published for e in entries for d in e.documents if d.published]
    return Reply(lead=i18n.t("summary.digest.lead", language, since=since, stories=len(entries)),
                 bullets=tuple(bullets), citations=tuple(citations.items), language=language,
                 as_of=max(dates) if dates else None, kind="digest", labels=_labels(language))


def _story_bullets(entry: _StoryEntry, language: str, citations: _Citations, profile) -> list[Bullet]:
    """A story's title line, then its key points, what later reports added, and position changes (a few of each)."""
    first = entry.documents[0]
    title = (entry.story.title if entry.story and entry.story.title else None) or (first.summary or {}).get("headline") or first.title
    sources = entry.story.independent_sources if entry.story else 1
    reports = max(len(entry.documents), (first.summary or {}).get("story_documents", 1))
    lines = [Bullet(i18n.t("summary.digest.story", language, title=title, reports=reports, sources=sources),
                    (citations.cite(first, _first_quote(first)),))]
    keys, additions, changes = [], [], []
    for document in entry.documents:
        data = document.summary or {}
        if data.get("status") == "duplicate" or document.duplicate_of:
            outlet = document.outlet or document.title
            additions += [(document, i18n.t("summary.digest.adds", language, outlet=outlet, text=item["text"]), item["quote"])
                          for item in _items(data, "new_items")]
        else:
            keys += [(document, item["text"], item["quote"]) for item in _items(data, "items")]
        changes += [(document, describe_change(change, profile, language), change.get("quote"))
                    for change in data.get("changes") or []]
    for document, text, quote in keys[:POINTS_OF_EACH] + additions[:POINTS_OF_EACH] + changes[:POINTS_OF_EACH]:
        lines.append(Bullet(text, (citations.cite(document, quote),) if quote else ()))
    return lines


def _first_quote(document: Document) -> str:
    items = _items(document.summary or {}, "items")
    return items[0]["quote"] if items else document.title


def describe_change(change, profile, language: str) -> str:
    """One sentence saying how a party's stance moved, in ``language``, with the earlier stance and its date.

    ``change`` is a ``bot.ingestion.stories.Change`` or its JSON form (as stored in a document's summary)."""
    data = change if isinstance(change, dict) else change.to_json()
    names = data.get("names") or {}
    values = {
        "party": (names.get("party") or {}).get(language) or display_name(profile, data["party"], language),
        "issue": (names.get("issue") or {}).get(language) or display_name(profile, data["issue"], language),
        "stance": stance_label(data["stance"], language),
    }
    previous = data.get("previous") or {}
    values.update(
        previous=stance_label(previous.get("stance", "-"), language),
        date=previous.get("published") or i18n.t("label.undated", language),
        outlet=previous.get("outlet") or "-",
    )
    return i18n.t(f"summary.change.{data['kind']}", language, **values)


def stance_label(stance: str, language: str) -> str:
    """The localized verb for a ledger stance."""
    try:
        return i18n.t(f"summary.stance.{stance}", language)
    except KeyError:
        return stance


def display_name(profile, key: str, language: str) -> str:
    try:
        return profile.display(key, language)
    except (KeyError, AttributeError):
        return key.replace("_", " ")
