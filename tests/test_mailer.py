"""Emailing the digest through a real SMTP server the tests start on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.cli.main import app
from agent.config import SmtpSettings, load_settings
from agent.core.errors import ConfigError
from agent.core.text import markdown_text
from agent.digest.mailer import MailError, send_message
from store.db import open_engine
from store.tables import Digest
from tests.test_digest import HOSTILE, PAPERS, add_papers

USER, PASSWORD = "digest", "s3cret-Pa55word"
runner = CliRunner()


@dataclass
class Inbox:
    """What the test server received: one (sender, recipients, raw message, logged in) a mail."""

    messages: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.authenticated)
        )
        return "250 Message accepted"

    def parsed(self, n: int = 0) -> EmailMessage:
        message = email.message_from_bytes(self.messages[n][2], policy=default_policy)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    cert: Path | None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl command (skips without it)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a certificate for STARTTLS")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that demands STARTTLS and a login before mail."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        yield SmtpServer(controller.port, inbox, cert)
    finally:
        controller.stop()


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: SmtpServer) -> None:
    config = tmp_path / "paperskim.toml"
    config.write_text(
        f"""
[smtp]
host = "127.0.0.1"
port = {server.port}
username = "{USER}"
ca_file = "{server.cert}"
sender = "paperskim@example.org"
recipients = ["reader@example.org", "other@example.org"]
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    monkeypatch.setenv("PAPERSKIM_SMTP__PASSWORD", PASSWORD)


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Engine]:
    path = str(tmp_path / "m.db")
    store = open_engine(f"sqlite:///{path}")
    add_papers(store, tmp_path, PAPERS, "papers")
    return path, store


def test_the_digest_arrives_with_text_and_html_and_an_escaped_title(
    smtp_server: SmtpServer,
    db: tuple[str, Engine],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    configure(monkeypatch, tmp_path, smtp_server)
    path, store = db
    result = runner.invoke(app, ["digest", "--db", path, "--since", "last", "--send"])
    assert result.exit_code == 0, result.output
    assert "4 papers emailed to reader@example.org, other@example.org" in result.output
    assert PASSWORD not in result.output

    (sender, recipients, _, logged_in) = smtp_server.inbox.messages[0]
    assert sender == "paperskim@example.org" and logged_in
    assert recipients == ["reader@example.org", "other@example.org"]
    message = smtp_server.inbox.parsed()
    assert message.get_content_type() == "multipart/alternative"
    assert "4 papers" in str(message["Subject"])
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, page = text_part.get_content(), html_part.get_content()
    assert "Zeta: KV Cache Paging for Serving" in text and "Zeta: KV Cache" in page
    # The text part is the Markdown digest: the title is there as text, its HTML escaped.
    assert markdown_text(HOSTILE) in text and "<script>" not in text
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "<table>" in page

    with Session(store) as session:
        (digest,) = session.exec(select(Digest)).all()
        assert digest.sent_to == "reader@example.org, other@example.org"
        assert digest.paper_count == 4

    page = tmp_path / "today.html"
    page.write_text("the morning's digest")
    again = runner.invoke(
        app, ["digest", "--db", path, "--since", "last", "--send", "--out", str(page)]
    )
    assert again.exit_code == 0 and "nothing new: no email sent" in again.output
    assert page.read_text() == "the morning's digest"  # not overwritten by an empty digest
    assert len(smtp_server.inbox.messages) == 1


def test_a_refused_login_is_a_clear_error_and_nothing_is_recorded(
    smtp_server: SmtpServer,
    db: tuple[str, Engine],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    configure(monkeypatch, tmp_path, smtp_server)
    monkeypatch.setenv("PAPERSKIM_SMTP__PASSWORD", "wrong-password-123")
    path, store = db
    result = runner.invoke(app, ["digest", "--db", path, "--since", "last", "--send"])
    assert isinstance(result.exception, MailError)
    assert "refused the login of 'digest'" in str(result.exception)
    assert "wrong-password-123" not in str(result.exception) + result.output
    assert smtp_server.inbox.messages == []
    with Session(store) as session:
        assert session.exec(select(Digest)).all() == []


def test_an_untrusted_certificate_is_refused(smtp_server: SmtpServer) -> None:
    smtp = SmtpSettings(
        host="127.0.0.1", port=smtp_server.port, sender="a@b.c", recipients=["d@e.f"]
    )
    message = EmailMessage()
    message.set_content("hi")
    with pytest.raises(MailError, match=r"cannot send through 127\.0\.0\.1"):
        send_message(message, smtp)  # no ca_file: the self-signed certificate is not trusted
    assert smtp_server.inbox.messages == []


def test_missing_settings_and_a_password_in_the_file_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(MailError, match=r"set smtp\.host, smtp\.sender, smtp\.recipients"):
        send_message(EmailMessage(), SmtpSettings())
    config = tmp_path / "paperskim.toml"
    config.write_text('[smtp]\nhost = "h"\npassword = "nope"\n', encoding="utf-8")
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    with pytest.raises(ConfigError, match="PAPERSKIM_SMTP__PASSWORD"):
        load_settings()


def test_the_email_can_be_written_as_an_eml_file(
    db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, _ = db
    config = tmp_path / "paperskim.toml"
    config.write_text('[smtp]\nsender = "s@example.org"\nrecipients = ["r@example.org"]\n')
    monkeypatch.setenv("PAPERSKIM_CONFIG", str(config))
    eml = tmp_path / "digest.eml"
    result = runner.invoke(app, ["digest", "--db", path, "--format", "email", "--out", str(eml)])
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert message["From"] == "s@example.org" and message["To"] == "r@example.org"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
