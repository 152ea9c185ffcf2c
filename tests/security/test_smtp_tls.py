"""Clinic mail against real local aiosmtpd servers: STARTTLS with a verified
certificate by default, implicit TLS on request, clear text only by explicit
opt-out; a server that cannot do TLS keeps the mail in the outbox."""
import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinic.requests.notifications import EmailNotifier, configured_notifiers, deliver_due
from local_servers import free_port
from databases import migrated_store

PATIENT = {"patient_name": "Ana Tls", "contact": "555 010 1234"}


def self_signed_certificate(directory, name: str, ip: str | None = "127.0.0.1"):
    """A key and a self-signed certificate for `name` (and `ip`), made here; (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    alt_names = [x509.DNSName(name), *([x509.IPAddress(ipaddress.ip_address(ip))] if ip else [])]
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Mailbox:
    """Keeps each message with the TLS version it came over (None: in clear)."""

    def __init__(self):
        self.messages = []  # (recipients, message text, TLS version or None)

    async def handle_DATA(self, server, session, envelope):
        tls = server.transport.get_extra_info("ssl_object")
        self.messages.append((envelope.rcpt_tos, envelope.content.decode(), tls.version() if tls else None))
        return "250 OK"


@pytest.fixture
def smtp_servers():
    """Starts aiosmtpd servers: mode "starttls" (required before MAIL), "tls" (implicit) or "plain"."""
    running = []

    def start(mode: str, cert: tuple[str, str] | None = None):
        mailbox, kwargs = Mailbox(), {}
        if mode != "plain":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            kwargs = ({"tls_context": context, "require_starttls": True} if mode == "starttls"
                      else {"ssl_context": context})
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        running.append(controller)
        return controller.port, mailbox

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def store(tmp_path):
    return migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")


def smtp_env(port: int, **settings) -> dict:
    return {"CLINIC_SMTP_HOST": "127.0.0.1", "CLINIC_SMTP_PORT": str(port), "CLINIC_MAIL_TO": "desk@clinic.test",
            "CLINIC_MAIL_FROM": "bot@clinic.test", **settings}


def make_due_again(store):
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE clinic_outbox SET next_attempt_at = '2000-01-01 00:00:00'")


def test_by_default_mail_goes_over_starttls_to_a_verified_certificate(store, smtp_servers, tmp_path):
    cert = self_signed_certificate(tmp_path, "mail.clinic.test")
    port, mailbox = smtp_servers("starttls", cert)
    notifiers = configured_notifiers(smtp_env(port, CLINIC_SMTP_CA_FILE=cert[0]))
    request, _ = store.submit("booking", "conv-tls-1", PATIENT, ["email"])
    assert deliver_due(store, notifiers) == (1, 0)
    [(recipients, mail, tls)] = mailbox.messages
    assert recipients == ["desk@clinic.test"] and request.reference in mail
    assert tls in ("TLSv1.2", "TLSv1.3")
    assert store.outbox_status(request.reference) == {"email": "sent"}


def test_a_certificate_that_is_not_trusted_or_names_another_host_is_refused(store, smtp_servers, tmp_path):
    # Configured as for the old code, which did STARTTLS without checking the certificate.
    untrusted = self_signed_certificate(tmp_path, "mail.clinic.test")
    port, mailbox = smtp_servers("starttls", untrusted)
    request, _ = store.submit("booking", "conv-tls-2", PATIENT, ["email"])
    assert deliver_due(store, configured_notifiers(smtp_env(port, CLINIC_SMTP_STARTTLS="true"))) == (0, 1)

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_host = self_signed_certificate(other_dir, "elsewhere.test", ip=None)  # trusted, but not for 127.0.0.1
    other_port, other_mailbox = smtp_servers("starttls", other_host)
    make_due_again(store)
    assert deliver_due(store, configured_notifiers(smtp_env(
        other_port, CLINIC_SMTP_STARTTLS="true", CLINIC_SMTP_CA_FILE=other_host[0]))) == (0, 1)

    assert mailbox.messages == [] and other_mailbox.messages == []
    assert store.outbox_status(request.reference) == {"email": "pending"}


def test_a_server_without_starttls_is_refused_and_clear_text_needs_the_explicit_opt_out(store, smtp_servers):
    port, mailbox = smtp_servers("plain")
    request, _ = store.submit("booking", "conv-tls-3", PATIENT, ["email"])
    assert deliver_due(store, configured_notifiers(smtp_env(port))) == (0, 1)
    assert mailbox.messages == []
    assert store.outbox_status(request.reference) == {"email": "pending"}  # kept, retried later
    with store.engine.connect() as db:
        [(last_error,)] = db.exec_driver_sql("SELECT last_error FROM clinic_outbox").all()
    assert "STARTTLS" in last_error

    # A local test mailbox: clear text only when asked for by name.
    make_due_again(store)
    assert deliver_due(store, configured_notifiers(smtp_env(port, CLINIC_SMTP_SECURITY="none"))) == (1, 0)
    [(_, mail, tls)] = mailbox.messages
    assert request.reference in mail and tls is None
    assert store.outbox_status(request.reference) == {"email": "sent"}


def test_implicit_tls_is_verified_too(store, smtp_servers, tmp_path):
    cert = self_signed_certificate(tmp_path, "mail.clinic.test")
    port, mailbox = smtp_servers("tls", cert)
    store.submit("callback", "conv-tls-4", {"contact": "555 010 9999"}, ["email"])
    untrusted = configured_notifiers(smtp_env(port, CLINIC_SMTP_SECURITY="tls"))
    assert deliver_due(store, untrusted) == (0, 1)
    make_due_again(store)
    trusted = configured_notifiers(smtp_env(port, CLINIC_SMTP_SECURITY="tls", CLINIC_SMTP_CA_FILE=cert[0]))
    assert deliver_due(store, trusted) == (1, 0)
    [(_, _, tls)] = mailbox.messages
    assert tls in ("TLSv1.2", "TLSv1.3")


def test_settings_never_weaken_tls_by_accident():
    env = {"CLINIC_SMTP_HOST": "mail.clinic.test", "CLINIC_MAIL_TO": "desk@clinic.test"}
    assert configured_notifiers(env)["email"].security == "starttls"
    # The old switch set to false, or a typo, still means STARTTLS: only "none" sends in clear.
    assert configured_notifiers({**env, "CLINIC_SMTP_STARTTLS": "false"})["email"].security == "starttls"
    assert configured_notifiers({**env, "CLINIC_SMTP_SECURITY": "non"})["email"].security == "starttls"
    assert configured_notifiers({**env, "CLINIC_SMTP_SECURITY": "NONE"})["email"].security == "none"
    implicit = configured_notifiers({**env, "CLINIC_SMTP_SECURITY": "tls"})["email"]
    assert (implicit.security, implicit.port) == ("tls", 465)
    with pytest.raises(ValueError):
        EmailNotifier("mail.clinic.test", 25, "bot@clinic.test", "desk@clinic.test", security="plain")
