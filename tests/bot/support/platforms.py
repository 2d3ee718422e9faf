"""Fake chat platforms for outbox tests: one keeps messages in memory, one appends receipts to a file."""
from __future__ import annotations

import os

from bot.messages import ChatRef, Pacing, Reply


class MemoryPlatform:
    """An Adapter that accepts every push into ``received`` unless ``errors`` names the chat."""

    def __init__(self, platform: str = "fake", pacing: Pacing | None = None):
        self.platform = platform
        self.pacing = pacing  # the limits the outbox keeps to for this platform, as a real adapter declares them
        self.received: list[tuple[str, Reply]] = []
        self.errors: dict[str, Exception] = {}  # str(chat) -> error raised on every send there

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        error = self.errors.get(str(chat))
        if error is not None:
            raise error
        self.received.append((str(chat), reply))

    def chats(self) -> list[str]:
        return [chat for chat, _ in self.received]


class ReceiptFile:
    """An Adapter whose "platform" is a file: one line per accepted message, written before send returns.

    The append is one write(2) on an O_APPEND descriptor, so a SIGKILL leaves whole lines only,
    and a line means the platform accepted the message, exactly like a 200 from a real API.
    """

    def __init__(self, path: str, tag: str = "-", platform: str = "fake"):
        self.platform = platform
        self.pacing: Pacing | None = None
        self.tag = tag
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        os.close(self._fd)

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        os.write(self._fd, f"{self.tag}\t{chat}\t{reply.kind}\n".encode())


def read_receipts(path) -> list[tuple[str, str]]:
    """(tag, chat) for every accepted message in a receipt file."""
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return []
    return [tuple(line.split("\t")[:2]) for line in text.splitlines() if line.count("\t") == 2]
