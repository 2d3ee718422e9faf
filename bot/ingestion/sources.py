"""The source registry (feeds, pages, folders) and polling them: conditional GETs, safe feed parsing, backoff."""
from __future__ import annotations

import hashlib
import html
import logging
import mimetypes
import re
import threading
import time
from calendar import timegm
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select, col

from bot.errors import BadArguments, BadDocument, FetchError, IngestError, NotAllowed
from bot.ingestion.fetch import check_url, fetch
from bot.ingestion.pipeline import Ingestor, expand_inputs
from bot.messages import Reply, Request
from bot.text import i18n
from storage.db import session_scope
from storage.models import Document, Source, utcnow

log = logging.getLogger(__name__)

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_SECONDS = 5
MAX_BACKOFF_SECONDS = 6 * 3600
SEEN_LIMIT = 2000  # feed entry ids remembered; feeds list far fewer at a time
SETTLE_SECONDS = 2.0  # a folder file younger than this may still be being written
# Entries whose text is shorter than this, or that end in "...", are teasers: their linked article is
# fetched instead. CJK characters count twice: a Chinese sentence says in 30 characters what English says in 60.
FULL_TEXT_WEIGHT = 400
_CUT_OFF = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading|阅读全文|閱讀全文|更多)\W*$", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# An internal DTD subset is where entity bombs live; no real feed needs one.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_WEB_URL = re.compile(r"^https?://[^/\s?#]+", re.IGNORECASE)
# Feed dates outside these years are typos or placeholders ("0000-00-00"), not publication dates.
_PLAUSIBLE_YEARS = range(1900, 2200)


# -- the registry ------------------------------------------------------------------------------

def parse_interval(text: str | None, default: str = "15m") -> int:
    """Seconds in "30s", "5m", "1h" or "1d" (a bare number is seconds). Raises BadArguments."""
    match = _INTERVAL.match(text or default)
    if not match:
        raise BadArguments(f"not an interval: {text!r} (use e.g. 30s, 5m, 1h)")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds < MIN_INTERVAL_SECONDS:
        raise BadArguments(f"interval {text!r} is too short: the minimum is {MIN_INTERVAL_SECONDS}s")
    return seconds


def format_interval(seconds: int) -> str:
    """The shortest exact spelling of an interval: 900 -> "15m"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_source(engine, location: str, *, interval: str | None, settings, added_by: str | None = None) -> Source:
    """Register a folder (an existing directory), a feed (a URL that parses as RSS/Atom) or a page (any other URL).

    URLs are checked against private addresses first, then fetched once to tell a feed
    from a page. Local files and folders are the operator's decision: only those under
    ``settings.source_folders`` may be added, whoever asks. Raises BadArguments, NotAllowed,
    BlockedAddress, FetchError or BadDocument.
    """
    seconds = parse_interval(interval, settings.default_poll_interval)
    location = location.strip()
    if re.match(r"^https?://", location, re.IGNORECASE):
        kind = _detect_url_kind(location, settings)
    else:
        path = allowed_local_path(location, settings)  # before looking: a refusal must not tell what exists
        if not path.exists():
            raise BadArguments(f"{location!r} is neither an http(s) URL nor an existing folder")
        kind, location = ("folder" if path.is_dir() else "file"), str(path)
    with session_scope(engine) as session:
        existing = session.exec(select(Source).where(Source.location == location)).first()
        if existing is not None:
            raise BadArguments(f"{location} is already source #{existing.id}")
        source = Source(kind=kind, location=location, interval_seconds=seconds, added_by=added_by, next_poll_at=utcnow())
        session.add(source)
        session.flush()
    log.info("added %s source #%s %s (every %s)", kind, source.id, location, format_interval(seconds))
    return source


def allowed_local_path(location: str | Path, settings) -> Path:
    """The resolved path when it lies under one of the operator's ``source_folders``; raises NotAllowed otherwise.

    The path is resolved first (``..`` and symbolic links followed), so neither can lead out of an allowed folder.
    """
    path = Path(location).expanduser().resolve()
    roots = settings.allowed_source_folders()
    if not any(path == root or root in path.parents for root in roots):
        if not roots:
            raise NotAllowed("local files and folders cannot be added: PARLEY_SOURCE_FOLDERS allows none")
        raise NotAllowed(f"{location} is not under a folder PARLEY_SOURCE_FOLDERS allows")
    return path


def _detect_url_kind(url: str, settings) -> str:
    check_url(url, allow_private=settings.allow_private_urls)
    fetched = _fetch(url, settings)
    return "feed" if parse_feed(fetched.body, url) is not None else "page"


def list_sources(engine) -> list[Source]:
    """Every source, oldest first, with its poll state (last error, next poll)."""
    with Session(engine) as session:
        return list(session.exec(select(Source).order_by(Source.id)).all())


def find_source(session: Session, ref: str) -> Source | None:
    """A source by id ("3" or "#3") or by its exact location."""
    ref = ref.strip()
    if re.fullmatch(r"#?\d+", ref):
        return session.get(Source, int(ref.lstrip("#")))
    source = session.exec(select(Source).where(Source.location == ref)).first()
    if source is None and not ref.startswith(("http://", "https://")):
        path = str(Path(ref).expanduser().resolve())
        source = session.exec(select(Source).where(Source.location == path)).first()
    return source


def remove_source(engine, ref: str) -> bool:
    """Forget a source; its documents stay (detached from it). False when there is no such source."""
    with session_scope(engine) as session:
        source = find_source(session, ref)
        if source is None:
            return False
        session.execute(update(Document).where(Document.source_id == source.id).values(source_id=None))
        session.delete(source)
    log.info("removed source #%s %s", source.id, source.location)
    return True


def pause_source(engine, ref: str, paused: bool = True) -> bool:
    """Pause (or resume) polling a source. False when there is no such source."""
    with session_scope(engine) as session:
        source = find_source(session, ref)
        if source is None:
            return False
        source.paused = paused
        if not paused:
            source.next_poll_at = utcnow()
        session.add(source)
    log.info("%s source #%s %s", "paused" if paused else "resumed", source.id, source.location)
    return True


# -- polling -----------------------------------------------------------------------------------

@dataclass
class PollOutcome:
    """What one poll found: ingest results, updated conditional-GET state, and items that failed."""

    results: list = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    seen: list | None = None
    item_errors: list[str] = field(default_factory=list)
    forget_validators: bool = False  # entries wait for a retry: the next poll must get the whole feed, not a 304


def poll_due(services) -> int:
    """Poll every unpaused source whose next poll time has come; returns how many were polled.

    The table is read afresh each time, so sources added by another process are picked up.
    Up to ``settings.poll_workers`` sources are polled at once, so one slow or hostile source
    holds up only its own slot; their documents are ingested one at a time (a story decision
    must see the documents stored before it). One broken source never stops the others.
    """
    now = utcnow()
    with Session(services.engine) as session:
        due = list(session.exec(
            select(Source.id).where(~Source.paused, (Source.next_poll_at.is_(None)) | (col(Source.next_poll_at) <= now))
            .order_by(Source.next_poll_at)
        ).all())
    if not due:
        return 0
    ingest_lock = threading.Lock()
    workers = max(1, min(int(services.settings.poll_workers), len(due)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parley-poll") as pool:
        for source_id, future in [(s, pool.submit(poll_source, services, s, ingest_lock)) for s in due]:
            try:
                future.result()
            except Exception:  # poll_source records its own failures; this is the last line of defence
                log.exception("polling source #%s failed unexpectedly", source_id)
    return len(due)


def poll_source(services, source_id: int, ingest_lock: threading.Lock | None = None) -> list:
    """Poll one source once and ingest what is new; returns the IngestResults.

    Failures are recorded on the source (last_error, error_count) and push its next poll
    back exponentially; they are not raised. ``ingest_lock``, when given, is held while a
    document is ingested, so sources polled side by side store their documents one at a time.
    """
    with Session(services.engine) as session:
        source = session.get(Source, source_id)
    if source is None:
        return []
    started = time.monotonic()
    try:
        outcome = _POLLERS[source.kind](services, source, ingest_lock)
    except Exception as exc:
        _record_failure(services.engine, source, exc)
        return []
    _record_success(services.engine, source, outcome)
    log.info("polled %s #%s %s in %.1fs: %d document(s), %d item error(s)", source.kind, source.id,
             source.location, time.monotonic() - started, len(outcome.results), len(outcome.item_errors))
    return outcome.results


def _record_success(engine, source: Source, outcome: PollOutcome) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(Source, source.id)
        if row is None:  # removed while we polled
            return
        for name in ("etag", "last_modified", "content_hash", "seen"):
            value = getattr(outcome, name)
            if value is not None:
                setattr(row, name, value)
        if outcome.forget_validators:
            row.etag = row.last_modified = None
        row.last_polled_at, row.next_poll_at = now, now + timedelta(seconds=row.interval_seconds)
        row.error_count = 0
        row.last_error = "; ".join(outcome.item_errors)[:2000] or None
        session.add(row)


def _record_failure(engine, source: Source, exc: Exception) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(Source, source.id)
        if row is None:
            return
        row.error_count += 1
        delay = min(row.interval_seconds * 2 ** row.error_count, max(row.interval_seconds, MAX_BACKOFF_SECONDS))
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.last_polled_at, row.next_poll_at = now, now + timedelta(seconds=delay)
        session.add(row)
    level = logging.WARNING if isinstance(exc, IngestError) else logging.ERROR
    log.log(level, "polling %s #%s %s failed (%d in a row, next try in %ss): %s", source.kind, source.id,
            source.location, row.error_count, delay, exc, exc_info=not isinstance(exc, IngestError))


def _fetch(url: str, settings, etag: str | None = None, last_modified: str | None = None):
    return fetch(url, timeout=settings.fetch_timeout, max_bytes=settings.max_document_bytes,
                 allow_private=settings.allow_private_urls, user_agent=settings.user_agent,
                 etag=etag, last_modified=last_modified)


class _SerialIngestor:
    """An Ingestor whose ``ingest_bytes`` holds a lock shared by the sources polled side by side."""

    def __init__(self, ingestor, lock: threading.Lock | None):
        self._ingestor = ingestor
        self._lock = lock

    def ingest_bytes(self, data: bytes, **kwargs):
        if self._lock is None:
            return self._ingestor.ingest_bytes(data, **kwargs)
        with self._lock:
            return self._ingestor.ingest_bytes(data, **kwargs)


def _ingestor(services, source: Source, lock: threading.Lock | None = None) -> _SerialIngestor:
    # A source's first poll only takes its backlog in: subscribers hear of what arrives after.
    return _SerialIngestor(Ingestor(services, notify=source.last_polled_at is not None), lock)


def _poll_feed(services, source: Source, lock: threading.Lock | None = None) -> PollOutcome:
    fetched = _fetch(source.location, services.settings, source.etag, source.last_modified)
    if fetched.not_modified:
        return PollOutcome()
    parsed = parse_feed(fetched.body, source.location)
    if parsed is None:
        raise BadDocument(f"{source.location}: no longer an RSS or Atom feed", source.location)
    outcome = PollOutcome(etag=fetched.etag, last_modified=fetched.last_modified)
    seen = list(source.seen or [])
    taken = set(seen)
    ingestor = _ingestor(services, source, lock)
    site = (parsed.feed.get("title") or "").strip()
    for entry in _oldest_first(parsed.entries):
        key = entry_key(entry)
        if key in taken:
            continue
        if not _take_entry(ingestor, services.settings, source, entry, site, key, outcome):
            outcome.forget_validators = True  # worth another try on the next poll, even if the feed is unchanged
            continue
        seen.append(key)
        taken.add(key)
    # Remember at least every entry the feed lists now, or a feed longer than the limit is re-read each poll.
    outcome.seen = seen[-max(SEEN_LIMIT, len(parsed.entries)):]
    return outcome


def _take_entry(ingestor, settings, source: Source, entry, site: str, key: str, outcome: PollOutcome) -> bool:
    """Ingest one entry; False when it failed in a way a later poll may not (its article server is down).

    Whatever goes wrong costs only this entry: one malformed entry never sinks the rest of the feed.
    """
    where = usable_link(entry) or key
    try:
        outcome.results.append(_ingest_entry(ingestor, settings, source, entry, site))
    except FetchError as exc:
        outcome.item_errors.append(f"{where}: {exc}")
        if not exc.permanent:
            log.warning("feed #%s: entry %s not fetched, will retry: %s", source.id, key, exc)
            return False
        log.warning("feed #%s: entry %s refused for good: %s", source.id, key, exc)
    except IngestError as exc:  # the entry itself is unusable: don't try it again
        outcome.item_errors.append(f"{where}: {exc}")
        log.warning("feed #%s: entry %s skipped: %s", source.id, key, exc)
    except SQLAlchemyError:  # the database, not the entry: fail the poll, so it backs off and is retried whole
        raise
    except Exception as exc:  # a malformed entry that tripped a bug: log it, skip it, go on with the others
        outcome.item_errors.append(f"{where}: {type(exc).__name__}: {exc}")
        log.exception("feed #%s: entry %s could not be read; skipped", source.id, key)
    return True


def _ingest_entry(ingestor, settings, source: Source, entry, site: str):
    """The entry's linked article when the entry is only a teaser, else (or when the article is gone for good) its own text."""
    link = usable_link(entry)
    body_html = entry_html(entry)
    has_text = bool(_plain(body_html))
    if link and is_teaser(body_html):
        log.debug("feed #%s: entry %s is a teaser; fetching the article", source.id, link)
        try:
            article = _fetch(link, settings)
            return ingestor.ingest_bytes(article.body, origin=link, url=article.final_url or link,
                                         content_type=article.content_type, source_id=source.id)
        except FetchError as exc:
            if not exc.permanent or not has_text:
                raise
            log.info("feed #%s: article %s is gone for good (%s); taking the entry's own text", source.id, link, exc)
        except BadDocument as exc:
            if not has_text:
                raise
            log.info("feed #%s: article %s is unreadable (%s); taking the entry's own text", source.id, link, exc)
    if not has_text:
        raise BadDocument(f"{source.location}: entry {entry_key(entry)} has no text and no usable link", source.location)
    page = entry_page(entry, site, body_html)
    return ingestor.ingest_bytes(page.encode("utf-8"), origin=link or f"{source.location}#{entry_key(entry)}",
                                 url=link, content_type="text/html", source_id=source.id)


def _poll_page(services, source: Source, lock: threading.Lock | None = None) -> PollOutcome:
    fetched = _fetch(source.location, services.settings, source.etag, source.last_modified)
    if fetched.not_modified:
        return PollOutcome()
    digest = hashlib.sha256(fetched.body).hexdigest()
    outcome = PollOutcome(etag=fetched.etag, last_modified=fetched.last_modified, content_hash=digest)
    if digest == source.content_hash:  # servers without validators: same bytes, nothing to do
        return outcome
    outcome.results.append(_ingestor(services, source, lock).ingest_bytes(
        fetched.body, origin=source.location, url=fetched.final_url or source.location,
        content_type=fetched.content_type, source_id=source.id))
    return outcome


def _poll_folder(services, source: Source, lock: threading.Lock | None = None) -> PollOutcome:
    try:  # the operator may have narrowed PARLEY_SOURCE_FOLDERS since the source was added
        root = allowed_local_path(source.location, services.settings)
    except NotAllowed as exc:
        raise IngestError(str(exc), source.location) from None
    if not root.exists():
        raise IngestError(f"{root}: no such folder or file", str(root))
    files = [root] if root.is_file() else [Path(p) for p in expand_inputs([str(root)]) if isinstance(p, str)]
    outcome = PollOutcome()
    previous = set(source.seen or [])
    current: list[str] = []
    ingestor = _ingestor(services, source, lock)
    for path in files:
        key = _file_key(root, path)
        if key is None:  # still being written, or vanished: look again next poll
            continue
        current.append(key)
        if key in previous:
            continue
        try:
            allowed_local_path(path, services.settings)  # a symbolic link in the folder may point anywhere
        except NotAllowed:
            outcome.item_errors.append(f"{path.name}: links outside the allowed folders; not read")
            log.warning("folder #%s: %s leads outside PARLEY_SOURCE_FOLDERS; not read", source.id, path)
            continue
        try:
            outcome.results.append(_ingest_file(ingestor, services.settings, source, path))
        except IngestError as exc:
            outcome.item_errors.append(str(exc))
            log.warning("folder #%s: %s skipped: %s", source.id, path, exc)
    outcome.seen = current  # files that disappeared are forgotten, so the list stays small
    return outcome


def _file_key(root: Path, path: Path) -> str | None:
    """``relative/path:size:mtime``, so a file rewritten in place counts as new; None while it is settling."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if time.time() - stat.st_mtime < SETTLE_SECONDS:
        return None
    name = path.name if path == root else str(path.relative_to(root))
    return f"{name}:{stat.st_size}:{stat.st_mtime_ns}"


def _ingest_file(ingestor, settings, source: Source, path: Path):
    size = path.stat().st_size
    if size > settings.max_document_bytes:
        raise BadDocument(f"{path}: {size:,} bytes, over the {settings.max_document_bytes:,}-byte limit", str(path))
    content_type = "text/html" if path.suffix.lower() in _HTML_SUFFIXES else mimetypes.guess_type(path.name)[0]
    return ingestor.ingest_bytes(path.read_bytes(), origin=str(path), content_type=content_type, source_id=source.id)


_POLLERS = {"feed": _poll_feed, "page": _poll_page, "folder": _poll_folder, "file": _poll_folder}


# -- feeds -------------------------------------------------------------------------------------

def refuse_hostile_xml(body: bytes, origin: str) -> None:
    """Raise BadDocument for XML that declares entities or reaches outside (billion laughs, XXE).

    Well-formed XML goes through defusedxml, which refuses entity declarations and external
    references. XML that is not well-formed would reach feedparser's lenient parser, so there
    any entity declaration at all is refused.
    """
    if _INTERNAL_SUBSET.search(body[:65536]):
        raise BadDocument(f"{origin}: refused XML with an inline DTD (entity declarations are not allowed)", origin)
    try:
        defusedxml.ElementTree.fromstring(body)
    except defusedxml.DefusedXmlException as exc:
        raise BadDocument(f"{origin}: refused hostile XML ({type(exc).__name__}: {exc})", origin) from None
    except (ParseError, ValueError):  # not well-formed: an HTML page, or a sloppy feed
        if _ENTITY_DECLARATION.search(_as_text(body)):
            raise BadDocument(f"{origin}: refused malformed XML that declares entities", origin) from None


def _as_text(body: bytes) -> str:
    encoding = "utf-16" if body[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1"  # latin-1 keeps ASCII markup as is
    return body.decode(encoding, errors="replace")


def parse_feed(body: bytes, origin: str):
    """The parsed RSS/Atom feed, or None when the bytes are not a feed. Hostile XML raises BadDocument first."""
    refuse_hostile_xml(body, origin)
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        return None
    return parsed


def entry_key(entry) -> str:
    """A stable id for a feed entry: its guid, else its link, else a hash of its title and text."""
    key = entry.get("id") or entry.get("link")
    if key:
        return str(key)[:512]
    raw = f"{entry.get('title', '')}\n{entry.get('summary', '')}"
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def usable_link(entry) -> str | None:
    """The entry's link when it is an absolute http(s) URL; feedparser also makes a plain guid ("12345") the link."""
    link = (entry.get("link") or "").strip()
    return link if _WEB_URL.match(link) and " " not in link else None


def entry_html(entry) -> str:
    """The fullest HTML body a feed entry carries: its content, else its summary."""
    bodies = [c.get("value", "") for c in entry.get("content", []) or []]
    bodies.append(entry.get("summary", "") or "")
    return max(bodies, key=text_weight)


def text_weight(markup: str) -> int:
    """How much text an HTML fragment holds (CJK characters count twice)."""
    plain = _plain(markup)
    return len(plain) + len(_CJK.findall(plain))


def is_teaser(markup: str) -> bool:
    """True when an entry's body is only the start of its article: short, or cut off with "..."."""
    return text_weight(markup) < FULL_TEXT_WEIGHT or bool(_CUT_OFF.search(_plain(markup)))


def _plain(markup: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", markup)).split())


def entry_page(entry, site: str, body_html: str) -> str:
    """A small HTML page for an entry whose feed carries the full text, with the metadata extraction reads."""
    published = _entry_time(entry)
    metas = [f'<meta property="og:site_name" content="{html.escape(site)}">' if site else "",
             f'<meta property="article:published_time" content="{published.isoformat()}">' if published else "",
             f'<link rel="canonical" href="{html.escape(link)}">' if (link := usable_link(entry)) else ""]
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(entry.get('title', ''))}</title>{''.join(metas)}</head>"
            f"<body><article>{body_html}</article></body></html>")


def _entry_time(entry) -> datetime | None:
    """When the entry was published; None when it does not say, or says something impossible (``0000-00-00``)."""
    for name in ("published_parsed", "updated_parsed"):
        stamp = entry.get(name)
        if not stamp:
            continue
        try:
            when = datetime.fromtimestamp(timegm(stamp), timezone.utc)
        except (ValueError, OverflowError, OSError, TypeError):
            continue
        if when.year in _PLAUSIBLE_YEARS:
            return when
    return None


def _oldest_first(entries: list) -> list:
    """Feeds list newest first; ingest oldest first so a story's first report is the first one stored."""
    indexed = list(enumerate(entries))
    return [entry for _, entry in sorted(indexed, key=lambda pair: (_entry_time(pair[1]) or datetime.min.replace(tzinfo=timezone.utc), -pair[0]))]


# -- chat commands -----------------------------------------------------------------------------

def sources_command(services, request: Request, language: str) -> Reply:
    """/sources: what Parley reads, with each source's state."""
    sources = list_sources(services.engine)
    if not sources:
        return Reply(lead=i18n.t("sources.none", language), language=language, kind="info")
    lines = [i18n.t("sources.title", language, count=len(sources))]
    lines += [describe_source(source, language) for source in sources]
    return Reply(lead="\n".join(lines), language=language, kind="info")


def describe_source(source: Source, language: str) -> str:
    """One line for chat users: id, kind, where (never a server path), interval and state (paused, last error)."""
    line = i18n.t("sources.line", language, id=source.id, kind=i18n.t(f"sources.kind.{source.kind}", language),
                  location=shown_location(source, language), interval=format_interval(source.interval_seconds))
    if source.paused:
        line += " " + i18n.t("sources.paused", language)
    if source.last_error:
        line += " " + i18n.t("sources.error", language, error=without_paths(source.last_error)[:200])
    return line


def shown_location(source: Source, language: str) -> str:
    """A web source's URL; for a local one only its name ("inbox (local)"): server paths stay on the server."""
    if source.kind in ("feed", "page"):
        return source.location
    return i18n.t("sources.local", language, name=Path(source.location).name or "-")


# An absolute path not inside a URL ("//host/path", "host/path"): only its last part is shown.
_SERVER_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/:;,'\"()]+/)*([^\s/:;,'\"()]+)/?")


def without_paths(text: str) -> str:
    """``text`` with absolute server paths cut to their last part: "/srv/news/a.txt: empty" -> "a.txt: empty"."""
    return _SERVER_PATH.sub(r"\1", text)


def addsource_command(services, request: Request, language: str) -> Reply:
    """/addsource URL_OR_FOLDER [INTERVAL] (bot admins only)."""
    args = request.text.split()
    if not args or len(args) > 2:
        raise BadArguments(i18n.t("sources.add_usage", language))
    try:
        source = add_source(services.engine, args[0], interval=args[1] if len(args) > 1 else None,
                            settings=services.settings, added_by=f"{request.chat.platform}:{request.sender.user_id}")
    except NotAllowed:  # a local path outside the operator's folders: the same answer whether it exists or not
        raise NotAllowed(i18n.t("sources.local_refused", language)) from None
    except IngestError as exc:  # refused or unreachable URL, hostile feed: tell the admin why
        raise BadArguments(i18n.t("sources.add_failed", language, location=args[0], reason=without_paths(str(exc)))) from None
    return Reply(lead=i18n.t("sources.added", language, line=describe_source(source, language)), language=language, kind="info")


def removesource_command(services, request: Request, language: str) -> Reply:
    """/removesource ID|URL (bot admins only)."""
    ref = request.text.strip()
    if not ref:
        raise BadArguments(i18n.t("sources.remove_usage", language))
    if not remove_source(services.engine, ref):
        raise BadArguments(i18n.t("sources.unknown", language, ref=ref))
    return Reply(lead=i18n.t("sources.removed", language, ref=ref), language=language, kind="info")
