"""For the mail tests: a real SMTP server on 127.0.0.1 (aiosmtpd) and a small campaign to report on."""
from __future__ import annotations

import asyncio
import atexit
import email
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from review_setup import KZ_107, KZ_1010, PASSWORD, World, import_act

from tracker.campaigns import assign_acts, create_campaign
from tracker.db import open_db
from tracker.mail import MailSettings
from tracker.users import create_agency, create_user, get_user


def free_port() -> int:
    """A port nothing listens on (aiosmtpd's Controller(port=0) cannot be used: NOTES.md)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every accepted message.

    `refuse`: addresses answered with 550 at RCPT. `delay`: seconds to wait before
    answering DATA (makes runs overlap). `stall`: addresses whose message is kept but
    whose DATA is answered only after this many seconds (the client times out: it
    cannot know the message arrived).
    """

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.refuse = {a.casefold() for a in refuse}
        self.envelopes: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.stall: dict[str, float] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
        if address.casefold() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        with self.lock:
            self.envelopes.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        wait = max([self.delay] + [self.stall.get(r.casefold(), 0.0) for r in envelope.rcpt_tos])
        if wait:
            await asyncio.sleep(wait)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [email.message_from_bytes(raw, policy=default_policy) for _, raw in self.envelopes]

    def recipients(self) -> list[str]:
        with self.lock:
            return [r.casefold() for rcpts, _ in self.envelopes for r in rcpts]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), which the client trusts through `cafile`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class SmtpServer:
    """A running aiosmtpd server; `stop()` and `start()` again on the same port (server down, then up).

    `tls` = "starttls" or "ssl" with `cert` = (certificate, key); `login` = (user, password)
    makes the server require AUTH (over TLS only, as aiosmtpd insists).
    """

    def __init__(self, port: int | None = None, refuse: tuple[str, ...] = (), *, tls: str | None = None,
                 cert: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.inbox = Inbox(refuse)
        self.controller: Controller | None = None
        self.tls, self.cert, self.login = tls, cert, login

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = (self.login is not None and isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == self.login)
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        kw: dict[str, Any] = {}
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, self.cert))
            kw["ssl_context" if self.tls == "ssl" else "tls_context"] = context
            if self.tls == "starttls":
                kw["require_starttls"] = True
        if self.login:
            # aiosmtpd does not count implicit TLS as TLS for AUTH; the connection is encrypted anyway
            kw.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=self.tls != "ssl")
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **kw: Any) -> MailSettings:
        return settings_for(self.port, **kw)


def settings_for(port: int, **kw: Any) -> MailSettings:
    base = dict(host="127.0.0.1", port=port, security="none", sender="norma@ministry.example",
                timeout=5.0, base_url="https://norma.example")
    base.update(kw)
    return MailSettings(**base)


_TEMPLATES: dict[tuple, tuple[Path, dict[str, Any]]] = {}


def _build_world(folder: Path, instruction: date, deadline: date | None) -> dict[str, Any]:
    db = open_db(folder / "norma.db")
    agency_a = create_agency(db, "Министерство юстиции", email="mj@example.kz")
    agency_b = create_agency(db, "Министерство финансов")
    users = {
        "admin": create_user(db, "admin@example.kz", PASSWORD, "admin"),
        "lawyer": create_user(db, "lawyer@example.kz", PASSWORD, "lawyer", name="Юрист"),
        "viewer": create_user(db, "viewer@example.kz", PASSWORD, "viewer"),
        "agency_a": create_user(db, "a@example.kz", PASSWORD, "agency", agency_id=agency_a),
        "agency_b": create_user(db, "b@example.kz", PASSWORD, "agency", agency_id=agency_b, lang="en"),
    }
    a1, a2 = import_act(db, KZ_107), import_act(db, KZ_1010)
    lawyer = get_user(db, users["lawyer"])
    cid = create_campaign(db, "Регуляторная гильотина", instruction, deadline=deadline, created_by=lawyer)
    assign_acts(db, cid, agency_a, [a1], user=lawyer)
    assign_acts(db, cid, agency_b, [a2], user=lawyer)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return dict(cid=cid, a1=a1, a2=a2, agency_a=agency_a, agency_b=agency_b, users=users)


def make_world(tmp_path: Path, *, instruction: date = date(2025, 3, 3), deadline: date | None = None) -> World:
    """A fresh copy of the campaign database (built once per test session: importing acts is slow)."""
    key = (instruction, deadline)
    if key not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="norma-mail-world-"))
        atexit.register(shutil.rmtree, folder, True)
        _TEMPLATES[key] = (folder, _build_world(folder, instruction, deadline))
    folder, ids = _TEMPLATES[key]
    target = tmp_path / "world"
    shutil.copytree(folder, target)
    db = open_db(target / "norma.db")
    users = {role: get_user(db, uid) for role, uid in ids["users"].items()}
    return World(db, ids["cid"], ids["a1"], ids["a2"], ids["agency_a"], ids["agency_b"], users,
                 path=target / "norma.db")


def by_recipient(inbox: Inbox) -> dict[str, list[EmailMessage]]:
    """Messages received, per envelope recipient."""
    out: dict[str, list[EmailMessage]] = {}
    with inbox.lock:
        envelopes = list(inbox.envelopes)
    for rcpts, raw in envelopes:
        msg = email.message_from_bytes(raw, policy=default_policy)
        for r in rcpts:
            out.setdefault(r.casefold(), []).append(msg)
    return out


def text_part(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_part(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
