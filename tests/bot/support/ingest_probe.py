"""Subprocess of the bounded-work tests: ingest files into a fresh SQLite database, then report time and peak memory.

    python -m tests.bot.support.ingest_probe DATABASE_URL FILE [FILE ...]

Prints one JSON line per file ({"file", "status", "seconds", "sentences"}) and a last one with the
process's peak resident memory ({"peak_rss_mib"}, from VmHWM), so a test can bound memory without
sharing a process (and its allocator's high-water mark) with the rest of the suite.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from bot.config import Settings
from bot.ingestion.pipeline import Ingestor
from bot.text.profile import Profile
from bot.services import Services
from storage.db import open_database


def peak_rss_mib() -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(database_url: str, files: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings(_env_file=None, database_url=database_url, embed_threads=1)
    services = Services(settings, open_database(database_url), Profile.load(None))
    services.embedder.passages(["warm up"])  # the model's own memory is not the document's
    print(json.dumps({"baseline_rss_mib": round(peak_rss_mib(), 1)}), flush=True)
    for name in files:
        path = Path(name)
        started = time.monotonic()
        content_type = "text/html" if path.suffix == ".html" else "text/plain"
        try:
            result = Ingestor(services).ingest_bytes(path.read_bytes(), origin=str(path), content_type=content_type)
            status = result.status
        except Exception as exc:  # noqa: BLE001 - the report says what happened; the test decides
            status = f"error: {type(exc).__name__}: {exc}"[:300]
        from sqlmodel import Session, func, select

        from storage.models import Passage
        with Session(services.engine) as session:
            sentences = session.exec(select(func.count()).select_from(Passage)).one()
        print(json.dumps({"file": path.name, "status": status, "seconds": round(time.monotonic() - started, 1),
                          "sentences": sentences, "rss_mib": round(peak_rss_mib(), 1)}), flush=True)
    print(json.dumps({"peak_rss_mib": round(peak_rss_mib(), 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
