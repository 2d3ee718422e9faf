"""Safe HTTP fetching: refuses private addresses on every hop, bounds size and time, no retries.

Every redirect hop is checked with ``check_url`` before it is requested, and (unless
``allow_private``) the connection itself goes through a guarded network backend that
resolves the host, checks every address, and connects to the checked address, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot reach a
private address either.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx

from bot.errors import BadDocument, BlockedAddress, FetchError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# 4xx answers a later try may not get: Request Timeout, Too Early, Too Many Requests.
RETRYABLE_STATUS = frozenset({408, 425, 429})
DEFAULT_USER_AGENT = "ParleyBot/0.1 (+https://github.com/parley)"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"

# Cloud metadata endpoints; most are also non-global, but they are named so they stay
# refused even if the address rules of ``ipaddress`` change.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "169.254.169.123", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


@dataclass(frozen=True)
class Fetched:
    """One fetched URL. ``not_modified`` is True (and ``body`` empty) when a conditional GET got 304."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    body: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs Parley must not fetch.

    Raises ``FetchError`` for anything but http(s) URLs with a host, and ``BlockedAddress``
    when any address the host resolves to is private, loopback, link-local, multicast,
    reserved, unspecified, otherwise not globally routable, or a cloud metadata address.
    With ``allow_private`` only the scheme and host are checked (no DNS lookup).
    """
    host, port = _host_and_port(url)
    if allow_private:
        return
    for address in _resolve(host, port, url):
        _check_address(address, url)


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"{url}: not a valid URL ({exc})", origin=url, permanent=True) from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs can be fetched", origin=url, permanent=True)
    if not parsed.host:
        raise FetchError(f"{url}: the URL has no host", origin=url, permanent=True)
    return parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)


def _resolve(host: str, port: int, url: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address ``host`` resolves to; IP literals resolve to themselves without DNS."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchError(f"{url}: cannot resolve {host} ({exc})", origin=url) from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, url: str) -> None:
    if not is_public_address(address):
        raise BlockedAddress(f"{url}: refused, {address} is not a public address", origin=url)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses that are not cloud metadata endpoints."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
    if address in METADATA_ADDRESSES:
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the request's deadline.

    httpx's own timeouts apply per operation and restart at every byte, so a server that drips
    its status line and headers would never trip them: here each operation gets only what is
    left of the whole request's time.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: float):
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the whole request took longer than its deadline")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        upgraded = self._stream.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(upgraded, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only within the request's deadline and, when ``guard`` (the default), only to checked addresses.

    A guarded connection resolves the host, checks every address, then connects to a checked one.
    """

    def __init__(self, deadline: float | None = None, *, guard: bool = True):
        self.deadline = deadline
        self.guard = guard

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = self._left(timeout)
        if not self.guard:
            return self._bounded(super().connect_tcp(host, port, timeout, local_address, socket_options))
        addresses = _resolve(host, port, f"{host}:{port}")
        for address in addresses:
            _check_address(address, f"{host}:{port}")
        failure: Exception = FetchError(f"{host}: no address to connect to")
        for address in dict.fromkeys(addresses):  # in resolver order, each once
            try:
                stream = super().connect_tcp(str(address), port, self._left(timeout), local_address, socket_options)
                return self._bounded(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def _left(self, timeout: float | None) -> float | None:
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the whole request took longer than its deadline")
        return left if timeout is None else min(timeout, left)

    def _bounded(self, stream: httpcore.NetworkStream) -> httpcore.NetworkStream:
        return stream if self.deadline is None else _DeadlineStream(stream, self.deadline)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool built on ``_GuardedBackend`` (guarded, or only deadline-bound)."""

    def __init__(self, deadline: float | None = None, *, guard: bool = True) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_GuardedBackend(deadline, guard=guard),
        )


def fetch(url: str, *, timeout: float, max_bytes: int, allow_private: bool = False,
          user_agent: str = DEFAULT_USER_AGENT, etag: str | None = None, last_modified: str | None = None,
          client: httpx.Client | None = None) -> Fetched:
    """GET a URL safely: at most 5 redirects (each hop checked), a size cap, one clear error.

    ``timeout`` bounds the whole request, redirects included, by the wall clock (when Parley
    makes the client: a given ``client`` bounds only its reads and the body). Raises ``FetchError`` (timeouts, connection errors, HTTP 4xx/5xx, too many redirects),
    ``BlockedAddress`` (a hop points at a private address) or ``BadDocument`` (body larger than
    ``max_bytes``). Sends If-None-Match / If-Modified-Since when ``etag`` / ``last_modified``
    are given; a 304 answer returns ``not_modified=True``. No retries: callers decide.
    """
    headers = _request_headers(user_agent, etag, last_modified)
    deadline = time.monotonic() + timeout
    owned = client is None
    if owned:
        client = _make_client(timeout, allow_private, deadline)
    try:
        return _follow(client, url, headers, timeout, max_bytes, allow_private, deadline)
    finally:
        if owned:
            client.close()


def _request_headers(user_agent: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": user_agent, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _make_client(timeout: float, allow_private: bool, deadline: float) -> httpx.Client:
    transport = _GuardedTransport(deadline, guard=not allow_private)
    return httpx.Client(timeout=timeout, transport=transport, trust_env=False, follow_redirects=False)


def _follow(client: httpx.Client, url: str, headers: dict[str, str], timeout: float,
            max_bytes: int, allow_private: bool, deadline: float) -> Fetched:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, allow_private=allow_private)
        request = client.build_request("GET", current, headers=headers, timeout=timeout)
        response = _send(client, request, current, timeout)
        try:
            if not response.has_redirect_location:
                return _read(response, url, current, max_bytes, deadline, timeout)
            current = urljoin(current, response.headers["location"])
            log.debug("redirect %s -> %s", response.url, current)
        finally:
            response.close()
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", origin=url, permanent=True)


def _send(client: httpx.Client, request: httpx.Request, url: str, timeout: float) -> httpx.Response:
    try:
        return client.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out after {timeout:g}s", origin=url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: connection failed ({_reason(exc)})", origin=url) from exc


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _read(response: httpx.Response, url: str, final_url: str, max_bytes: int, deadline: float, timeout: float) -> Fetched:
    status = response.status_code
    if status == 304:
        return _fetched(response, url, final_url, b"", not_modified=True, request=response.request)
    if status >= 400:
        raise FetchError(f"{final_url}: HTTP {status}", origin=url, permanent=status < 500 and status not in RETRYABLE_STATUS)
    if not 200 <= status < 300:
        raise FetchError(f"{final_url}: unexpected HTTP {status}", origin=url, permanent=True)
    _check_declared_size(response, final_url, max_bytes)
    body = _read_body(response, final_url, max_bytes, deadline, timeout)
    return _fetched(response, url, final_url, body, not_modified=False)


def _check_declared_size(response: httpx.Response, url: str, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BadDocument(f"{url}: {declared} bytes is more than the {max_bytes}-byte limit", origin=url)


def _read_body(response: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """The (decompressed) body, refused as soon as it passes ``max_bytes`` or the deadline."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise BadDocument(f"{url}: body is more than the {max_bytes}-byte limit", origin=url)
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: timed out after {timeout:g}s", origin=url)
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out after {timeout:g}s", origin=url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: connection failed while reading ({_reason(exc)})", origin=url) from exc
    return b"".join(chunks)


def _fetched(response: httpx.Response, url: str, final_url: str, body: bytes, *, not_modified: bool,
             request: httpx.Request | None = None) -> Fetched:
    """Build the result; a 304 that omits the validators keeps the ones we sent."""
    sent = request.headers if request is not None else {}
    return Fetched(
        url=url, final_url=final_url, status=response.status_code,
        content_type=response.headers.get("content-type"), body=body,
        etag=response.headers.get("etag") or sent.get("if-none-match"),
        last_modified=response.headers.get("last-modified") or sent.get("if-modified-since"),
        not_modified=not_modified,
    )
