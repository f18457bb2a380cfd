"""Serve a set of pages on 127.0.0.1 from memory, threaded so a crawl is not
throttled by the server (the stock single-queue server caps near 20 pages/s)."""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering (timeouts in tests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    pages: dict[str, Page]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        page = self.server.pages.get(self.path.split("?", 1)[0])
        if page is None:
            page = Page(b"<h1>Not found</h1>", status=404)
        if page.delay:
            time.sleep(page.delay)
        etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
        if page.status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if page.status == 200:
            self.send_header("ETag", etag)
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        # The client may give up mid-body (size caps in tests do exactly that).
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SiteServer:
    """Pages by path, served until :meth:`stop`. Port 0 picks a free port."""

    def __init__(self, pages: dict[str, Page], host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.pages = pages
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="coverwatch-site")

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def pages(self) -> dict[str, Page]:
        return self._server.pages

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
