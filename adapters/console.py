"""The console adapter: chat with Parley in a terminal, no tokens needed."""
from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from bot.chat.dispatch import Bot
from bot.messages import ChatRef, Reply, Request, Sender

log = logging.getLogger(__name__)
CHAT = ChatRef("console", "local")


def to_request(line: str, language: str | None = None) -> Request | None:
    """A typed line as a core request: "/command args" runs a command, anything else is a question."""
    line = line.strip()
    if not line:
        return None
    # The person at the terminal runs the process, so they are its admin.
    sender = Sender(user_id="local", name="console", is_bot_admin=True, can_manage_chat=True)
    if line.startswith("/"):
        command, _, rest = line[1:].partition(" ")
        return Request(CHAT, sender, command.lower(), rest.strip(), tuple(rest.split()), language, is_private=True)
    return Request(CHAT, sender, "ask", line, tuple(line.split()), language, is_private=True)


def render(reply: Reply) -> str:
    """Plain text: the lead, evidence bullets, numbered sources and the as-of date."""
    return reply.text


class ConsoleAdapter:
    """Reads questions from a stream (stdin) and prints replies and pushed summaries."""

    platform = "console"

    def __init__(self, bot: Bot, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, prompt: str = "parley> "):
        self.bot = bot
        self.stdin = stdin
        self.stdout = stdout
        self.prompt = prompt
        self._task: asyncio.Task | None = None
        self.finished = asyncio.Event()

    async def start(self) -> None:
        self._write("Parley is ready. Ask a question, or /help. Ctrl-D to stop the console.\n")
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        self._write("\n" + render(reply) + "\n")

    async def _loop(self) -> None:
        try:
            while True:
                self._write(self.prompt)
                line = await asyncio.to_thread(self.stdin.readline)
                if not line:
                    break
                request = to_request(line)
                if request is not None:
                    reply = await self.bot.handle(request)
                    self._write(render(reply) + "\n\n")
        finally:
            self.finished.set()

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
