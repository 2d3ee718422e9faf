"""Parley's exception tree.

    ParleyError
    ├── UserError            safe to show to the person who asked
    │   ├── UnknownCommand
    │   ├── BadArguments
    │   ├── NotAllowed
    │   ├── RateLimited
    │   └── NoSources
    ├── IngestError          one input could not be ingested; the batch goes on
    │   ├── FetchError       a URL failed, timed out, or was refused (``permanent``: retrying cannot help)
    │   │   └── BlockedAddress   the URL points at a private/loopback/link-local address (always permanent)
    │   └── BadDocument      binary, empty, undecodable, oversized or hostile content
    ├── DeliveryError        a platform refused or failed a send
    │   ├── TransientDeliveryError   try again later (rate limit, 5xx, network)
    │   └── PermanentDeliveryError   the chat is gone or blocked us
    └── StorageError
"""
from __future__ import annotations


class ParleyError(Exception):
    """Base of every error Parley raises on purpose."""


class UserError(ParleyError):
    """An error whose message is safe and useful to show in the chat."""


class UnknownCommand(UserError):
    """The chat sent a command Parley does not know."""


class BadArguments(UserError):
    """A command's arguments are missing or malformed."""


class NotAllowed(UserError):
    """The sender may not do this here (admin-only, manage-channel rights...)."""


class RateLimited(UserError):
    """The sender asked too often."""


class NoSources(UserError):
    """The corpus is empty, so nothing can be answered."""


class IngestError(ParleyError):
    """One input could not be ingested. ``origin`` names it."""

    def __init__(self, message: str, origin: str | None = None):
        super().__init__(message)
        self.origin = origin


class FetchError(IngestError):
    """A URL failed, timed out, or was refused.

    ``permanent`` is True when asking again cannot succeed (not a URL, another scheme, HTTP 404,
    a redirect loop); timeouts, connection failures and 5xx answers are worth another try later.
    """

    def __init__(self, message: str, origin: str | None = None, *, permanent: bool = False):
        super().__init__(message, origin)
        self.permanent = permanent


class BlockedAddress(FetchError):
    """A URL resolves to a private, loopback, link-local or metadata address."""

    def __init__(self, message: str, origin: str | None = None):
        super().__init__(message, origin, permanent=True)


class BadDocument(IngestError):
    """The content is binary, empty, undecodable, oversized or hostile."""


class DeliveryError(ParleyError):
    """A platform did not accept a message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later. ``retry_after`` is the platform's hint in seconds, if any.

    ``global_limit`` is True when the platform said the wait holds for every chat (Discord's
    global rate limit), not only for the one this message was for.
    """

    def __init__(self, message: str, retry_after: float | None = None, *, global_limit: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.global_limit = global_limit


class PermanentDeliveryError(DeliveryError):
    """The chat is gone, blocked the bot, or the bot lost access. ``migrate_to`` is set when the chat moved."""

    def __init__(self, message: str, migrate_to: str | None = None):
        super().__init__(message)
        self.migrate_to = migrate_to


class StorageError(ParleyError):
    """The database is unreachable or refused an operation."""
