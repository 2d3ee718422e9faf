"""The Bot: turns a platform-free Request into a Reply, whatever the platform."""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable

from bot.chat.suggestions import suggest_entities
from bot.chat import feedback
from bot.config import Settings
from bot.delivery.provenance import annotate
from bot.errors import NotAllowed, RateLimited, UnknownCommand, UserError
from bot.messages import CITE_MARK, Reply, Request, evidence_from_json, evidence_to_json, unmarked
from bot.services import Services
from bot.text import i18n
from bot.text.normalize import language_of
from storage.repo import load_evidence, save_evidence

log = logging.getLogger(__name__)
_LETTERS = re.compile(r"[^\W\d_]")

Handler = Callable[["Bot", Request, str], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    """A chat command: its name, argument hint, localized descriptions and who may run it."""

    name: str
    usage: str
    description: dict[str, str]
    handler: Handler
    admin_only: bool = False  # bot admins from PARLEY_ADMIN_IDS
    needs_manage: bool = False  # group admin / Manage Channels, in group chats
    # The handler itself looks at the sender's chat rights (/settings: anyone may look, admins may change),
    # so adapters that must ask the platform for them (Telegram) do so for this command too.
    checks_manage: bool = False
    rate_limited: bool = False  # counts against the per-user question budget
    options: tuple[str, ...] = ()  # argument names for slash-command platforms

    @property
    def uses_chat_rights(self) -> bool:
        """Whether the sender's rights in the chat matter: the core requires them, or the handler reads them."""
        return self.needs_manage or self.checks_manage


@dataclass
class RateLimiter:
    """A sliding one-minute window of questions per user."""

    per_minute: int
    _hits: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))

    def check(self, user: str, now: float | None = None) -> None:
        """Record one question, or raise RateLimited with the seconds to wait."""
        now = time.monotonic() if now is None else now
        hits = self._hits[user]
        while hits and now - hits[0] >= 60:
            hits.popleft()
        if self.per_minute and len(hits) >= self.per_minute:
            raise RateLimited(str(int(60 - (now - hits[0])) + 1))
        hits.append(now)


class Bot:
    """Dispatches requests to command handlers and turns user errors into replies.

    ``services`` holds what the handlers need (settings, database, answer engine), from ``build_services``.
    Handlers are plain async functions registered in bot.chat.commands.
    """

    def __init__(self, settings: Settings, services: Services, commands: list[CommandSpec]):
        self.settings = settings
        self.services = services
        self.commands = {spec.name: spec for spec in commands}
        self.rate_limiter = RateLimiter(settings.questions_per_minute)

    def language_for(self, request: Request) -> str:
        """The chat's chosen language, else the platform's hint, else the language of the command's arguments
        (a console has no locale: "/positions 乌克兰" is answered in Chinese), else the default."""
        preferred = self.services.chat_language(str(request.chat))
        hinted = i18n.normalize_language(request.language)
        if preferred:
            return preferred
        if hinted:
            return hinted
        if _LETTERS.search(request.text):
            return language_of(request.text, self.settings.default_language)
        return self.settings.default_language

    async def handle(self, request: Request) -> Reply:
        """Answer one request. Never raises: failures become a polite reply."""
        language = self.language_for(request)
        if CITE_MARK in request.text:  # only Parley writes its citation mark; a user's copy of it is dropped
            request = replace(request, text=unmarked(request.text), args=tuple(unmarked(request.text).split()))
        try:
            spec = self.commands.get(request.command)
            if spec is None:
                raise UnknownCommand(i18n.t("error.unknown_command", language, command=request.command))
            self._authorize(spec, request, language)
            if spec.rate_limited:
                self._check_rate(request, language)
            reply = await spec.handler(self, request, language)
            if reply.citations:
                reply = await self.run_blocking(annotate, self.services.engine, reply,
                                                stale_after_days=self.settings.stale_after_days)
            if self.settings.feedback_buttons and spec.name == "ask" and reply.kind == "answer" and not reply.ephemeral:
                answer_id = await self.run_blocking(feedback.record_answer, self.services.engine, str(request.chat),
                                                    request.text, reply)
                reply = replace(reply, feedback_id=answer_id)
            return reply
        except UserError as exc:
            return Reply(lead=str(exc), language=language, kind="error", ephemeral=True)
        except Exception:
            log.exception("command /%s failed in %s", request.command, request.chat)
            return Reply(lead=i18n.t("error.internal", language), language=language, kind="error", ephemeral=True)

    async def vote(self, answer_id: str, platform: str, user_id: str, value: int, language: str | None) -> str:
        """Store a 👍 (+1) or 👎 (-1) from a user on an answer; returns the short localized acknowledgement."""
        language = i18n.normalize_language(language) or self.settings.default_language
        outcome = await self.run_blocking(feedback.vote, self.services.engine, answer_id, f"{platform}:{user_id}", value)
        return i18n.t(f"feedback.{outcome}", language)

    def _authorize(self, spec: CommandSpec, request: Request, language: str) -> None:
        sender = request.sender
        if spec.admin_only and not sender.is_bot_admin:
            raise NotAllowed(i18n.t("error.admin_only", language))
        if spec.needs_manage and not request.is_private and not (sender.can_manage_chat or sender.is_bot_admin):
            raise NotAllowed(i18n.t("error.manage_only", language))

    def _check_rate(self, request: Request, language: str) -> None:
        try:
            self.rate_limiter.check(f"{request.chat.platform}:{request.sender.user_id}")
        except RateLimited as exc:
            raise RateLimited(i18n.t("error.rate_limited", language, seconds=str(exc))) from None

    def suggest(self, kind: str, typed: str, language: str, limit: int) -> list[tuple[str, str]]:
        """``(label, value)`` pairs of parties (``kind="party"``) or issues whose names contain ``typed``, for
        autocomplete; ``value`` is a name the commands read back as the same party or issue."""
        return suggest_entities(self.services.profile, kind, typed, language, limit)

    async def keep_evidence(self, key: str, reply: Reply) -> None:
        """Keep what a "Show sources" button under ``key`` expands to, so the button outlives this process."""
        await self.run_blocking(save_evidence, self.services.engine, key, evidence_to_json(reply))

    async def recall_evidence(self, key: str) -> Reply | None:
        """The reply whose sources the button ``key`` expands to, or None when it is not known (any more)."""
        data = await self.run_blocking(load_evidence, self.services.engine, key)
        return evidence_from_json(data) if data is not None else None

    async def run_blocking(self, func, *args, **kwargs):
        """Run CPU- or IO-bound core work off the event loop, so other chats are not stalled."""
        return await asyncio.to_thread(func, *args, **kwargs)
