"""Fetching against a real HTTP server on 127.0.0.1: redirects, private-address refusal, limits, errors, 304."""
from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest

from bot.errors import BadDocument, BlockedAddress, FetchError
from bot.ingestion.fetch import _GuardedBackend, check_url, fetch

PUBLIC_IP = "93.184.216.34"  # a global address; tests only ever reach it through the loopback proxy


class Handler(BaseHTTPRequestHandler):
    """Routes by path; also answers absolute-form requests, so it can act as a forward proxy."""

    seen: list[dict] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        path = urlsplit(self.path).path
        Handler.seen.append({"path": path, **{k.lower(): v for k, v in self.headers.items()}})
        route = ROUTES.get(path.rstrip("/").split("/")[1] if path != "/" else "")
        try:
            route(self, path) if route else self.answer(404, b"not found")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (timeouts, size limits)

    def answer(self, status: int, body: bytes = b"", headers: dict | None = None):
        self.send_response(status)
        headers = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body)), **(headers or {})}
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def ok(handler, path):
    handler.answer(200, "Talks resumed. 会谈恢复。".encode(), {"ETag": '"v1"', "Last-Modified": "Wed, 19 Mar 2025 10:00:00 GMT"})


def conditional(handler, path):
    if handler.headers.get("If-None-Match") == '"v1"':
        handler.answer(304, headers={"ETag": '"v1"', "Content-Length": None})
    else:
        ok(handler, path)


def redirect(handler, path):
    """/redirect/N redirects N more times, then lands on /ok."""
    left = int(path.split("/")[2])
    handler.answer(302, headers={"Location": f"/redirect/{left - 1}" if left > 1 else "/ok"})


def redirect_to(handler, path):
    """/to/<where>: redirect to an address that must be refused."""
    targets = {
        "loopback": f"http://127.0.0.1:{handler.server.server_port}/ok",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "localhost": f"http://localhost:{handler.server.server_port}/ok",
        "file": "file:///etc/passwd",
        "public": f"http://{PUBLIC_IP}/ok",
    }
    handler.answer(302, headers={"Location": targets[path.split("/")[2]]})


def big_declared(handler, path):
    handler.answer(200, b"x" * 5000)


def big_streamed(handler, path):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()  # no Content-Length: the body runs until the connection closes
    for _ in range(50):
        handler.wfile.write(b"y" * 1000)
    handler.close_connection = True


def gzip_bomb(handler, path):
    handler.answer(200, gzip.compress(b"z" * 200_000), {"Content-Encoding": "gzip"})


def slow(handler, path):
    time.sleep(1.5)
    handler.answer(200, b"late")


def drip(handler, path):
    handler.send_response(200)
    handler.end_headers()
    for _ in range(30):
        handler.wfile.write(b"d")
        handler.wfile.flush()
        time.sleep(0.1)


def server_error(handler, path):
    handler.answer(503, b"busy")


def drip_headers(handler, path):
    """A hostile server: the status line and headers arrive one byte every 50 ms (about 15 s in all)."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%03d: %s\r\n" % (i, b"p" * 8) for i in range(16)) + b"\r\n"
    for byte in head:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.05)
    handler.wfile.write(b"late")
    handler.close_connection = True


ROUTES = {
    "ok": ok, "conditional": conditional, "redirect": redirect, "to": redirect_to,
    "big": big_declared, "stream": big_streamed, "bomb": gzip_bomb, "slow": slow, "drip": drip, "error": server_error,
    "driphead": drip_headers,
}


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str, **kwargs):
    kwargs.setdefault("allow_private", True)
    return fetch(url, timeout=kwargs.pop("timeout", 5), max_bytes=kwargs.pop("max_bytes", 10_000), **kwargs)


# --------------------------------------------------------------------------- fetch


def test_fetch_returns_body_and_validators(server):
    fetched = get(f"{server}/ok", user_agent="ParleyTest/1")
    assert fetched.status == 200
    assert fetched.body.decode() == "Talks resumed. 会谈恢复。"
    assert fetched.content_type == "text/plain; charset=utf-8"
    assert fetched.etag == '"v1"' and fetched.last_modified == "Wed, 19 Mar 2025 10:00:00 GMT"
    assert not fetched.not_modified
    assert fetched.url == fetched.final_url == f"{server}/ok"
    assert Handler.seen[-1]["user-agent"] == "ParleyTest/1"


def test_conditional_get_reports_not_modified(server):
    fetched = get(f"{server}/conditional", etag='"v1"', last_modified="Wed, 19 Mar 2025 10:00:00 GMT")
    assert fetched.not_modified and fetched.status == 304 and fetched.body == b""
    assert fetched.etag == '"v1"'
    assert Handler.seen[-1]["if-none-match"] == '"v1"'
    assert Handler.seen[-1]["if-modified-since"] == "Wed, 19 Mar 2025 10:00:00 GMT"
    changed = get(f"{server}/conditional", etag='"v0"')
    assert not changed.not_modified and changed.status == 200 and changed.body


def test_redirects_are_followed_up_to_five(server):
    fetched = get(f"{server}/redirect/5")
    assert fetched.final_url == f"{server}/ok" and fetched.url == f"{server}/redirect/5"
    with pytest.raises(FetchError, match="more than 5 redirects"):
        get(f"{server}/redirect/6")


def test_http_errors_are_one_line_fetch_errors(server):
    with pytest.raises(FetchError) as missing:
        get(f"{server}/missing")
    assert str(missing.value) == f"{server}/missing: HTTP 404"
    with pytest.raises(FetchError, match=r"/error: HTTP 503$"):
        get(f"{server}/error")


def test_size_limit_from_content_length_and_while_streaming(server):
    with pytest.raises(BadDocument, match="limit"):
        get(f"{server}/big", max_bytes=1000)
    with pytest.raises(BadDocument, match="limit"):
        get(f"{server}/stream", max_bytes=20_000)
    assert len(get(f"{server}/stream", max_bytes=60_000).body) == 50_000


def test_size_limit_counts_decompressed_bytes(server):
    with pytest.raises(BadDocument, match="limit"):
        get(f"{server}/bomb", max_bytes=50_000)


def test_timeouts_are_fetch_errors(server):
    with pytest.raises(FetchError) as late:
        get(f"{server}/slow", timeout=0.3)
    assert str(late.value) == f"{server}/slow: timed out after 0.3s"
    with pytest.raises(FetchError, match="timed out after 0.5s"):
        get(f"{server}/drip", timeout=0.5)  # each byte is quick; the whole body is not


@pytest.mark.hostile
def test_headers_dripping_one_byte_at_a_time_are_bounded_by_the_whole_request_timeout(server):
    # Each byte comes well within the per-read timeout; only a wall-clock bound on the whole request stops it.
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 1s"):
        get(f"{server}/driphead", timeout=1.0)
    elapsed = time.monotonic() - started
    print(f"dripping headers abandoned after {elapsed:.2f}s (timeout 1s)")
    assert elapsed < 1.0 + 1.0


@pytest.mark.hostile
def test_a_guarded_fetch_is_bounded_by_the_whole_request_timeout_too(server, monkeypatch):
    # The guarded path (private addresses refused) builds its own transport: the bound must hold there as well.
    monkeypatch.setattr("bot.ingestion.fetch._check_address", lambda address, url: None)
    monkeypatch.setattr("bot.ingestion.fetch.check_url", lambda url, allow_private=False: None)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch(f"{server}/driphead", timeout=1.0, max_bytes=10_000)
    assert time.monotonic() - started < 2.0


def test_connection_refused_is_a_fetch_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="connection failed"):
        get(f"http://127.0.0.1:{port}/")


def test_private_addresses_are_refused_without_allow_private(server):
    requests_before = len(Handler.seen)
    with pytest.raises(BlockedAddress):
        fetch(f"{server}/ok", timeout=5, max_bytes=10_000)
    assert len(Handler.seen) == requests_before  # refused before any request was sent


@pytest.mark.parametrize("where", ["loopback", "metadata", "localhost"])
def test_redirect_to_a_private_address_is_refused(server, where):
    # The public-looking first hop reaches the loopback server through it acting as a proxy.
    proxied = httpx.Client(proxy=server, trust_env=False, timeout=5)
    with proxied, pytest.raises(BlockedAddress):
        fetch(f"http://{PUBLIC_IP}/to/{where}", timeout=5, max_bytes=10_000, client=proxied)
    assert Handler.seen[-1]["path"] == f"/to/{where}"  # the first hop was made; the private one never was


def test_redirect_to_another_scheme_is_refused(server):
    proxied = httpx.Client(proxy=server, trust_env=False, timeout=5)
    with proxied, pytest.raises(FetchError, match="only http and https"):
        fetch(f"http://{PUBLIC_IP}/to/file", timeout=5, max_bytes=10_000, client=proxied)


def test_redirect_between_public_hosts_is_followed(server):
    proxied = httpx.Client(proxy=server, trust_env=False, timeout=5)
    with proxied:
        fetched = fetch(f"http://{PUBLIC_IP}/to/public", timeout=5, max_bytes=10_000, client=proxied)
    assert fetched.final_url == f"http://{PUBLIC_IP}/ok" and fetched.status == 200


def test_fetch_connects_through_the_guard_when_the_check_was_fooled(server, monkeypatch):
    # As if DNS answered "public" to check_url and "127.0.0.1" to the connection (rebinding).
    monkeypatch.setattr("bot.ingestion.fetch.check_url", lambda url, allow_private=False: None)
    requests_before = len(Handler.seen)
    with pytest.raises(BlockedAddress):
        fetch(f"{server}/ok", timeout=5, max_bytes=10_000)
    assert len(Handler.seen) == requests_before


def test_guarded_connection_refuses_private_addresses_even_after_the_check(server):
    port = int(server.rsplit(":", 1)[1])
    with pytest.raises(BlockedAddress):
        _GuardedBackend().connect_tcp("127.0.0.1", port)
    with pytest.raises(BlockedAddress):
        _GuardedBackend().connect_tcp("localhost", port)


# --------------------------------------------------------------------------- check_url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/",
    "http://127.1.2.3:8080/x",
    "http://10.0.0.8/",
    "http://192.168.1.1/",
    "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost/",
    "http://localhost:9999/admin",
])
def test_check_url_blocks_private_addresses(url):
    with pytest.raises(BlockedAddress):
        check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "not a url", "http://", "javascript:alert(1)"])
def test_check_url_refuses_other_schemes_and_bad_urls(url):
    with pytest.raises(FetchError) as caught:
        check_url(url, allow_private=True)
    assert not isinstance(caught.value, BlockedAddress)


def test_check_url_accepts_public_and_allowed_private_addresses():
    check_url(f"http://{PUBLIC_IP}/news")
    check_url("https://[2606:4700::1111]/")
    check_url("http://127.0.0.1:8080/", allow_private=True)
    check_url("http://localhost/", allow_private=True)
