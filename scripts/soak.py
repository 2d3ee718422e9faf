"""Soak run for hostile input and faults (issue 19), on SQLite and PostgreSQL; prints one table. Not run by pytest or CI.

    nice python scripts/soak.py                 # everything (about an hour on a busy two-core machine)
    nice python scripts/soak.py --kills 5 --only broadcast,feed

Cases, each in a fresh process whose peak memory (its own and its children's, VmHWM / ru_maxrss) is reported:

- ``suite``: the hostile-input tests (``pytest -m hostile``): dripping servers, malformed feeds, local paths,
  group rights, concurrent start on SQLite and PostgreSQL, citation markers, flood waits, dead claims, ...
- ``feed``: a hostile news site polled with a dripping one beside it: a ``0000-00-00`` date, plain guids,
  a teaser whose article is gone (404), one whose server fails twice (503) then recovers. Every entry must
  end up as exactly one document.
- ``documents``: pages under the size limit that used to take gigabytes: 60,000 paragraphs, a similar
  page, a page of ``&amp;``, 1 MB on one line, 1 MB unpunctuated.
- ``broadcast``: a broadcast to many chats whose worker is killed with SIGKILL ``--kills`` times at random
  points, then left to finish: nobody may miss it, and each kill may cost at most one duplicate.

PostgreSQL cases create their own database on 127.0.0.1:5432 (trust auth) and drop it afterwards; they are
reported as skipped when no server answers.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CASES = ("suite", "feed", "documents", "broadcast")
BACKENDS = {"suite": ("sqlite",), "feed": ("sqlite", "postgresql"), "documents": ("sqlite", "postgresql"),
            "broadcast": ("sqlite", "postgresql")}
COLUMNS = ("case", "backend", "tried", "failures", "documents lost", "deliveries lost", "duplicates", "peak MiB", "seconds")


# -- the parent: run each case in a fresh process, print the table ------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases to run")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs per broadcast")
    parser.add_argument("--chats-sqlite", type=int, default=1000)
    parser.add_argument("--chats-postgresql", type=int, default=200)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_child(args)
        return
    rows = []
    for case in args.only.split(","):
        for backend in BACKENDS[case]:
            started = time.monotonic()
            print(f"running {case} on {backend} ...", file=sys.stderr, flush=True)
            command = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--backend", backend,
                       "--kills", str(args.kills), "--chats-sqlite", str(args.chats_sqlite),
                       "--chats-postgresql", str(args.chats_postgresql)]
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(REPO)})
            reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            row = reports[-1] if reports else {"failures": f"crashed ({done.returncode})"}
            if done.returncode and not reports:
                print(done.stderr[-3000:], file=sys.stderr)
            rows.append({"case": case, "backend": backend, "seconds": round(time.monotonic() - started), **row})
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    cells = [[str(row.get(column.replace(" ", "_").replace("_MiB", "_mib"), "-")) for column in COLUMNS] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(COLUMNS)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")


# -- a child: one case on one backend -----------------------------------------------------------------------

def run_child(args) -> None:
    runner = {"suite": suite, "feed": feed, "documents": documents, "broadcast": broadcast}[args.case]
    with tempfile.TemporaryDirectory(prefix=f"soak-{args.case}-") as scratch, database(args.backend, Path(scratch)) as url:
        if url is None:
            print(json.dumps({"tried": 0, "failures": "skipped: no PostgreSQL server"}), flush=True)
            return
        result = runner(args, url, Path(scratch))
    result["peak_mib"] = round(peak_mib(), 1)
    print(json.dumps(result), flush=True)


class database:
    """A fresh database for one case: an SQLite file, or a PostgreSQL database created and dropped."""

    def __init__(self, backend: str, scratch: Path):
        self.backend, self.scratch, self.name = backend, scratch, f"parley_soak_{uuid.uuid4().hex[:10]}"

    def __enter__(self) -> str | None:
        if self.backend == "sqlite":
            return f"sqlite:///{self.scratch / 'soak.db'}"
        from sqlalchemy import create_engine, text

        try:
            self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        except Exception:  # no server: the case is reported as skipped
            return None
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"

    def __exit__(self, *exc) -> None:
        if self.backend == "postgresql" and hasattr(self, "admin"):
            from sqlalchemy import text

            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def peak_mib() -> float:
    """The larger of this process's peak RSS and that of any child it waited for."""
    own = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    except OSError:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


# -- suite -----------------------------------------------------------------------------------------------

def suite(args, url: str, scratch: Path) -> dict:
    report = scratch / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "hostile", "-p", "no:cacheprovider",
                    f"--junitxml={report}"], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                   stdout=sys.stderr, stderr=sys.stderr)
    root = ElementTree.parse(report).getroot()
    totals = root if root.tag == "testsuite" else root.find("testsuite")
    tried = int(totals.get("tests")) - int(totals.get("skipped"))
    failed = int(totals.get("failures")) + int(totals.get("errors"))
    names = [case.get("name") for case in totals.iter("testcase") if case.find("failure") is not None or case.find("error") is not None]
    return {"tried": tried, "failures": failed if not names else f"{failed}: {', '.join(names)}"}


# -- feed ------------------------------------------------------------------------------------------------

def feed(args, url: str, scratch: Path) -> dict:
    import asyncio

    return asyncio.run(_feed(url, scratch))


async def _feed(url: str, scratch: Path) -> dict:
    import asyncio
    from datetime import timedelta

    from sqlmodel import Session, select

    from bot.ingestion.sources import poll_due
    from storage.db import session_scope
    from storage.models import Document, Source, utcnow
    from tests.bot.support.hostile import DrippingServer
    from tests.bot.support.site import Entry, NewsSite
    from tests.conftest import build_services, make_settings

    services = build_services(make_settings(url, allow_private_urls=True, fetch_timeout=4.0, poll_workers=4,
                                            seeds_dir=scratch / "no-seeds"), seed=False)
    plain_guids = [f"Delegation {n} of the contact group met in Istanbul on day {n} to discuss prisoner lists and grain."
                   for n in range(30)]
    failures = []
    with DrippingServer() as drip:
        async with NewsSite(entries=[Entry("prisoner-exchange", pub_date="0000-00-00"),
                                     Entry("energy-truce", teaser_only=True), Entry("peacekeepers", teaser_only=True)]) as site:
            site.raw_items = [f"<item><title>Round {n}</title><guid>{4000 + n}</guid><description>{text}</description></item>"
                              for n, text in enumerate(plain_guids)]
            site.status["/articles/peacekeepers"] = 404
            site.status["/articles/energy-truce"] = 503
            with session_scope(services.engine) as session:
                session.add(Source(kind="feed", location=drip.url, interval_seconds=60, next_poll_at=utcnow() - timedelta(minutes=1)))
                session.add(Source(kind="feed", location=f"{site.base}/feed.xml", interval_seconds=60, next_poll_at=utcnow()))
            for round_ in range(3):
                if round_ == 2:
                    del site.status["/articles/energy-truce"]  # the article server is back
                await asyncio.to_thread(poll_due, services)
                with session_scope(services.engine) as session:
                    for row in session.exec(select(Source)).all():
                        row.next_poll_at = utcnow()
                        session.add(row)
    with Session(services.engine) as session:
        stored = session.exec(select(Document)).all()
        sources = session.exec(select(Source).order_by(Source.id)).all()
    if sources[1].error_count:
        failures.append(f"the site's feed failed: {sources[1].last_error}")
    if not sources[0].error_count:
        failures.append("the dripping source was not stopped")
    expected = 3 + len(plain_guids)
    texts = " ".join(d.text for d in stored)
    found = sum(1 for text in plain_guids if text in texts) + sum(
        1 for marker in ("175 prisoners", "monitored by the United States", "Kremlin on Saturday rejected") if marker in texts)
    services.engine.dispose()
    return {"tried": expected, "failures": len(failures) if not failures else f"{len(failures)}: {'; '.join(failures)}",
            "documents_lost": expected - found, "duplicates": len(stored) - found}


# -- documents -------------------------------------------------------------------------------------------

def documents(args, url: str, scratch: Path) -> dict:
    from tests.bot.support.hostile import ampersands, many_paragraphs, single_line, unpunctuated

    inputs = {"rounds.html": many_paragraphs(), "rounds-again.html": many_paragraphs(variant=1),
              "ampersands.html": ampersands(), "single-line.txt": single_line(), "unpunctuated.txt": unpunctuated()}
    paths = []
    for name, data in inputs.items():
        paths.append(scratch / name)
        paths[-1].write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "tests.bot.support.ingest_probe", url, *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for report in reports:
        print(json.dumps(report), file=sys.stderr)
    files = {r["file"]: r for r in reports if "file" in r}
    refused = {"ampersands.html"}  # not text: refused on purpose, not lost
    failures = [name for name in inputs if name not in files
                or (name not in refused and files[name]["status"] not in ("new", "duplicate"))
                or (name in refused and "no readable text" not in files[name]["status"])]
    lost = sum(1 for name in inputs if name not in refused and files.get(name, {}).get("status") not in ("new", "duplicate"))
    result = {"tried": len(inputs), "failures": len(failures) if not failures else f"{len(failures)}: {', '.join(failures)}",
              "documents_lost": lost}
    if reports and "peak_rss_mib" in reports[-1]:
        result["note"] = f"baseline {reports[0]['baseline_rss_mib']} MiB"
    return result


# -- broadcast -------------------------------------------------------------------------------------------

def broadcast(args, url: str, scratch: Path) -> dict:
    from collections import Counter

    from storage.db import open_database
    from tests.bot.support.platforms import read_receipts
    from tests.bot.delivery.test_broadcast_crash import kill_after_receipts, queue_broadcast, start_worker, status_counts

    chats = args.chats_sqlite if url.startswith("sqlite") else args.chats_postgresql
    engine = open_database(url)
    queue_broadcast(engine, chats)
    receipts, log_path = scratch / "receipts.tsv", scratch / "worker.log"
    failures = []
    in_flight_total = 0
    with open(log_path, "w") as log:
        for kill in range(args.kills):
            already = len(read_receipts(receipts))
            left = chats - len({chat for _, chat in read_receipts(receipts)})
            if left < 10:
                break
            worker = start_worker(url, receipts, "worker-1", log)
            try:
                kill_after_receipts(worker, receipts, already + random.randint(1, max(1, left * 2 // 3)))
            except AssertionError as exc:  # it finished or died before the kill
                failures.append(f"kill {kill + 1}: {exc}")
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            if worker.returncode not in (-signal.SIGKILL, 0):
                failures.append(f"kill {kill + 1}: worker exited with {worker.returncode}")
            in_flight_total += status_counts(engine)["sending"]
        last = start_worker(url, receipts, "worker-1", log)
        if last.wait(timeout=1800) != 0:
            failures.append(f"the last worker exited with {last.returncode}")
    per_chat = Counter(chat for _, chat in read_receipts(receipts))
    lost = chats - len(set(per_chat) & {f"fake:{n}" for n in range(chats)})
    duplicates = sum(per_chat.values()) - len(per_chat)
    if duplicates > in_flight_total:
        failures.append(f"{duplicates} duplicates but only {in_flight_total} message(s) were in flight at the kills")
    if status_counts(engine) != Counter({"sent": chats}):
        failures.append(f"outbox left as {dict(status_counts(engine))}")
    engine.dispose()
    return {"tried": chats, "failures": len(failures) if not failures else f"{len(failures)}: {'; '.join(failures)}",
            "deliveries_lost": lost, "duplicates": duplicates}


if __name__ == "__main__":
    main()
