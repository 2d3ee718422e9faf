"""Both answer-index modes side by side: the in-process index (SQLite) and the shared one (PostgreSQL with pgvector).

``compare_modes`` copies the bench corpus (same rows, same ids, same vectors) from the bench's SQLite database
into a scratch database on the given PostgreSQL server, then runs one fresh serving process per mode
(``python -m bench.shared '<job>'``): warm-up, the timed latency mix, recall@5 over the ranked questions,
and the process's peak RSS. The scratch database is dropped afterwards.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid

log = logging.getLogger(__name__)


def compare_modes(parley, database_url: str, *, engine: str, mix, warm_up, questions, relevant, console) -> dict:
    """Serve the same corpus in both modes, one fresh process each; returns the figures per mode."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.db import redact

    admin_url = make_url(database_url)
    name = f"parley_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch_url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        console.log(f"copying the corpus into PostgreSQL ({redact(database_url)}, scratch database {name})")
        started = time.perf_counter()
        _copy_corpus(parley.settings.database_url, scratch_url)
        copied = time.perf_counter() - started
        job = {"engine": engine, "mix": mix, "warm_up": warm_up, "profile": str(parley.settings.profile or ""),
               "questions": [[str(q.id), q.text] for q in questions],
               "relevant": {str(q.id): sorted(relevant[q.id]) for q in questions},
               "embed_threads": parley.settings.embed_threads}
        figures = {}
        for mode, url in (("in_process", parley.settings.database_url), ("postgres", scratch_url)):
            console.log(f"serving the mix and ranking {len(questions)} questions: {mode} index, fresh process")
            figures[mode] = _serve_in_process({**job, "database_url": url})
        figures["postgres"]["corpus_copy_and_index_seconds"] = round(copied, 1)
        figures["server"] = redact(database_url)
        return figures
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _copy_corpus(source_url: str, target_url: str) -> None:
    """Every row of every table, ids kept, then the shared index built from them (as a first process would)."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from storage.db import make_engine, open_database

    source, target = make_engine(source_url), open_database(target_url)
    tables = SQLModel.metadata.sorted_tables
    with source.connect() as src, target.begin() as dst:
        for table in tables:
            result = src.execution_options(yield_per=2000).execute(table.select())
            for chunk in result.partitions():
                dst.execute(table.insert(), [dict(row._mapping) for row in chunk])
            if "id" in table.c and isinstance(table.c.id.type.python_type, type) and table.c.id.type.python_type is int:
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"coalesce((SELECT max(id) FROM \"{table.name}\"), 1))"))
    source.dispose()
    target.dispose()


def _serve_in_process(job: dict) -> dict:
    from bench import _import_root

    completed = subprocess.run([sys.executable, "-m", "bench.shared", json.dumps(job)], capture_output=True, text=True,
                               timeout=3600, env={**os.environ, "PYTHONPATH": _import_root()})
    if completed.returncode != 0:
        log.warning("serving process failed: %s", completed.stderr[-2000:])
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def serve(job: dict) -> dict:
    """One serving process: build the services, warm up, time the mix, rank the questions, report peak RSS."""
    from bench.parley import attach_engine, first_rank
    from bench.stats import peak_rss_mb, percentiles, rank_metrics
    from bot.config import Settings
    from bot.services import build_services

    started = time.perf_counter()
    settings = Settings(_env_file=None, database_url=job["database_url"], profile=job["profile"] or None,
                        embed_threads=job["embed_threads"], telegram_token=None, discord_token=None,
                        scheduler_enabled=False)
    services = build_services(settings)
    attach_engine(services, job["engine"])
    answerer = services.answerer
    first = answerer.ask(job["mix"][0][0], fallback_language=job["mix"][0][1])
    ready = time.perf_counter() - started
    for question, language in job["warm_up"]:
        answerer.ask(question, fallback_language=language)
    samples = []
    for question, language in job["mix"]:
        start = time.perf_counter()
        answerer.ask(question, fallback_language=language)
        samples.append((time.perf_counter() - start) * 1000)
    ranks, rank_ms = [], []
    for qid, text in job["questions"]:
        start = time.perf_counter()
        ranking = answerer.rank(text, limit=50)
        rank_ms.append((time.perf_counter() - start) * 1000)
        ranks.append(first_rank(ranking, set(job["relevant"][qid])))
    metrics = rank_metrics(ranks)
    return {"index": type(answerer.index).__name__, "first_answer_seconds": round(ready, 3),
            "first_abstained": first.abstained, "warm_ms": {k: round(v, 2) for k, v in percentiles(samples).items()},
            "rank_ms": {k: round(v, 2) for k, v in percentiles(rank_ms).items()},
            "recall_at_5": round(metrics.get("recall@5", 0.0), 3), "mrr": round(metrics.get("mrr", 0.0), 3), "questions_ranked": len(ranks), "answers_timed": len(samples),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


if __name__ == "__main__":
    print(json.dumps(serve(json.loads(sys.argv[1]))), flush=True)
