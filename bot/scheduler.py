"""The scheduler: APScheduler jobs for polling, delivery and daily digests, run only by the leader-lease holder."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import timedelta, timezone

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from sqlmodel import col, select

from bot.delivery.outbox import Outbox, deliver_due, enqueue_digests, reclaim
from bot.ingestion.sources import poll_due
from storage.db import rows_changed, session_scope
from storage.models import Lease, utcnow

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

POLL_TICK_SECONDS = 10.0  # how often the leader looks for due sources (each has its own interval)
DIGEST_TICK_SECONDS = 30.0  # how often the leader looks for daily digests whose local time has come


class LeaderLease:
    """A named lease in the database, held by one process until it expires.

    Acquire and renew are one compare-and-set UPDATE (holder is me, or the lease has
    expired), so two processes can never both succeed, on SQLite or PostgreSQL. The
    first acquisition INSERTs the row; the primary key settles a race there. A holder
    counts itself leader only until its lease would expire by its own clock, so a process
    whose renewals stall steps down before another can take over.
    """

    def __init__(self, engine, holder: str, *, name: str = "scheduler", seconds: float = 30.0, clock=time.monotonic):
        self.engine = engine
        self.holder = holder
        self.name = name
        self.seconds = float(seconds)
        self.clock = clock
        self._valid_until = 0.0
        self.took_over_from: str | None = None  # the holder whose expired lease the last acquire took

    @property
    def is_leader(self) -> bool:
        """True while this process holds an unexpired lease."""
        return self.clock() < self._valid_until

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours (this also renews it); True when held."""
        started = self.clock()
        now = utcnow()
        expires = now + timedelta(seconds=self.seconds)
        with session_scope(self.engine) as session:
            before = session.exec(select(Lease.holder).where(Lease.name == self.name)).first()
            taken = rows_changed(session.execute(
                update(Lease).where(Lease.name == self.name, or_(Lease.holder == self.holder, col(Lease.expires_at) < now))
                .values(holder=self.holder, expires_at=expires))) == 1
        # Only an expired lease can be taken from another holder: that process is gone (or stalled past its lease).
        self.took_over_from = before if taken and before is not None and before != self.holder else None
        if not taken:
            taken = self._insert(expires)
        return self._settle(taken, started)

    def renew(self) -> bool:
        """Extend the lease only if this process still holds it; True when it does."""
        started = self.clock()
        with session_scope(self.engine) as session:
            held = rows_changed(session.execute(
                update(Lease).where(Lease.name == self.name, Lease.holder == self.holder)
                .values(expires_at=utcnow() + timedelta(seconds=self.seconds)))) == 1
        return self._settle(held, started)

    def step_down(self) -> None:
        """Stop acting as leader now (the lease could not be confirmed); the row is left to expire."""
        self._valid_until = 0.0

    def release(self) -> None:
        """Give the lease up now, so another process need not wait for it to expire."""
        was_leader = self.is_leader
        self._valid_until = 0.0
        with session_scope(self.engine) as session:
            session.execute(delete(Lease).where(Lease.name == self.name, Lease.holder == self.holder))
        if was_leader:
            log.info("%s released the %s lease", self.holder, self.name)

    def _insert(self, expires) -> bool:
        try:
            with session_scope(self.engine) as session:
                session.add(Lease(name=self.name, holder=self.holder, expires_at=expires))
            return True
        except IntegrityError:  # someone else holds it
            return False

    def _settle(self, held: bool, started: float) -> bool:
        was_leader = self.is_leader
        self._valid_until = started + self.seconds if held else 0.0
        if held and not was_leader:
            log.info("%s is now the scheduler leader (%s lease, %.0fs)", self.holder, self.name, self.seconds)
        elif was_leader and not held:
            log.warning("%s lost the %s lease; another process leads the scheduler now", self.holder, self.name)
        return held


@dataclass
class Runtime:
    """What the jobs share: the services, the outbox, the lease and this process's id."""

    services: Services
    outbox: Outbox
    lease: LeaderLease
    process_id: str


async def keep_lease(runtime: Runtime) -> None:
    """Acquire or renew the leader lease; a database error means stepping down until the next try.

    Taking over the expired lease of another process means that process died (or stalled past its
    lease, after which it stops acting as leader): the deliveries it had claimed are free at once,
    instead of when their claims would have run out.
    """
    try:
        await asyncio.to_thread(runtime.lease.acquire)
        dead = runtime.lease.took_over_from
        if dead:
            freed = await asyncio.to_thread(reclaim, runtime.services.engine, dead)
            log.warning("%s took over the lease of %s; %d delivery claim(s) of it freed", runtime.process_id, dead, freed)
    except Exception:
        runtime.lease.step_down()
        log.exception("%s could not reach the lease table; not leading until it can", runtime.process_id)


async def poll_sources(runtime: Runtime) -> int:
    """Leader only: poll every due source."""
    if not runtime.lease.is_leader:
        return 0

    polled = await asyncio.to_thread(poll_due, runtime.services)
    if polled:
        log.debug("leader %s polled %d source(s)", runtime.process_id, polled)
    return polled


async def deliver(runtime: Runtime) -> int:
    """Leader only: one delivery pass over the outbox."""
    if not runtime.lease.is_leader:
        return 0

    return await deliver_due(runtime.services, runtime.outbox, worker_id=runtime.process_id)


async def queue_digests(runtime: Runtime) -> int:
    """Leader only: queue the daily digests whose local time has come (delivery sends them)."""
    if not runtime.lease.is_leader:
        return 0

    return await asyncio.to_thread(enqueue_digests, runtime.services)


def build_scheduler(services, outbox, *, process_id: str) -> AsyncIOScheduler:
    """An AsyncIOScheduler with the lease, poll, delivery and digest jobs; start it inside the running loop.

    Every process runs the lease job; the others do work only while this process leads.
    Jobs live in the memory job store: they are rebuilt from the database on each start,
    so nothing about them needs persisting, and sources or subscriptions added by another
    process are seen on the next tick.
    """
    settings = services.settings
    runtime = Runtime(services, outbox, LeaderLease(services.engine, process_id, seconds=settings.lease_seconds), process_id)
    scheduler = AsyncIOScheduler(timezone=timezone.utc,
                                 job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    every = {
        "parley-lease": (keep_lease, max(0.5, settings.lease_seconds / 3)),
        "parley-poll": (poll_sources, POLL_TICK_SECONDS),
        "parley-deliver": (deliver, settings.delivery_interval),
        "parley-digests": (queue_digests, DIGEST_TICK_SECONDS),
    }
    start = utcnow()
    for job_id, (func, seconds) in every.items():
        first = start if job_id == "parley-lease" else start + timedelta(seconds=min(seconds, 1.0))
        scheduler.add_job(func, "interval", seconds=seconds, args=[runtime], id=job_id, name=job_id,
                          replace_existing=True, next_run_time=first)
    scheduler.add_listener(lambda _event: _release_quietly(runtime.lease), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.parley_runtime = runtime  # for health checks and tests: who leads, which lease
    return scheduler


def _release_quietly(lease: LeaderLease) -> None:
    try:
        lease.release()
    except Exception:  # shutting down: the lease simply expires
        log.warning("could not release the %s lease on shutdown", lease.name, exc_info=True)
