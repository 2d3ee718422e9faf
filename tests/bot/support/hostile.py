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
