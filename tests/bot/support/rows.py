"""Canned database rows: documents with an arrival summary, subscriptions and outbox rows."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlmodel import Session, select

from bot.text.profile import Profile
from storage.db import session_scope
from storage.models import Chat, Delivery, Document, Subscription, utcnow

TINY_PROFILE = {
    "name": "Test negotiation",
    "parties": {"alpha": {"names": {"en": "Alphaland", "zh-Hans": "阿尔法"}, "aliases": ["Alphan"]},
                "beta": {"names": {"en": "Betastan", "zh-Hans": "贝塔"}, "aliases": ["Betan"]}},
    "issues": {"border": {"names": {"en": "border", "zh-Hans": "边界"}, "aliases": ["frontier"]}},
}


def tiny_profile() -> Profile:
    """A two-party profile that loads fast (for subprocess workers)."""
    return Profile.from_dict(TINY_PROFILE, source="tests/bot/support/rows.py")


def add_document(engine, doc_id: str, *, title: str = "Talks resume in Geneva", language: str = "en",
                 sentence: str = "Negotiators from both sides met in Geneva on Tuesday.",
                 published: date | None = date(2025, 3, 11), url: str | None = None,
                 announced_at: datetime | None = None) -> Document:
    """A stored, announced document whose summary has one cited bullet."""
    item = {"text": sentence, "quote": sentence}
    document = Document(
        id=doc_id, content_hash=hashlib.sha256(doc_id.encode()).hexdigest(), origin=f"test://{doc_id}",
        url=url or f"https://news.example.org/{doc_id}", title=title, outlet="Example News", published=published,
        language=language, text=f"{title}\n\n{sentence}", announced_at=announced_at or utcnow(),
        summary={"headline": title, "bullets": [sentence], "new_points": [], "items": [item], "status": "new"},
    )
    with session_scope(engine) as session:
        session.add(document)
    return document


def add_subscription(engine, chat: str, *, mode: str = "instant", daily_time: str | None = None,
                     parties=(), issues=(), languages=(), language: str | None = None,
                     timezone: str | None = None, active: bool = True) -> Subscription:
    """A subscription (and the chat's preferences when a language or time zone is given)."""
    row = Subscription(chat=chat, mode=mode, daily_time=daily_time, parties=list(parties), issues=list(issues),
                       languages=list(languages), active=active)
    with session_scope(engine) as session:
        session.add(row)
        if language or timezone:
            session.add(Chat(chat=chat, language=language, timezone=timezone))
    return row


def queue(engine, subscription: Subscription, item_id: str, kind: str = "document", **values) -> Delivery:
    """One outbox row for a subscription."""
    row = Delivery(subscription_id=subscription.id, chat=subscription.chat, item_kind=kind, item_id=item_id, **values)
    with session_scope(engine) as session:
        session.add(row)
    return row


def deliveries(engine, **where) -> list[Delivery]:
    """Outbox rows, optionally filtered by column values, in id order."""
    with Session(engine) as session:
        query = select(Delivery).order_by(Delivery.id)
        for name, value in where.items():
            query = query.where(getattr(Delivery, name) == value)
        return list(session.exec(query).all())


def subscription_of(engine, chat: str) -> Subscription | None:
    with Session(engine) as session:
        return session.exec(select(Subscription).where(Subscription.chat == chat).order_by(Subscription.id)).first()
