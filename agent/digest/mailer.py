"""Sending the digest email through the configured SMTP server (STARTTLS, then login).

The password comes only from the environment (PAPERSKIM_SMTP__PASSWORD, via Settings) and never
appears in an error message or log line.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from agent.config import SmtpSettings
from agent.core.errors import PaperskimError


class MailError(PaperskimError):
    """The digest email could not be sent (settings missing, server refused, connection failed)."""


def check_smtp(smtp: SmtpSettings) -> tuple[str, str, list[str]]:
    """Host, sender and recipients, or a MailError naming what to set."""
    missing = [
        name
        for name, value in (
            ("host", smtp.host),
            ("sender", smtp.sender),
            ("recipients", smtp.recipients),
        )
        if not value
    ]
    if missing:
        raise MailError(
            "cannot send: set "
            + ", ".join(f"smtp.{m}" for m in missing)
            + " in the config file [smtp] section (or PAPERSKIM_SMTP__HOST, ...)"
        )
    if smtp.username and smtp.password is None:
        raise MailError(
            f"cannot send: smtp.username is {smtp.username!r} but no password is set; "
            "set PAPERSKIM_SMTP__PASSWORD in the environment"
        )
    assert smtp.host is not None and smtp.sender is not None
    return smtp.host, smtp.sender, list(smtp.recipients)


def send_message(message: EmailMessage, smtp: SmtpSettings) -> list[str]:
    """Send `message` to its recipients; returns who accepted it. Raises MailError."""
    host, sender, recipients = check_smtp(smtp)
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    try:
        with smtplib.SMTP(host, smtp.port, timeout=smtp.timeout) as client:
            client.ehlo()
            if smtp.starttls:
                client.starttls(context=context)
                client.ehlo()
            if smtp.username and smtp.password is not None:
                client.login(smtp.username, smtp.password.get_secret_value())
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"SMTP server {host}:{smtp.port} refused the login of {smtp.username!r} "
            f"({exc.smtp_code})"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"SMTP server {host}:{smtp.port} does not offer STARTTLS "
            "(set smtp.starttls = false only for a server on a trusted network)"
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise MailError(f"cannot send through {host}:{smtp.port}: {exc}") from None
    return [r for r in recipients if r not in refused]
