"""/subscribe changes (issue 15): a chat gets only documents that move a party's stance, with the before and after quotes.

End to end: the real ingest pipeline queues outbox rows, the outbox delivers them through the real Telegram
adapter to the fake Bot API.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import Session, select

from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from storage.models import Delivery, Document
from tests.adapters.test_telegram import USER_CHAT, answer_for, answers, make_adapter, telegram_api  # noqa: F401  (fixtures)
from tests.fakes.telegram_api import message_update, parse_html

STORIES = Path(__file__).resolve().parents[2] / "data" / "stories"


async def ingest(services, name: str) -> dict:
    """Ingest one story file; returns the stored document's id and arrival summary (with its position changes)."""
    from bot.ingestion.pipeline import Ingestor

    path = STORIES / name
    result = await asyncio.to_thread(Ingestor(services).ingest_bytes, path.read_bytes(), origin=str(path),
                                     url=f"https://news.example/{path.stem}")
    with Session(services.engine) as session:
        document = session.get(Document, result.document_id)
        return {"document_id": document.id, "summary": dict(document.summary or {})}


async def deliver(services, adapter) -> int:
    from bot.delivery.outbox import Outbox, deliver_due

    return await deliver_due(services, Outbox({"telegram": adapter}), worker_id="changes-test")


def queued(services) -> list[tuple[str, str]]:
    with Session(services.engine) as session:
        return [(row.item_kind, row.item_id) for row in session.exec(select(Delivery)).all()]


async def test_only_a_document_that_changes_a_stance_is_pushed(services, telegram_api, make_adapter):  # noqa: F811
    adapter = await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("/subscribe changes russia"))
    [confirmation] = await answer_for(telegram_api, USER_CHAT)
    assert "only position changes" in parse_html(confirmation.text)

    first = await ingest(services, "p1_peacekeepers_rejected.txt")  # Russia rejects peacekeepers: nothing earlier to change
    assert not first["summary"].get("changes")
    assert queued(services) == [] and await deliver(services, adapter) == 0

    unrelated = await ingest(services, "b2_mykolaiv_strike.txt")  # news, but no stance of Russia moves
    assert not [c for c in unrelated["summary"].get("changes") or [] if c["party"] == "russia"]
    assert await deliver(services, adapter) == 0

    moved = await ingest(services, "p2_peacekeepers_observers.txt")  # Russia would accept unarmed monitors
    assert [(c["party"], c["kind"]) for c in moved["summary"]["changes"]] == [("russia", "softened")]
    assert queued(services) == [("changes", moved["document_id"])]
    assert await deliver(services, adapter) == 1
    push = parse_html(answers(telegram_api, USER_CHAT)[-1].text)
    assert "Russia softened its stance on security guarantees" in push
    assert "Before (2025-04-08" in push and "Russia rejects the deployment of European peacekeeping troops" in push
    assert "Now (2025-04-24)" in push and "unarmed monitors" in push
    assert len(answers(telegram_api, USER_CHAT)) == 2  # the confirmation and the one push
