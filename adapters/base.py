"""The adapter protocol every chat platform implements."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.messages import ChatRef, Pacing, Reply


@runtime_checkable
class Adapter(Protocol):
    """A chat platform. It owns a `Bot` (it is not one): events in, `Reply` rendering out.

    ``send`` is what the outbox calls for pushes. It must raise
    `bot.errors.TransientDeliveryError` (retry later: rate limits, 5xx, network) or
    `bot.errors.PermanentDeliveryError` (chat gone, bot blocked/kicked; ``migrate_to``
    set when the chat moved) instead of only logging a failure.

    ``pacing`` declares the platform's push limits, which the outbox keeps to (None: the adapter, or its
    library, paces itself). ``to_request`` (platform event -> ``Request``) and ``render`` (``Reply`` ->
    platform messages) are pure functions of each adapter's module, tested directly.
    """

    platform: str
    pacing: Pacing | None

    async def start(self) -> None:
        """Connect and begin receiving events; returns once running."""

    async def stop(self) -> None:
        """Disconnect cleanly."""

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        """Deliver a pushed reply to a chat, or raise a DeliveryError."""
