"""The outbox: who gets a document, sending once per row, retries, permanent errors, pacing, digests, a flaky Telegram."""
from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.delivery.outbox import (Outbox, Pacer, RetryPolicy, claim_due, deliver_due, due_digest_day, enqueue_digests,
                          enqueue_for_document)
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from adapters.telegram_bot import TelegramConfig
from bot.messages import ChatRef, Pacing
from bot.ingestion.stories import Arrival
from storage.db import session_scope
from storage.models import Chat, Delivery, Document, Position, Subscription, utcnow
from tests.bot.support.platforms import MemoryPlatform
from tests.bot.support.rows import add_document, add_subscription, deliveries, queue, subscription_of
from tests.conftest import build_services, make_settings

QUICK = RetryPolicy(base=0.01, cap=0.05)


@pytest.fixture
def services(tmp_path):
    """Services whose Telegram pacing does not slow the tests down (group limits stay as configured)."""
    built = build_services(make_settings(f"sqlite:///{tmp_path / 'outbox.db'}", telegram_rate_per_second=1000), seed=False)
    yield built
    built.engine.dispose()


def arrival(document: Document, **kw) -> Arrival:
    values = dict(status="new", story_id="s1", duplicate_of=None, summary=document.summary)
    values.update(kw)
    return Arrival(**values)


def store_with_positions(engine, doc_id: str, positions: list[tuple[str, str]], **kw) -> Document:
    document = add_document(engine, doc_id, **kw)
    with session_scope(engine) as session:
        for party, issue in positions:
            session.add(Position(document_id=doc_id, party=party, issue=issue, stance="demands", quote="q"))
    return document


def enqueue(services, document: Document, the_arrival: Arrival) -> int:
    with session_scope(services.engine) as session:
        return enqueue_for_document(session, services, session.get(Document, document.id), the_arrival)


def chats_queued(services) -> set[str]:
    return {row.chat for row in deliveries(services.engine)}


# -- who gets what ---------------------------------------------------------------------------------

def test_enqueue_applies_party_issue_language_and_mode_filters(services):
    subscribe = lambda chat, **kw: add_subscription(services.engine, chat, **kw)
    subscribe("fake:all")
    subscribe("fake:russia", parties=["russia"])
    subscribe("fake:poland", parties=["poland"])
    subscribe("fake:russia-ceasefire", parties=["russia"], issues=["ceasefire"])
    subscribe("fake:russia-sanctions", parties=["russia"], issues=["sanctions"])
    subscribe("fake:english", languages=["en"])
    subscribe("fake:chinese", languages=["zh-Hans", "zh-Hant"])
    subscribe("fake:daily", mode="daily", daily_time="08:00")
    subscribe("fake:gone", active=False)
    document = store_with_positions(services.engine, "doc1", [("russia", "ceasefire")], title="Kremlin answers",
                                    sentence="Moscow said it would consider a pause in the fighting.")

    assert enqueue(services, document, arrival(document)) == 4
    assert chats_queued(services) == {"fake:all", "fake:russia", "fake:russia-ceasefire", "fake:english"}
    assert enqueue(services, document, arrival(document)) == 0  # idempotent: the unique outbox key holds


def test_profile_mentions_count_as_topics_without_positions(services):
    add_subscription(services.engine, "fake:ukraine", parties=["ukraine"])
    document = add_document(services.engine, "doc1", title="乌克兰总统发表讲话", language="zh-Hans",
                            sentence="泽连斯基表示愿意继续谈判。")
    assert enqueue(services, document, arrival(document)) == 1


def test_an_arrival_that_adds_nothing_is_not_queued(services):
    add_subscription(services.engine, "fake:all")
    document = add_document(services.engine, "doc1")
    assert enqueue(services, document, arrival(document, status="duplicate", duplicate_of="doc0", notify=False)) == 0
    assert deliveries(services.engine) == []


def test_a_reprint_reaches_filtered_subscribers_only_for_what_it_adds(services):
    add_subscription(services.engine, "fake:russia", parties=["russia"])
    add_subscription(services.engine, "fake:ukraine", parties=["ukraine"])
    document = add_document(services.engine, "doc2", title="Russia and Ukraine trade accusations",
                            sentence="Russia again blamed Ukraine for the strike.")
    with session_scope(services.engine) as session:
        stored = session.get(Document, "doc2")
        stored.summary = dict(stored.summary, new_points=["Kyiv now says it will send a delegation to Riyadh."])
        session.add(stored)
    reprint = arrival(document, status="duplicate", duplicate_of="doc1", parties={"ukraine"}, issues={"talks"})
    assert enqueue(services, document, reprint) == 1
    assert chats_queued(services) == {"fake:ukraine"}


# -- sending ----------------------------------------------------------------------------------------

async def test_each_row_is_sent_once_in_the_chats_language_and_marked_sent(services):
    platform = MemoryPlatform()
    outbox = Outbox({"fake": platform})
    add_document(services.engine, "doc1")
    for chat, language in (("fake:1", "en"), ("fake:2", "zh-Hans"), ("fake:3", "zh-Hant")):
        queue(services.engine, add_subscription(services.engine, chat, language=language), "doc1")

    assert await deliver_due(services, outbox, worker_id="w1") == 3
    assert await deliver_due(services, outbox, worker_id="w1") == 0

    assert sorted(platform.chats()) == ["fake:1", "fake:2", "fake:3"]
    languages = {chat: reply.language for chat, reply in platform.received}
    assert languages == {"fake:1": "en", "fake:2": "zh-Hans", "fake:3": "zh-Hant"}
    reply = platform.received[0][1]
    assert reply.kind == "summary" and reply.citations[0].url == "https://news.example.org/doc1"
    rows = deliveries(services.engine)
    assert all(r.status == "sent" and r.sent_at and r.attempts == 1 and r.claimed_by is None for r in rows)


async def test_a_broadcast_larger_than_a_claim_batch_reaches_each_chat_once(services, caplog):
    platform = MemoryPlatform()
    add_document(services.engine, "doc1")
    chats = [f"fake:{n}" for n in range(120)]
    for chat in chats:
        queue(services.engine, add_subscription(services.engine, chat), "doc1")

    assert await deliver_due(services, Outbox({"fake": platform}), worker_id="w1") == 120

    assert sorted(platform.chats()) == sorted(chats)
    assert {r.status for r in deliveries(services.engine)} == {"sent"}
    assert "in flight" not in caplog.text  # nothing was taken for an interrupted send


async def test_rows_for_a_platform_this_process_cannot_reach_stay_pending(services):
    outbox = Outbox({"fake": MemoryPlatform()})
    add_document(services.engine, "doc1")
    queue(services.engine, add_subscription(services.engine, "discord:99"), "doc1")
    assert await deliver_due(services, outbox, worker_id="w1") == 0
    row = deliveries(services.engine)[0]
    assert (row.status, row.claimed_by, row.attempts) == ("pending", None, 0)


async def test_a_blocked_chat_is_deactivated_and_its_queue_cancelled(services):
    platform = MemoryPlatform()
    platform.errors["fake:1"] = PermanentDeliveryError("Forbidden: bot was blocked by the user")
    add_document(services.engine, "doc1")
    add_document(services.engine, "doc2")
    blocked = add_subscription(services.engine, "fake:1")
    queue(services.engine, blocked, "doc1")
    queue(services.engine, blocked, "doc2")
    queue(services.engine, add_subscription(services.engine, "fake:2"), "doc1")

    assert await deliver_due(services, Outbox({"fake": platform}), worker_id="w1") == 1

    assert not subscription_of(services.engine, "fake:1").active
    assert [r.status for r in deliveries(services.engine, chat="fake:1")] == ["failed", "cancelled"]
    assert platform.chats() == ["fake:2"]


async def test_a_migrated_chat_gets_the_message_at_its_new_id(services):
    platform = MemoryPlatform()
    platform.errors["fake:-5"] = PermanentDeliveryError("group chat was upgraded to a supergroup", migrate_to="-1005")
    add_document(services.engine, "doc1")
    queue(services.engine, add_subscription(services.engine, "fake:-5", language="zh-Hans"), "doc1")

    assert await deliver_due(services, Outbox({"fake": platform}), worker_id="w1") == 1

    assert platform.chats() == ["fake:-1005"]
    assert subscription_of(services.engine, "fake:-1005").active
    row = deliveries(services.engine)[0]
    assert (row.chat, row.status) == ("fake:-1005", "sent")


async def test_transient_errors_back_off_honour_retry_after_and_finally_give_up(services):
    platform = MemoryPlatform()
    outbox = Outbox({"fake": platform})
    add_document(services.engine, "doc1")
    queue(services.engine, add_subscription(services.engine, "fake:1"), "doc1")

    platform.errors["fake:1"] = TransientDeliveryError("Too Many Requests", retry_after=42)
    before = utcnow()
    await deliver_due(services, outbox, worker_id="w1", retry=QUICK)
    row = deliveries(services.engine)[0]
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert timedelta(seconds=41) <= row.next_attempt_at - before <= timedelta(seconds=44)
    assert await deliver_due(services, outbox, worker_id="w1") == 0  # not due yet

    platform.errors["fake:1"] = TransientDeliveryError("Bad Gateway")
    for _ in range(services.settings.max_delivery_attempts + 2):
        with session_scope(services.engine) as session:  # let time pass: make the row due now
            stored = session.get(Delivery, row.id)
            stored.next_attempt_at = utcnow()
            session.add(stored)
        await deliver_due(services, outbox, worker_id="w1", retry=QUICK)
    row = deliveries(services.engine)[0]
    assert (row.status, row.attempts) == ("failed", services.settings.max_delivery_attempts)
    assert "Bad Gateway" in row.last_error and platform.received == []


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(base=1.0, cap=10.0)
    assert [round(policy.delay(n) / (2 ** (n - 1)), 1) for n in (1, 2, 3)] == pytest.approx([1.0, 1.0, 1.0], abs=0.21)
    assert policy.delay(20) <= 12.0
    assert policy.delay(3, retry_after=7) == 7


async def test_an_unsubscribed_chats_rows_are_cancelled_not_sent(services):
    platform = MemoryPlatform()
    add_document(services.engine, "doc1")
    queue(services.engine, add_subscription(services.engine, "fake:1", active=False), "doc1")
    assert await deliver_due(services, Outbox({"fake": platform}), worker_id="w1") == 0
    assert deliveries(services.engine)[0].status == "cancelled" and platform.received == []


async def test_in_flight_rows_of_a_dead_worker_are_resent_once_their_claim_expires(services):
    platform = MemoryPlatform()
    outbox = Outbox({"fake": platform})
    add_document(services.engine, "doc1")
    future, past = utcnow() + timedelta(minutes=2), utcnow() - timedelta(seconds=1)
    queue(services.engine, add_subscription(services.engine, "fake:live"), "doc1", status="sending", claimed_by="other", next_attempt_at=future)
    queue(services.engine, add_subscription(services.engine, "fake:dead"), "doc1", status="sending", claimed_by="other", next_attempt_at=past)
    queue(services.engine, add_subscription(services.engine, "fake:mine"), "doc1", status="sending", claimed_by="w1", next_attempt_at=future)

    assert await deliver_due(services, outbox, worker_id="w1") == 2

    assert sorted(platform.chats()) == ["fake:dead", "fake:mine"]
    assert deliveries(services.engine, chat="fake:live")[0].status == "sending"  # still another worker's


def test_claims_are_exclusive(services):
    add_document(services.engine, "doc1")
    for n in range(5):
        queue(services.engine, add_subscription(services.engine, f"fake:{n}"), "doc1")
    first = claim_due(services.engine, "w1", ["fake"], 3)
    second = claim_due(services.engine, "w2", ["fake"], 10)
    assert len(first) == 3 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}
    assert claim_due(services.engine, "w3", ["fake"], 10) == []


# -- pacing -----------------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pacer_keeps_overall_rate_and_a_sliding_minute_per_group():
    clock = Clock()
    pacer = Pacer(Pacing(per_second=10, group_per_minute=3, is_group=lambda chat: chat.chat_id.startswith("-")), clock=clock)
    group, private = ChatRef("telegram", "-100"), ChatRef("telegram", "5")

    pacer.record(private)
    assert pacer.wait_time(private) == pytest.approx(0.1)
    for _ in range(3):
        clock.now += 1
        assert pacer.wait_time(group) == 0
        pacer.record(group)
    clock.now += 1
    assert pacer.wait_time(group) == pytest.approx(57.0)  # the first of the three leaves the window at 1061
    assert pacer.wait_time(private) == 0  # private chats are not held back by a group
    clock.now += 57
    assert pacer.wait_time(group) == 0

    pacer.hold(5)
    assert pacer.wait_time(private) == pytest.approx(5)


async def test_a_full_group_is_deferred_while_other_chats_go_ahead(tmp_path):
    services = build_services(make_settings(f"sqlite:///{tmp_path / 'g.db'}"), seed=False)
    platform = MemoryPlatform("telegram", pacing=TelegramConfig(token="t", rate_per_second=1000, group_rate_per_minute=2).pacing)
    outbox = Outbox({"telegram": platform})
    group = add_subscription(services.engine, "telegram:-100777")
    for n in range(3):
        add_document(services.engine, f"doc{n}")
        queue(services.engine, group, f"doc{n}")
    queue(services.engine, add_subscription(services.engine, "telegram:5"), "doc0")

    started = utcnow()
    assert await deliver_due(services, outbox, worker_id="w1") == 3

    assert platform.chats() == ["telegram:-100777", "telegram:-100777", "telegram:5"]
    waiting = deliveries(services.engine, status="pending")
    assert len(waiting) == 1 and waiting[0].next_attempt_at - started > timedelta(seconds=50)
    assert waiting[0].attempts == 0  # deferring is not a failed attempt
    services.engine.dispose()


def test_a_flood_wait_holds_its_chat_and_only_several_at_once_hold_every_chat():
    clock = Clock()
    pacer = Pacer(Pacing(is_group=lambda chat: chat.chat_id.startswith("-")), clock=clock)
    flooded, other, third = ChatRef("telegram", "-1001"), ChatRef("telegram", "-1002"), ChatRef("telegram", "7")
    pacer.hold(45, flooded)
    assert pacer.wait_time(flooded) == pytest.approx(45) and pacer.wait_time(other) == 0
    clock.now += 50
    pacer.hold(30, other)  # the first hold is over: still one chat at a time
    assert pacer.wait_time(third) == 0
    pacer.hold(30, flooded)  # two chats told to wait at once: the bot's global limit
    assert pacer.wait_time(third) == pytest.approx(30)


@pytest.mark.hostile
async def test_a_429_for_one_chat_does_not_hold_the_other_chats(services):
    from adapters.telegram_bot import TelegramAdapter, TelegramConfig
    from tests.fakes.telegram_api import FakeTelegramAPI

    add_document(services.engine, "doc1")
    chats = ["-1001", "-1002", "303"]
    for chat_id in chats:
        queue(services.engine, add_subscription(services.engine, f"telegram:{chat_id}"), "doc1")
    async with FakeTelegramAPI() as api:
        api.fail_retry_after("sendMessage", 45, chat_id="-1001")
        adapter = TelegramAdapter(Bot(services.settings, services, COMMANDS),
                                  TelegramConfig(token=api.token, api_url=api.base_url, poll_timeout=1))
        await adapter.start()
        try:
            started = utcnow()
            sent = await deliver_due(services, Outbox({"telegram": adapter}), worker_id="w1")
            took = utcnow() - started
        finally:
            await adapter.stop()
    assert sent == 2 and sorted(c.chat_id for c in api.calls_to("sendMessage", ok=True)) == ["-1002", "303"]
    assert took < timedelta(seconds=10)  # nobody sat out the 45 s
    [held] = deliveries(services.engine, status="pending")
    assert held.chat == "telegram:-1001" and held.next_attempt_at - started >= timedelta(seconds=44)
    assert len(api.calls_to("sendMessage")) == 3  # the flooded chat was not asked again within the wait


# -- daily digests ----------------------------------------------------------------------------------

def test_a_digest_is_due_at_the_chats_local_time():
    subscription = Subscription(chat="fake:1", mode="daily", daily_time="08:00",
                                created_at=datetime(2025, 3, 1, tzinfo=timezone.utc))
    taipei = Chat(chat="fake:1", timezone="Asia/Taipei")  # UTC+8: 08:00 local is 00:00 UTC
    assert due_digest_day(subscription, taipei, "UTC", datetime(2025, 3, 10, 23, 59, tzinfo=timezone.utc)) is None
    assert due_digest_day(subscription, taipei, "UTC", datetime(2025, 3, 11, 0, 1, tzinfo=timezone.utc)) == "2025-03-11"
    assert due_digest_day(subscription, None, "UTC", datetime(2025, 3, 11, 0, 1, tzinfo=timezone.utc)) is None
    assert due_digest_day(subscription, None, "UTC", datetime(2025, 3, 11, 8, 0, tzinfo=timezone.utc)) == "2025-03-11"
    late = Subscription(chat="fake:1", mode="daily", daily_time="08:00", created_at=datetime(2025, 3, 11, 9, tzinfo=timezone.utc))
    assert due_digest_day(late, None, "UTC", datetime(2025, 3, 11, 10, tzinfo=timezone.utc)) is None  # starts tomorrow


async def test_daily_digest_is_queued_once_and_carries_what_arrived_since(services):
    platform = MemoryPlatform()
    outbox = Outbox({"fake": platform})
    add_subscription(services.engine, "fake:1", mode="daily", daily_time="00:00", language="zh-Hans")
    with session_scope(services.engine) as session:  # subscribed yesterday, so today's digest is due
        row = session.get(Subscription, subscription_of(services.engine, "fake:1").id)
        row.created_at = utcnow() - timedelta(days=1)
        session.add(row)
    add_document(services.engine, "doc1", title="Delegations meet in Riyadh", published=date.today())

    assert enqueue_digests(services) == 1
    assert enqueue_digests(services) == 0
    assert await deliver_due(services, outbox, worker_id="w1") == 1

    reply = platform.received[0][1]
    assert reply.kind == "digest" and reply.language == "zh-Hans"
    assert any(c.document_id == "doc1" for c in reply.citations)
    assert subscription_of(services.engine, "fake:1").last_digest_at is not None


async def test_an_empty_digest_is_not_sent(services):
    platform = MemoryPlatform()
    subscription = add_subscription(services.engine, "fake:1", mode="daily", daily_time="00:00")
    queue(services.engine, subscription, "2025-03-11", kind="digest")
    assert await deliver_due(services, Outbox({"fake": platform}), worker_id="w1") == 0
    assert platform.received == [] and deliveries(services.engine)[0].status == "cancelled"


# -- a flaky Telegram ---------------------------------------------------------------------------------

async def test_every_message_arrives_through_a_telegram_failing_20_percent_of_calls(services):
    from adapters.telegram_bot import TelegramAdapter, TelegramConfig
    from tests.fakes.telegram_api import Fault, FakeTelegramAPI

    class FlakyTelegram(FakeTelegramAPI):
        """Answers 429 (retry after 1 s), 500 or 502 to a fifth of sendMessage calls."""

        def __init__(self):
            super().__init__()
            self.random = random.Random(20)
            self.faults: list[int] = []

        def _take_fault(self, method, params):
            if method == "sendMessage" and self.random.random() < 0.2:
                fault = self.random.choice([Fault(429, "Too Many Requests: retry after 1", {"retry_after": 1}),
                                            Fault(500, "Internal Server Error"), Fault(502, "Bad Gateway")])
                self.faults.append(fault.error_code)
                return fault
            return super()._take_fault(method, params)

    chats = [str(100 + n) for n in range(40)]
    add_document(services.engine, "doc1", sentence="Negotiators <b>met</b> & agreed to meet again > once.")
    for chat_id in chats:
        queue(services.engine, add_subscription(services.engine, f"telegram:{chat_id}"), "doc1")

    async with FlakyTelegram() as api:
        # One attempt per send, so every failure comes back to the outbox's own retries.
        adapter = TelegramAdapter(Bot(services.settings, services, COMMANDS),
                                  TelegramConfig(token=api.token, api_url=api.base_url, send_attempts=1, poll_timeout=1))
        await adapter.start()
        try:
            outbox = Outbox({"telegram": adapter})
            for _ in range(200):
                await deliver_due(services, outbox, worker_id="w1", retry=QUICK)
                if all(r.status == "sent" for r in deliveries(services.engine)):
                    break
                await asyncio.sleep(0.1)
        finally:
            await adapter.stop()

    assert {429, 500} <= set(api.faults) or {429, 502} <= set(api.faults)
    accepted = [c.chat_id for c in api.calls_to("sendMessage", ok=True)]
    assert sorted(accepted) == sorted(chats)  # every chat exactly once
    assert all(r.status == "sent" for r in deliveries(services.engine))
    assert "&lt;b&gt;met&lt;/b&gt; &amp; agreed" in api.calls_to("sendMessage", ok=True)[0].text
