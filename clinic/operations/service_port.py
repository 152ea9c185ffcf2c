"""/health, /ready and /metrics for a process with no web server of its own (the
notification worker): a small HTTP server in a thread, on CLINIC_BIND_ADDRESS;
/ready and /metrics for the monitoring token only, as everywhere (clinic/operations/metrics.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clinic.operations import metrics
from clinic.operations.binding import bind_address

logger = logging.getLogger(__name__)


def serve_in_background(service: str, port: int, checks: dict[str, metrics.Check]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            refusal = metrics.monitoring_refusal(self.headers.get("authorization"))
            if self.path == "/health":
                self._send(200, "application/json", json.dumps({"status": "ok", "service": service}).encode())
            elif self.path in ("/ready", "/metrics") and refusal:
                if refusal == 401:
                    metrics.REFUSALS.labels(service, "401").inc()
                error = metrics.MONITORING_ERRORS[refusal]
                self._send(refusal, "application/json", json.dumps({"error": error}).encode())
            elif self.path == "/ready":
                ok, parts = asyncio.run(metrics.readiness(checks))
                self._send(
                    200 if ok else 503,
                    "application/json",
                    json.dumps({"ready": ok, "service": service, "checks": parts}).encode(),
                )
            elif self.path == "/metrics":
                body, content_type = metrics.exposition()
                self._send(200, content_type, body)
            else:
                self._send(404, "application/json", b'{"error": "not_found"}')

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # scrapes every few seconds: not worth a line each
            pass

    server = ThreadingHTTPServer((bind_address(), port), Handler)
    threading.Thread(target=server.serve_forever, name=f"{service}-health", daemon=True).start()
    logger.info("%s: /health, /ready and /metrics on port %d", service, port)
    return server
