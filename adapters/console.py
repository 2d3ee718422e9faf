"""The console adapter: chat with Parley in a terminal, no tokens needed."""
from __future__ import annotations

import asyncio
import logging
import sys
import threading
from dataclasses import replace
from typing import TextIO

from bot.chat.dispatch import Bot
from bot.messages import ChatRef, Reply, Request, Sender
from bot.text import i18n

log = logging.getLogger(__name__)
CHAT = ChatRef("console", "local")
BANNER = ("Parley: answers about the negotiations, quoted from its sources and cited.\n"
          "Ask a question, or type /help. Ctrl-D quits.\n")


def to_request(line: str, language: str | None = None) -> Request | None:
    """A typed line as a core request: "/command args" runs a command, anything else is a question.

    A terminal has no locale, so ``language`` is normally None: the core then answers a command in
    the language of its arguments, and a question in the question's language.
    """
    line = line.strip()
    if not line:
        return None
    # The person at the terminal runs the process, so they are its admin.
    sender = Sender(user_id="local", name="console", is_bot_admin=True, can_manage_chat=True)
    if line.startswith("/"):
        command, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        return Request(CHAT, sender, command.lower(), rest, tuple(rest.split()), language, is_private=True)
    return Request(CHAT, sender, "ask", line, tuple(line.split()), language, is_private=True)


def render(reply: Reply) -> str:
    """Plain text: the lead, evidence bullets, each cited document once, the as-of date and notes."""
    return replace(reply, labels={**i18n.labels(reply.language), **reply.labels}).plain()


class ConsoleAdapter:
    """Reads questions from a stream (stdin) and prints replies and pushed summaries.

    Whatever arrives while the prompt waits for input (a pushed summary, a log line) is
    printed on the prompt's line and the prompt is drawn again below it, so the prompt is
    never overwritten or left in the middle of other text.
    """

    platform = "console"
    pacing = None  # a terminal takes every message at once

    def __init__(self, bot: Bot, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, prompt: str = "parley> "):
        self.bot = bot
        self.stdin = stdin
        self.stdout = stdout
        self.prompt = prompt
        self._task: asyncio.Task | None = None
        self.finished = asyncio.Event()
        self._prompting = False
        self._lock = threading.Lock()  # log lines come from worker threads too

    async def start(self) -> None:
        self._write(BANNER)
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        self.print_above(render(reply) + "\n")

    def print_above(self, text: str) -> None:
        """Print ``text`` above the prompt: on its line when it is showing, then draw the prompt again."""
        with self._lock:
            if self._prompting:
                clear = "\r\x1b[2K" if self._is_terminal() else "\n"
                self.stdout.write(clear + text.rstrip("\n") + "\n" + self.prompt)
            else:
                self.stdout.write(text.rstrip("\n") + "\n")
            self.stdout.flush()

    def log_stream(self) -> "_AbovePrompt":
        """A stream for a logging handler that prints records above the prompt."""
        return _AbovePrompt(self)

    async def _loop(self) -> None:
        try:
            while True:
                with self._lock:
                    self.stdout.write(self.prompt)
                    self.stdout.flush()
                    self._prompting = True
                line = await asyncio.to_thread(self.stdin.readline)
                with self._lock:
                    self._prompting = False
                if not line:
                    self._write("\n")
                    break
                request = to_request(line)
                if request is not None:
                    reply = await self.bot.handle(request)
                    self._write(render(reply) + "\n\n")
        finally:
            self.finished.set()

    def _is_terminal(self) -> bool:
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

    def _write(self, text: str) -> None:
        with self._lock:
            self.stdout.write(text)
            self.stdout.flush()


class _AbovePrompt:
    """A file-like object whose writes go above the console's prompt (for a logging.StreamHandler)."""

    def __init__(self, adapter: ConsoleAdapter):
        self.adapter = adapter

    def write(self, text: str) -> int:
        if text.strip():
            self.adapter.print_above(text)
        return len(text)

    def flush(self) -> None:
        pass
