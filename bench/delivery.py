"""Delivery throughput: one new document pushed to N subscribed Telegram groups through the real outbox and adapter.

Chats subscribe with the real /subscribe command, the document is ingested (its outbox rows are
written in the ingest transaction), and ``bot.delivery.outbox.deliver_due`` sends them through
``adapters.telegram_bot.TelegramAdapter`` to the enforcing fake on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import logging
import time

from sqlmodel import Session, func, select

from adapters.telegram_bot import TelegramAdapter, TelegramConfig
from bench.telegram_fake import TOKEN, EnforcingTelegramAPI
from bot.delivery.outbox import Outbox, deliver_due
from bot.ingestion.pipeline import Ingestor
from bot.messages import ChatRef, Request, Sender
from storage.models import Delivery

log = logging.getLogger(__name__)

FIRST_GROUP_ID = -1009000000000
TIME_LIMIT_SECONDS = 600.0


async def subscribe_groups(bot, count: int) -> list[str]:
    """``count`` Telegram groups subscribe (instant, no filters) the way a group admin would."""

    chats = []
    for number in range(count):
        chat = ChatRef("telegram", str(FIRST_GROUP_ID - number))
        reply = await bot.handle(Request(chat=chat, sender=Sender(user_id=str(500 + number), name="admin", can_manage_chat=True),
                                         command="subscribe", text="", language="en", is_private=False))
        if reply.kind == "error":
            raise RuntimeError(f"/subscribe failed in {chat}: {reply.text}")
        chats.append(str(chat))
    return chats


def pending_deliveries(engine) -> int:
    """Outbox rows not yet sent (pending or sending)."""


    with Session(engine) as session:
        return session.exec(select(func.count(Delivery.id)).where(Delivery.status.in_(("pending", "sending")))).one()


async def measure_delivery(services, bot, push_text: str, chats: int, *, per_second: int = 30,
                           group_per_minute: int = 20) -> dict:
    """Push one document to ``chats`` groups; returns the rate achieved, the enforced rate and the 429s seen."""

    await subscribe_groups(bot, chats)
    result = await asyncio.to_thread(Ingestor(services).ingest_bytes, push_text.encode("utf-8"), origin="bench-push.txt")
    queued = pending_deliveries(services.engine)
    async with EnforcingTelegramAPI(per_second, group_per_minute) as fake:
        adapter = TelegramAdapter(bot, TelegramConfig(token=TOKEN, api_url=fake.base_url, poll_timeout=1))
        await adapter.start()
        try:
            outbox = Outbox({"telegram": adapter})
            start = time.monotonic()
            sent = 0
            while time.monotonic() - start < TIME_LIMIT_SECONDS:
                sent += await deliver_due(services, outbox, worker_id="bench", limit=max(queued, 1))
                if not pending_deliveries(services.engine):
                    break
                await asyncio.sleep(0.2)  # rows deferred by a retry wait until they are due
            seconds = time.monotonic() - start
        finally:
            await adapter.stop()
        counters = fake.counters
    messages = counters.accepted
    span = (counters.accepted_at[-1] - counters.accepted_at[0]) if messages > 1 else 0.0
    rate = messages / seconds if seconds else 0.0
    return {
        "chats": chats, "document_status": result.status, "deliveries_queued": queued, "deliveries_sent": sent,
        "messages_accepted": messages, "seconds": round(seconds, 3), "messages_per_second": round(rate, 2),
        "enforced_per_second": per_second, "share_of_enforced": round(rate / per_second, 3),
        "steady_messages_per_second": round((messages - 1) / span, 2) if span else None,
        "http_429": counters.too_many_requests, "other_errors": counters.other_errors,
        "max_messages_in_1s": counters.max_in_window(1.0),
        "max_messages_to_one_chat": max(counters.per_chat.values(), default=0),
        "unsent": pending_deliveries(services.engine),
    }
