"""Hostile servers on 127.0.0.1 (port 0) for the issue-19 tests: headers that drip one byte at a time.

``DrippingServer`` speaks just enough HTTP to keep a client waiting: it reads the request,
then sends a status line and headers one byte every ``every`` seconds, never reaching the body
within any sensible timeout. It counts connections so a test can see it was really asked.
"""
from __future__ import annotations

import socket
import threading
import time


class DrippingServer:
    """A thread per connection; ``with DrippingServer() as server: server.url``."""

    def __init__(self, every: float = 0.05, head_bytes: int = 4000):
        self.every = every
        self.head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     + b"X-Pad: " + b"p" * max(0, head_bytes) + b"\r\n\r\n")
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/feed.xml"

    def __enter__(self) -> "DrippingServer":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)  # the request; its contents do not matter
                for byte in self.head:
                    if self._stop.is_set():
                        return
                    connection.sendall(bytes([byte]))
                    time.sleep(self.every)
            except OSError:  # the client gave up, as it should
                return


# -- pathological documents (issue 19, failure 2) ----------------------------------------------------------
# Each is under the 5 MB size limit and was seen to take gigabytes or minutes before the work per document
# was bounded. ``variant`` changes a few words, so a second copy is a new document similar to the first.

def many_paragraphs(count: int = 60_000, variant: int = 0) -> bytes:
    """An HTML page of ``count`` short paragraphs (about 2.8 MB at 60,000)."""
    rows = "".join(f"<p>Envoys met in round {n} today, {variant} said.</p>" for n in range(count))
    return f"<!DOCTYPE html><html><head><title>Rounds {variant}</title></head><body><article>{rows}</article></body></html>".encode()


def ampersands(size: int = 2_500_000) -> bytes:
    """A page that is one paragraph of ``&amp;`` entities."""
    return ("<!DOCTYPE html><html><body><article><p>" + "&amp;" * (size // 5) + "</p></article></body></html>").encode()


def single_line(size: int = 1_000_000) -> bytes:
    """Plain text of many sentences and no line break."""
    sentence = "Negotiators in Geneva discussed the ceasefire line again. "
    return (sentence * (size // len(sentence))).encode()


def unpunctuated(size: int = 1_000_000) -> bytes:
    """Plain text of words without a single full stop or line break."""
    words = "the delegations talked about prisoners grain corridors and the contact line "
    return (words * (size // len(words))).encode()


def open_quote_chinese(size: int = 1_000_000) -> bytes:
    """Chinese text that opens a quote and never closes it, with a full stop every few characters."""
    return ("「" + "双方同意停火。" * (size // 21)).encode()


def large_page(size: int = 4_900_000) -> bytes:
    """An HTML page near the 5 MB limit of varied sentences in paragraphs of five."""
    sentences, n, length = [], 0, 0
    while length < size - 200:
        sentences.append(f"Observers counted {n} convoys near checkpoint {n % 97} while envoys {n % 13} waited in hall {n % 7}. ")
        length += len(sentences[-1]) + 2
        n += 1
    paragraphs = "".join("<p>" + "".join(sentences[i:i + 5]) + "</p>" for i in range(0, len(sentences), 5))
    return f"<!DOCTYPE html><html><body><article>{paragraphs}</article></body></html>".encode()


PATHOLOGICAL = {
    "60k-paragraphs.html": many_paragraphs,
    "ampersands.html": ampersands,
    "single-line.txt": single_line,
    "unpunctuated.txt": unpunctuated,
    "open-quote-zh.txt": open_quote_chinese,
    "large-page.html": large_page,
}
