"""The scheduler: the leader lease on SQLite and PostgreSQL, leader-only jobs, and a second process taking over."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.config import REPO_ROOT
from bot.delivery.outbox import Outbox
from bot.scheduler import LeaderLease, Runtime, build_scheduler, deliver, keep_lease, poll_sources, queue_digests
from storage.db import open_database, session_scope
from storage.models import Lease, Source, utcnow
from tests.bot.support.platforms import MemoryPlatform, read_receipts
from tests.bot.support.rows import add_document, add_subscription, deliveries, queue

WORKER = [sys.executable, "-m", "tests.bot.support.scheduler_worker"]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'lease.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = open_database(url)
    yield built
    built.dispose()


def lease_row(engine) -> Lease | None:
    with Session(engine) as session:
        return session.get(Lease, "scheduler")


def holder(engine) -> str | None:
    row = lease_row(engine)
    return row.holder if row else None


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the lease --------------------------------------------------------------------------------------

def test_only_one_holder_until_the_lease_expires_or_is_released(engine):
    first, second = LeaderLease(engine, "host-a:1", seconds=30), LeaderLease(engine, "host-b:2", seconds=30)

    assert first.acquire() and first.is_leader
    assert not second.acquire() and not second.is_leader
    assert first.renew() and first.acquire()  # acquiring again is renewing
    assert lease_row(engine).holder == "host-a:1"

    with session_scope(engine) as session:  # the first holder stopped renewing 31 seconds ago
        row = session.get(Lease, "scheduler")
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert second.acquire() and second.is_leader
    assert not first.renew() and not first.is_leader  # it notices it lost the lease
    assert not first.acquire()

    second.release()
    assert not second.is_leader and lease_row(engine) is None
    assert first.acquire()


def test_a_holder_steps_down_by_its_own_clock_when_renewals_stall(engine):
    clock = Clock()
    lease = LeaderLease(engine, "host-a:1", seconds=10, clock=clock)
    assert lease.acquire()
    clock.now += 9.9
    assert lease.is_leader
    clock.now += 0.2
    assert not lease.is_leader  # another process may take over now: stop acting as leader


def test_racing_processes_get_one_lease(engine):
    leases = [LeaderLease(engine, f"host:{n}", seconds=30) for n in range(6)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(lambda lease: lease.acquire(), leases))
    assert won.count(True) == 1
    assert lease_row(engine).holder == leases[won.index(True)].holder


# -- the jobs ---------------------------------------------------------------------------------------

async def test_jobs_do_work_only_while_leading(services, tmp_path):
    platform = MemoryPlatform()
    lease = LeaderLease(services.engine, "me", seconds=30)
    runtime = Runtime(services, Outbox({"fake": platform}), lease, "me")
    add_document(services.engine, "doc1")
    queue(services.engine, add_subscription(services.engine, "fake:1"), "doc1")
    folder = tmp_path / "a-folder-that-does-not-exist"
    with session_scope(services.engine) as session:
        session.add(Source(kind="folder", location=str(folder), next_poll_at=utcnow()))

    LeaderLease(services.engine, "someone-else", seconds=30).acquire()
    await keep_lease(runtime)
    assert not lease.is_leader
    assert (await deliver(runtime), await poll_sources(runtime), await queue_digests(runtime)) == (0, 0, 0)
    assert platform.received == [] and deliveries(services.engine)[0].status == "pending"

    with session_scope(services.engine) as session:
        session.delete(session.get(Lease, "scheduler"))
    await keep_lease(runtime)
    assert lease.is_leader
    assert await deliver(runtime) == 1 and platform.chats() == ["fake:1"]
    assert await poll_sources(runtime) == 1  # the (missing) folder was polled and its error recorded
    with Session(services.engine) as session:
        source = session.exec(select(Source)).one()
        assert source.error_count == 1 and "PARLEY_SOURCE_FOLDERS allows none" in source.last_error


@pytest.mark.hostile
async def test_a_new_leader_frees_a_dead_leaders_claimed_deliveries_at_once(services):
    platform = MemoryPlatform()
    add_document(services.engine, "doc1")
    claimed_until = utcnow() + timedelta(seconds=120)  # what a claim lasts: the dead process took these just now
    for n, status in enumerate(("pending", "pending", "sending")):
        queue(services.engine, add_subscription(services.engine, f"fake:{n}"), "doc1", status=status,
              claimed_by="host-a:1", next_attempt_at=claimed_until)
    with session_scope(services.engine) as session:  # host-a:1 was killed: its lease ran out, nobody released it
        session.add(Lease(name="scheduler", holder="host-a:1", expires_at=utcnow() - timedelta(seconds=1)))
    lease = LeaderLease(services.engine, "host-b:2", seconds=30)
    runtime = Runtime(services, Outbox({"fake": platform}), lease, "host-b:2")

    await keep_lease(runtime)
    assert lease.is_leader
    assert await deliver(runtime) == 3  # not two minutes later, when the dead claims would have run out
    assert sorted(platform.chats()) == ["fake:0", "fake:1", "fake:2"]
    assert lease.took_over_from == "host-a:1"
    await keep_lease(runtime)  # renewing its own lease frees nothing
    assert lease.took_over_from is None


async def test_the_scheduler_leads_at_once_and_releases_the_lease_on_shutdown(services):
    scheduler = build_scheduler(services, Outbox({}), process_id="host-a:1")
    assert {job.id for job in scheduler.get_jobs()} == {"parley-lease", "parley-poll", "parley-deliver", "parley-digests"}
    scheduler.start()
    try:
        for _ in range(100):
            if scheduler.parley_runtime.lease.is_leader:
                break
            await asyncio.sleep(0.05)
        assert scheduler.parley_runtime.lease.is_leader and lease_row(services.engine).holder == "host-a:1"
    finally:
        scheduler.shutdown(wait=False)  # AsyncIOScheduler shuts down on the loop's next turn
    for _ in range(100):
        if lease_row(services.engine) is None:
            break
        await asyncio.sleep(0.02)
    assert lease_row(services.engine) is None  # a successor need not wait for it to expire


# -- two processes ----------------------------------------------------------------------------------

def spawn(url: str, receipts, process_id: str, log) -> subprocess.Popen:
    """A scheduler process, imported and waiting for ``go``."""
    return subprocess.Popen([*WORKER, url, str(receipts), process_id], cwd=REPO_ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def go(process: subprocess.Popen) -> None:
    """Start a spawned process's scheduler and wait until it runs."""
    assert process.stdout.readline().strip() == "ready"
    process.stdin.write("go\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "scheduler started"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def delivered_by(engine, receipts, chat: str, item: str, timeout: float = 30.0) -> str:
    """Queue one item for ``chat`` and return the tag of the process that delivered it."""
    queue(engine, add_subscription(engine, chat), item)
    found = wait_for(lambda: [tag for tag, to in read_receipts(receipts) if to == chat], timeout, f"a delivery to {chat}")
    return found[0]


@pytest.mark.slow  # two fresh interpreters; the lease itself takes ~3 s to change hands
def test_a_second_process_waits_while_the_first_leads_and_takes_over_when_it_is_killed(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    receipts, log_path = tmp_path / "receipts.tsv", tmp_path / "processes.log"
    for n in range(3):
        add_document(engine, f"doc{n}")
    with open(log_path, "w") as log:
        first, second = spawn(url, receipts, "first", log), spawn(url, receipts, "second", log)  # import side by side
        try:
            go(first)
            wait_for(lambda: holder(engine) == "first", 30, "the first process to lead")
            go(second)

            assert delivered_by(engine, receipts, "fake:1", "doc0") == "first"
            time.sleep(2.5)  # longer than the lease: the first keeps renewing it
            assert holder(engine) == "first"
            assert delivered_by(engine, receipts, "fake:2", "doc1") == "first"

            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            assert delivered_by(engine, receipts, "fake:3", "doc2") == "second"
            assert holder(engine) == "second"
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
    assert sorted(to for _, to in read_receipts(receipts)) == ["fake:1", "fake:2", "fake:3"]  # each delivered once
    assert "second is now the scheduler leader" in log_path.read_text()
