"""The Telegram adapter: updates in as Requests, Replies out as Telegram HTML, send errors mapped to DeliveryErrors."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import logging
import re
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable, Iterator, TypeVar
from urllib.parse import urlparse

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from telegram import (BotCommand, BotCommandScopeChat, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup,
                      InputFile, LinkPreviewOptions, Message, ReplyParameters, Update)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.text import i18n
from bot.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.messages import ChatRef, Pacing, Reply, Request, Sender, Source, cite_segments, renumber_markers

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.chat.dispatch import Bot

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "telegram"
MAX_MESSAGE_CHARS = 4096  # Telegram's limit, in UTF-16 code units
SOURCES_PREFIX = "src:"
FEEDBACK_PREFIX = "fb:"  # fb:+:ANSWER_ID or fb:-:ANSWER_ID
ALLOWED_UPDATES = ("message", "callback_query")
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 seconds per chat action
_MAX_LABEL = 120
_ASK = "ask"


# configuration --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram part of the settings, plus send-retry knobs tests can shorten."""

    token: str = field(repr=False)
    api_url: str = "https://api.telegram.org/bot"
    admin_ids: frozenset[str] = frozenset()  # Telegram user ids allowed admin-only commands
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0:8443"
    webhook_secret: str | None = field(default=None, repr=False)
    poll_timeout: int = 10  # seconds a getUpdates long poll is held open
    send_attempts: int = 4
    backoff_seconds: float = 0.5  # first network-error retry; doubles up to backoff_max
    backoff_max: float = 8.0
    max_retry_after: float = 30.0  # longer flood waits of answers are handed back; pushes never sit one out
    rate_per_second: float = 30.0  # pushes per second overall (Telegram allows about 30)
    group_rate_per_minute: int = 20  # pushes per minute to one group (Telegram allows about 20)
    evidence_cache_size: int = 2048

    @classmethod
    def from_settings(cls, settings: "Settings") -> "TelegramConfig":
        """Take Telegram's part of ``settings``; requires ``telegram_token``."""
        if settings.telegram_token is None:
            raise ValueError("PARLEY_TELEGRAM_TOKEN is not set")
        secret = settings.telegram_webhook_secret
        return cls(
            token=settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            admin_ids=frozenset(a.split(":", 1)[1] for a in settings.admins() if a.startswith(f"{PLATFORM}:")),
            webhook_url=settings.telegram_webhook_url or None,
            webhook_listen=settings.telegram_webhook_listen,
            webhook_secret=secret.get_secret_value() if secret else None,
            max_retry_after=settings.telegram_max_retry_after,
            rate_per_second=settings.telegram_rate_per_second,
            group_rate_per_minute=settings.telegram_group_rate_per_minute,
        )

    @property
    def pacing(self) -> Pacing:
        """Telegram's push limits for the outbox; negative chat ids are groups and channels."""
        return Pacing(self.rate_per_second, self.group_rate_per_minute, is_group=lambda chat: chat.chat_id.startswith("-"))

    @property
    def file_url(self) -> str:
        """The file-download base URL that goes with ``api_url`` (``.../bot`` -> ``.../file/bot``)."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("bot")] + "file/bot"
        return self.api_url


# updates -> requests -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """What ``to_request`` must know about this bot: its @username, user id, admins and commands."""

    username: str
    user_id: int
    admin_ids: frozenset[str] = frozenset()
    commands: frozenset[str] = frozenset()  # empty: accept any command


_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?=\s|$)\s*(.*)$", re.S)


def to_request(update: Update, me: Identity) -> Request | None:
    """The Request a Telegram update asks of the bot, or None when the bot should stay silent.

    Private chats: any text is a question, commands are commands. Groups: commands
    (``/cmd`` or ``/cmd@ThisBot``), messages mentioning the bot, and replies to the bot.
    Edited messages, channel posts, other bots and non-text messages are ignored.
    """
    message = update.message
    if message is None or not message.text or message.from_user is None:
        return None
    anonymous_admin = message.sender_chat is not None and message.sender_chat.id == message.chat.id
    if message.from_user.is_bot and not anonymous_admin:
        return None
    is_private = message.chat.type == ChatType.PRIVATE
    parsed = _parse_text(message, me, is_private)
    if parsed is None:
        return None
    command, text = parsed
    user = message.from_user
    sender = Sender(user_id=str(user.id), name=user.full_name, is_bot_admin=str(user.id) in me.admin_ids,
                    can_manage_chat=anonymous_admin)
    return Request(chat=chat_ref(message.chat.id, _thread_of(message)), sender=sender, command=command, text=text,
                   args=tuple(text.split()), language=user.language_code, is_private=is_private)


def chat_ref(chat_id: int | str, thread_id: int | None = None) -> ChatRef:
    """A chat, or one topic of a forum supergroup ("-1001234/56"): a topic subscribes and is pushed to on its own."""
    return ChatRef(PLATFORM, f"{chat_id}/{thread_id}" if thread_id else str(chat_id))


def chat_and_thread(chat: ChatRef) -> tuple[int | str, int | None]:
    """The Bot API ``chat_id`` and ``message_thread_id`` of a chat reference made by ``chat_ref``."""
    base, _, thread = chat.chat_id.partition("/")
    chat_id: int | str = int(base) if base.lstrip("-").isdigit() else base
    return chat_id, int(thread) if thread.isdigit() else None


def _parse_text(message: Message, me: Identity, is_private: bool) -> tuple[str, str] | None:
    text = message.text.strip()
    command = _parse_command(text, me, explicit=is_private)
    if command:
        return command
    if text.startswith("/"):
        return None
    if is_private or _replies_to(message, me):
        return _ASK, text
    remainder = _without_mentions(message, me)
    if remainder is None:
        return None
    return _parse_command(remainder, me, explicit=True) or (_ASK, remainder)


def _parse_command(text: str, me: Identity, *, explicit: bool) -> tuple[str, str] | None:
    """``(command, rest)`` for ``/cmd[@bot] rest``; None if it is not one, or is another bot's."""
    match = _COMMAND.match(text)
    if not match:
        return None
    name, target, rest = match.group(1).lower(), match.group(2), match.group(3).strip()
    if target:
        return (name, rest) if target.lower() == me.username.lower() else None
    # Unknown bare commands in groups may be meant for another bot there; private chats get help.
    if explicit or not me.commands or name in me.commands:
        return name, rest
    return None


def _replies_to(message: Message, me: Identity) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == me.user_id)


def _without_mentions(message: Message, me: Identity) -> str | None:
    """The text with this bot's mentions removed, or None if the bot is not mentioned."""
    text, found = message.text, False
    kinds = [MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]
    for entity, surface in message.parse_entities(kinds).items():
        ours = (surface.lower() == f"@{me.username.lower()}" if entity.type == MessageEntityType.MENTION
                else entity.user is not None and entity.user.id == me.user_id)
        if ours:
            text, found = text.replace(surface, " ", 1), True
    return " ".join(text.split()).strip(" ,:;，：") if found else None


# replies -> HTML -----------------------------------------------------------------------------------------

def render(reply: Reply) -> list[str]:
    """A reply as Telegram HTML messages: escaped text, numbered citation links, sources, "as of".

    Each document is listed once, by outlet (or its title, marked as such), date and link;
    a server path never appears. Each message is at most 4096 characters and has balanced tags.
    """
    reply = _localized(reply)
    sources, numbers = reply.sources()
    links = {s.number: s.link for s in sources if s.link}
    bold = reply.kind in ("summary", "digest")
    lines = [_lead_line(renumber_markers(line, numbers), links, bold) for line in reply.lead.splitlines()]
    if reply.bullets:
        lines.append("")
        for b in reply.bullets:
            lines.append(f"• {_esc(b.text)} {_cites(dict.fromkeys(numbers.get(n, n) for n in b.cites), links)}".rstrip())
            if b.note:
                lines.append(f"   <i>{_esc(b.note)}</i>")
            if b.translation:  # beside the verbatim quote, never instead of it
                label = reply.labels.get("machine_translation") or i18n.t("label.machine_translation", reply.language)
                lines.append(f"   <i>{_esc(label)}: {_esc(b.translation)}</i>")
    if sources:
        lines += ["", f"<b>{_esc(reply.labels['sources'])}</b>"]
        lines += [_source_line(reply, s) for s in sources]
    if reply.as_of_line() or reply.notes:
        lines.append("")
        lines += [f"<i>{_esc(line)}</i>" for line in (reply.as_of_line(), *reply.notes) if line]
    return split_html(lines)


def render_evidence(reply: Reply) -> list[str]:
    """The expanded sources behind a reply: each document once, with its verbatim quotes."""
    reply = _localized(reply)
    sources, _ = reply.sources()
    lines = [f"<b>{_esc(reply.labels['sources'])}</b>"]
    for source in sources:
        lines += ["", _source_line(reply, source)]
        if source.citation.title and not source.named_by_title:
            lines.append(f"<i>{_esc(_shorten(source.citation.title))}</i>")
        lines += [f"“{_esc(' '.join(quote.split()))}”" for quote in source.quotes]
    return split_html(lines)


def _localized(reply: Reply) -> Reply:
    return replace(reply, labels={**i18n.labels(reply.language), **reply.labels})


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _shorten(text: str, limit: int = _MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cite(n: int, links: dict[int, str]) -> str:
    return f'<a href="{_esc(links[n])}">[{n}]</a>' if n in links else f"[{n}]"


def _cites(numbers: Iterable[int], links: dict[int, str]) -> str:
    return "".join(_cite(n, links) for n in numbers)


def _linkify(text: str, links: dict[int, str]) -> str:
    """Escape text and turn Parley's own citation markers in it into links.

    A "[1][2]" that comes with a document's words (a quote, a headline) stays plain text:
    only markers the core wrote with ``bot.messages.cite`` link to a source.
    """
    return "".join(_cite(part, links) if isinstance(part, int) else _esc(part) for part in cite_segments(text))


def _lead_line(line: str, links: dict[int, str], bold: bool) -> str:
    rendered = _linkify(line, links)
    return f"<b>{rendered}</b>" if bold and line.strip() and len(line) <= 300 else rendered


def _source_line(reply: Reply, source: Source) -> str:
    name = _esc(_shorten(reply.source_name(source)))
    if source.link:
        name = f'<a href="{_esc(source.link)}">{name}</a>'
    published = source.citation.published
    when = published.isoformat() if published else _esc(reply.labels["undated"])
    return f"[{source.number}] {name}, {when}"


# splitting --------------------------------------------------------------------------------------------------

_ATOM = re.compile(r"<([a-zA-Z][\w-]*)[^>]*>.*?</\1>|&#?\w+;|.", re.S)
_BREAK_AFTER = set(" \t.!?;,:)。！？；，、：」』）")


def width(text: str) -> int:
    """Length the way Telegram counts it (UTF-16 code units); HTML source is never shorter than its text."""
    return len(text.encode("utf-16-le")) // 2


def split_html(lines: list[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Pack lines of balanced HTML into messages of at most ``limit``, breaking between lines when possible."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _split_line(line, limit):
            if current and size + 1 + width(piece) > limit:
                parts.append("\n".join(current))
                current, size = [], 0
            size += width(piece) + (1 if current else 0)
            current.append(piece)
    parts.append("\n".join(current))
    return [part.strip("\n") for part in parts if part.strip()]


def _split_line(line: str, limit: int) -> Iterator[str]:
    """One over-long line cut between tags and entities, preferably after a space or punctuation."""
    if width(line) <= limit:
        yield line
        return
    chunk: list[str] = []
    size = 0
    last_break = 0
    for atom in _atoms(line, limit):
        if chunk and size + width(atom) > limit:
            cut = last_break if last_break > len(chunk) // 2 else len(chunk)
            yield "".join(chunk[:cut])
            chunk = chunk[cut:]
            size = sum(width(a) for a in chunk)
            last_break = max((i + 1 for i, a in enumerate(chunk) if a in _BREAK_AFTER), default=0)
        chunk.append(atom)
        size += width(atom)
        if atom in _BREAK_AFTER:  # single characters only: an entity also ends in ";"
            last_break = len(chunk)
    if chunk:
        yield "".join(chunk)


def _atoms(line: str, limit: int) -> Iterator[str]:
    """Whole elements, entities and single characters; an element too long to keep whole loses its tags."""
    for match in _ATOM.finditer(line):
        atom = match.group()
        if width(atom) > limit:
            plain = _esc(html.unescape(re.sub(r"<[^>]+>", "", atom)))
            yield from (m.group() for m in _ATOM.finditer(plain))
            continue
        yield atom


def to_plain(part: str) -> str:
    """A rendered HTML message as plain text, keeping link targets other than citation numbers."""
    def link(match: re.Match) -> str:
        href, label = match.group(1), match.group(2)  # both still escaped: tags are stripped next
        return label if re.fullmatch(r"\[\d+\]", label) else f"{label} ({href})"

    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', link, part, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


# the sources button -----------------------------------------------------------------------------------------

class EvidenceCache:
    """A bounded LRU of expanded evidence, keyed by a short digest of it that fits in callback data.

    Keying by content means a summary pushed to many chats takes one entry, not one per chat.
    The core keeps the evidence too (``Bot.keep_evidence``): this is only the fast path.
    """

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, list[str]] = OrderedDict()

    @staticmethod
    def key_of(parts: list[str]) -> str:
        """The key of rendered evidence: 8 URL-safe characters."""
        digest = hashlib.sha256("\x00".join(parts).encode()).digest()
        return base64.urlsafe_b64encode(digest[:6]).decode()

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def put(self, parts: list[str], key: str | None = None) -> str:
        """Store parts (under ``key``, or their own); returns the key."""
        key = key or self.key_of(parts)
        self._items[key] = parts
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> list[str] | None:
        """The parts for a key, or None once evicted."""
        parts = self._items.get(key)
        if parts is not None:
            self._items.move_to_end(key)
        return parts


class Recent:
    """A bounded LRU mapping (oldest entries go first)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def put(self, key, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, key):
        return self._items.get(key)


# logging -----------------------------------------------------------------------------------------------------

class RedactToken(logging.Filter):
    """Replaces the bot token in log records (PTB and httpx log request URLs, which embed it)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        with contextlib.suppress(Exception):  # a malformed record is logging's problem, not ours
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def _library_loggers() -> list[logging.Logger]:
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in ("telegram", "httpx", "httpcore")]
    return [logging.getLogger(name) for name in dict.fromkeys(("telegram", "httpx", "httpcore", *names))]


# the adapter ---------------------------------------------------------------------------------------------------

class TelegramAdapter:
    """Runs a python-telegram-bot Application in the shared event loop and speaks for a core `Bot`."""

    platform = PLATFORM

    def __init__(self, bot: "Bot", config: "TelegramConfig | Settings"):
        self.bot = bot
        self.config = config if isinstance(config, TelegramConfig) else TelegramConfig.from_settings(config)
        self.pacing = self.config.pacing
        self.evidence = EvidenceCache(self.config.evidence_cache_size)
        self.asked = Recent(self.config.evidence_cache_size)  # (chat id, answer message id) -> the question it answered
        self.application: Application | None = None
        self.identity: Identity | None = None
        self._redactor = RedactToken(self.config.token)
        self._filtered: list[logging.Filterer] = []

    @classmethod
    def from_settings(cls, bot: "Bot", settings: "Settings") -> "TelegramAdapter":
        """The adapter for ``settings.telegram_*``."""
        return cls(bot, TelegramConfig.from_settings(settings))

    # lifecycle ----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect (getMe), register the command menu, and begin polling or serving the webhook."""
        self._hide_token_in_logs()
        app = self.application = self._build_application()
        try:
            await app.initialize()
            await self._begin_receiving(app)
        except BaseException:
            await self.stop()
            raise

    async def _begin_receiving(self, app: Application) -> None:
        """With the bot known (getMe done): command menu, then polling or the webhook server."""
        me = app.bot
        self.identity = Identity(me.username, me.id, self.config.admin_ids, frozenset(self.bot.commands))
        await self._register_commands()
        await app.start()
        if self.config.webhook_url:
            await self._start_webhook(app)
        else:
            await app.updater.start_polling(timeout=self.config.poll_timeout, allowed_updates=list(ALLOWED_UPDATES))
        log.info("Telegram adapter running as @%s (%s)", me.username, "webhook" if self.config.webhook_url else "polling")

    async def stop(self) -> None:
        """Stop receiving updates and close the HTTP clients."""
        app, self.application = self.application, None
        webhook, self._webhook = getattr(self, "_webhook", None), None
        if webhook is not None:
            await webhook.stop()
        if app is not None:
            if app.updater and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
        for target in self._filtered:
            target.removeFilter(self._redactor)
        self._filtered = []

    def _build_application(self) -> Application:
        app = (ApplicationBuilder().token(self.config.token).base_url(self.config.api_url)
               .base_file_url(self.config.file_url).concurrent_updates(True).build())
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_message))
        app.add_handler(CallbackQueryHandler(self._on_sources_button, pattern=f"^{SOURCES_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self._on_feedback_button, pattern=f"^{FEEDBACK_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self._on_other_button))
        app.add_error_handler(self._on_error)
        return app

    async def _start_webhook(self, app: Application) -> None:
        """Serve the webhook (acknowledging an update only once handled, so any worker behind a balancer may take
        it and a dead one's updates are retried), then tell Telegram where it is."""
        from adapters.telegram_webhook import WebhookServer

        host, _, port = self.config.webhook_listen.rpartition(":")
        self._webhook = WebhookServer(app, host=host or "0.0.0.0", port=int(port),
                                      path=urlparse(self.config.webhook_url).path, secret=self.config.webhook_secret)
        await self._webhook.start()
        await app.bot.set_webhook(self.config.webhook_url, secret_token=self.config.webhook_secret,
                                  allowed_updates=list(ALLOWED_UPDATES))

    def _hide_token_in_logs(self) -> None:
        httpx_logger = logging.getLogger("httpx")
        if httpx_logger.level == logging.NOTSET:  # one INFO line per poll otherwise, with the token in it
            httpx_logger.setLevel(logging.WARNING)
        self._filtered = [*_library_loggers(), log, *logging.getLogger().handlers]
        for target in self._filtered:
            target.addFilter(self._redactor)

    async def _register_commands(self) -> None:
        """setMyCommands in English (default) and Chinese; admins also see admin-only commands in their chat."""
        specs = list(self.bot.commands.values())
        public = [s for s in specs if not s.admin_only]
        menus = [(public, None, "en", None), (public, "zh", "zh-Hans", None)]
        for admin in sorted(a for a in self.config.admin_ids if a.isdigit()):
            scope = BotCommandScopeChat(int(admin))
            menus += [(specs, None, "en", scope), (specs, "zh", "zh-Hans", scope)]
        for chosen, code, language, scope in menus:
            commands = [BotCommand(s.name, _describe(s, language)) for s in chosen]
            try:
                await self.application.bot.set_my_commands(commands, scope=scope, language_code=code)
            except TelegramError as exc:
                log.warning("could not register the Telegram command menu (%s): %s", code or "default", exc)

    # incoming -------------------------------------------------------------------------------------------------
    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        request = to_request(update, self.identity)
        if request is None:
            return
        message = update.message
        request = await self._with_chat_rights(self._with_earlier_question(request, message))
        async with self._typing(message.chat_id, _thread_of(message)):
            reply = await self.bot.handle(request)
        quote = None if request.is_private else message.message_id
        try:
            await self._send_attachment(message.chat_id, reply, reply_to=quote, thread_id=_thread_of(message))
            sent = await self._send_parts(message.chat_id, render(reply), markup=await self._sources_markup(reply),
                                          reply_to=quote, thread_id=_thread_of(message))
        except DeliveryError as exc:
            log.warning("could not answer /%s in %s: %s", request.command, request.chat, exc)
            return
        if request.command == _ASK:
            for sent_id in sent:  # a reply to any part of the answer follows up its question
                self.asked.put((message.chat_id, sent_id), request.text)

    def _with_earlier_question(self, request: Request, message: Message) -> Request:
        """A question replying to one of Parley's answers carries the question that answer was for (its first line,
        when the answer was sent before a restart), so it is read in that question's context."""
        original = message.reply_to_message
        if request.command != _ASK or original is None or not _replies_to(message, self.identity):
            return request
        earlier = self.asked.get((message.chat_id, original.message_id))
        if earlier is None:
            earlier = (original.text or original.caption or "").strip().split("\n", 1)[0]
        return replace(request, follows=earlier) if earlier else request

    async def _with_chat_rights(self, request: Request) -> Request:
        """Ask Telegram whether the sender administers this group, for commands that need it."""
        spec = self.bot.commands.get(request.command)
        if request.is_private or spec is None or not spec.uses_chat_rights or request.sender.can_manage_chat:
            return request
        try:
            member = await self.application.bot.get_chat_member(chat_and_thread(request.chat)[0], int(request.sender.user_id))
        except TelegramError as exc:
            log.warning("could not check %s's rights in %s: %s", request.sender.user_id, request.chat, exc)
            return request
        manages = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        return replace(request, sender=replace(request.sender, can_manage_chat=manages))

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int, thread_id: int | None):
        """Show "typing…" until the block ends; the last action completes before the answer is sent."""
        done = asyncio.Event()
        task = asyncio.create_task(self._keep_typing(chat_id, thread_id, done))
        try:
            yield
        finally:
            done.set()
            await task

    async def _keep_typing(self, chat_id: int, thread_id: int | None, done: asyncio.Event) -> None:
        while not done.is_set():
            try:
                await self.application.bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
            except TelegramError as exc:
                log.debug("typing action in %s failed: %s", chat_id, exc)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_EVERY)

    async def _on_sources_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Expand the evidence behind an answer; expired ids get a short notice. Always answers the query."""
        query = update.callback_query
        key = query.data.removeprefix(SOURCES_PREFIX)
        parts = self.evidence.get(key) or await self._recall_evidence(key)
        if parts is None:
            language = i18n.normalize_language(query.from_user.language_code) or self.bot.settings.default_language
            await self._answer_query(query, i18n.t("telegram.sources_expired", language))
            return
        await self._answer_query(query)
        if query.message is None:
            return
        try:
            await self._send_parts(query.message.chat.id, parts, reply_to=query.message.message_id)
        except DeliveryError as exc:
            log.warning("could not expand sources in %s: %s", query.message.chat.id, exc)

    async def _on_feedback_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A 👍 or 👎 under an answer: stored once per user (a second press changes it), acknowledged in a toast."""
        query = update.callback_query
        sign, _, answer_id = query.data.removeprefix(FEEDBACK_PREFIX).partition(":")
        try:
            text = await self.bot.vote(answer_id, PLATFORM, str(query.from_user.id), 1 if sign == "+" else -1,
                                       query.from_user.language_code)
        except Exception:  # a storage failure must still answer the query, or the button spins
            log.exception("could not store a vote on answer %s", answer_id)
            text = None
        await self._answer_query(query, text)

    async def _on_other_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer_query(update.callback_query)

    async def _answer_query(self, query, text: str | None = None) -> None:
        try:
            await query.answer(text=text)
        except TelegramError as exc:  # too late (queries expire after 15 minutes) or network
            log.debug("could not answer callback query %s: %s", query.id, exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update failed: %s", context.error, exc_info=context.error)

    # outgoing --------------------------------------------------------------------------------------------------
    async def send(self, chat: ChatRef, reply: Reply) -> None:
        """Push a reply (the outbox calls this); raises Transient/PermanentDeliveryError on failure."""
        if chat.platform != PLATFORM:
            raise ValueError(f"{chat} is not a Telegram chat")
        if self.application is None or not self.application.running:
            raise TransientDeliveryError("the Telegram adapter is not running")
        chat_id, thread_id = chat_and_thread(chat)
        # A flood wait is the outbox's to handle (it holds that chat and sends to the others meanwhile):
        # sitting it out here would hold the whole delivery pass.
        await self._send_attachment(chat_id, reply, thread_id=thread_id, sit_out_floods=False)
        await self._send_parts(chat_id, render(reply), markup=await self._sources_markup(reply), thread_id=thread_id,
                               sit_out_floods=False)

    async def _send_attachment(self, chat_id: int | str, reply: Reply, *, reply_to: int | None = None,
                               thread_id: int | None = None, sit_out_floods: bool = True) -> None:
        """A reply's picture (the gap matrix, a timeline) as a photo, its alt text as the caption, before the text."""
        if reply.attachment is None:
            return
        picture = reply.attachment
        await self._call(lambda: self.application.bot.send_photo(
            chat_id, InputFile(picture.data, filename=picture.filename), caption=picture.alt[:1024],
            message_thread_id=thread_id,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None),
            sit_out_floods=sit_out_floods)

    async def _sources_markup(self, reply: Reply) -> InlineKeyboardMarkup | None:
        """The buttons under a reply: "Show sources" when it quotes anything (its evidence kept by the core too, so
        the button still works after a restart), 👍/👎 when it may be rated."""
        rows = []
        if any(c.quote for c in reply.citations):
            label = reply.labels.get("more") or i18n.t("label.more", reply.language)
            parts = render_evidence(reply)
            key = self.evidence.key_of(parts)
            if key not in self.evidence:  # a broadcast keeps its evidence once, not once per chat
                try:
                    await self.bot.keep_evidence(key, reply)
                except Exception:  # the button still works while this process runs
                    log.warning("could not keep the evidence of a Sources button", exc_info=True)
            self.evidence.put(parts, key)
            rows.append([InlineKeyboardButton(label, callback_data=SOURCES_PREFIX + key)])
        if reply.feedback_id:
            rows.append([InlineKeyboardButton("👍", callback_data=f"{FEEDBACK_PREFIX}+:{reply.feedback_id}"),
                         InlineKeyboardButton("👎", callback_data=f"{FEEDBACK_PREFIX}-:{reply.feedback_id}")])
        return InlineKeyboardMarkup(rows) if rows else None

    async def _recall_evidence(self, key: str) -> list[str] | None:
        """Evidence this process does not hold (it was restarted, or evicted it), from the core."""
        try:
            reply = await self.bot.recall_evidence(key)
        except Exception:
            log.warning("could not read the evidence of Sources button %s", key, exc_info=True)
            return None
        if reply is None:
            return None
        parts = render_evidence(reply)
        self.evidence.put(parts, key)
        return parts

    async def _send_parts(self, chat_id: int | str, parts: list[str], *, markup: InlineKeyboardMarkup | None = None,
                          reply_to: int | None = None, thread_id: int | None = None,
                          sit_out_floods: bool = True) -> list[int]:
        """Send rendered parts in order; the button goes under the last, the first quotes ``reply_to``.
        Returns the sent messages' ids."""
        sent = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent.append(await self._send_part(chat_id, part, markup=markup if last else None,
                                              reply_to=reply_to if index == 0 else None, thread_id=thread_id,
                                              sit_out_floods=sit_out_floods))
        return sent

    async def _send_part(self, chat_id: int | str, part: str, *, markup: InlineKeyboardMarkup | None,
                         reply_to: int | None, thread_id: int | None, sit_out_floods: bool = True) -> int:
        def send(text: str, parse_mode: str | None) -> Callable[[], Awaitable[Message]]:
            return lambda: self.application.bot.send_message(
                chat_id, text, parse_mode=parse_mode, reply_markup=markup, message_thread_id=thread_id,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None)

        try:
            message = await self._call(send(part, ParseMode.HTML), sit_out_floods=sit_out_floods)
        except BadRequest as exc:  # only formatting errors get here
            log.warning("Telegram refused the HTML of a message to %s (%s); sending it as plain text", chat_id, exc)
            message = await self._call(send(to_plain(part), None), sit_out_floods=sit_out_floods)
        return message.message_id

    async def _call(self, func: Callable[[], Awaitable[T]], *, sit_out_floods: bool = True) -> T:
        """One Bot API call: flood waits are waited out (unless ``sit_out_floods`` is false) and network errors
        retried with backoff.

        Raises PermanentDeliveryError (blocked, kicked, migrated), TransientDeliveryError
        (still failing, or a flood wait too long, or not ours, to sit through), or BadRequest when
        Telegram refused the formatting, so the caller can resend plain text.
        """
        def worth_retrying(exc: BaseException) -> bool:
            return self._worth_retrying(exc) and (sit_out_floods or not isinstance(exc, RetryAfter))

        retrying = AsyncRetrying(retry=retry_if_exception(worth_retrying), wait=self._wait,
                                 stop=stop_after_attempt(self.config.send_attempts), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    return await func()
        except TelegramError as exc:
            error = _delivery_error(exc)
            if error is exc:
                raise
            raise error from exc
        raise AssertionError("unreachable: tenacity either returns or reraises")

    def _worth_retrying(self, exc: BaseException) -> bool:
        if isinstance(exc, RetryAfter):
            return _retry_seconds(exc) <= self.config.max_retry_after
        return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)

    def _wait(self, state) -> float:
        exc = state.outcome.exception()
        if isinstance(exc, RetryAfter):
            log.info("Telegram flood control: waiting %.0f s", _retry_seconds(exc))
            return _retry_seconds(exc)
        log.info("Telegram call failed (%s); retrying", exc)
        return wait_exponential(multiplier=self.config.backoff_seconds, max=self.config.backoff_max)(state)

def _thread_of(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _describe(spec, language: str) -> str:
    description = spec.description.get(language) or spec.description["en"]
    usage = f" ({spec.usage})" if spec.usage else ""
    return (description + usage)[:256]


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns while retry_after migrates from int to timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# BadRequest descriptions that mean the chat is gone for good (others may be a passing glitch).
_GONE = ("chat not found", "bot was kicked", "not enough rights", "have no rights", "user is deactivated",
         "chat was deactivated", "bot is not a member", "chat_write_forbidden")


def _delivery_error(exc: TelegramError) -> Exception:
    """Map a python-telegram-bot error to the core's delivery errors (formatting errors pass through)."""
    message = str(exc)
    if isinstance(exc, ChatMigrated):
        return PermanentDeliveryError(message, migrate_to=str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return PermanentDeliveryError(message)
    if isinstance(exc, RetryAfter):
        return TransientDeliveryError(message, retry_after=_retry_seconds(exc))
    if isinstance(exc, BadRequest):
        lowered = message.lower()
        if "parse entities" in lowered:
            return exc
        if any(marker in lowered for marker in _GONE):
            return PermanentDeliveryError(message)
    return TransientDeliveryError(message)
