"""Start-up under contention: several processes starting at once on an empty database (docker compose up --scale)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.config import REPO_ROOT
from bot.text.profile import Profile
from storage.db import make_engine
from storage.models import Document, Issue, Party

PROCESSES = 3


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.mark.hostile
@pytest.mark.slow  # several fresh interpreters, each loading the embedder
def test_processes_starting_together_on_an_empty_database_all_come_up_with_one_copy_of_everything(empty_database, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted((REPO_ROOT / "seeds").glob("*.txt"))[:2]:
        (seeds / path.name).write_bytes(path.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PARLEY_DATABASE_URL": empty_database,
           "PARLEY_SEEDS_DIR": str(seeds), "PARLEY_CACHE_DIR": str(tmp_path / "cache"), "PARLEY_EMBED_THREADS": "1"}
    # `parley latest` does everything `parley run` does on start (migrate, sync the profile, ingest the seeds), then answers.
    command = [sys.executable, "-c", "import cli; cli.main()", "latest"]
    processes = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for _ in range(PROCESSES)]
    outputs = [process.communicate(timeout=900)[0].decode(errors="replace") for process in processes]
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-3000:]
    engine = make_engine(empty_database)
    profile = Profile.load(None)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 2  # seeded once, not three times
        assert sorted(session.exec(select(Party.key)).all()) == sorted(profile.parties)
        assert sorted(session.exec(select(Issue.key)).all()) == sorted(profile.issues)
    engine.dispose()
