"""A 1,000-chat broadcast killed with SIGKILL at a random point and restarted: nobody misses it, duplicates stay within what was in flight."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.config import REPO_ROOT
from storage.db import open_database, session_scope
from storage.models import Delivery, Subscription
from tests.bot.support.platforms import read_receipts
from tests.bot.support.rows import add_document

WORKER = [sys.executable, "-m", "tests.bot.support.delivery_worker"]


def queue_broadcast(engine, chats: int) -> None:
    add_document(engine, "doc1", title="Ceasefire talks to resume on Monday")
    with session_scope(engine) as session:
        subscriptions = [Subscription(chat=f"fake:{n}") for n in range(chats)]
        session.add_all(subscriptions)
        session.flush()
        session.add_all(Delivery(subscription_id=s.id, chat=s.chat, item_kind="document", item_id="doc1") for s in subscriptions)


def status_counts(engine) -> Counter:
    with Session(engine) as session:
        return Counter(dict(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()))


def start_worker(url: str, receipts, worker_id: str, log) -> subprocess.Popen:
    return subprocess.Popen([*WORKER, url, str(receipts), worker_id], cwd=REPO_ROOT, stdout=log, stderr=log,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def kill_after_receipts(process: subprocess.Popen, receipts, count: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while len(read_receipts(receipts)) < count:
        assert process.poll() is None, f"worker exited early with {process.returncode}"
        assert time.monotonic() < deadline, f"only {len(read_receipts(receipts))} receipts after {timeout}s"
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(params=[("sqlite", 1000), ("postgresql", 200)], ids=["sqlite-1000", "postgresql-200"])
def broadcast(request, tmp_path):
    """A database and a broadcast size. PostgreSQL syncs every commit to disk (one per message),
    so its broadcast is smaller to keep the suite fast; SQLite carries the full 1,000 chats."""
    backend, chats = request.param
    url = f"sqlite:///{tmp_path / 'broadcast.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    return url, chats


@pytest.mark.slow  # two fresh interpreters and a thousand sends
def test_killed_broadcast_resumes_and_reaches_every_chat(broadcast, tmp_path):
    database_url, chats = broadcast
    engine = open_database(database_url)
    queue_broadcast(engine, chats)
    receipts, log_path = tmp_path / "receipts.tsv", tmp_path / "worker.log"
    kill_at = random.randint(chats // 20, chats * 9 // 10)
    print(f"killing the worker after {kill_at} receipts")

    with open(log_path, "w") as log:
        first = start_worker(database_url, receipts, "worker-1", log)
        try:
            kill_after_receipts(first, receipts, kill_at)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL

        at_kill = status_counts(engine)
        in_flight = at_kill["sending"]
        delivered_at_kill = len(read_receipts(receipts))
        assert in_flight <= 1  # one message in flight per worker
        assert at_kill["sent"] < chats  # it really died mid-broadcast
        # Every accepted message is marked sent, except at most the one in flight at the kill.
        assert at_kill["sent"] <= delivered_at_kill <= at_kill["sent"] + in_flight

        second = start_worker(database_url, receipts, "worker-1", log)  # a restart keeps its worker id
        assert second.wait(timeout=120) == 0, log_path.read_text()[-3000:]

    per_chat = Counter(chat for _, chat in read_receipts(receipts))
    assert set(per_chat) == {f"fake:{n}" for n in range(chats)}  # nobody missed it
    duplicates = sum(per_chat.values()) - chats
    print(f"killed after {delivered_at_kill} receipts with {in_flight} in flight; {duplicates} duplicate(s)")
    assert duplicates <= in_flight
    assert status_counts(engine) == Counter({"sent": chats})
    if in_flight:
        assert "was in flight when its worker stopped" in log_path.read_text()
    engine.dispose()
