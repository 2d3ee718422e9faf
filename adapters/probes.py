"""Connectivity probes for `parley healthcheck`: can each configured platform be reached with its token?"""
from __future__ import annotations

import httpx

from bot.config import Settings


def probe_telegram(settings: Settings, timeout: float = 5.0) -> str:
    """Call getMe; returns the bot's username or raises RuntimeError (without the token in the message)."""
    token = settings.telegram_token.get_secret_value()
    try:
        response = httpx.get(f"{settings.telegram_api_url}{token}/getMe", timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RuntimeError(f"Telegram API unreachable: {type(exc).__name__}") from None
    if not body.get("ok"):
        raise RuntimeError(f"Telegram refused the token: {body.get('description', response.status_code)}")
    return "@" + body["result"].get("username", "?")


def probe_discord(settings: Settings, timeout: float = 5.0) -> str:
    """Fetch /users/@me; returns the bot's name or raises RuntimeError."""
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    try:
        response = httpx.get(f"{settings.discord_api_url.rstrip('/')}/users/@me", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"Discord API unreachable: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise RuntimeError(f"Discord refused the token: HTTP {response.status_code}")
    return response.json().get("username", "?")
