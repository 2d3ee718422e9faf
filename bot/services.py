"""Services: the long-lived objects command handlers and jobs share (settings, database, profile, answer engine),
and ``build_services``, the one place that builds them (for the CLI, the tests and the bench)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.answering.engine import Answerer
from bot.config import Settings
from bot.embedding.embedder import Embedder
from bot.errors import BadArguments
from bot.ingestion.pipeline import Ingestor, ensure_seeded
from bot.text import i18n
from bot.text.profile import Profile
from storage.db import open_database, startup_lock
from storage.models import Chat
from storage.repo import sync_profile

log = logging.getLogger(__name__)


def build_services(settings: Settings, *, seed: bool = False, announce_pending: bool = False,
                   open_engine: Callable[[str], Engine] = open_database) -> Services:
    """Open (and migrate) the database, load and sync the profile, and build the Services.

    ``announce_pending`` finishes documents a crash left stored but unannounced; ``seed`` ingests the bundled
    seed corpus into an empty database; ``open_engine`` opens the database URL (the CLI retries while it is down).
    The profile sync, announcing and seeding run under the database's start-up lock, one process at a time.
    """
    engine = open_engine(settings.database_url)
    profile = Profile.load(settings.profile)
    services = Services(settings, engine, profile)
    with startup_lock(engine):  # several processes may start at once (docker compose up --scale)
        sync_profile(engine, profile)
        if announce_pending:
            Ingestor(services).announce_pending()
        if seed:
            ensure_seeded(services)
    return services


@dataclass(eq=False)
class Services:
    """Built once by ``build_services`` and handed to the Bot, the jobs and the ingest pipeline."""

    settings: Settings
    engine: Engine
    profile: Profile
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @cached_property
    def answerer(self) -> Answerer:
        """The answer engine, built on first use (it loads the index and the embedder)."""
        with self._lock:
            return Answerer(self.engine, self.profile, self.settings, embedder=self.embedder, writer=self.writer)

    @cached_property
    def writer(self):
        """The optional LLM writer (PARLEY_LLM_URL); None keeps every answer extractive."""
        from bot.answering.writer import Writer
        from bot.ingestion.ledger import load_lexicon

        # The guard reads stances and negations with the ledger's lexicon; wired here so answering never imports ingestion.
        return Writer.from_settings(self.settings, self.profile, load_lexicon(), self.engine)

    @cached_property
    def embedder(self) -> Embedder:
        """The sentence embedder shared by ingestion and answering."""
        return Embedder(threads=self.settings.embed_threads)

    def chat_language(self, chat: str) -> str | None:
        """The language a chat chose with /settings, if any."""
        with Session(self.engine) as session:
            row = session.get(Chat, chat)
            return row.language if row else None

    def resolve(self, kind: str, text: str) -> str | None:
        """The profile key of the first party (or issue) named in ``text``, in any language."""
        kinds = {"party": ("party", "actor"), "issue": ("issue", "place")}[kind]
        for mention in self.profile.find(text):
            if mention.kind in kinds:
                if kind == "party":
                    return self.profile.party_of(mention.key)
                return mention.key if mention.kind == "issue" else self.profile.entity(mention.key).issue
        return None

    def examples(self, kind: str, language: str, limit: int = 5) -> str:
        """A few display names of the profile's parties or issues, for help and error texts."""
        entities = self.profile.parties if kind == "party" else self.profile.issues
        return ", ".join(self.profile.display(key, language) for key in list(entities)[:limit])

    def resolve_pair(self, text: str, kinds: tuple[str, str], language: str) -> tuple[str, str]:
        """Two named entities of the given kinds, or a BadArguments naming what is missing."""
        found = [self.resolve(kind, text) for kind in kinds]
        for kind, key in zip(kinds, found):
            if key is None:
                raise BadArguments(i18n.t("error.unknown_name", language, kind=i18n.t(f"kind.{kind}", language),
                                          text=text.strip() or "-", examples=self.examples(kind, language)))
        first, second = found
        assert first is not None and second is not None  # each None raised BadArguments above
        return first, second

    def resolve_compare(self, text: str, language: str) -> tuple[str, str, str | None]:
        """Two parties and an optional issue for /compare."""
        parties: list[str] = []
        for mention in self.profile.find(text):
            party = self.profile.party_of(mention.key) if mention.kind in ("party", "actor") else None
            if party and party not in parties:
                parties.append(party)
        if len(parties) < 2:
            names = self.examples("party", language, limit=2).split(", ")
            raise BadArguments(i18n.t("error.compare_needs_two", language, example=" ".join(names)))
        return parties[0], parties[1], self.resolve("issue", text)
