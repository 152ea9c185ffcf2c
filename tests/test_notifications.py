"""Notifications reach a real SMTP server and a real webhook receiver, after outages too."""
import json
from email import message_from_string
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from clinic.requests.notifications import EmailNotifier, WebhookNotifier, deliver_due, verify_webhook
from local_servers import free_port, start_smtp_server
from databases import migrated_store

SECRET = "test-webhook-secret"


@pytest.fixture
def smtp_server():
    controller, mailbox = start_smtp_server()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def webhook_receiver():
    received, state = [], {"fail": False}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state["fail"]:
                self.send_response(503)
            else:
                received.append((self.headers, body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/requests", received, state
    server.shutdown()


@pytest.fixture
def store(tmp_path):
    return migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")


def clear_text_mail(port: int) -> EmailNotifier:
    """The test mailbox has no TLS: clear text by explicit opt-out (tests/security/test_smtp_tls.py has TLS)."""
    return EmailNotifier("127.0.0.1", port, "bot@clinic.test", "desk@clinic.test", security="none")


def email_and_webhook(smtp_server, webhook_receiver) -> dict:
    """Notifiers for the test SMTP server and webhook receiver, as the worker would have them."""
    return {"email": clear_text_mail(smtp_server[0]), "webhook": WebhookNotifier(webhook_receiver[0], SECRET)}


def make_due_again(store):
    """Skips the backoff wait, as if the retry time had come."""
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE clinic_outbox SET next_attempt_at = '2000-01-01 00:00:00'")


def test_email_and_signed_webhook_are_delivered_once(store, smtp_server, webhook_receiver):
    _, mailbox = smtp_server
    _, received, _ = webhook_receiver
    notifiers = email_and_webhook(smtp_server, webhook_receiver)
    request, _ = store.submit("booking", "conv-1", {"patient_name": "Ana"}, ["email", "webhook"])
    assert deliver_due(store, notifiers) == (2, 0)
    assert deliver_due(store, notifiers) == (0, 0)  # nothing sent twice
    [(recipients, mail)] = mailbox.messages
    assert recipients == ["desk@clinic.test"] and request.reference in mail and "Ana" in mail
    [(headers, body)] = received
    assert verify_webhook(SECRET, headers, body)  # signed with a fresh timestamp
    assert json.loads(body)["reference"] == request.reference


def test_a_mail_server_outage_delays_but_never_loses_a_request(store, smtp_server):
    smtp_port, mailbox = smtp_server
    down = {"email": clear_text_mail(free_port())}
    request, _ = store.submit("booking", "conv-2", {"patient_name": "Ben"}, ["email"])
    assert deliver_due(store, down) == (0, 1)
    assert deliver_due(store, down) == (0, 0)  # waits for its backoff
    make_due_again(store)
    up = {"email": clear_text_mail(smtp_port)}
    assert deliver_due(store, up) == (1, 0)
    assert store.outbox_status(request.reference) == {"email": "sent"}
    assert len(mailbox.messages) == 1


def test_a_webhook_outage_is_retried_until_it_succeeds(store, webhook_receiver):
    url, received, state = webhook_receiver
    notifiers = {"webhook": WebhookNotifier(url, SECRET)}
    store.submit("callback", "conv-3", {"contact": "555 201 7788", "question": "insurance?"}, ["webhook"])
    state["fail"] = True
    assert deliver_due(store, notifiers) == (0, 1)
    state["fail"] = False
    make_due_again(store)
    assert deliver_due(store, notifiers) == (1, 0)
    assert len(received) == 1


def test_backoff_grows_and_is_capped():
    from clinic.requests.notifications import retry_delay
    assert [retry_delay(n) for n in range(3)] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert retry_delay(20) == timedelta(hours=1)


def test_a_safety_alert_names_the_tier_conversation_and_time_but_no_patient_text(store, smtp_server,
                                                                               webhook_receiver):
    _, mailbox = smtp_server
    _, received, _ = webhook_receiver
    notifiers = email_and_webhook(smtp_server, webhook_receiver)
    alert, _ = store.submit("alert", "conv-crisis-1", {"tier": "crisis"}, ["email", "webhook"])
    assert deliver_due(store, notifiers) == (2, 0)

    [(_, raw)] = mailbox.messages
    email = message_from_string(raw)
    text = email.get_payload(decode=True).decode()
    assert email["Subject"] == f"Safety alert {alert.reference}: a patient wrote crisis language"
    assert "conversation conv-crisis-1" in text and f"{alert.created_at:%Y-%m-%d %H:%M} UTC" in text
    [(_, body)] = received
    sent = json.loads(body)
    assert (sent["kind"], sent["details"], sent["conversation_id"]) == ("alert", {"tier": "crisis"}, "conv-crisis-1")
    # The patient's words never leave the clinic's database: the alert holds none.
    assert set(alert.details) == {"tier"}
