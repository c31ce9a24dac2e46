"""The email channel against real SMTP servers (aiosmtpd) on 127.0.0.1.

Covers RELIABILITY items 10 (header injection), 15-18 (SMTP down, slow, 4xx/5xx,
STARTTLS stripped) and 22 (secrets never in errors).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import logging
import socket
import ssl
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from alerts import Channel, DeliveryError, EmailChannel, RenderedDigest, render_digest
from alerts.channels import header_text
from vedette.config.channels.email import EmailChannel as EmailConfig
from vedette.store import PendingItem

PASSWORD = "s3cr3t-Pa55word"  # a test password that must never show up
GENERATED = dt.datetime(2025, 11, 25, 5, 0, tzinfo=dt.UTC)


# -- a scriptable SMTP server -------------------------------------------------------------

class Recorder:
    """aiosmtpd handler: keeps accepted messages; replies can be scripted to refuse or stall."""

    def __init__(self, *, data_replies: tuple[str, ...] = (), refuse: dict[str, str] | None = None,
                 stall: float = 0.0, auth_reply: str | None = None) -> None:
        self.data_replies = list(data_replies)  # replies to the first DATA commands, then 250
        self.refuse = refuse or {}              # recipient -> reply
        self.stall = stall                      # seconds before answering MAIL and each RCPT
        self.auth_reply = auth_reply            # refuse AUTH with this reply
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.rcpt_tos: list[list[str]] = []
        self.over_tls: list[bool] = []
        self.logins: list[tuple[str, str]] = []
        self.mail_commands = 0
        self.data_commands = 0

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        self.mail_commands += 1
        await asyncio.sleep(self.stall)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        await asyncio.sleep(self.stall)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        self.raw.append(envelope.original_content)
        self.messages.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.original_content, policy=email.policy.default))
        self.rcpt_tos.append(list(envelope.rcpt_tos))
        implicit = server.transport.get_extra_info("sslcontext") is not None
        self.over_tls.append(session.ssl is not None or implicit)
        return "250 OK queued"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        if self.auth_reply:
            return AuthResult(success=False, handled=False, message=self.auth_reply)
        return AuthResult(success=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    """A real SMTP server on 127.0.0.1 for the duration of the block; yields its port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts TCP connections (the kernel's backlog) and never says a word."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield int(listener.getsockname()[1])


# -- certificates -------------------------------------------------------------------------

@dataclass(frozen=True)
class Tls:
    ca: Path          # the CA that signed the server certificate
    other_ca: Path    # a CA that did not
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _ca("Vedette test CA")
    _, other_cert = _ca("Some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = Tls(folder / "ca.pem", folder / "other-ca.pem", folder / "server.pem",
                folder / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(pem))
    files.other_ca.write_bytes(other_cert.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem))
    files.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return files


# -- digests and channels -------------------------------------------------------------------

def item(delivery_id: int, title: str, *, topic: str = "Joint production",
         url: str = "https://www.lrt.lt/naujienos/1") -> PendingItem:
    snippet = "Україна та Литва домовилися про спільне виробництво далекобійних дронів."
    start = snippet.index("спільне виробництво")
    return PendingItem(
        delivery_id=delivery_id, match_id=delivery_id, topic_id=topic.lower().replace(" ", "-"),
        topic_name=topic, url=url, title=title, source="lrt", published=GENERATED,
        terms=("спільне виробництво",), fields=("body",), snippet=snippet, snippet_field="body",
        highlights=((start, start + len("спільне виробництво")),), matched_at=GENERATED,
    )


def digest(*items_: PendingItem) -> RenderedDigest:
    chosen = items_ or (item(1, "Lietuva ir Ukraina: bendra dronų gamyba, žiūrėk"),
                        item(2, "Спільне виробництво далекобійних дронів"))
    return render_digest("morning", chosen, timezone="Europe/Vilnius", generated_at=GENERATED)


def config(port: int, **extra: Any) -> EmailConfig:
    return EmailConfig.model_validate({
        "type": "email", "host": "127.0.0.1", "port": port, "security": "none",
        "from": "Vedette <vedette@example.org>", "to": ["analyst@example.org"],
        "timeout": 5, "retries": 2, **extra})


def channel(port: int, **extra: Any) -> EmailChannel:
    return EmailChannel("team-mail", config(port, **extra), retry_base_delay=0.01)


def send(ch: EmailChannel, rendered: RenderedDigest | None = None) -> Any:
    return asyncio.run(ch.send(rendered or digest()))


def failure(ch: EmailChannel, rendered: RenderedDigest | None = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(ch, rendered)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert PASSWORD not in message and PASSWORD not in repr(caught.value.args)
    assert PASSWORD not in "".join(traceback.format_exception(caught.value))
    return caught.value


# -- delivery -------------------------------------------------------------------------------

def test_channel_create_picks_email_by_type() -> None:
    created = Channel.create("team-mail", config(25))
    assert isinstance(created, EmailChannel)
    assert created.name == "team-mail"


def test_delivers_one_multipart_message_with_headers_and_utf8_text() -> None:
    recorder = Recorder()
    rendered = digest()
    with smtp_server(recorder) as port:
        result = send(channel(port, to=["Analyst <analyst@example.org>", "desk@example.org"]),
                      rendered)
    assert (result.channel, result.batch_id, result.items, result.note) == (
        "team-mail", rendered.batch_id, 2, None)
    [message] = recorder.messages
    assert recorder.rcpt_tos == [["analyst@example.org", "desk@example.org"]]
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    for part in (text.get_content(), html.get_content()):
        assert "Lietuva ir Ukraina: bendra dronų gamyba, žiūrėk" in part
        assert "Спільне виробництво далекобійних дронів" in part
    assert "**спільне виробництво**" in text.get_content()
    assert "спільне виробництво</mark>" in html.get_content()
    assert message["Subject"] == "[Vedette] 2 new: Joint production (2)"
    assert message["From"] == "Vedette <vedette@example.org>"
    assert message["To"] == "Analyst <analyst@example.org>, desk@example.org"
    assert parsedate_to_datetime(message["Date"]) == GENERATED
    assert message["Message-ID"] == f"<{rendered.batch_id}@example.org>"
    assert message["List-Id"] == "Vedette digest morning <morning.vedette.example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert recorder.over_tls == [False]


def test_message_id_is_stable_for_the_same_batch() -> None:
    recorder = Recorder()
    first = digest()
    later = render_digest("morning", tuple(reversed(first.items)), timezone="UTC",
                          generated_at=GENERATED + dt.timedelta(hours=3))
    other = digest(item(3, "Another story"))
    with smtp_server(recorder) as port:
        for rendered in (first, later, other):
            send(channel(port), rendered)
    ids = [m["Message-ID"] for m in recorder.messages]
    assert ids[0] == ids[1] != ids[2]


def test_temporary_451_is_retried_and_delivered_once() -> None:
    recorder = Recorder(data_replies=("451 4.3.0 Try again later",))
    with smtp_server(recorder) as port:
        result = send(channel(port))
    assert result.items == 2
    assert recorder.data_commands == 2
    assert len(recorder.messages) == 1


def test_451_on_every_attempt_stays_temporary() -> None:
    recorder = Recorder(data_replies=("451 4.3.0 Try again later",) * 5)
    with smtp_server(recorder) as port:
        error = failure(channel(port, retries=1))
    assert not error.permanent
    assert recorder.data_commands == 2
    assert error.message == (f"team-mail: SMTP 127.0.0.1:{port} refused the message for now: "
                             "451 4.3.0 Try again later")


def test_550_is_permanent_and_not_retried() -> None:
    recorder = Recorder(data_replies=("550 5.7.1 Message content rejected",) * 5)
    with smtp_server(recorder) as port:
        error = failure(channel(port))
    assert error.permanent
    assert "550 5.7.1 Message content rejected" in error.message
    assert recorder.data_commands == 1
    assert recorder.messages == []


def test_some_recipients_refused_is_a_success_with_a_note() -> None:
    recorder = Recorder(refuse={"gone@example.org": "550 5.1.1 No such user"})
    with smtp_server(recorder) as port:
        result = send(channel(port, to=["analyst@example.org", "gone@example.org"]))
    assert recorder.rcpt_tos == [["analyst@example.org"]]
    assert result.note == (f"SMTP 127.0.0.1:{port} refused gone@example.org "
                           "(550 5.1.1 No such user)")


def test_every_recipient_refused_permanently_is_permanent() -> None:
    recorder = Recorder(refuse={"analyst@example.org": "550 5.1.1 No such user"})
    with smtp_server(recorder) as port:
        error = failure(channel(port))
    assert error.permanent
    assert "analyst@example.org (550 5.1.1 No such user)" in error.message
    assert recorder.data_commands == 0


def test_mailbox_full_552_to_every_recipient_is_temporary() -> None:
    """RFC 5321 §4.5.3.1.10: a 552 to RCPT is taken as 452; the mailbox may be emptied."""
    recorder = Recorder(refuse={"analyst@example.org": "552 5.2.2 Mailbox full"})
    with smtp_server(recorder) as port:
        error = failure(channel(port, retries=1))
    assert not error.permanent and not error.too_big
    assert error.message == (f"team-mail: SMTP 127.0.0.1:{port} refused every recipient for "
                             "now: analyst@example.org (552 5.2.2 Mailbox full)")
    assert recorder.mail_commands == 2  # retried within the send
    assert recorder.data_commands == 0


def test_connection_refused_is_temporary_and_quick() -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    error = failure(channel(port, username="vedette", password=PASSWORD))
    assert time.monotonic() - started < 2
    assert not error.permanent
    assert error.message == f"team-mail: SMTP 127.0.0.1:{port} refused connection"


def test_silent_server_fails_within_the_overall_deadline() -> None:
    with silent_server() as port:
        started = time.monotonic()
        error = failure(channel(port, timeout=0.5, retries=0))
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 1.5
    assert not error.permanent
    assert error.message == f"team-mail: SMTP 127.0.0.1:{port} did not answer within 0.5s"


def test_slow_server_is_cut_off_by_the_overall_deadline_not_per_reply() -> None:
    # Every reply comes within the per-operation timeout; the session as a whole does not.
    recorder = Recorder(stall=0.4)
    with smtp_server(recorder) as port:
        started = time.monotonic()
        error = failure(channel(port, timeout=1, retries=0,
                                to=["a@example.org", "b@example.org"]))
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.7
    assert "did not answer within 1s" in error.message
    assert recorder.messages == []


# -- TLS ------------------------------------------------------------------------------------

def test_starttls_not_offered_refuses_to_send_in_plain() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        error = failure(channel(port, security="starttls"))
    assert not error.permanent
    assert error.message == (f"team-mail: SMTP 127.0.0.1:{port} did not offer STARTTLS "
                             "(security: starttls), so nothing was sent in plain text")
    assert recorder.mail_commands == 0 and recorder.messages == []


def test_server_wanting_tls_first_is_a_temporary_config_problem(tls: Tls) -> None:
    recorder = Recorder()
    with smtp_server(recorder, tls_context=tls.server_context(), require_starttls=True) as port:
        error = failure(channel(port, security="none"))
    assert not error.permanent
    assert "wants a login or TLS first" in error.message and "530" in error.message
    assert recorder.messages == []


def test_starttls_with_a_verified_certificate(tls: Tls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    recorder = Recorder()
    with smtp_server(recorder, tls_context=tls.server_context(), require_starttls=True) as port:
        send(channel(port, security="starttls"))
    assert recorder.over_tls == [True]


def test_starttls_with_an_untrusted_certificate_sends_nothing(
    tls: Tls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.other_ca))
    recorder = Recorder()
    with smtp_server(recorder, tls_context=tls.server_context(), require_starttls=True) as port:
        error = failure(channel(port, security="starttls"))
    assert not error.permanent
    assert error.message.startswith(f"team-mail: TLS with SMTP 127.0.0.1:{port} failed: ")
    assert "certificate" in error.message
    assert recorder.mail_commands == 0


def test_implicit_tls(tls: Tls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    recorder = Recorder()
    with smtp_server(recorder, ssl_context=tls.server_context()) as port:
        send(channel(port, security="tls"))
    assert recorder.over_tls == [True]


# -- login and secrets ----------------------------------------------------------------------

# The test server takes AUTH without TLS (aiosmtpd warns about that, rightly).
plain_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@plain_auth
def test_login_is_sent_when_configured() -> None:
    recorder = Recorder()
    with smtp_server(recorder, authenticator=recorder.authenticate, auth_require_tls=False,
                     auth_required=True) as port:
        send(channel(port, username="vedette", password=PASSWORD))
    assert recorder.logins[-1] == ("vedette", PASSWORD)
    assert len(recorder.messages) == 1


@plain_auth
def test_refused_login_is_temporary_and_never_shows_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A careless server that echoes the password in its reply.
    recorder = Recorder(auth_reply=f"535 5.7.8 Wrong password {PASSWORD}")
    caplog.set_level(logging.DEBUG)
    with smtp_server(recorder, authenticator=recorder.authenticate, auth_require_tls=False,
                     auth_required=True) as port:
        error = failure(channel(port, username="vedette", password=PASSWORD))
    assert not error.permanent
    assert PASSWORD not in error.message
    assert error.message == (f"team-mail: SMTP 127.0.0.1:{port} refused the login as "
                             "'vedette': 535 5.7.8 Wrong password ***")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("alerts")]
    assert not [line for line in ours if PASSWORD in line]
    assert recorder.messages == []


# -- hostile content ------------------------------------------------------------------------

INJECTIONS = [
    "Drones\r\nBcc: evil@example.org",
    "Drones\nBcc: evil@example.org",
    "=?utf-8?q?Drones=0D=0ABcc:_evil@example.org?=",
    "=?utf-8?b?RHJvbmVzDQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FDrones=3D0D=3D0ABcc:_evil@example.org=3F=3D?=",
]


@pytest.mark.parametrize("hostile", INJECTIONS, ids=range(len(INJECTIONS)))
def test_header_text_is_one_line(hostile: str) -> None:
    text = header_text(hostile)
    assert "\r" not in text and "\n" not in text
    assert text.endswith("Bcc: evil@example.org")
    assert str(email.policy.default.header_factory("subject", text)) == text


def test_newlines_in_topics_and_titles_never_become_headers() -> None:
    recorder = Recorder()
    rendered = digest(*(item(n, hostile, topic=hostile) for n, hostile in enumerate(INJECTIONS)))
    with smtp_server(recorder) as port:
        send(channel(port), rendered)
    [message] = recorder.messages
    assert "Bcc" not in message and "bcc" not in {k.lower() for k in message}
    assert recorder.rcpt_tos == [["analyst@example.org"]]
    head = recorder.raw[0].split(b"\r\n\r\n", 1)[0]
    assert not [line for line in head.splitlines() if line.lower().startswith(b"bcc")]
    subject = message["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith(f"[Vedette] {len(INJECTIONS)} new: Drones Bcc: evil@example.org")
