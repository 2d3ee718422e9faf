"""Subprocess of the broadcast crash test: drain a database's outbox into a receipt file, then exit.

    python -m tests.bot.support.delivery_worker DATABASE_URL RECEIPTS WORKER_ID
"""
from __future__ import annotations

import asyncio
import logging
import sys

from sqlalchemy import func
from sqlmodel import Session, select

from bot.config import Settings
from bot.delivery.outbox import Outbox, deliver_due
from bot.services import Services
from storage.db import make_engine
from storage.models import Delivery
from tests.bot.support.platforms import ReceiptFile
from tests.bot.support.rows import tiny_profile


def open_rows(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Delivery).where(Delivery.status.in_(("pending", "sending")))).one()


async def drain(services, outbox: Outbox, worker_id: str) -> None:
    while open_rows(services.engine):
        await deliver_due(services, outbox, worker_id=worker_id, limit=100_000)
        await asyncio.sleep(0.01)


def main(database_url: str, receipts: str, worker_id: str) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    settings = Settings(_env_file=None, database_url=database_url, telegram_rate_per_second=100_000)
    services = Services(settings, make_engine(database_url), tiny_profile())
    asyncio.run(drain(services, Outbox({"fake": ReceiptFile(receipts, tag=worker_id)}), worker_id))


if __name__ == "__main__":
    main(*sys.argv[1:4])
