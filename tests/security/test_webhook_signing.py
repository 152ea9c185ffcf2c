"""The clinic webhook against real local HTTP receivers: every call is signed over
a timestamp and the body, names its delivery (the same on each retry), and is
never redirected, so an old call cannot be replayed and the body never reaches
a server it was not addressed to."""
import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from clinic.requests import notifications
from clinic.requests.notifications import WebhookNotifier, deliver_due
from local_servers import free_port
from databases import migrated_store

SECRET = "test-webhook-secret-for-signing"
PATIENT = {"patient_name": "Zelda Quimby", "contact": "555 019 4242"}


class Receiver:
    """A real HTTP server that records every call; it answers `status` (with a
    Location for redirects) or, with `verify`, checks the signature with the
    receiver helper the clinic ships, on its own clock (`clock_offset`)."""

    def __init__(self, status=204, location=None, verify=False):
        self.calls, self.status, self.location, self.verify, self.clock_offset = [], status, location, verify, 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append((dict(self.headers), body))
                status = receiver.status
                if receiver.verify and not notifications.verify_webhook(
                        SECRET, self.headers, body, now=time.time() + receiver.clock_offset):
                    status = 401
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/requests"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    started = []

    def start(**kwargs):
        started.append(Receiver(**kwargs))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def store(tmp_path):
    return migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")


def make_due_again(store):
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE clinic_outbox SET next_attempt_at = '2000-01-01 00:00:00'")


def header(headers, name):
    return {key.lower(): value for key, value in headers.items()}.get(name.lower())


def test_a_call_signs_its_timestamp_with_the_body_and_a_replay_later_is_rejected(store, receivers):
    receiver = receivers(verify=True)
    request, _ = store.submit("booking", "conv-sign-1", PATIENT, ["webhook"])
    before = time.time()
    assert deliver_due(store, {"webhook": WebhookNotifier(receiver.url, SECRET)}) == (1, 0)
    [(headers, body)] = receiver.calls
    stamp = header(headers, "X-Clinic-Timestamp")
    assert stamp is not None and before - 1 <= int(stamp) <= time.time() + 1
    assert header(headers, "X-Clinic-Signature") == notifications.signature(SECRET, stamp, body)
    assert json.loads(body)["reference"] == request.reference

    # The very same call (headers and body) replayed 6 minutes later is refused ...
    receiver.clock_offset = 6 * 60
    replay = requests.post(receiver.url, data=body, headers=headers, timeout=5)
    assert replay.status_code == 401
    # ... and so is a fresh timestamp on the old signature, or the old signature of the body alone.
    receiver.clock_offset = 0
    restamped = {**headers, "X-Clinic-Timestamp": str(int(stamp) + 1)}  # fresh enough, not the signed one
    assert requests.post(receiver.url, data=body, headers=restamped, timeout=5).status_code == 401
    body_only = {**headers, "X-Clinic-Signature": "sha256=" + hmac.new(
        SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert requests.post(receiver.url, data=body, headers=body_only, timeout=5).status_code == 401
    # Within five minutes the genuine call verifies; a tampered body never does.
    assert notifications.verify_webhook(SECRET, headers, body, now=int(stamp) + 299)
    assert not notifications.verify_webhook(SECRET, headers, body, now=int(stamp) + 301)
    assert not notifications.verify_webhook(SECRET, headers, body, now=int(stamp) - 301)
    assert not notifications.verify_webhook(SECRET, headers, body.replace(b"Zelda", b"Zelde"), now=int(stamp))
    assert not notifications.verify_webhook("another-secret", headers, body, now=int(stamp))


def test_every_retry_carries_the_same_delivery_id_so_a_receiver_can_deduplicate(store, receivers):
    receiver = receivers(status=503, verify=True)
    notifiers = {"webhook": WebhookNotifier(receiver.url, SECRET)}
    store.submit("callback", "conv-dedup-1", {"contact": "555 201 7788"}, ["webhook"])
    store.submit("callback", "conv-dedup-2", {"contact": "555 201 9900"}, ["webhook"])
    assert deliver_due(store, notifiers) == (0, 2)
    receiver.status = 204
    make_due_again(store)
    assert deliver_due(store, notifiers) == (2, 0)

    ids = [header(headers, "X-Clinic-Delivery") for headers, _ in receiver.calls]
    assert all(ids) and ids[:2] == ids[2:] and ids[0] != ids[1]
    # The id is signed too: it is in the body, which the signature covers.
    assert [json.loads(body)["delivery"] for _, body in receiver.calls] == ids


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_is_not_followed_but_fails_the_delivery_which_is_retried(store, receivers, caplog, status):
    elsewhere = receivers(status=204)
    redirecting = receivers(status=status, location=elsewhere.url)
    notifiers = {"webhook": WebhookNotifier(redirecting.url, SECRET)}
    request, _ = store.submit("booking", "conv-redirect-1", PATIENT, ["webhook"])

    with caplog.at_level(logging.DEBUG):
        assert deliver_due(store, notifiers) == (0, 1)
    assert len(redirecting.calls) == 1
    assert elsewhere.calls == []  # the signed body never reached the other server
    assert store.outbox_status(request.reference) == {"webhook": "pending"}
    with store.engine.connect() as db:
        [(attempts, last_error)] = db.exec_driver_sql("SELECT attempts, last_error FROM clinic_outbox").all()
    assert attempts == 1 and str(status) in last_error
    logged = caplog.text + " ".join(str(vars(record)) for record in caplog.records)
    assert str(status) in logged
    for secret_text in [*PATIENT.values(), "Zelda"]:
        assert secret_text not in logged and secret_text not in last_error

    redirecting.status, redirecting.location = 204, None  # the clinic fixed its URL
    make_due_again(store)
    assert deliver_due(store, notifiers) == (1, 0)
    assert store.outbox_status(request.reference) == {"webhook": "sent"}
    assert elsewhere.calls == []
