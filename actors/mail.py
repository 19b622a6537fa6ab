"""Optional outgoing mail over SMTP (password-reset links), sent from a worker thread."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import anyio.to_thread

from config.settings import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 20.0


def sender_address(settings: Settings) -> str:
    return settings.mail.sender or f"noreply@{settings.host}"


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{settings.server.name} <{sender_address(settings)}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.host)
    message.set_content(body)
    return message


def send_message_now(settings: Settings, message: EmailMessage) -> None:
    """Blocking: connect, STARTTLS if asked, log in if a username is set, send."""
    mail = settings.mail
    with smtplib.SMTP(mail.host, mail.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if mail.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if mail.username:
            smtp.login(mail.username, mail.password)
        smtp.send_message(message)


async def send_message(settings: Settings, message: EmailMessage) -> bool:
    """Send without blocking the event loop; False (and a log line) when the server refuses."""
    if not settings.mail.is_configured:
        return False
    try:
        await anyio.to_thread.run_sync(send_message_now, settings, message)
    except (smtplib.SMTPException, OSError) as error:
        log.warning(
            "mail not sent",
            extra={"smtp_host": settings.mail.host, "error": f"{type(error).__name__}: {error}"},
        )
        return False
    return True
