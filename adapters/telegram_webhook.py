"""Telegram's webhook, served so that an update is acknowledged only once it was handled (workers behind a balancer).

python-telegram-bot's own webhook server answers 200 as soon as an update is queued, so an update queued in a
worker that then dies is lost: Telegram only retries an update whose POST failed. Here the POST is answered
after the handlers ran (the reply was sent), so a worker killed mid-update leaves Telegram (or the load
balancer in front of several workers) a failed request to retry. A handler's error is the adapter's to log;
it still acknowledges the update, or Telegram would send it again and again.
"""
from __future__ import annotations

import json
import logging
import secrets

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"


class WebhookServer:
    """An aiohttp server on ``host:port`` that hands each POSTed update to ``application`` and answers when done."""

    def __init__(self, application: Application, *, host: str, port: int, path: str, secret: str | None):
        self.application = application
        self.host, self.port = host, port
        self.path = "/" + path.strip("/")
        self.secret = secret
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._on_update)
        app.router.add_get(HEALTH_PATH, self._on_health)  # the load balancer's check
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Telegram webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        """Stop accepting updates; those being handled finish first (aiohttp's graceful shutdown)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _on_health(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _on_update(self, request: web.Request) -> web.Response:
        if self.secret and not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            log.warning("refused a malformed webhook update: %s", exc)
            return web.Response(status=400)  # Telegram never sends these; no point in a retry either way
        await self.application.process_update(update)  # errors go to the application's error handler
        return web.Response(text="ok")
