"""Outgoing mail: the SMTP settings, building a message, and sending it.

Standard library only (smtplib + email.message.EmailMessage): it speaks SMTP,
STARTTLS and implicit TLS, and builds multipart/alternative messages with inline
images and attachments; a third-party mailer would add nothing Norma needs.

Settings come from `<instance>/mail.toml` (may hold the password; keep it mode 0600),
overridden by the environment (NORMA_SMTP_HOST, NORMA_SMTP_PORT, NORMA_SMTP_SECURITY =
starttls|ssl|none, NORMA_SMTP_USER, NORMA_SMTP_PASSWORD, NORMA_SMTP_TIMEOUT,
NORMA_SMTP_CAFILE, NORMA_MAIL_FROM, NORMA_MAIL_FROM_NAME, NORMA_BASE_URL, NORMA_MAIL_LANG,
NORMA_MINISTRY_EMAILS, and the schedule's NORMA_REMIND_OFFSETS, NORMA_REMIND_HOUR,
NORMA_WEEKLY_DAY), overridden in turn by what the caller passes (the web app's
`MAIL` config).

Failures are sorted into what the send log needs to know (`MailError`): may a later
attempt succeed (`temporary`), is the whole server unusable so the rest of a run should
wait (`server_level`), or is it unknown whether the message went out (`UnknownOutcome`:
the connection broke after the message body was handed over), which must never be
retried blindly.
"""
from __future__ import annotations

import os
import smtplib
import ssl
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from tracker.db import instance_dir

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}

# environment variable -> setting name (mail.toml uses the setting names)
ENV_KEYS = {
    "NORMA_SMTP_HOST": "host",
    "NORMA_SMTP_PORT": "port",
    "NORMA_SMTP_SECURITY": "security",
    "NORMA_SMTP_USER": "user",
    "NORMA_SMTP_PASSWORD": "password",
    "NORMA_SMTP_TIMEOUT": "timeout",
    "NORMA_SMTP_CAFILE": "cafile",
    "NORMA_MAIL_FROM": "sender",
    "NORMA_MAIL_FROM_NAME": "sender_name",
    "NORMA_BASE_URL": "base_url",
    "NORMA_MAIL_LANG": "lang",
    "NORMA_MINISTRY_EMAILS": "ministry_emails",
    "NORMA_REMIND_OFFSETS": "remind_offsets",
    "NORMA_REMIND_HOUR": "remind_hour",
    "NORMA_WEEKLY_DAY": "weekly_day",
}


class MailConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


def config_path() -> os.PathLike:
    return instance_dir() / "mail.toml"


def load_config(overrides: Mapping[str, Any] | None = None, *,
                env: Mapping[str, str] | None = None, path: os.PathLike | None = None) -> dict[str, Any]:
    """The merged raw settings: `mail.toml` < environment < `overrides` (later wins)."""
    cfg: dict[str, Any] = {}
    file = path if path is not None else config_path()
    try:
        with open(file, "rb") as fh:
            data = tomllib.load(fh)
        cfg.update(data.get("mail", data))  # a [mail] table or top-level keys
    except FileNotFoundError:
        pass
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MailConfigError(f"{file}: {exc}") from exc
    environ = os.environ if env is None else env
    for var, key in ENV_KEYS.items():
        if environ.get(var) not in (None, ""):
            cfg[key] = environ[var]
    cfg.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return cfg


def _email_list(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if str(s).strip())


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server and what to put in From; never prints the password."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "norma@localhost"
    sender_name: str = "Norma"
    timeout: float = 30.0
    cafile: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    lang: str = "ru"
    ministry_emails: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> MailSettings:
        """Validate raw settings (strings from the environment are fine)."""
        security = str(cfg.get("security", "starttls")).strip().lower()
        if security not in SECURITY_MODES:
            raise MailConfigError(f"security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        try:
            port = int(cfg.get("port") or DEFAULT_PORTS[security])
            timeout = float(cfg.get("timeout") or 30)
        except (TypeError, ValueError) as exc:
            raise MailConfigError(f"port/timeout must be numbers ({exc})") from exc
        sender = str(cfg.get("sender") or "norma@localhost").strip()
        if "@" not in parseaddr(sender)[1]:
            raise MailConfigError(f"sender is not an e-mail address: {sender!r}")
        lang = str(cfg.get("lang") or "ru")
        return cls(
            host=str(cfg.get("host") or "localhost"), port=port, security=security,
            user=(str(cfg["user"]) if cfg.get("user") else None),
            password=(str(cfg["password"]) if cfg.get("password") else None),
            sender=parseaddr(sender)[1], sender_name=str(cfg.get("sender_name") or "Norma"),
            timeout=timeout, cafile=(str(cfg["cafile"]) if cfg.get("cafile") else None),
            base_url=str(cfg.get("base_url") or "http://127.0.0.1:5000").rstrip("/"),
            lang=lang if lang in ("ru", "en") else "ru",
            ministry_emails=_email_list(cfg.get("ministry_emails")),
        )

    def describe(self) -> dict[str, Any]:
        """What the admin page shows: everything but the password."""
        return {"host": self.host, "port": self.port, "security": self.security, "user": self.user,
                "password_set": bool(self.password), "sender": self.sender, "timeout": self.timeout,
                "base_url": self.base_url, "lang": self.lang, "ministry_emails": list(self.ministry_emails)}


def load_settings(overrides: Mapping[str, Any] | None = None, **kw: Any) -> MailSettings:
    return MailSettings.from_config(load_config(overrides, **kw))


# --- building a message ---------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes | str          # str is attached as text with charset=utf-8 (NOTES.md)
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class InlineImage:
    cid: str                      # without angle brackets; the HTML refers to it as cid:<cid>
    content: bytes
    mimetype: str = "image/png"


def build_message(settings: MailSettings, *, to: str, subject: str, text: str, html: str | None = None,
                  attachments: Iterable[Attachment] = (), inline: Iterable[InlineImage] = (),
                  headers: Mapping[str, str] | None = None) -> EmailMessage:
    """A message with a plain-text part, an optional HTML part (with inline images) and attachments.

    Text parts are quoted-printable and binaries base64, so the message is 7-bit clean
    and needs no 8BITMIME from the server; the UTF-8 subject is RFC 2047 encoded when
    the message is serialised with the SMTP policy.
    """
    msg = EmailMessage()
    msg["From"] = formataddr((settings.sender_name, settings.sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to reminders
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        html_part = msg.get_payload()[1]
        for img in inline:
            maintype, _, subtype = img.mimetype.partition("/")
            html_part.add_related(img.content, maintype, subtype, cid=f"<{img.cid}>",
                                  disposition="inline", filename=f"{img.cid.partition('@')[0]}.{subtype}")
    for att in attachments:
        maintype, _, subtype = att.mimetype.partition("/")
        if isinstance(att.content, str):
            msg.add_attachment(att.content, subtype=subtype if maintype == "text" else "plain",
                               charset="utf-8", cte="base64", filename=att.filename)
        else:
            msg.add_attachment(att.content, maintype, subtype, filename=att.filename)
    return msg


# --- sending --------------------------------------------------------------------------------


class MailError(Exception):
    """Sending failed. `temporary`: a later attempt may succeed. `server_level`: the server
    itself is unusable (down, TLS, login, sender refused), so other messages would fail too."""

    def __init__(self, reason: str, *, temporary: bool, server_level: bool = False):
        super().__init__(reason)
        self.temporary = temporary
        self.server_level = server_level


class UnknownOutcome(MailError):
    """The connection broke after the message body was sent: it may have been delivered."""

    def __init__(self, reason: str):
        super().__init__(reason, temporary=False, server_level=True)


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {text}".strip()


def _is_ascii(s: str) -> bool:
    return all(ord(ch) < 128 for ch in s)


class SmtpSession:
    """One connection used for many messages (opened on the first send, closed on exit).

    The SMTP dialogue is driven step by step (MAIL, RCPT, DATA) instead of through
    `send_message`, because the send log must tell "refused" (safe to retry or give up)
    from "connection lost while the server held the message" (possibly delivered).
    """

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                pass
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            context = ssl.create_default_context(cafile=s.cafile)
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if s.user:
                    smtp.login(s.user, s.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"login refused: {_reply_text(exc.smtp_code, exc.smtp_error)}",
                            temporary=True, server_level=True) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"{s.host}:{s.port}: {exc} (check the security setting)",
                            temporary=True, server_level=True) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, DNS, TLS handshake
            reason = str(exc) or type(exc).__name__
            raise MailError(f"cannot connect to {s.host}:{s.port}: {reason}",
                            temporary=True, server_level=True) from exc
        return smtp

    def _ready(self) -> smtplib.SMTP:
        """The open connection, checked with NOOP if it was used before (servers drop idle ones)."""
        if self._smtp is not None:
            try:
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        self._smtp = self._connect()
        return self._smtp

    def send(self, msg: EmailMessage) -> None:
        """Send one message to its To address; raise `MailError` (or `UnknownOutcome`)."""
        to = parseaddr(str(msg["To"]))[1]
        sender = self.settings.sender
        if "@" not in to or not _is_ascii(to):
            raise MailError(f"not a usable e-mail address: {msg['To']!r}", temporary=False)
        raw = msg.as_bytes(policy=SMTP_POLICY)
        smtp = self._ready()
        try:
            code, resp = smtp.mail(sender)
            if code != 250:
                self._reset(smtp)
                raise MailError(f"sender {sender} refused: {_reply_text(code, resp)}",
                                temporary=True, server_level=True)
            code, resp = smtp.rcpt(to)
            if code not in (250, 251):
                self._reset(smtp)
                raise MailError(f"recipient {to} refused: {_reply_text(code, resp)}",
                                temporary=400 <= code < 500 or code == -1)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise MailError(f"connection lost before the message was sent: {exc}",
                            temporary=True, server_level=True) from exc
        try:
            smtp.data(raw)
        except smtplib.SMTPDataError as exc:
            self._reset(smtp)
            raise MailError(f"message refused: {_reply_text(exc.smtp_code, exc.smtp_error)}",
                            temporary=400 <= exc.smtp_code < 500) from exc
        except OSError as exc:  # disconnected, timed out, reset (SMTPException is an OSError too)
            self._drop()
            raise UnknownOutcome(f"connection lost while sending the message: {exc}") from exc

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def send_message(settings: MailSettings, msg: EmailMessage) -> None:
    """Send a single message over a connection of its own."""
    with SmtpSession(settings) as session:
        session.send(msg)
