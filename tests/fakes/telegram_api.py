"""A fake Telegram Bot API server on 127.0.0.1 that records every call, serves queued updates and injects errors.

Drive the real python-telegram-bot against it::

    async with FakeTelegramAPI() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        api.add_update(private_text("hello"))
        calls = await api.wait_for("sendMessage")

It answers like Telegram does: form-encoded requests (PTB JSON-encodes non-string
fields), ``{"ok": true, "result": ...}`` replies, and errors as
``{"ok": false, "error_code": 429, "description": "...", "parameters": {"retry_after": N}}``.
``sendMessage`` validates HTML parse mode, the 4096-character limit and the 64-byte
callback data limit the way the real server does, so malformed output fails loudly.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from bench.telegram_fake import TRUE_METHODS, LoopbackBotAPI

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
DEFAULT_TOKEN = "7000001:AAF-fake-SECRET-token-do-not-log-0123456789"
MAX_MESSAGE_CHARS = 4096
MAX_CALLBACK_BYTES = 64


def load(name: str) -> dict:
    """A canned JSON object from tests/data/telegram/."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class ApiCall:
    """One request the client made: the method, its form fields, and what the fake answered."""

    method: str
    params: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)  # multipart uploads (sendPhoto's "photo"), by field name
    ok: bool = True
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    def json(self, name: str, default: Any = None) -> Any:
        """A field PTB JSON-encoded (reply_markup, commands, scope...)."""
        return json.loads(self.params[name]) if name in self.params else default

    @property
    def chat_id(self) -> str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text", "")


@dataclass
class Fault:
    """An error the fake returns instead of a result, once per matching call."""

    error_code: int
    description: str
    parameters: dict | None = None
    chat_id: str | None = None  # only calls for this chat fail

    def matches(self, params: dict[str, str]) -> bool:
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class HtmlError(ValueError):
    """Text that Telegram's HTML parse mode would refuse."""


_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                 "a", "tg-emoji", "code", "pre", "blockquote"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[^<>]*)?)>|&(#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|[<>&]")


def parse_html(text: str) -> str:
    """The visible text of a message in Telegram HTML parse mode; raises HtmlError where Telegram would."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(text[pos:match.start()])
        pos = match.end()
        closing, tag, attrs, entity = match.group(1), match.group(2), match.group(3), match.group(4)
        if tag:
            _check_tag(tag.lower(), closing, attrs or "", stack, match.start())
        elif entity:
            out.append(_entity(entity, match.start()))
        else:
            raise HtmlError(f"unsupported start tag or stray {match.group()!r} at byte offset {match.start()}")
    out.append(text[pos:])
    if stack:
        raise HtmlError(f"can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


def _check_tag(tag: str, closing: str, attrs: str, stack: list[str], offset: int) -> None:
    if tag not in _ALLOWED_TAGS:
        raise HtmlError(f"unsupported start tag \"{tag}\" at byte offset {offset}")
    if closing:
        if not stack or stack[-1] != tag:
            raise HtmlError(f"unexpected end tag \"{tag}\" at byte offset {offset}")
        stack.pop()
        return
    if tag == "a" and ("a" in stack or "href=" not in attrs):
        raise HtmlError(f"bad link at byte offset {offset}")
    stack.append(tag)


def _entity(entity: str, offset: int) -> str:
    if entity.startswith("#"):
        return chr(int(entity[2:], 16) if entity[1] in "xX" else int(entity[1:]))
    if entity not in _NAMED_ENTITIES:
        raise HtmlError(f"unsupported HTML entity \"&{entity};\" at byte offset {offset}")
    return _NAMED_ENTITIES[entity]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class FakeTelegramAPI(LoopbackBotAPI):
    """A Bot API server for one bot. Start it, point PTB's base_url at it, queue updates, read ``calls``."""

    def __init__(self, token: str = DEFAULT_TOKEN, me: dict | None = None):
        self.token = token
        self.me = me or load("get_me")
        self.calls: list[ApiCall] = []
        self.members: dict[tuple[str, str], str] = {}  # (chat_id, user_id) -> status
        self._faults: dict[str, deque[Fault]] = {}
        self._pending: list[dict] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._called = asyncio.Event()
        self._closing = False

    # lifecycle (start, stop, base_url: LoopbackBotAPI) ----------------------------------------
    def _release(self) -> None:
        self._closing = True
        self._arrived.set()  # release long polls still waiting

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # test controls ---------------------------------------------------------------------------
    def add_update(self, update: dict) -> dict:
        """Queue an update for the next getUpdates; an ``update_id`` is assigned if missing."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._pending.append(update)
        self._arrived.set()
        return update

    def fail(self, method: str, error_code: int, description: str, *, parameters: dict | None = None,
             chat_id: int | str | None = None, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` (optionally for one chat) fail with this error."""
        fault = Fault(error_code, description, parameters, None if chat_id is None else str(chat_id))
        self._faults.setdefault(method, deque()).extend([fault] * times)

    def fail_retry_after(self, method: str, seconds: int, **kw) -> None:
        """429 Too Many Requests with ``retry_after``."""
        self.fail(method, 429, f"Too Many Requests: retry after {seconds}", parameters={"retry_after": seconds}, **kw)

    def fail_forbidden(self, method: str = "sendMessage", **kw) -> None:
        """403: the user blocked the bot."""
        self.fail(method, 403, "Forbidden: bot was blocked by the user", **kw)

    def fail_migrated(self, method: str, new_chat_id: int, **kw) -> None:
        """400: the group became a supergroup with a new id."""
        self.fail(method, 400, "Bad Request: group chat was upgraded to a supergroup chat",
                  parameters={"migrate_to_chat_id": new_chat_id}, **kw)

    def fail_parse_entities(self, method: str = "sendMessage", **kw) -> None:
        """400 on formatting, as when HTML is malformed."""
        self.fail(method, 400, "Bad Request: can't parse entities: unsupported start tag \"x\" at byte offset 0", **kw)

    def fail_server(self, method: str, **kw) -> None:
        """502 Bad Gateway, which PTB raises as NetworkError."""
        self.fail(method, 502, "Bad Gateway", **kw)

    def set_member_status(self, chat_id: int | str, user_id: int | str, status: str) -> None:
        """What getChatMember reports: creator, administrator, member, left, kicked..."""
        self.members[(str(chat_id), str(user_id))] = status

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[ApiCall]:
        """Recorded calls of one method, optionally only the successful (or failed) ones."""
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of the messages the server accepted, optionally for one chat."""
        return [c.text for c in self.calls_to("sendMessage", ok=True) if chat_id is None or c.chat_id == str(chat_id)]

    async def wait_for(self, method: str, count: int = 1, *, timeout: float = 10.0,
                       where: Callable[[ApiCall], bool] | None = None) -> list[ApiCall]:
        """Wait until ``count`` matching calls were made; raises TimeoutError with what was seen."""
        async def matching() -> list[ApiCall]:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                self._called.clear()
                await self._called.wait()

        try:
            return await asyncio.wait_for(matching(), timeout)
        except TimeoutError:
            seen = [(c.method, c.params.get("chat_id"), c.ok) for c in self.calls if c.method != "getUpdates"]
            raise TimeoutError(f"no {count} x {method} within {timeout}s; calls: {seen}") from None

    # the API ------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        files = {key: value.file.read() for key, value in form.items() if isinstance(value, web.FileField)}
        params = {key: str(value) for key, value in form.items() if not isinstance(value, web.FileField)}
        params.update(request.query)
        call = ApiCall(method, params, files)
        if request.match_info["token"] != self.token:
            return self._answer(call, {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        self._record(call)
        fault = self._take_fault(method, params)
        if fault:
            return self._answer(call, fault.body(), fault.error_code)
        try:
            result = await self._result(method, params, files)
        except _ApiError as exc:
            return self._answer(call, {"ok": False, "error_code": exc.code, "description": exc.description}, exc.code)
        return self._answer(call, {"ok": True, "result": result}, 200)

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._called.set()

    def _answer(self, call: ApiCall, body: dict, status: int) -> web.Response:
        call.ok = body["ok"]
        call.response = body.get("result", body)
        self._called.set()
        return web.json_response(body, status=status)

    def _take_fault(self, method: str, params: dict[str, str]) -> Fault | None:
        queue = self._faults.get(method)
        for fault in list(queue or ()):
            if fault.matches(params):
                queue.remove(fault)
                return fault
        return None

    async def _result(self, method: str, params: dict[str, str], files: dict[str, bytes] | None = None) -> Any:
        if method == "sendPhoto":
            return self._send_photo(params, files or {})
        if method == "getMe":
            return self.me
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("sendMessage", "editMessageText"):
            return self._send_message(params)
        if method == "editMessageReplyMarkup":
            return True
        if method == "getChatMember":
            return self._chat_member(params)
        if method in TRUE_METHODS:
            return True
        raise _ApiError(404, "Not Found")

    async def _get_updates(self, params: dict[str, str]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and not self._closing:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return [u for u in self._pending if u["update_id"] >= offset][:limit]

    def _send_message(self, params: dict[str, str]) -> dict:
        text = params.get("text", "")
        visible = text
        if params.get("parse_mode", "").upper() == "HTML":
            try:
                visible = parse_html(text)
            except HtmlError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        if not visible.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_MESSAGE_CHARS:
            raise _ApiError(400, "Bad Request: message is too long")
        self._check_markup(params)
        chat_id = params["chat_id"]
        message = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": chat_for(chat_id),
            "from": self.me,
            "text": visible,
        }
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        return message

    def _send_photo(self, params: dict[str, str], files: dict[str, bytes]) -> dict:
        """sendPhoto with an uploaded file: it must be an image (PNG or JPEG) of at most 10 MB, the caption 1024 characters."""
        photo = files.get("photo")
        if photo is None:
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        if not photo.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            raise _ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if len(photo) > 10 * 1024 * 1024:
            raise _ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption = params.get("caption", "")
        if utf16_len(caption) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        self._check_markup(params)
        message_id = next(self._message_ids)
        return {"message_id": message_id, "date": int(time.time()), "chat": chat_for(params["chat_id"]), "from": self.me,
                "photo": [{"file_id": f"photo{message_id}", "file_unique_id": f"u{message_id}", "width": 800, "height": 600,
                           "file_size": len(photo)}], **({"caption": caption} if caption else {})}

    def _check_markup(self, params: dict[str, str]) -> None:
        markup = json.loads(params.get("reply_markup") or "{}")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _chat_member(self, params: dict[str, str]) -> dict:
        user_id = params["user_id"]
        status = self.members.get((params["chat_id"], user_id), "member")
        member = {"status": status, "user": {"id": int(user_id), "is_bot": False, "first_name": "Member"}}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                          can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False)
        elif status == "creator":
            member["is_anonymous"] = False
        return member


class _ApiError(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


# update builders ----------------------------------------------------------------------------------
USER = {"id": 111, "is_bot": False, "first_name": "Ada", "last_name": "Lovelace", "username": "ada", "language_code": "en"}
GROUP_ID = -1001234567890


def chat_for(chat_id: int | str) -> dict:
    """A chat object for an id: positive ids are private chats, -100... supergroups, other negatives groups."""
    chat_id = int(chat_id)
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Ada"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "Negotiation watchers"}


_MESSAGE_IDS = itertools.count(5000)
_QUERY_IDS = itertools.count(880000)
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MENTION = re.compile(r"@[A-Za-z0-9_]{5,32}")


def text_message(text: str, *, chat_id: int | str | None = None, user: dict | None = None,
                 message_id: int | None = None, reply_to: dict | None = None, thread_id: int | None = None) -> dict:
    """A Message with the entities Telegram would attach (leading bot_command, @mentions).

    ``thread_id`` puts it in a topic of a forum supergroup (``message_thread_id``, ``is_topic_message``).
    """
    user = user or USER
    chat_id = user["id"] if chat_id is None else chat_id
    entities = []
    command = _COMMAND.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in _MENTION.finditer(text):
        if not command or mention.start() >= command.end():
            entities.append({"type": "mention", "offset": utf16_len(text[:mention.start()]),
                             "length": utf16_len(mention.group())})
    message = {"message_id": message_id or next(_MESSAGE_IDS), "date": int(time.time()),
               "chat": chat_for(chat_id), "from": user, "text": text}
    if entities:
        message["entities"] = entities
    if reply_to:
        message["reply_to_message"] = reply_to
    if thread_id:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        message["chat"]["is_forum"] = True
    return message


def message_update(text: str, **kw) -> dict:
    """An update carrying a new text message (see ``text_message``)."""
    return {"message": text_message(text, **kw)}


def edited_update(text: str, **kw) -> dict:
    """An update carrying an edit of an earlier message."""
    message = text_message(text, **kw)
    message["edit_date"] = message["date"] + 5
    return {"edited_message": message}


def callback_update(data: str, *, message: dict, user: dict | None = None) -> dict:
    """A press of an inline button under ``message`` (a message the bot sent)."""
    return {"callback_query": {"id": str(next(_QUERY_IDS)), "from": user or USER,
                               "chat_instance": "-42", "data": data, "message": message}}
