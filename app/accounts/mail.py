"""Optional mail: a new set-password link is also sent to its person when SMTP is configured."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import update

from app.accounts.links import NewLink
from app.config import Settings
from app.db import Database
from app.db.models import LinkKind, PasswordLink
from app.errors import Invalid


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def link_message(settings: Settings, to: str, username: str, url: str, kind: LinkKind, expires: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="gradelab")
    action = "set a new password" if kind is LinkKind.RESET else "choose your password"
    msg["Subject"] = f"gradelab: {action} for {username}"
    msg.set_content(
        f"Hello {username},\n\n"
        f"Open this link to {action} for the gradelab dashboard:\n\n"
        f"{url}\n\n"
        f"The link works once and until {expires}. If it has expired, ask your instructor for a new one.\n"
        "If you did not expect this message, you can ignore it.\n"
    )
    return msg


def send_messages(settings: Settings, messages: Sequence[EmailMessage]) -> tuple[list[bool], str | None]:
    """Send each message over one SMTP connection: which were accepted, and what went wrong (if anything).

    A failure never raises: the links were made and shown, the mail is only a convenience."""
    sent = [False] * len(messages)
    if not messages or not settings.smtp_host:
        return sent, None
    problem: str | None = None
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for i, msg in enumerate(messages):
                try:
                    smtp.send_message(msg)
                    sent[i] = True
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                    problem = f"the mail server refused the message to {msg['To']}: {_reason(exc)}"
    except (OSError, smtplib.SMTPException) as exc:
        problem = f"the mail server {settings.smtp_host}:{settings.smtp_port} could not be used: {_reason(exc)}"
    return sent, problem


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]


def mail_links(db: Database, settings: Settings, made: Sequence[NewLink], base: str) -> tuple[list[bool], str | None]:
    """Mail each new link to its person's address when SMTP is configured; records which were sent."""
    if not mail_configured(settings):
        return [False] * len(made), None
    targets = [i for i, link in enumerate(made) if link.email]
    messages = [
        link_message(
            settings,
            made[i].email or "",
            made[i].username,
            made[i].url(base),
            made[i].kind,
            f"{made[i].expires_at:%Y-%m-%d %H:%M} UTC",
        )
        for i in targets
    ]
    accepted, problem = send_messages(settings, messages)
    mailed = [False] * len(made)
    for i, ok in zip(targets, accepted, strict=True):
        mailed[i] = ok
    ids = [made[i].link_id for i in range(len(made)) if mailed[i]]
    if ids:
        with db.session() as session:
            session.execute(update(PasswordLink).where(PasswordLink.id.in_(ids)).values(mailed=True))
    return mailed, problem


def link_base(settings: Settings, request_base: str | None) -> str:
    """Where links point: the `public_url` setting, else the address the request came to."""
    base = settings.public_url or request_base
    if not base:
        raise Invalid("set GRADELAB_PUBLIC_URL to the dashboard's address (e.g. https://grade.uni.edu) to make links")
    return base.rstrip("/")
