"""A throwaway HTTP server on 127.0.0.1 that records every request it receives.

Tests point references at it (a form's ``$ref``, an XML entity) to prove the service never fetched them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorder:
    base: str
    requests: list[str] = field(default_factory=list)


@contextmanager
def recording_server() -> Iterator[Recorder]:
    """Serve a small valid JSON Schema / XML entity text on any path and record each path asked for."""
    recorder = Recorder("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler API
            recorder.requests.append(self.path)
            body = b'{"type": "string"}' if self.path.endswith(".json") else b"<!ENTITY fetched 'yes'>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the handler API
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
