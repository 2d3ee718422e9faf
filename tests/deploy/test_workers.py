"""Several answering workers behind HAProxy, in Telegram webhook mode, on loopback: every update is answered once,
by whichever worker the balancer picks, and a worker killed mid-stream loses no update, because a worker
acknowledges an update only after answering it and Telegram (here: the poster) retries a failed POST.

Real parts: `parley run` processes, the Debian haproxy binary, PostgreSQL (the session's pgvector server),
and the fake Telegram Bot API the workers call back. Nothing is installed at run time: without haproxy the
test skips (`.ci/run` installs it).
"""
from __future__ import annotations

import asyncio
import os
from collections import Counter
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bot.config import REPO_ROOT
from storage.db import open_database
from storage.models import Lease
from tests.fakes.telegram_api import FakeTelegramAPI, message_update

HAPROXY = shutil.which("haproxy")
SECRET = "webhook-secret-for-tests"
WORKERS = 2
UPDATES = 24

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (apt-get install haproxy; .ci/run does)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _haproxy_config(listen: int, workers: list[int]) -> str:
    servers = "\n".join(f"  server w{i} 127.0.0.1:{port} check" for i, port in enumerate(workers))
    return f"""global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 2
  option redispatch
frontend telegram
  bind 127.0.0.1:{listen}
  default_backend workers
backend workers
  balance roundrobin
  option httpchk GET /healthz
  default-server inter 300ms fall 2 rise 1
{servers}
"""


def _worker(env: dict, port: int, log: Path) -> subprocess.Popen:
    worker_env = dict(env, PARLEY_TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}")
    return subprocess.Popen([str(Path(sys.executable).parent / "parley"), "run", "--no-console"], env=worker_env,
                            cwd=REPO_ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


async def _post_like_telegram(client: httpx.AsyncClient, url: str, update: dict) -> int:
    """POST one update until it is acknowledged with 200, as Telegram retries a webhook that failed."""
    for attempt in range(60):
        try:
            response = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            if response.status_code == 200:
                return attempt
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"update {update['update_id']} was never acknowledged")


async def _wait_healthy(client: httpx.AsyncClient, ports: list[int], timeout: float = 240) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    for port in ports:
        while True:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"worker on port {port} never came up")
            await asyncio.sleep(0.5)


async def _scheduler_leader(url: str, timeout: float = 30) -> int | None:
    """The process id holding the scheduler lease (there is one row per lease name), once some worker holds it."""
    engine = open_database(url, migrate=False)
    try:
        for _ in range(int(timeout * 2)):
            with Session(engine) as session:
                lease = session.exec(select(Lease).where(Lease.name == "scheduler")).first()
            if lease is not None:
                return int(lease.holder.rpartition(":")[2])
            await asyncio.sleep(0.5)
        return None
    finally:
        engine.dispose()


async def test_workers_behind_haproxy_answer_each_update_once_and_lose_none_when_one_dies(pgvector_url, tmp_path):
    open_database(pgvector_url).dispose()  # migrate once, before the workers race to do it
    listen, ports = _free_port(), [_free_port() for _ in range(WORKERS)]
    (tmp_path / "haproxy.cfg").write_text(_haproxy_config(listen, ports), encoding="utf-8")
    (tmp_path / "no-seeds").mkdir()
    async with FakeTelegramAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update(PARLEY_DATABASE_URL=pgvector_url, PARLEY_TELEGRAM_TOKEN=api.token, PARLEY_TELEGRAM_API_URL=api.base_url,
                   PARLEY_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{listen}/telegram",
                   PARLEY_TELEGRAM_WEBHOOK_SECRET=SECRET, PARLEY_SEEDS_DIR=str(tmp_path / "no-seeds"),
                   PARLEY_CACHE_DIR=str(tmp_path / "cache"), PARLEY_LEASE_SECONDS="5", PARLEY_LOG_LEVEL="INFO")
        workers = [_worker(env, port, tmp_path / f"worker{i}.log") for i, port in enumerate(ports)]
        balancer = subprocess.Popen([HAPROXY, "-f", str(tmp_path / "haproxy.cfg"), "-db"],
                                    stdout=(tmp_path / "haproxy.log").open("wb"), stderr=subprocess.STDOUT)
        try:
            async with httpx.AsyncClient(timeout=60) as client:
                await _wait_healthy(client, ports)
                await api.wait_for("setWebhook", WORKERS, timeout=60)
                assert await _scheduler_leader(pgvector_url) in {w.pid for w in workers}  # one leader, a worker
                updates = [message_update("What did Russia demand in the talks?", chat_id=7000 + i,
                                          user={"id": 7000 + i, "is_bot": False, "first_name": f"U{i}"})
                           | {"update_id": 9000 + i} for i in range(UPDATES)]
                url = f"http://127.0.0.1:{listen}/telegram"
                first = [asyncio.create_task(_post_like_telegram(client, url, u)) for u in updates[: UPDATES // 2]]
                # Mid-stream: a worker starts an answer with "typing…"; kill one while answers are under way.
                await api.wait_for("sendChatAction", 3, timeout=120)
                workers[0].send_signal(signal.SIGKILL)
                rest = [asyncio.create_task(_post_like_telegram(client, url, u)) for u in updates[UPDATES // 2:]]
                await asyncio.gather(*first, *rest)
                await api.wait_for("sendMessage", UPDATES, timeout=60)
                await asyncio.sleep(1.0)  # a duplicate answer would arrive now
        finally:
            balancer.terminate()
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for process in (balancer, *workers):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        answered = Counter(call.chat_id for call in api.calls_to("sendMessage", ok=True))
        logs = "\n".join((tmp_path / f"worker{i}.log").read_text(errors="replace")[-1500:] for i in range(WORKERS))
        assert set(answered) == {str(7000 + i) for i in range(UPDATES)}, logs  # none lost
        # Each once, but for an answer the killed worker had sent in the instant before it could acknowledge the
        # update: Telegram sends that one again (a non-idempotent send cannot be recorded atomically with it).
        assert sum(answered.values()) - UPDATES <= 1, answered
        assert workers[0].returncode == -signal.SIGKILL


def test_the_compose_balancer_config_is_valid_haproxy():
    import yaml

    compose = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    worker, balancer = compose["services"]["worker"], compose["services"]["balancer"]
    assert worker["profiles"] == balancer["profiles"] == ["workers"]
    assert worker["environment"] == compose["services"]["parley"]["environment"]  # the same Parley, more of it
    checked = subprocess.run([HAPROXY, "-c", "-f", str(REPO_ROOT / "deploy" / "haproxy.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
