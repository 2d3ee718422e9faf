"""A fake Discord REST API and gateway on 127.0.0.1 that records every call, so tests drive the real discord.py.

Use it like this::

    async with FakeDiscord() as fake:
        settings = make_settings(..., discord_api_url=fake.api_url, discord_gateway_url=fake.gateway_url)
        ...start the client...
        await fake.wait_identified()
        await fake.send_interaction(fake.slash("ask", question="..."))
        followup = await fake.wait_for("POST", r"/webhooks/\\d+/[^/]+$")

It behaves like Discord where the client can tell: JSON bodies with exactly
``Content-Type: application/json`` (discord.py reads anything else as text), HELLO then
READY on IDENTIFY, heartbeat ACKs, interaction callbacks answered once within 3 seconds
on ``?with_response=1``, followups only after the callback, and messages checked against
Discord's content and embed limits (a violation is a 400 "Invalid Form Body", code 50035).
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from aiohttp import WSMsgType, web

DATA = Path(__file__).resolve().parent.parent / "data" / "discord"
API_PREFIX = "/api/v10"
TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-SECRET-token"

# Permission bits, as Discord sends them in an interaction's member.permissions.
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ALL_PERMISSIONS = (1 << 51) - 1
EPHEMERAL = 1 << 6

# Interaction callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
AUTOCOMPLETE_RESULT = 8
INTERACTION_DEADLINE = 3.0  # seconds Discord waits for the callback

# Discord's message limits.
LIMITS = dict(content=2000, embeds=10, total=6000, title=256, description=4096, fields=25,
              field_name=256, field_value=1024, footer=2048, author=256, choices=25, choice=100)


def load(name: str) -> dict:
    """A canned JSON object from tests/data/discord/."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Call:
    """One REST request the client made, without the /api/v10 prefix, and what the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.monotonic)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # multipart uploads: (file name, bytes)

    @property
    def embeds(self) -> list[dict]:
        body = self.json or {}
        return body.get("embeds") or (body.get("data") or {}).get("embeds") or []

    @property
    def flags(self) -> int:
        body = self.json or {}
        return int(body.get("flags") or (body.get("data") or {}).get("flags") or 0)


@dataclass
class Fault:
    """A refusal for messages posted to one channel: the status, Discord's JSON body and headers."""

    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


def embed_length(embed: dict) -> int:
    """Characters Discord counts against the 6000 total: title, description, fields, footer, author."""
    return (len(embed.get("title") or "") + len(embed.get("description") or "")
            + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
            + len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or ""))


def message_problems(body: dict) -> list[str]:
    """Every way a message payload breaks Discord's limits (empty when Discord would accept it)."""
    problems = []
    content, embeds = body.get("content") or "", body.get("embeds") or []
    if len(content) > LIMITS["content"]:
        problems.append(f"content has {len(content)} characters")
    if not content and not embeds and not body.get("components"):
        problems.append("empty message")
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds")
    if sum(embed_length(e) for e in embeds) > LIMITS["total"]:
        problems.append(f"embeds total {sum(embed_length(e) for e in embeds)} characters")
    for i, embed in enumerate(embeds):
        fields = embed.get("fields") or []
        checks = [("title", len(embed.get("title") or "")), ("description", len(embed.get("description") or "")),
                  ("fields", len(fields)), ("footer", len((embed.get("footer") or {}).get("text") or ""))]
        checks += [("field_name", len(f.get("name") or "")) for f in fields]
        checks += [("field_value", len(f.get("value") or "")) for f in fields]
        problems += [f"embeds[{i}].{what} is {size} > {LIMITS[what]}" for what, size in checks if size > LIMITS[what]]
        problems += [f"embeds[{i}].fields has an empty name or value" for f in fields if not f.get("name") or not f.get("value")]
    return problems


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py reads a body with "; charset=utf-8" as plain text.
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


class FakeDiscord:
    """Discord's REST API and one gateway endpoint, on 127.0.0.1 and a free port."""

    def __init__(self, *, interaction_deadline: float = INTERACTION_DEADLINE):
        self.user = load("bot_user")
        self.application = load("application")
        self.app_id = self.application["id"]
        self.interaction_deadline = interaction_deadline
        self.calls: list[Call] = []
        self.frames: list[dict] = []  # gateway payloads the client sent
        self.messages: dict[str, dict] = {}  # every message the fake created, by id
        self.faults: dict[str, Fault] = {}  # channel id -> refusal
        self.one_shot: list[list] = []  # [method, path regex, calls to let through first, refusal], each used once
        self.commands: dict[str | None, list[dict]] = {}  # guild id (None: global) -> registered commands
        self._interactions: dict[str, dict] = {}  # token -> {"created", "answered", "payload"}
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(1_800_000_000_000_000_001)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern, Callable]] = [
            ("GET", re.compile(r"/users/@me$"), self._get_me),
            ("GET", re.compile(r"/oauth2/applications/@me$"), self._get_application),
            ("GET", re.compile(r"/gateway(/bot)?$"), self._get_gateway),
            ("PUT", re.compile(r"/applications/(?P<app>\d+)(/guilds/(?P<guild>\d+))?/commands$"), self._put_commands),
            ("POST", re.compile(r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback$"), self._callback),
            ("POST", re.compile(r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)$"), self._followup),
            ("PATCH", re.compile(r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)$"), self._edit),
            ("DELETE", re.compile(r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)$"), self._delete),
            ("POST", re.compile(r"/channels/(?P<channel>\d+)/messages$"), self._channel_message),
        ]

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> "FakeDiscord":
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> "FakeDiscord":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests call ------------------------------------------------------------------

    def slash(self, name: str, *, permissions: int = 0, locale: str = "en-US", user_id: str | None = None,
              guild: bool = True, focused: str | None = None, **options: str) -> dict:
        """An application-command (or, with ``focused``, autocomplete) interaction for /name with string options."""
        payload = self._interaction_base(permissions=permissions, locale=locale, user_id=user_id, guild=guild)
        payload["type"] = 4 if focused else 2
        payload["data"] = {"id": str(next(self._ids)), "name": name, "type": 1,
                           "options": [{"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
                                       for k, v in options.items()]}
        return payload

    def press(self, message: dict, custom_id: str, *, locale: str = "en-US", user_id: str | None = None) -> dict:
        """A button press (component interaction) on a message the bot sent."""
        payload = self._interaction_base(permissions=0, locale=locale, user_id=user_id, guild=True)
        payload["type"] = 3
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = message
        return payload

    async def send_interaction(self, payload: dict) -> dict:
        """Dispatch INTERACTION_CREATE to the connected client; the 3-second callback clock starts now."""
        self._interactions[payload["token"]] = {"created": time.monotonic(), "answered": False, "payload": payload}
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def dispatch(self, event: str, data: dict, shard: int = 0) -> None:
        """Send a DISPATCH event over the gateway connection of ``shard``."""
        sockets = [s for s in self._sockets if not s.closed]
        if not sockets:
            raise RuntimeError("no gateway connection to dispatch to")
        await sockets[min(shard, len(sockets) - 1)].send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def fail_channel(self, channel_id: str, status: int, code: int = 0, message: str = "",
                     headers: dict[str, str] | None = None, **extra: Any) -> None:
        """Refuse every message posted to ``channel_id`` with this status and Discord error body."""
        self.faults[str(channel_id)] = Fault(status, {"message": message or f"{status}", "code": code, **extra}, headers or {})

    def fail_next(self, method: str, path: str, status: int, code: int = 0, message: str = "", *,
                  after: int = 0, **extra: Any) -> None:
        """Let ``after`` calls matching ``method`` and the regex ``path`` through, then refuse one with this error."""
        fault = Fault(status, {"message": message or f"{status}", "code": code, **extra})
        self.one_shot.append([method, re.compile(path), after, fault])

    def find(self, method: str, path: str) -> list[Call]:
        """Recorded calls whose method matches and whose path matches the regex ``path``."""
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.search(c.path)]

    async def wait_for(self, method: str, path: str, count: int = 1, timeout: float = 15.0) -> Call:
        """The ``count``-th call matching ``method`` and ``path``, once it has been made."""
        await self._wait(lambda: len(self.find(method, path)) >= count, timeout)
        return self.find(method, path)[count - 1]

    async def wait_identified(self, count: int = 1, timeout: float = 15.0) -> dict:
        """The ``count``-th IDENTIFY payload the client sent over the gateway."""
        await self._wait(lambda: len(self._identifies()) >= count, timeout)
        return self._identifies()[count - 1]

    # -- gateway --------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            await self._note(lambda: self.frames.append(frame))
            await self._on_frame(socket, frame)
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, frame: dict) -> None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 1:  # heartbeat
            await socket.send_str(json.dumps({"op": 11}))
        elif op == 2:  # identify
            if data.get("token") != TOKEN:
                await socket.close(code=4004, message=b"Authentication failed.")
                return
            ready = load("ready")
            ready.update(user=self.user, resume_gateway_url=self.gateway_url, shard=data.get("shard", [0, 1]))
            await socket.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        elif op == 6:  # resume
            await socket.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))

    def _identifies(self) -> list[dict]:
        return [f["d"] for f in self.frames if f.get("op") == 2]

    # -- REST -----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path[len(API_PREFIX):]
        body, files = None, []
        if request.can_read_body and request.content_type == "application/json":
            body = await request.json()
        elif request.can_read_body and request.content_type == "multipart/form-data":
            # discord.py uploads files as multipart: the message as "payload_json", each file as "files[n]"
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                elif part.filename:
                    files.append((part.filename, bytes(await part.read())))
        call = Call(request.method, path, dict(request.query), body, files=files)
        if request.headers.get("Authorization") != f"Bot {TOKEN}" and not path.startswith(("/interactions/", "/webhooks/")):
            response = _json_response({"message": "401: Unauthorized", "code": 0}, 401)
        else:
            response = self._route(call)
        call.status = response.status
        call.response = json.loads(response.body) if response.body else None
        await self._note(lambda: self.calls.append(call))
        return response

    def _route(self, call: Call) -> web.Response:
        for index, (method, pattern, after, fault) in enumerate(self.one_shot):
            if method == call.method and pattern.search(call.path):
                if after:
                    self.one_shot[index][2] -= 1
                    break
                del self.one_shot[index]
                return _json_response(fault.body, fault.status, fault.headers)
        for method, pattern, handler in self._routes:
            match = pattern.match(call.path)
            if match and method == call.method:
                return handler(call, **{k: v for k, v in match.groupdict().items() if v is not None})
        return _json_response({"message": "404: Not Found", "code": 0}, 404)

    def _get_me(self, call: Call) -> web.Response:
        return _json_response(self.user)

    def _get_application(self, call: Call) -> web.Response:
        return _json_response(self.application)

    def _get_gateway(self, call: Call) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    def _put_commands(self, call: Call, app: str, guild: str | None = None) -> web.Response:
        registered = [{**command, "id": str(next(self._ids)), "application_id": app, "version": "1",
                       **({"guild_id": guild} if guild else {})} for command in call.json or []]
        self.commands[guild] = registered
        return _json_response(registered)

    def _callback(self, call: Call, id: str, token: str) -> web.Response:
        state = self._interactions.get(token)
        if call.query.get("with_response") != "1":
            return _json_response({"message": "with_response=1 expected by this fake", "code": 50035}, 400)
        if state is None or time.monotonic() - state["created"] > self.interaction_deadline:
            return _json_response({"message": "Unknown interaction", "code": 10062}, 404)
        if state["answered"]:
            return _json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        kind, data = call.json["type"], call.json.get("data") or {}
        if kind == CHANNEL_MESSAGE and message_problems(data):
            return self._invalid(message_problems(data))
        if kind == AUTOCOMPLETE_RESULT and (len(data.get("choices", [])) > LIMITS["choices"] or any(
                len(c["name"]) > LIMITS["choice"] or len(str(c["value"])) > LIMITS["choice"] for c in data.get("choices", []))):
            return self._invalid(["autocomplete choices break the limits"])
        state["answered"] = True
        flags = int(data.get("flags") or 0)
        interaction = {"id": id, "type": state["payload"]["type"], "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                       "response_message_ephemeral": bool(flags & EPHEMERAL)}
        resource: dict[str, Any] = {"type": kind}
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            state["original"] = self._message(state["payload"]["channel_id"], data, loading=kind == DEFERRED_CHANNEL_MESSAGE)
            interaction["response_message_id"] = state["original"]["id"]
            resource["message"] = state["original"]
        return _json_response({"interaction": interaction, "resource": resource})

    def _followup(self, call: Call, app: str, token: str) -> web.Response:
        state = self._interactions.get(token)
        if state is None or not state["answered"]:
            return _json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        if message_problems(call.json or {}):
            return self._invalid(message_problems(call.json))
        return _json_response(self._message(state["payload"]["channel_id"], call.json))

    def _edit(self, call: Call, app: str, token: str, mid: str) -> web.Response:
        state = self._interactions.get(token)
        message = self._original(state, mid)
        if message is None:
            return _json_response({"message": "Unknown Message", "code": 10008}, 404)
        message.update({k: v for k, v in (call.json or {}).items() if k in ("content", "embeds", "components")})
        return _json_response(message)

    def _delete(self, call: Call, app: str, token: str, mid: str) -> web.Response:
        message = self._original(self._interactions.get(token), mid)
        if message is None:
            return _json_response({"message": "Unknown Message", "code": 10008}, 404)
        message["deleted"] = True
        return web.Response(status=204)

    def _channel_message(self, call: Call, channel: str) -> web.Response:
        fault = self.faults.get(channel)
        if fault is not None:
            return _json_response(fault.body, fault.status, fault.headers)
        if message_problems(call.json or {}):
            return self._invalid(message_problems(call.json))
        return _json_response(self._message(channel, call.json))

    # -- helpers --------------------------------------------------------------------------

    def _interaction_base(self, *, permissions: int, locale: str, user_id: str | None, guild: bool) -> dict:
        payload = load("interaction")
        payload.update(id=str(next(self._ids)), token=f"itoken-{next(self._ids)}", locale=locale)
        if guild:
            # Discord resolves Administrator to every permission before sending it.
            resolved = ALL_PERMISSIONS if permissions & ADMINISTRATOR else permissions
            payload["member"]["permissions"] = str(resolved)
            if user_id:
                payload["member"]["user"]["id"] = user_id
        else:
            user = payload.pop("member")["user"]
            if user_id:
                user["id"] = user_id
            for key in ("guild_id", "guild", "guild_locale"):
                payload.pop(key)
            payload.update(user=user, channel=load("dm_channel"), context=1,
                           authorizing_integration_owners={"1": user["id"]})
            payload["channel_id"] = payload["channel"]["id"]
        return payload

    def _message(self, channel_id: str, body: dict | None, loading: bool = False) -> dict:
        body = body or {}
        message = load("message")
        attachments = [{"id": str(next(self._ids)), "filename": a.get("filename", ""), "size": 0,
                        "url": f"https://cdn.discordapp.test/{a.get('filename', '')}", "proxy_url": ""}
                       for a in body.get("attachments") or []]
        message.update(id=str(next(self._ids)), channel_id=str(channel_id), content=body.get("content") or "",
                       attachments=attachments,
                       embeds=copy.deepcopy(body.get("embeds") or []), components=copy.deepcopy(body.get("components") or []),
                       flags=int(body.get("flags") or 0) | (1 << 7 if loading else 0),
                       timestamp=datetime.now(timezone.utc).isoformat())
        self.messages[message["id"]] = message
        return message

    def _original(self, state: dict | None, mid: str) -> dict | None:
        if state is None or "original" not in state:
            return None
        return state["original"] if mid in ("@original", state["original"]["id"]) else self.messages.get(mid)

    def _invalid(self, problems: list[str]) -> web.Response:
        return _json_response({"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": problems}}, 400)

    async def _note(self, change: Callable[[], None]) -> None:
        async with self._changed:
            change()
            self._changed.notify_all()

    async def _wait(self, ready: Callable[[], bool], timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), timeout)
