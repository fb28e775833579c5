"""Users, roles, hashed passwords, sign-in sessions and the Jupyter Server identity provider."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from math import ceil
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from traitlets import Unicode

from bwcases.domain import login_key
from bwcases.errors import UsageError
from bwcases.html import escape
from bwcases.i18n import LANGUAGES, N_, is_rtl, language, negotiate, translator
from bwcases.serve import START_PAGE

if TYPE_CHECKING:
    from bwcases.store import Store

COOKIE_NAME = "bwcases-session"
SESSION_HOURS = 12  # a working day in the field; then sign in again
# Passwords by NIST SP 800-63B: length, and not one that guessers try first (zxcvbn's lists of
# common passwords, words and names, and the person's own name), no rules of composition.
MIN_PASSWORD = 12
MAX_PASSWORD = 200  # any passphrase fits; bounds the work of checking one
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable"
# Wrong passwords cost a growing wait instead of a lock-out that anyone could trigger: a name
# waits 1, 2, 4… seconds (at most ACCOUNT_WAIT) after ACCOUNT_FREE failures, so its owner
# waits half a minute at worst while a guesser gets a few tries a minute; a client address
# waits after ADDRESS_FREE failures (an office behind one address mistypes too), up to
# ADDRESS_WAIT, which slows a guesser who tries many names.
ACCOUNT_FREE, ACCOUNT_WAIT = 3, 30.0
ADDRESS_FREE, ADDRESS_WAIT = 20, 300.0
FAILURE_WINDOW = 15 * 60.0  # failures older than this are forgotten
TRACKED = 10_000  # names or addresses remembered at most (a flood of made-up names)

_hasher = PasswordHasher()


class Role(StrEnum):
    """What a person does in the programme, and so what the apps let her do."""

    ADVISOR = "advisor"  # her own portfolio: the factories the register names her advisor of
    STAFF = "staff"  # programme staff: every factory of her country; verifies fixes
    READONLY = "readonly"  # reads her country's factories (all, without a country); writes nothing


@dataclass(frozen=True)
class Person:
    """A signed-in person: her name (the audit trail's author), role and country."""

    name: str
    role: Role
    country: str | None = None

    def scope(self) -> dict[str, str | None]:
        """The factory register's filters that give her portfolio."""
        if self.role is Role.ADVISOR:
            return {"advisor": self.name}
        return {"country": self.country}

    def covers(self, factory: dict[str, Any]) -> bool:
        """Whether a factory (a register row) is in her portfolio."""
        if self.role is Role.ADVISOR:
            return factory.get("advisor") == self.name
        return not self.country or factory.get("country") == self.country

    @property
    def can_edit(self) -> bool:
        """Whether she may change plans, progress and visits (of factories she covers)."""
        return self.role in (Role.ADVISOR, Role.STAFF)

    @property
    def can_verify(self) -> bool:
        """Whether she may verify completed public-disclosure items."""
        return self.role is Role.STAFF


def person(record: dict[str, Any] | None) -> Person | None:
    """The person a user record of the store describes."""
    if not record:
        return None
    return Person(str(record["name"]), Role(record["role"]), record.get("country") or None)


# -- passwords and users ------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An Argon2id hash of a password (salted; the password itself is never stored)."""
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Whether a password matches its stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


TOO_SHORT = N_("A password needs at least {n} characters.")
TOO_LONG = N_("A password may have at most {n} characters.")
TOO_EASY = N_(
    "This password is too easy to guess: use a few unrelated words, not your name or a "
    "common password."
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def password_problem(password: str, name: str = "") -> str | None:
    """Why a password may not be used (a message to translate, with {n}), or None."""
    if len(password) < MIN_PASSWORD:
        return TOO_SHORT
    if len(password) > MAX_PASSWORD:
        return TOO_LONG
    from zxcvbn import zxcvbn  # its word lists load in a moment: only when a password is set

    verdict = zxcvbn(password[:100], user_inputs=[name, *name.split()])
    return TOO_EASY if verdict["score"] < MIN_STRENGTH else None


def _password_error(password: str, name: str) -> None:
    problem = password_problem(password, name)
    if problem:
        n = MIN_PASSWORD if problem == TOO_SHORT else MAX_PASSWORD
        raise UsageError(problem.format(n=n))


def add_user(
    store: Store,
    name: str,
    *,
    role: str,
    password: str,
    country: str | None = None,
    actor: str = "admin",
    replace: bool = False,
) -> Person:
    """Create (or with `replace` change) a user who can sign in."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("a user needs a name (as the factory register spells advisors)")
    if _CONTROL.search(name) or len(name) > 200:
        raise UsageError(f"{name!r} is not a name: control characters, or over 200 characters")
    try:
        chosen = Role(role)
    except ValueError:
        raise UsageError(
            f"role {role!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None
    if chosen is Role.STAFF and not country:
        raise UsageError("programme staff work for a country: give --country")
    _password_error(password, name)
    store.add_user(
        name,
        role=chosen.value,
        country=country or None,
        password_hash=hash_password(password),
        actor=actor,
        replace=replace,
    )
    return Person(name, chosen, country or None)


def new_password() -> str:
    """A random password that is easy to type from a printout (and passes the rule)."""
    while password_problem(password := "-".join(secrets.token_hex(3) for _ in range(3))):
        pass  # e.g. all digits by chance
    return password


DEMO_ACTOR = "demo"


def demo_users(store: Store) -> list[str]:
    """Sign-ins to try a demo store with, new passwords at every start; lines to print."""
    # An advisor of the register's first factory and programme staff of its country; people
    # added by anyone else are never touched.
    register = store.factories_frame()
    register = register[register["advisor"].notna() & (register["status"] == "active")]
    if register.empty:
        return []
    first = register.iloc[0]
    wanted = [
        (str(first["advisor"]), Role.ADVISOR, str(first["country"])),
        (f"{first['country']} programme staff", Role.STAFF, str(first["country"])),
    ]
    lines = []
    for name, role, country in wanted:
        held = store.user(name)
        if held is not None and held["created_by"] != DEMO_ACTOR:
            continue
        password = new_password()
        add_user(
            store,
            name,
            role=role,
            password=password,
            country=country,
            actor=DEMO_ACTOR,
            replace=held is not None,
        )
        lines.append(f'Sign in as "{name}" ({role.value}) with the password {password}')
    return lines


# -- sign-in sessions -----------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(store: Store, login: str, password: str) -> tuple[Person, str] | None:
    """Check a name and password; on success start a session and return (person, token)."""
    if len(password) > MAX_PASSWORD or len(login) > 1000:
        return None
    record = store.login_record(login)
    if record is None:
        check_password(_dummy_hash(), password)  # take as long as for a real name
        return None
    name, stored = record
    if not check_password(stored, password):
        return None
    if _hasher.check_needs_rehash(stored):
        store.set_password_hash(name, hash_password(password))
    token = secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=SESSION_HOURS)
    store.start_session(name, token_hash(token), expires)
    found = person(store.user(name))
    return (found, token) if found else None


def sign_in_check(store: Store, name: str, password: str) -> str | None:
    """The user's name when the password is hers (no session is started), else None."""
    record = store.login_record(name)
    if record is None or len(password) > MAX_PASSWORD:
        return None
    return record[0] if check_password(record[1], password) else None


def person_for_token(store: Store, token: str | None) -> Person | None:
    """The person a session token belongs to, or None when it is unknown or expired."""
    if not token or len(token) > 200:
        return None
    return person(store.session_user(token_hash(token)))


def cookie(cookie_header: str | None, name: str) -> str | None:
    """A cookie's value in a request's Cookie header."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def token_from_cookies(cookie_header: str | None) -> str | None:
    """The session token in a request's Cookie header."""
    return cookie(cookie_header, COOKIE_NAME)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


class Throttle:
    """Sign-in tries by key (a name or a client address), and how long the next one waits."""

    def __init__(
        self,
        free: int,
        longest: float,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.longest, self.window, self.clock = free, longest, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()  # passwords are checked in threads

    def _recent(self, key: str) -> deque[float]:
        recent = self._failures.get(key, deque())
        while recent and recent[0] < self.clock() - self.window:
            recent.popleft()
        return recent

    def _wait(self, key: str) -> float:
        recent = self._recent(key)
        if len(recent) < self.free:
            return 0.0
        delay = min(self.longest, 2.0 ** (len(recent) - self.free))
        return max(0.0, recent[-1] + delay - self.clock())

    def _count(self, key: str) -> None:
        if key not in self._failures and len(self._failures) >= TRACKED:
            for stale in [k for k in self._failures if not self._recent(k)]:
                del self._failures[stale]
            while len(self._failures) >= TRACKED:  # still full: forget the oldest
                del self._failures[next(iter(self._failures))]
        self._failures[key].append(self.clock())

    def wait(self, key: str) -> float:
        """Seconds before a try under this key is checked (0: now)."""
        with self._lock:
            return self._wait(key)

    def failed(self, key: str) -> None:
        """Count a try under this key as failed."""
        with self._lock:
            self._count(key)

    def admit(self, key: str) -> bool:
        """Whether a try under this key may be checked now; if so it counts as failed until
        `passed` says otherwise (so a burst of tries at once is throttled too)."""
        with self._lock:
            if self._wait(key) > 0:
                return False
            self._count(key)
            return True

    def passed(self, key: str, *, forget: bool = False) -> None:
        """The last try under this key was right: it does not count (with `forget`, neither do
        the earlier ones: her own mistypes)."""
        with self._lock:
            recent = self._failures.get(key)
            if recent and forget:
                del self._failures[key]
            elif recent:
                recent.pop()


# -- Jupyter Server: the identity provider and its sign-in pages ------------------------------


@dataclass
class SignedIn(User):
    """A Jupyter Server user signed in through the store, with the token of her session."""

    token: str = ""


class StoreIdentityProvider(IdentityProvider):
    """Jupyter Server identity from the store's users, through a login form and a session cookie."""

    # The cookie holds a random token; the store keeps only its hash, so a copy of the database
    # signs nobody in.

    store_url = Unicode("", config=True, help="The store's URL (default: BWCASES_DB).")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("login_handler_class", None)  # Voilà passes its own; ours reads the store
        kwargs["token"] = ""  # no shared token: every person signs in as herself
        super().__init__(**kwargs)
        self.login_handler_class = LoginHandler
        self.logout_handler_class = LogoutHandler
        self._store: Store | None = None
        self.accounts = Throttle(ACCOUNT_FREE, ACCOUNT_WAIT)  # by login_key
        self.addresses = Throttle(ADDRESS_FREE, ADDRESS_WAIT)  # by client address

    @property
    def store(self) -> Store:
        """The store, opened on first use."""
        if self._store is None:
            from bwcases.store import Store

            self._store = Store(self.store_url or None)
        return self._store

    @property
    def auth_enabled(self) -> bool:
        """Sign-in is always required."""
        return True

    @property
    def login_available(self) -> bool:
        """There is a login form."""
        return True

    def validate_security(self, app: Any, ssl_options: dict[str, Any] | None = None) -> None:
        """Nothing to warn about: every request is signed in or refused."""

    def get_user_cookie(self, handler: web.RequestHandler) -> User | None:
        """The signed-in person of the request's session cookie."""
        found = person_for_token(self.store, handler.get_cookie(COOKIE_NAME))
        return None if found is None else SignedIn(found.name, found.name, found.name)

    def set_login_cookie(self, handler: web.RequestHandler, user: User) -> None:
        """Give the browser its session token."""
        if not isinstance(user, SignedIn) or not user.token:
            return
        handler.set_cookie(
            COOKIE_NAME,
            user.token,
            path=getattr(handler, "base_url", "/"),
            httponly=True,
            samesite="Lax",
            secure=handler.request.protocol == "https",
            expires_days=SESSION_HOURS / 24,
        )

    def clear_login_cookie(self, handler: web.RequestHandler) -> None:
        """End the browser's session in the store and drop its cookie."""
        token = handler.get_cookie(COOKIE_NAME)
        if token:
            self.store.end_session(token_hash(token))
        handler.clear_cookie(COOKIE_NAME, path=getattr(handler, "base_url", "/"))

    def wait(self, login: str, address: str) -> float:
        """Seconds before a try with this name from this address is checked (0: now)."""
        return max(self.accounts.wait(login_key(login)), self.addresses.wait(address))

    def authenticate(self, login: str, password: str, address: str = "") -> SignedIn | None:
        """The user a name and password sign in, with a new session token; None otherwise
        (also while the name or the address must wait: the password is not even checked)."""
        account = login_key(login)
        if not self.accounts.admit(account):
            return None
        if not self.addresses.admit(address):
            self.accounts.passed(account)  # not checked: not a failure of hers
            return None
        signed = sign_in(self.store, login, password)
        if signed is None:
            return None
        self.accounts.passed(account, forget=True)
        self.addresses.passed(address)  # an office behind one address signs in all day
        found, token = signed
        return SignedIn(found.name, found.name, found.name, token=token)

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        """Check the login form's name and password against the store."""
        return self.authenticate(
            handler.get_argument("username", ""),
            handler.get_argument("password", ""),
            handler.request.remote_ip or "",
        )


def page_language(handler: web.RequestHandler) -> str:
    """The language of a sign-in page: ?lang=, the lang of the page asked for, the browser's."""
    asked = handler.get_argument("lang", "")
    if not asked:
        query = urlsplit(handler.get_argument("next", "")).query
        asked = parse_qs(query).get("lang", [""])[-1]
    if asked:
        return language(asked)
    return negotiate(handler.request.headers.get("Accept-Language"))


LOGIN_STYLE = """
body { font-family: system-ui, sans-serif; background: #f3f5f7; margin: 0; }
main { max-width: 380px; margin: 8vh auto; background: #fff; padding: 24px 28px;
  border: 1px solid #d0d7de; border-radius: 8px; }
h1 { font-size: 1.4em; margin: 0 0 4px; } p { color: #444; }
label { display: block; margin: 14px 0 4px; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 8px;
  font-size: 1em; border: 1px solid #8c959f; border-radius: 4px; }
button { margin-top: 18px; padding: 9px 20px; font-size: 1em; background: #0b5cad; color: #fff;
  border: 0; border-radius: 4px; cursor: pointer; min-height: 44px; }
.bw-error { background: #fdecea; border-inline-start: 4px solid #c62828; padding: 8px 10px; }
.bw-done { background: #e6f4ea; border-inline-start: 4px solid #1e7e34; padding: 8px 10px; }
nav { margin-top: 18px; font-size: 0.9em; } nav a { margin-inline-end: 10px; }
"""


def write_page(handler: JupyterHandler, lang: str, title: str, body: str) -> None:
    """One of the sign-in pages (sign in, sign out, change password) around its body's HTML."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    handler.set_header("Cache-Control", "no-store")
    handler.write(
        f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Better Work</title><style>{LOGIN_STYLE}</style></head>
<body><main>
<h1>{escape(title)}</h1>
{body}
</main></body></html>"""
    )


def _notice(message: str, kind: str = "error") -> str:
    role = "alert" if kind == "error" else "status"
    return f'<p class="bw-{kind}" role="{role}">{escape(message)}</p>' if message else ""


class LoginHandler(LoginFormHandler):
    """The sign-in page: name and password, in the person's language."""

    def _render(self, message: dict[str, str] | None = None, login: str = "") -> None:
        lang = page_language(self)
        _ = translator(lang)
        t = {
            "title": _("Sign in"),
            "about": _(
                "Better Work advisor apps: Improvement Plans, remediation and case timelines."
            ),
            "name": _("Name"),
            "password": _("Password"),
            "language": _("Language"),
        }
        nxt = self.get_argument("next", default=self.home)
        back = escape(quote(nxt))
        languages = " ".join(
            f'<a href="?lang={code}&amp;next={back}" lang="{code}">{escape(label)}</a>'
            for code, label in LANGUAGES.items()
        )
        error = _notice((message or {}).get("error", ""))
        write_page(
            self,
            lang,
            t["title"],
            f"""<p>{escape(t["about"])}</p>
{error}
<form method="post" action="{escape(self.request.path)}">
{self.xsrf_form_html()}
<input type="hidden" name="next" value="{escape(nxt)}">
<input type="hidden" name="lang" value="{lang}">
<label for="username">{escape(t["name"])}</label>
<input type="text" id="username" name="username" value="{escape(login)}"
 autocomplete="username" required autofocus>
<label for="password">{escape(t["password"])}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{escape(t["title"])}</button>
</form>
<nav aria-label="{escape(t["language"])}">{languages}</nav>""",
        )

    @allow_unauthenticated
    def get(self) -> None:
        """The form, or on to the page asked for when already signed in."""
        super().get()

    @allow_unauthenticated
    async def post(self) -> None:
        """Check the name and password (off the event loop: hashing takes a while)."""
        provider = cast(StoreIdentityProvider, self.identity_provider)
        login = self.get_argument("username", "")
        password = self.get_argument("password", "")
        address = self.request.remote_ip or ""
        _ = translator(page_language(self))
        wait = provider.wait(login, address)
        if wait > 0:
            self.log.warning("sign-in refused for %r from %s: wait %.0fs", login, address, wait)
            self.set_status(429)
            self.set_header("Retry-After", str(ceil(wait)))
            error = _("Too many tries. Wait {seconds} seconds, then try again.")
            self._render({"error": error.format(seconds=ceil(wait))}, login=login)
            return
        loop = asyncio.get_running_loop()
        user = await loop.run_in_executor(None, provider.authenticate, login, password, address)
        if user is None:
            self.log.warning("wrong name or password for %r from %s", login, address)
            self.set_status(401)
            error = _("Wrong name or password: try again.")
            self._render({"error": error}, login=login)  # she retypes only the password
            return
        self.current_user = user
        self.log.info("%s signed in from %s", user.username, address)
        provider.set_login_cookie(self, user)
        self._redirect_safe(self.get_argument("next", default=self.home))

    @property
    def home(self) -> str:
        """Where a sign-in without a page to return to leads: the first app, in the sign-in
        page's language (not Voilà's list of files)."""
        return f"{self.base_url}voila/render/{START_PAGE}?lang={page_language(self)}"


class LogoutHandler(JupyterHandler):
    """Signing out (a POST: a link or an image elsewhere cannot sign anyone out) ends the
    session in the store, stops the person's open pages' kernels, and returns to sign-in."""

    @allow_unauthenticated
    def get(self) -> None:
        """A button that signs out."""
        lang = page_language(self)
        _ = translator(lang)
        title, question = _("Sign out"), _("Sign out now? The pages you have open stop saving.")
        write_page(
            self,
            lang,
            title,
            f"""<p>{escape(question)}</p>
<form method="post" action="{escape(self.request.path)}">
{self.xsrf_form_html()}
<input type="hidden" name="lang" value="{lang}">
<button type="submit">{escape(title)}</button>
</form>""",
        )

    @allow_unauthenticated
    async def post(self) -> None:
        """Sign out."""
        user = self.current_user
        self.identity_provider.clear_login_cookie(self)
        if user is not None:
            from bwcases.kernel_owners import close_pages

            closed = await close_pages(self, user.username)
            self.log.info("%s signed out; %d page kernels stopped", user.username, closed)
        lang = page_language(self)
        self.redirect(f"{self.base_url}login?lang={lang}")


class PasswordHandler(JupyterHandler):
    """Change my password: the current one, the new one twice. Her other devices sign out."""

    def _render(self, error: str = "", done: str = "", status: int = 200) -> None:
        lang = page_language(self)
        _ = translator(lang)
        self.set_status(status)
        back = f"{self.base_url}voila/render/{START_PAGE}?lang={lang}"
        fields = [
            ("current", _("Current password"), "current-password"),
            ("new", _("New password"), "new-password"),
            ("again", _("New password again"), "new-password"),
        ]
        inputs = "\n".join(
            f'<label for="{key}">{escape(label)}</label>\n<input type="password" id="{key}" '
            f'name="{key}" autocomplete="{auto}" required'
            + (f' minlength="{MIN_PASSWORD}" aria-describedby="rule"' if key != "current" else "")
            + ">"
            for key, label, auto in fields
        )
        rule = _(TOO_SHORT).format(n=MIN_PASSWORD)
        title, again = _("Change password"), _("Back to the apps")
        write_page(
            self,
            lang,
            title,
            f"""{_notice(error)}{_notice(done, "done")}
<form method="post" action="{escape(self.request.path)}">
{self.xsrf_form_html()}
<input type="hidden" name="lang" value="{lang}">
{inputs}
<p id="rule">{escape(rule)}</p>
<button type="submit">{escape(title)}</button>
</form>
<nav><a href="{escape(back)}">{escape(again)}</a></nav>""",
        )

    @web.authenticated
    def get(self) -> None:
        """The form."""
        self._render()

    @web.authenticated
    async def post(self) -> None:
        """Check the current password, then keep the new one."""
        provider = cast(StoreIdentityProvider, self.identity_provider)
        _ = translator(page_language(self))
        name = self.current_user.username
        current, new = self.get_argument("current", ""), self.get_argument("new", "")
        address = self.request.remote_ip or ""
        if provider.wait(name, address) > 0:
            wait = ceil(provider.wait(name, address))
            error = _("Too many tries. Wait {seconds} seconds, then try again.")
            return self._render(error.format(seconds=wait), status=429)
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(None, sign_in_check, provider.store, name, current) is None:
            provider.accounts.failed(login_key(name))
            provider.addresses.failed(address)
            return self._render(_("The current password is wrong."), status=400)
        if new != self.get_argument("again", ""):
            return self._render(_("The two new passwords differ."), status=400)
        problem = password_problem(new, name)
        if problem:
            n = MIN_PASSWORD if problem == TOO_SHORT else MAX_PASSWORD
            return self._render(_(problem).format(n=n), status=400)
        token = self.get_cookie(COOKIE_NAME) or ""
        new_hash = await loop.run_in_executor(None, hash_password, new)
        provider.store.set_password_hash(name, new_hash, actor=name, keep_session=token_hash(token))
        self.log.info("%s changed her password", name)
        self._render(done=_("Your password was changed. Your other devices were signed out."))
