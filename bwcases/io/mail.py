"""Mail out: messages delivered over SMTP (STARTTLS when offered) or written as .eml files."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.paths import private_file

SMTP_URL_ENV = "BWCASES_SMTP_URL"  # smtp://user:password@host:port (smtps:// for TLS at once)
MAIL_FROM_ENV = "BWCASES_MAIL_FROM"  # e.g. "Better Work reminders <reminders@example.org>"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_S = 30.0  # a mail server that answers nothing in this long is down for this run


class MailError(BwcasesError):
    """A message that could not be delivered: why, as the mail server or the network said."""


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: BWCASES_SMTP_URL taken apart."""

    host: str
    port: int
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)  # in no log, error or traceback
    implicit_tls: bool = False  # smtps://: TLS from the first byte, not by STARTTLS

    def __str__(self) -> str:  # never the password
        who = f"{self.username}@" if self.username else ""
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{who}{self.host}:{self.port}"


def smtp_server(url: str, name: str = SMTP_URL_ENV) -> SmtpServer:
    """The server an SMTP URL names; a clear error (without its password) when it names none."""
    parts = urlsplit(url.strip())
    # all up to the last @ after the user is the password: it may hold / : or a bare @
    shown = re.sub(r"^([^:/]+://[^:@/]*):.*@", r"\1:***@", url.strip())
    form = "smtp://user:password@host:port"
    if parts.scheme not in DEFAULT_PORTS:
        raise UsageError(f"{name}: {shown!r} is not an SMTP URL like {form} (or smtps://...)")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise UsageError(f"{name}: {shown!r} has no valid port (like {form})") from None
    if not parts.hostname:
        raise UsageError(f"{name}: {shown!r} names no host (like {form})")
    return SmtpServer(
        parts.hostname,
        port,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        parts.scheme == "smtps",
    )


def mail_address(value: str, field: str, name: str = "") -> Address:
    """A mail address with its display name (as "Name <a@b.org>" gives it, else `name`); a
    clear error naming the field and the value when it is none."""
    display, spec = parseaddr(value)
    try:
        if not spec or "@" not in spec or "\n" in value or "\r" in value:
            raise ValueError("no address")
        return Address(display or name, addr_spec=spec)
    except (ValueError, TypeError, IndexError) as exc:  # the parser's defects are ValueErrors
        raise UsageError(f"{field}: {value!r} is not a mail address like name@example.org") from exc


def default_sender() -> str:
    """Who digests are from: BWCASES_MAIL_FROM, else bwcases at this machine's name."""
    return os.environ.get(MAIL_FROM_ENV) or f"bwcases <bwcases@{socket.gethostname()}>"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _alive(smtp: smtplib.SMTP) -> bool:
    """Whether a connection still answers (a server may close one that waited)."""
    try:
        return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _reply(code: int, text: bytes | str) -> str:
    """A mail server's reply, as one line."""
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(said.split())}"


class Mailer:
    """One connection to a mail server, opened at the first message, reopened after a
    message that broke it; a server that cannot be reached fails the rest of the run at once."""

    def __init__(self, server: SmtpServer, timeout: float = TIMEOUT_S) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._used = False  # whether a message went over the open connection
        self._down: MailError | None = None

    def _connect(self) -> smtplib.SMTP:
        srv = self.server
        context = ssl.create_default_context()  # SSL_CERT_FILE names another trust store
        smtp: smtplib.SMTP
        if srv.implicit_tls:
            smtp = smtplib.SMTP_SSL(srv.host, srv.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(srv.host, srv.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            secure = srv.implicit_tls
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secure = True
            if srv.username:
                if not secure and not _is_loopback(srv.host):
                    raise MailError(
                        f"{srv}: the server offers no STARTTLS; the password is not sent in "
                        "the clear (use a server that offers it, or smtps://)"
                    )
                smtp.login(srv.username, srv.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def connection(self) -> smtplib.SMTP:
        """The open connection, opened now if need be (again if the server dropped it)."""
        if self._down is not None:
            raise self._down
        if self._smtp is not None and self._used and not _alive(self._smtp):
            self.close()  # e.g. closed while idle: a new one, before anything is sent on it
        if self._smtp is None:
            self._used = False
            try:
                self._smtp = self._connect()
            except MailError as exc:
                self._down = exc
                raise
            except smtplib.SMTPResponseException as exc:  # e.g. the password refused
                self._down = MailError(f"{self.server}: {_reply(exc.smtp_code, exc.smtp_error)}")
                raise self._down from exc
            except (OSError, smtplib.SMTPException) as exc:
                detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                self._down = MailError(f"{self.server}: cannot reach the mail server: {detail}")
                raise self._down from exc
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        """Deliver a message to its To addresses; MailError says why it was not."""
        smtp = self.connection()
        self._used = True
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:  # the connection stays usable
            said = "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in exc.recipients.items())
            raise MailError(f"{self.server} refused the recipient: {said}") from exc
        except smtplib.SMTPResponseException as exc:  # sender or message refused: likewise
            raise MailError(
                f"{self.server} refused the message: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:  # the connection broke: the next reopens
            self.close()
            raise MailError(f"{self.server}: {exc or type(exc).__name__}") from exc

    def close(self) -> None:
        """Say goodbye to the server (when connected)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def file_name(name: str, taken: set[str]) -> str:
    """A file name (without suffix) for a person, unlike the ones `taken` (which it joins)."""
    base = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "person"
    stem, n = base, 1
    while stem.casefold() in taken:
        n += 1
        stem = f"{base}-{n}"
    taken.add(stem.casefold())
    return stem


def write_eml(message: EmailMessage, path: Path) -> Path:
    """Write a message as an .eml file (CRLF lines, as mail travels) for its owner's eyes only,
    whole or not at all."""
    # A new file put in place: one there before (a link, a file others may read) is replaced,
    # never written through, and a failure leaves no half message where mail is picked up.
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    private_file(part)
    try:
        part.write_bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path
