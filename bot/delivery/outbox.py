"""Durable delivery: the outbox rows, routing pushes to adapters, pacing them, and retrying until the platform accepts.

A row goes ``pending`` -> (claimed) -> ``sending`` -> ``sent``. It is marked ``sending``
(committed) just before the send and ``sent`` just after the platform accepted it, one
row at a time per worker. A worker killed between those two commits leaves exactly one
row ``sending``; whoever picks it up again resends it, so that chat may see that one
item twice, and no chat ever misses one.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam, or_, update
from sqlmodel import Session, col, select

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.messages import ChatRef, Pacing, Reply
from storage.db import rows_changed, session_scope
from storage.models import Chat, Delivery, Document, Position, Subscription, utcnow

log = logging.getLogger(__name__)

CLAIM_BATCH = 50  # rows claimed at a time; small, so a dead worker's claims expire soon
CLAIM_SECONDS = 120.0  # how long a claim (or an in-flight send) keeps other workers off a row
INLINE_WAIT_SECONDS = 1.0  # pacing waits up to this are slept; longer ones defer the row
_OPEN = ("pending", "sending")


# -- enqueueing --------------------------------------------------------------------------------

def enqueue_for_document(session: Session, services, document: Document, arrival) -> int:
    """Queue ``document`` for every active instant subscription whose filters it matches; returns rows added.

    Runs inside the ingest transaction, so the rows exist exactly when the document's
    announcement does. ``arrival.notify`` false (a reprint that adds nothing) queues nothing.
    """
    if not getattr(arrival, "notify", True):
        return 0
    subscriptions = session.exec(select(Subscription).where(Subscription.active, Subscription.mode == "instant")).all()
    if not subscriptions:
        return 0
    parties, issues = arrival_topics(session, services.profile, document, arrival)
    already = set(session.exec(select(Delivery.subscription_id).where(
        Delivery.item_kind == "document", Delivery.item_id == document.id)).all())
    added = 0
    for subscription in subscriptions:
        if subscription.id in already or not matches(subscription, parties, issues, document.language):
            continue
        session.add(Delivery(subscription_id=subscription.id, chat=subscription.chat, item_kind="document", item_id=document.id))
        added += 1
    session.flush()
    return added


def arrival_topics(session: Session, profile, document: Document, arrival) -> tuple[set[str], set[str]]:
    """The parties and issues a filtered subscriber should judge this arrival by.

    A new story: its ledger positions and every profile name in it. A later report of a
    known story: only what it adds (its changed positions and the names in its new points),
    so a reprint that adds news about another party does not reach a party's followers.
    """
    parties, issues = set(getattr(arrival, "parties", ()) or ()), set(getattr(arrival, "issues", ()) or ())
    if getattr(arrival, "duplicate_of", None):
        _add_mentions(profile, "\n".join((document.summary or {}).get("new_points") or []), parties, issues)
        return parties, issues
    for party, issue in session.exec(select(Position.party, Position.issue).where(Position.document_id == document.id)).all():
        parties.add(party)
        issues.add(issue)
    _add_mentions(profile, f"{document.title}\n{document.text}", parties, issues)
    return parties, issues


def _add_mentions(profile, text: str, parties: set[str], issues: set[str]) -> None:
    for mention in profile.find(text):
        if party := profile.party_of(mention.key):
            parties.add(party)
        elif issue := profile.issue_of(mention.key):
            issues.add(issue)


def matches(subscription: Subscription, parties: set[str], issues: set[str], language: str) -> bool:
    """Filters of one kind are alternatives; different kinds must all hold (party AND issue AND language)."""
    if subscription.parties and not parties.intersection(subscription.parties):
        return False
    if subscription.issues and not issues.intersection(subscription.issues):
        return False
    if subscription.languages:
        wanted = set(subscription.languages)
        if language not in wanted and not (language == "zh" and any(code.startswith("zh") for code in wanted)):
            return False
    return True


def enqueue_digests(services, now: datetime | None = None) -> int:
    """Queue today's digest for each daily subscription whose local time has come; returns rows added.

    The row's item id is the local date, so the unique (subscription, kind, item) key makes
    each day's digest exactly-once however often this runs and whichever process runs it.
    """
    now = now or utcnow()
    added = 0
    with session_scope(services.engine) as session:
        rows = session.exec(select(Subscription, Chat).join(Chat, Chat.chat == Subscription.chat, isouter=True)
                            .where(Subscription.active, Subscription.mode == "daily")).all()
        for subscription, chat in rows:
            day = due_digest_day(subscription, chat, services.settings.default_timezone, now)
            if day is None:
                continue
            exists = session.exec(select(Delivery.id).where(
                Delivery.subscription_id == subscription.id, Delivery.item_kind == "digest", Delivery.item_id == day)).first()
            if exists is None:
                session.add(Delivery(subscription_id=subscription.id, chat=subscription.chat, item_kind="digest", item_id=day))
                added += 1
    if added:
        log.info("queued %d daily digest(s)", added)
    return added


def due_digest_day(subscription: Subscription, chat: Chat | None, default_timezone: str, now: datetime) -> str | None:
    """The local date (YYYY-MM-DD) whose digest is due now, or None (not yet time, or subscribed after it)."""
    zone = _zone((chat.timezone if chat else None) or default_timezone)
    local_now = now.astimezone(zone)
    hours, minutes = (int(part) for part in (subscription.daily_time or "08:00").split(":"))
    due = local_now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if local_now < due or subscription.created_at > due:
        return None
    return due.date().isoformat()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; using UTC", name)
        return ZoneInfo("UTC")


# -- pacing and routing ------------------------------------------------------------------------

class Pacer:
    """A platform's declared limits (its adapter's ``Pacing``) kept: messages per second overall, messages per
    minute per group, and flood holds.

    An exact sliding window, rather than a leaky bucket, because a bucket lets a group
    receive a burst plus its refill within one minute, which Telegram refuses. A flood wait
    ("retry after N s") holds only the chat it was answered for, unless the platform said it
    is global or several chats were told to wait at once, which is what the global limit looks like.
    """

    GLOBAL_AFTER_CHATS = 2  # chats told to wait within one hold before the wait counts as global

    def __init__(self, pacing: Pacing, clock=time.monotonic):
        self.interval = 1.0 / pacing.per_second if pacing.per_second > 0 else 0.0
        self.group_per_minute = pacing.group_per_minute
        self.is_group = pacing.is_group
        self.clock = clock
        self._next_free = 0.0
        self._held_until = 0.0
        self._chat_held_until: dict[str, float] = {}
        self._groups: dict[str, deque[float]] = {}
        self.lock = asyncio.Lock()

    def wait_time(self, chat: ChatRef) -> float:
        """Seconds until a message to ``chat`` may go out (0 when it may go now)."""
        now = self.clock()
        wait = max(0.0, self._next_free - now, self._held_until - now,
                   self._chat_held_until.get(str(chat), 0.0) - now)
        window = self._window(chat, now)
        if window is not None and self.group_per_minute and len(window) >= self.group_per_minute:
            wait = max(wait, window[0] + 60.0 - now)
        return wait

    def record(self, chat: ChatRef) -> None:
        """Count one message to ``chat`` as sent now."""
        now = self.clock()
        self._next_free = max(now, self._next_free) + self.interval
        window = self._window(chat, now)
        if window is not None:
            window.append(now)

    def hold(self, seconds: float, chat: ChatRef | None = None) -> None:
        """Send nothing to ``chat`` (or, without one, anywhere) for ``seconds``: the platform said "retry after"."""
        now = self.clock()
        if chat is None:
            self._held_until = max(self._held_until, now + seconds)
            return
        held = {key: until for key, until in self._chat_held_until.items() if until > now}
        held[str(chat)] = max(held.get(str(chat), 0.0), now + seconds)
        self._chat_held_until = held
        if len(held) >= self.GLOBAL_AFTER_CHATS:  # several chats at once: the bot's own limit, not a chat's
            log.warning("flood waits for %d chats at once; holding every chat for %.0fs", len(held), seconds)
            self._held_until = max(self._held_until, now + seconds)

    def _window(self, chat: ChatRef, now: float) -> deque[float] | None:
        if not self.is_group(chat):
            return None
        window = self._groups.setdefault(chat.chat_id, deque())
        while window and now - window[0] >= 60.0:
            window.popleft()
        return window


class Outbox:
    """Routes pushed replies to the adapter of the chat's platform, within the platform's rate limits.

    Each adapter declares its platform's limits (``Adapter.pacing``; Telegram's come from its settings) and the
    outbox keeps to them; an adapter without pacing paces itself (Discord from its response headers, through
    discord.py's buckets) and raises TransientDeliveryError with ``retry_after`` when a wait is too long.
    """

    def __init__(self, adapters: dict):
        self.adapters = dict(adapters)
        self.pacers = {name: Pacer(adapter.pacing) for name, adapter in self.adapters.items() if adapter.pacing}

    @property
    def platforms(self) -> list[str]:
        """Platforms this process can send to."""
        return sorted(self.adapters)

    def wait_time(self, chat: ChatRef) -> float:
        """Seconds before a message to ``chat`` may go out."""
        pacer = self.pacers.get(chat.platform)
        return pacer.wait_time(chat) if pacer else 0.0

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        """Send one reply, waiting for the pace; raises Transient/PermanentDeliveryError like the adapter."""
        adapter = self.adapters.get(chat.platform)
        if adapter is None:
            raise TransientDeliveryError(f"no {chat.platform} adapter runs in this process")
        pacer = self.pacers.get(chat.platform)
        if pacer is None:
            await adapter.send(chat, reply)
            return
        async with pacer.lock:
            while (wait := pacer.wait_time(chat)) > 0:
                await asyncio.sleep(wait)
            pacer.record(chat)
        try:
            await adapter.send(chat, reply)
        except TransientDeliveryError as exc:
            if exc.retry_after:
                pacer.hold(exc.retry_after, None if exc.global_limit else chat)
            raise


# -- the delivery pass -------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient failures; a platform's ``retry_after`` wins."""

    base: float = 5.0
    cap: float = 3600.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return max(0.0, float(retry_after))
        return min(self.cap, self.base * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


@dataclass
class _Pass:
    """State of one delivery pass: counts, the batch's subscriptions and languages, replies built so far.

    ``unmarked`` is a row the platform accepted whose ``sent`` mark is still to be written: it is
    written in the same transaction that marks the next row ``sending``, so each message costs one
    commit, and at most one row per worker is ever ``sending``.
    """

    worker_id: str
    sent: int = 0
    unmarked: Delivery | None = None
    replies: dict = field(default_factory=dict)
    languages: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)


async def deliver_due(services, outbox: Outbox, *, worker_id: str, limit: int = 500,
                      retry: RetryPolicy | None = None) -> int:
    """Send due outbox rows, one in flight at a time; returns how many the platforms accepted.

    ``worker_id`` must be unique among live workers; a worker restarted under the same id
    takes its own unfinished rows back at once, others wait for the claims to expire.
    """
    retry = retry or RetryPolicy()
    state = _Pass(worker_id)
    try:
        while limit > 0:
            _flush(services.engine, state)  # else the claim would take the accepted row back as in flight
            batch = await asyncio.to_thread(claim_due, services.engine, worker_id, outbox.platforms, min(limit, CLAIM_BATCH))
            if not batch:
                break
            limit -= len(batch)
            await asyncio.to_thread(_load_context, services, batch, state)
            for index, row in enumerate(batch):
                try:
                    await _deliver_one(services, outbox, row, state, retry)
                except BaseException:
                    _flush(services.engine, state)
                    release(services.engine, worker_id, [r.id for r in batch[index:] if r.id is not None])
                    raise
    finally:
        _flush(services.engine, state)
    if state.sent:
        log.info("delivery pass by %s: %d message(s) accepted", worker_id, state.sent)
    return state.sent


def claim_due(engine, worker_id: str, platforms: list[str], batch: int) -> list[Delivery]:
    """Atomically claim up to ``batch`` due rows for ``platforms`` (compare-and-set; SKIP LOCKED on PostgreSQL)."""
    if not platforms:
        return []
    now = utcnow()
    free = and_(Delivery.status == "pending", Delivery.claimed_by.is_(None), Delivery.next_attempt_at <= now)
    stale = and_(col(Delivery.status).in_(_OPEN), Delivery.claimed_by.is_not(None),
                 or_(Delivery.next_attempt_at <= now, Delivery.claimed_by == worker_id))
    wanted = and_(or_(free, stale), or_(*[Delivery.chat.startswith(f"{p}:") for p in platforms]))
    with session_scope(engine) as session:
        candidates = select(Delivery.id).where(wanted).order_by(Delivery.id).limit(batch)
        if engine.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(session.execute(
            update(Delivery).where(col(Delivery.id).in_(candidates.scalar_subquery()), wanted)
            .values(claimed_by=worker_id, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
            .returning(Delivery.id)
        ).scalars())
        rows = list(session.exec(select(Delivery).where(col(Delivery.id).in_(ids)).order_by(Delivery.id)).all()) if ids else []
    for row in rows:
        if row.status == "sending":
            log.warning("delivery %s (%s %s to %s) was in flight when its worker stopped; resending it, "
                        "so that chat may see it twice", row.id, row.item_kind, row.item_id, row.chat)
    return rows


def release(engine, worker_id: str, ids: list[int], delay: float = 0.0) -> None:
    """Give claimed rows back (due after ``delay`` seconds), without counting an attempt."""
    if not ids:
        return
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(col(Delivery.id).in_(ids), Delivery.claimed_by == worker_id,
                                               col(Delivery.status).in_(_OPEN))
                        .values(status="pending", claimed_by=None, next_attempt_at=utcnow() + timedelta(seconds=delay)))


def reclaim(engine, dead_worker: str) -> int:
    """Make the rows a dead worker had claimed due now; returns how many.

    They keep their claim and status, so the next worker to claim them takes them as stale claims
    and logs a row that was in flight (``sending``) as possibly sent twice.
    """
    with session_scope(engine) as session:
        return rows_changed(session.execute(
            update(Delivery).where(Delivery.claimed_by == dead_worker, col(Delivery.status).in_(_OPEN))
            .values(next_attempt_at=utcnow())))


def _load_context(services, batch: list[Delivery], state: _Pass) -> None:
    """The batch's subscriptions and chat languages, read once instead of once per row."""
    with Session(services.engine) as session:
        ids = {row.subscription_id for row in batch}
        for subscription in session.exec(select(Subscription).where(col(Subscription.id).in_(ids))).all():
            state.subscriptions[subscription.id] = subscription
        chats = {row.chat for row in batch} - set(state.languages)
        found = {c.chat: c.language for c in session.exec(select(Chat).where(col(Chat.chat).in_(chats))).all()} if chats else {}
    for chat in chats:
        state.languages[chat] = found.get(chat) or services.settings.default_language


async def _deliver_one(services, outbox: Outbox, row: Delivery, state: _Pass, retry: RetryPolicy) -> None:
    chat = ChatRef.parse(row.chat)
    wait = outbox.wait_time(chat)
    if wait > INLINE_WAIT_SECONDS:  # a full group window or a flood hold: let other chats go first
        await asyncio.to_thread(release, services.engine, state.worker_id, [row.id] if row.id is not None else [], wait)
        return
    try:
        reply = _cached_reply(services, row, state) or await asyncio.to_thread(_reply_for, services, row, state)
    except Exception as exc:  # a rendering bug must not block the queue behind this row
        log.exception("building delivery %s (%s %s) failed", row.id, row.item_kind, row.item_id)
        await asyncio.to_thread(_count_attempt, services.engine, row.id)
        await asyncio.to_thread(_mark_retry, services, row, TransientDeliveryError(f"{type(exc).__name__}: {exc}"), retry)
        return
    if reply is None:
        return
    if not await asyncio.to_thread(_start_sending, services.engine, state, row.id):
        log.info("delivery %s was taken over by another worker; skipping it", row.id)
        return
    log.debug("delivery %s in flight to %s (%s %s)", row.id, row.chat, row.item_kind, row.item_id)
    try:
        await outbox.send(chat, reply)
    except TransientDeliveryError as exc:
        await asyncio.to_thread(_mark_retry, services, row, exc, retry)
    except PermanentDeliveryError as exc:
        await _handle_permanent(services, outbox, row, chat, reply, exc, state)
    except Exception as exc:  # an adapter bug must not lose the row: retry it like a transient failure
        log.exception("sending delivery %s to %s failed unexpectedly", row.id, row.chat)
        await asyncio.to_thread(_mark_retry, services, row, TransientDeliveryError(f"{type(exc).__name__}: {exc}"), retry)
    else:
        state.unmarked = row
        state.sent += 1


def _start_sending(engine, state: _Pass, row_id: int) -> bool:
    """One commit: the previous accepted row becomes ``sent`` and this one ``sending`` (False: the claim was lost).

    Plain Core statements on a connection: this runs once per message, and the ORM's
    session bookkeeping would cost more than the statements themselves.
    """
    with engine.begin() as connection:
        _write_sent(connection, state.unmarked)
        state.unmarked = None
        result = connection.execute(_SENDING, {"row": row_id, "worker": state.worker_id,
                                               "until": utcnow() + timedelta(seconds=CLAIM_SECONDS)})
        return result.rowcount == 1


def _flush(engine, state: _Pass) -> None:
    """Write the pending ``sent`` mark, if any (end of a pass, or before giving rows back)."""
    if state.unmarked is not None:
        with engine.begin() as connection:
            _write_sent(connection, state.unmarked)
        state.unmarked = None


def _write_sent(connection, row: Delivery | None) -> None:
    if row is None:
        return
    now = utcnow()
    connection.execute(_SENT, {"row": row.id, "now": now})
    if row.item_kind == "digest":
        connection.execute(update(Subscription).where(Subscription.id == row.subscription_id).values(last_digest_at=now))


# Built once: these run for every message, and building a statement costs more than running it.
_SENDING = (update(Delivery)
            .where(Delivery.id == bindparam("row"), Delivery.claimed_by == bindparam("worker"), col(Delivery.status).in_(_OPEN))
            .values(status="sending", attempts=Delivery.attempts + 1, next_attempt_at=bindparam("until")))
_SENT = (update(Delivery).where(Delivery.id == bindparam("row"))
         .values(status="sent", sent_at=bindparam("now"), claimed_by=None, last_error=None))


def _count_attempt(engine, row_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(Delivery.id == row_id).values(attempts=Delivery.attempts + 1))


def _mark_retry(services, row: Delivery, exc: TransientDeliveryError, retry: RetryPolicy) -> None:
    with session_scope(services.engine) as session:
        current = session.get(Delivery, row.id)
        if current.attempts >= services.settings.max_delivery_attempts:
            current.status, current.claimed_by, current.last_error = "failed", None, f"gave up: {exc}"
            log.error("delivery %s to %s failed %d times; giving up: %s", row.id, row.chat, current.attempts, exc)
        else:
            delay = retry.delay(current.attempts, exc.retry_after)
            current.status, current.claimed_by, current.last_error = "pending", None, str(exc)[:2000]
            current.next_attempt_at = utcnow() + timedelta(seconds=delay)
            log.info("delivery %s to %s failed (attempt %d), retrying in %.1fs: %s", row.id, row.chat, current.attempts, delay, exc)
        session.add(current)


def _mark_final(engine, row_id: int, status: str, reason: str) -> None:
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(Delivery.id == row_id)
                        .values(status=status, claimed_by=None, last_error=reason[:2000]))


async def _handle_permanent(services, outbox: Outbox, row: Delivery, chat: ChatRef, reply: Reply,
                            exc: PermanentDeliveryError, state: _Pass) -> None:
    from bot.delivery import subscriptions

    if not exc.migrate_to:
        await asyncio.to_thread(subscriptions.deactivate, services.engine, row.chat, str(exc))
        await asyncio.to_thread(_mark_final, services.engine, row.id, "failed", f"permanent: {exc}")
        _forget_subscription(state, row.subscription_id)
        return
    new_chat = exc.migrate_to if ":" in exc.migrate_to else f"{chat.platform}:{exc.migrate_to}"
    await asyncio.to_thread(subscriptions.migrate, services.engine, row.chat, new_chat)
    _forget_subscription(state, row.subscription_id)
    if not await asyncio.to_thread(_still_wanted, services.engine, row.id, new_chat):
        await asyncio.to_thread(_mark_final, services.engine, row.id, "cancelled", f"chat moved to {new_chat}")
        return
    row.chat = new_chat
    try:
        await outbox.send(ChatRef.parse(new_chat), reply)
    except (TransientDeliveryError, PermanentDeliveryError) as again:
        await asyncio.to_thread(_mark_retry, services, row, TransientDeliveryError(f"after moving to {new_chat}: {again}"),
                                RetryPolicy())
    else:
        state.unmarked = row
        state.sent += 1


def _forget_subscription(state: _Pass, subscription_id: int) -> None:
    """The subscription changed (deactivated, moved): later rows of this batch must read it afresh."""
    state.subscriptions.pop(subscription_id, None)


def _still_wanted(engine, row_id: int, chat: str) -> bool:
    with Session(engine) as session:
        row = session.get(Delivery, row_id)
        subscription = session.get(Subscription, row.subscription_id) if row else None
        return bool(row and subscription and subscription.active and row.chat == chat)


# -- what a subscriber receives ----------------------------------------------------------------

def _cached_reply(services, row: Delivery, state: _Pass) -> Reply | None:
    """The reply already built for this item and language, when the subscription is known active (no I/O)."""
    subscription = state.subscriptions.get(row.subscription_id)
    if subscription is None or not subscription.active or row.item_kind != "document":
        return None
    return state.replies.get(("document", row.item_id, state.languages.get(row.chat) or services.settings.default_language))


def _reply_for(services, row: Delivery, state: _Pass) -> Reply | None:
    """The reply for a claimed row, or None when the row was closed instead (unsubscribed, nothing to say)."""
    subscription = state.subscriptions.get(row.subscription_id)
    if subscription is None:  # not loaded with the batch, or changed since: read it now
        with Session(services.engine) as session:
            subscription = session.get(Subscription, row.subscription_id)
    if subscription is None or not subscription.active:
        _mark_final(services.engine, row.id, "cancelled", "subscription no longer active")
        return None
    language = state.languages.get(row.chat) or services.settings.default_language
    if row.item_kind == "document":
        key = ("document", row.item_id, language)
        if key not in state.replies:
            with Session(services.engine) as session:
                document = session.get(Document, row.item_id)
            state.replies[key] = render_document(services, document, language) if document else None
        reply = state.replies[key]
        if reply is None:
            _mark_final(services.engine, row.id, "cancelled", f"document {row.item_id} no longer exists")
        return reply
    if row.item_kind == "changes":
        return _changes_reply(services, row, subscription, language)
    reply = render_digest(services, subscription, row, language)
    if reply is None:
        _mark_final(services.engine, row.id, "cancelled", "nothing new since the last digest")
    return reply


def _changes_reply(services, row: Delivery, subscription: Subscription, language: str) -> Reply | None:
    """A "changes" subscriber's push: the document's position changes with the before and after quotes."""
    from bot.delivery.changes import render_changes

    with Session(services.engine) as session:
        document = session.get(Document, row.item_id)
    reply = render_changes(document, subscription, language, services.profile) if document else None
    if reply is None:
        _mark_final(services.engine, row.id, "cancelled", "no wanted position change in the document")
    return reply


def render_document(services, document: Document, language: str) -> Reply:
    """A document's arrival summary for a subscriber reading ``language`` (the story's report in that language when
    there is one), with its as-of date and the story's other outlets."""
    from bot.delivery.digest import render_arrival

    reply = render_arrival(services.engine, document, language, profile=services.profile,
                           stale_after_days=services.settings.stale_after_days)
    writer = getattr(services, "writer", None)  # LLM writer: a machine translation beside quotes in another language
    return writer.translate(reply) if writer is not None else reply


def render_digest(services, subscription: Subscription, row: Delivery, language: str) -> Reply | None:
    """The daily digest since the subscription's last one, or None when there is nothing new."""
    from bot.delivery.digest import build_digest

    since = subscription.last_digest_at or (row.created_at - timedelta(days=1))
    filters = {"parties": list(subscription.parties), "issues": list(subscription.issues),
               "languages": list(subscription.languages)}
    reply = build_digest(services.engine, since, language, filters, profile=services.profile)
    if reply.abstained or not (reply.bullets or reply.citations):
        return None
    from bot.delivery.provenance import annotate

    return annotate(services.engine, reply, stale_after_days=services.settings.stale_after_days)
