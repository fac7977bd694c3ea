"""Mail through the campus SMTP server (``TRACKER_MAIL_*``), with the standard library.

A message is handed to a background thread, so a page that sends one answers
as fast as a page that does not: the password-reset request must not tell,
by its timing, whether the account exists and has an address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

log = logging.getLogger(__name__)

# One sender at a time is plenty for password resets; more would only queue at the server.
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-mail")

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool  # TLS from the first byte (SMTPS, usually port 465)
    starttls: bool  # plain, then STARTTLS (usually port 587)
    sender: str


def configured(config: Any) -> bool:
    """Whether a mail server is set: without one, nothing is mailed and no page offers it."""
    return bool(config.get("TRACKER_MAIL_SERVER", "").strip())


def server_from(config: Any) -> Server:
    return Server(
        host=config["TRACKER_MAIL_SERVER"].strip(),
        port=config["TRACKER_MAIL_PORT"],
        username=config["TRACKER_MAIL_USERNAME"],
        password=config["TRACKER_MAIL_PASSWORD"],
        use_tls=config["TRACKER_MAIL_USE_TLS"],
        starttls=config["TRACKER_MAIL_STARTTLS"],
        sender=config["TRACKER_MAIL_SENDER"] or config["TRACKER_MAIL_USERNAME"],
    )


def compose(server: Server, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(server.sender)[1].rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(body)
    return message


def deliver(server: Server, message: EmailMessage) -> None:
    """Send now, in this thread; SMTP errors are raised."""
    context = ssl.create_default_context()
    if server.use_tls:
        connection = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with connection:
        if server.starttls and not server.use_tls:
            connection.starttls(context=context)
        if server.username:
            connection.login(server.username, server.password)
        connection.send_message(message)


def _report(future: Future) -> None:
    error = future.exception()
    if error is not None:
        log.error("Sending mail failed: %s", error)


def send_later(server: Server, message: EmailMessage) -> Future:
    """Queue the message for the background sender; a failure is logged, never raised here."""
    future = _outbox.submit(deliver, server, message)
    future.add_done_callback(_report)
    return future
