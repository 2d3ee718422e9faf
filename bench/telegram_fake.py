"""A loopback Telegram Bot API for the delivery bench that enforces Telegram's send limits and counts what happened.

Limits, as sliding windows over accepted messages (refused ones don't count):
- at most ``per_second`` (30) sendMessage calls in any 1-second window, over all chats;
- at most ``group_per_minute`` (20) in any 60-second window to one group (negative chat id).
A call over a limit gets what Telegram sends: HTTP 429, ``{"ok": false, "error_code": 429,
"parameters": {"retry_after": N}}`` with N the whole seconds until the window has room.
It answers just enough of the API for python-telegram-bot to start, poll and send.
"""
from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "1000001:bench-token-not-a-secret"
ME = {"id": 1000001, "is_bot": True, "first_name": "Parley", "username": "ParleyBenchBot", "can_join_groups": True,
      "can_read_all_group_messages": False, "supports_inline_queries": False}
TRUE_METHODS = {"deleteWebhook", "setWebhook", "setMyCommands", "deleteMyCommands", "sendChatAction",
                "answerCallbackQuery", "close", "logOut", "setChatMenuButton"}  # the methods that just answer True


class LoopbackBotAPI:
    """A Bot API server on 127.0.0.1, on a free port, serving ``/bot{token}/{method}`` with ``_handle``.

    The shared lifecycle of the bench's enforcing server and the tests' recording fake (tests/fakes/telegram_api.py).
    """

    port = 0
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def _release(self) -> None:
        """Let long polls still waiting return (called first by ``stop``)."""

    async def start(self):
        """Listen on 127.0.0.1, on a free port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a long poll the client gave up on must not hold the server open
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release long polls and close the server."""
        self._release()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The ``api_url`` / ``base_url`` for python-telegram-bot, which appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"


@dataclass
class Counters:
    """What the server saw: accepted messages (with times), 429s, other errors, and the densest windows."""

    accepted: int = 0
    too_many_requests: int = 0
    other_errors: int = 0
    accepted_at: list[float] = field(default_factory=list)
    per_chat: dict[str, int] = field(default_factory=dict)

    def max_in_window(self, seconds: float) -> int:
        """The most messages accepted within any window of ``seconds`` (to check the limits held)."""
        best, start = 0, 0
        times = self.accepted_at
        for end in range(len(times)):
            while times[end] - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best


class EnforcingTelegramAPI(LoopbackBotAPI):
    """Start it, point the Telegram adapter's ``api_url`` at ``base_url``, send, then read ``counters``."""

    def __init__(self, per_second: int = 30, group_per_minute: int = 20, clock=time.monotonic):
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.clock = clock
        self.counters = Counters()
        self._recent: deque[float] = deque()
        self._groups: dict[str, deque[float]] = {}
        self._message_ids = itertools.count(1)
        self._stopping = asyncio.Event()

    def _release(self) -> None:
        self._stopping.set()

    # -- the API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = {key: str(value) for key, value in (await request.post()).items()}
        if method == "getMe":
            return _ok(ME)
        if method == "getUpdates":
            return _ok(await self._long_poll(float(params.get("timeout") or 0)))
        if method == "sendMessage":
            return self._send_message(params)
        if method in TRUE_METHODS:
            return _ok(True)
        self.counters.other_errors += 1
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _long_poll(self, timeout: float) -> list:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout)
        except TimeoutError:
            pass
        return []

    def _send_message(self, params: dict[str, str]) -> web.Response:
        chat_id = params.get("chat_id", "")
        if not chat_id or not params.get("text", "").strip():
            self.counters.other_errors += 1
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
                                     status=400)
        now = self.clock()
        wait = self.retry_after(chat_id, now)
        if wait > 0:
            self.counters.too_many_requests += 1
            return web.json_response({"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {wait}",
                                      "parameters": {"retry_after": wait}}, status=429)
        self._record(chat_id, now)
        chat = {"id": int(chat_id), "type": "supergroup" if chat_id.startswith("-") else "private", "title": "Bench"}
        return _ok({"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": ME,
                    "text": params.get("text", "")})

    def retry_after(self, chat_id: str, now: float) -> int:
        """Whole seconds the sender must wait before a message to ``chat_id`` fits both windows (0: it fits now)."""
        _expire(self._recent, now, 1.0)
        wait = 0.0
        if len(self._recent) >= self.per_second:
            wait = self._recent[len(self._recent) - self.per_second] + 1.0 - now
        window = self._groups.get(chat_id) if chat_id.startswith("-") else None
        if window is not None:
            _expire(window, now, 60.0)
            if len(window) >= self.group_per_minute:
                wait = max(wait, window[len(window) - self.group_per_minute] + 60.0 - now)
        return math.ceil(wait) if wait > 0 else 0

    def _record(self, chat_id: str, now: float) -> None:
        self._recent.append(now)
        if chat_id.startswith("-"):
            self._groups.setdefault(chat_id, deque()).append(now)
        self.counters.accepted += 1
        self.counters.accepted_at.append(now)
        self.counters.per_chat[chat_id] = self.counters.per_chat.get(chat_id, 0) + 1


def _expire(window: deque[float], now: float, seconds: float) -> None:
    while window and now - window[0] >= seconds:
        window.popleft()


def _ok(result) -> web.Response:
    return web.json_response({"ok": True, "result": result})
