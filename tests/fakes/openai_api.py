"""A fake OpenAI-compatible server on 127.0.0.1 (port 0) with scripted replies, for driving the real ``openai`` client.

It runs its own event loop in a thread, so synchronous code (the answer engine) and async tests
can both use it::

    with FakeOpenAI() as api:
        api.reply_answer("Putin wants ... [1].")        # next /chat/completions answers this
        api.fail(500)                                   # ... then an HTTP 500
        api.reply_raw("{not json", delay=3.0)           # ... then malformed content, slowly
        settings = make_settings(..., llm_url=api.base_url, llm_model="fake")

Answer requests and translation requests (told apart by their system prompt) have a queue each, so
the writer may send both at once; replies of a queue are consumed in order. When a queue runs out,
``default`` (a callable of the request body) answers, or an HTTP 500 when there is none. Every
request body is recorded in ``requests``, its Authorization header in ``auth_headers``.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from aiohttp import web


@dataclass
class Scripted:
    status: int = 200
    content: str | None = None  # the assistant message's content
    delay: float = 0.0  # seconds before answering
    body: str | None = None  # a raw HTTP body instead of a chat completion


class FakeOpenAI:
    """An OpenAI-compatible ``/v1/chat/completions`` endpoint with a queue of scripted replies."""

    def __init__(self, default: Callable[[dict], Scripted] | None = None):
        self.script: dict[str, deque[Scripted]] = {"answer": deque(), "translate": deque()}
        self.default = default
        self.requests: list[dict] = []
        self.auth_headers: list[str | None] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- scripting ------------------------------------------------------------------------------

    def reply_answer(self, answer: str, delay: float = 0.0) -> None:
        """The next completion is ``{"answer": answer}``, as the writer's prompt asks."""
        self.script["answer"].append(Scripted(content=json.dumps({"answer": answer}, ensure_ascii=False), delay=delay))

    def reply_translations(self, translations: list[str], delay: float = 0.0) -> None:
        self.script["translate"].append(Scripted(content=json.dumps({"translations": translations}, ensure_ascii=False), delay=delay))

    def reply_raw(self, content: str, delay: float = 0.0, kind: str = "answer") -> None:
        """The next completion's message content is ``content`` verbatim (malformed JSON, prose...)."""
        self.script[kind].append(Scripted(content=content, delay=delay))

    def fail(self, status: int = 500, delay: float = 0.0, kind: str = "answer") -> None:
        self.script[kind].append(Scripted(status=status, delay=delay, body=json.dumps({"error": {"message": "scripted failure"}})))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def calls(self, kind: str = "") -> list[dict]:
        """Requests whose system prompt mentions ``kind`` ("Translate", "answers")."""
        return [r for r in self.requests if kind in r["messages"][0]["content"]]

    # -- serving --------------------------------------------------------------------------------

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.auth_headers.append(request.headers.get("Authorization"))
        queue = self.script["translate" if "Translate" in body["messages"][0]["content"] else "answer"]
        if queue:
            scripted = queue.popleft()
        elif self.default is not None:
            scripted = self.default(body)
        else:
            scripted = Scripted(status=500, body=json.dumps({"error": {"message": "nothing scripted"}}))
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted.body is not None:
            return web.Response(status=scripted.status, text=scripted.body, content_type="application/json")
        completion = {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": scripted.content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return web.json_response(completion, status=scripted.status)

    def __enter__(self) -> "FakeOpenAI":
        started = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._completions)
            self._runner = web.AppRunner(app, shutdown_timeout=0.5)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="fake-openai", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
