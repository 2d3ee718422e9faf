"""Pushes of position changes only (``/subscribe changes``): which subscribers a document's changes reach, and the message.

A document's arrival summary lists the position changes it states (``summary["changes"]``, one per
party and issue, against an earlier dated report). A "changes" subscription gets a push only for
documents with such a change on its parties and issues, and the push shows each change with the
earlier quote and the new one.
"""
from __future__ import annotations

from sqlmodel import Session, select

from bot.messages import Bullet, Citation, Reply
from bot.text import i18n
from storage.models import Delivery, Document, Subscription

ITEM_KIND = "changes"


def enqueue_changes(session: Session, document: Document) -> int:
    """Queue ``document`` for every active "changes" subscription one of its position changes concerns."""
    changes = (document.summary or {}).get("changes") or []
    if not changes:
        return 0
    subscriptions = session.exec(select(Subscription).where(Subscription.active, Subscription.mode == ITEM_KIND)).all()
    already = set(session.exec(select(Delivery.subscription_id).where(
        Delivery.item_kind == ITEM_KIND, Delivery.item_id == document.id)).all())
    added = 0
    for subscription in subscriptions:
        if subscription.id in already or not any(_wanted(subscription, change, document.language) for change in changes):
            continue
        session.add(Delivery(subscription_id=subscription.id, chat=subscription.chat, item_kind=ITEM_KIND, item_id=document.id))
        added += 1
    session.flush()
    return added


def _wanted(subscription: Subscription, change: dict, language: str) -> bool:
    if subscription.parties and change.get("party") not in subscription.parties:
        return False
    if subscription.issues and change.get("issue") not in subscription.issues:
        return False
    return not subscription.languages or language in subscription.languages \
        or language.startswith("zh") and any(code.startswith("zh") for code in subscription.languages)


def render_changes(document: Document, subscription: Subscription, language: str, profile) -> Reply | None:
    """The push: each wanted change in words, then the earlier quote and the new one, both cited."""
    from bot.delivery.digest import describe_change

    changes = [c for c in (document.summary or {}).get("changes") or [] if _wanted(subscription, c, document.language)]
    if not changes:
        return None
    citations = [Citation(n=1, document_id=document.id, origin=document.origin, url=document.url, title=document.title,
                          outlet=document.outlet, published=document.published, quote=changes[0].get("quote") or "",
                          language=document.language)]
    bullets = []
    for change in changes:
        previous = change.get("previous") or {}
        bullets.append(Bullet(text=describe_change(change, profile, language)))
        bullets.append(Bullet(text=i18n.t("changes.before", language, date=previous.get("published") or "-",
                                          outlet=previous.get("outlet") or "-", quote=previous.get("quote") or "")))
        now = document.published.isoformat() if document.published else i18n.t("label.undated", language)
        bullets.append(Bullet(text=i18n.t("changes.after", language, date=now, quote=change.get("quote") or ""), cites=(1,)))
    title = document.title or document.outlet or document.id
    return Reply(lead=i18n.t("changes.lead", language, title=title), bullets=tuple(bullets), citations=tuple(citations),
                 language=language, kind="summary", as_of=document.published, labels=i18n.labels(language))
