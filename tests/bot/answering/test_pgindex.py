"""The shared answer index in PostgreSQL with pgvector: same evidence as the in-process index, fallback, sharing.

The pgvector tests run against the session's PostgreSQL 16 with pgvector (tests/pgvector.py, from the
``pgserver`` wheel in the lock file); the fallback test uses the server on 127.0.0.1:5432, which has none.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bot.answering.index import PassageIndex
from bot.answering.pgindex import CACHE_PASSAGES, SharedPassageIndex, open_index
from bot.config import REPO_ROOT
from tests.conftest import build_services, make_settings
from tests.pgvector import new_database

SHARED_EVAL = REPO_ROOT.parent / "shared" / "eval"
DEV_DOCS = SHARED_EVAL / "dev_docs"
SEED_QUESTIONS = [  # used when the shared evaluation kit is not beside the checkout
    "What is Putin asking Trump to recognize?",
    "What percentage of Ukraine's territory does Russia occupy?",
    "What is Russia's position on NATO membership for Ukraine?",
    "俄罗斯控制了多少乌克兰领土?",
    "澤倫斯基如何看待普京與特朗普直接談判?",
    "What is the capital of Australia?",
]


def _copy_corpus(source_engine, target_engine) -> None:
    """Copy every row of every table (same ids): the same corpus in another database, without ingesting it again."""
    tables = SQLModel.metadata.sorted_tables
    with source_engine.connect() as src, target_engine.begin() as dst:
        for table in reversed(tables):
            dst.execute(table.delete())
        for table in tables:
            rows = [dict(row._mapping) for row in src.execute(table.select())]
            if rows:
                dst.execute(table.insert(), rows)
            if "id" in table.c and table.c.id.autoincrement is not False and rows and isinstance(rows[0]["id"], int):
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"(SELECT max(id) FROM \"{table.name}\"))"))


def _questions() -> list[str]:
    path = SHARED_EVAL / "dev_questions.jsonl"
    if not path.is_file():
        return SEED_QUESTIONS
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _evidence(reply) -> tuple:
    return reply.lead, reply.abstained, [(c.document_id, c.quote) for c in reply.citations]


@pytest.fixture(scope="module")
def both_modes(seeded_template, tmp_path_factory, pgvector_server):
    """The seeds and the dev documents in SQLite (in-process index) and in PostgreSQL (shared index), built once."""
    from bot.ingestion.pipeline import Ingestor

    path = tmp_path_factory.mktemp("modes") / "local.db"
    shutil.copyfile(seeded_template, path)
    local = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    if DEV_DOCS.is_dir():
        results = list(Ingestor(local).ingest_paths([str(DEV_DOCS)]))
        assert results and all(r.status != "error" for r in results)
    shared = build_services(make_settings(new_database(pgvector_server)), seed=False)
    _copy_corpus(local.engine, shared.engine)
    yield local, shared
    local.engine.dispose()
    shared.engine.dispose()


def test_both_modes_cite_the_same_evidence(both_modes):
    local, shared = both_modes
    assert type(local.answerer.index) is PassageIndex
    assert isinstance(shared.answerer.index, SharedPassageIndex)
    questions = _questions()
    differing = [q for q in questions if _evidence(local.answerer.ask(q)) != _evidence(shared.answerer.ask(q))]
    assert not differing, f"{len(differing)} of {len(questions)} answers differ between the modes: {differing}"
    cited = sum(bool(shared.answerer.ask(q).citations) for q in questions[:3])
    assert cited == 3  # the comparison is of real answers, not of two abstentions


def test_shared_index_ranks_like_the_in_process_index(both_modes):
    local, shared = both_modes
    for question in _questions()[:8]:
        assert shared.answerer.rank(question, limit=10) == local.answerer.rank(question, limit=10), question


def test_shared_index_keeps_no_per_passage_state(both_modes):
    """Memory stays flat: the shared index holds a bounded cache and the ledger's passages, not the corpus."""
    _, shared = both_modes
    index = shared.answerer.index
    for question in _questions():
        shared.answerer.ask(question)
    with shared.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM passage")).scalar_one()
    assert len(index.passages) == stored
    assert len(index._cache) <= CACHE_PASSAGES
    assert not hasattr(index._bm25, "postings") or not index._bm25.postings
    assert len(index._vectors) == 0


def test_another_process_sees_a_new_document_without_a_restart(pgvector_url, tmp_path):
    """A document ingested by another process (``parley ingest``) is answered from by a process already running."""
    running = build_services(make_settings(pgvector_url), seed=False)
    seeds = sorted((REPO_ROOT / "seeds").glob("*.txt"))
    from bot.ingestion.pipeline import Ingestor

    list(Ingestor(running).ingest_paths([str(seeds[2])]))
    question = "How many prisoners of war did Russia and Ukraine agree to exchange in Geneva?"
    before = running.answerer.ask(question)
    assert not any("175" in c.quote for c in before.citations)
    fresh = tmp_path / "geneva.txt"
    fresh.write_text("Geneva, Mar 20 (V7N) — Negotiators from Russia and Ukraine met in Geneva on Thursday and agreed "
                     "to exchange 175 prisoners of war each, a Swiss foreign ministry spokesman said.\n"
                     "The exchange is to take place within two weeks under the supervision of the Red Cross.\n",
                     encoding="utf-8")
    env = dict(os.environ, PARLEY_DATABASE_URL=pgvector_url, PARLEY_SEEDS_DIR=str(tmp_path / "none"))
    result = subprocess.run([str(Path(sys.executable).parent / "parley"), "ingest", "--json", str(fresh)],
                            env=env, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "new"
    reply = running.answerer.ask(question)
    assert any("175" in c.quote for c in reply.citations), reply
    running.engine.dispose()


@pytest.mark.postgres
def test_postgres_without_pgvector_falls_back_to_the_in_process_index(postgres_url, caplog):
    """The Debian PostgreSQL on 127.0.0.1:5432 has no pgvector: Parley warns once and answers from memory."""
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first():
            pytest.skip("this server has pgvector: the fallback cannot be seen here")
    engine.dispose()
    with caplog.at_level(logging.WARNING):
        services = build_services(make_settings(postgres_url), seed=False)  # migrations pass without the extension
        from bot.ingestion.pipeline import Ingestor

        list(Ingestor(services).ingest_paths([str(sorted((REPO_ROOT / "seeds").glob("*.txt"))[2])]))
        index = services.answerer.index
        reply = services.answerer.ask("What percentage of Ukraine's territory does Russia occupy?")
    assert type(index) is PassageIndex
    assert any("pgvector is not available" in r.getMessage() for r in caplog.records)
    assert reply.citations and any("18" in c.quote for c in reply.citations)
    assert type(open_index(services.engine, services.profile)) is PassageIndex
    services.engine.dispose()


def test_migrations_on_pgvector_add_the_search_tables_and_keep_the_models_in_step(pgvector_url):
    from alembic import command
    from sqlalchemy import inspect

    from storage.db import alembic_config, open_database

    engine = open_database(pgvector_url)
    assert {"search_passage", "search_term", "search_document", "search_state"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'search_passage'")).scalars().all()
    assert any("USING hnsw" in definition for definition in indexes)
    command.check(alembic_config(engine))  # the search tables are not models, and are not reported as drift
    engine.dispose()
