"""Users, roles, hashed passwords, sign-in sessions and the throttling of sign-in tries."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bwcases.auth.people import Person, Role, person, token_hash
from bwcases.core.errors import UsageError
from bwcases.core.i18n import N_

if TYPE_CHECKING:
    from bwcases.store import Store

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
    factory: str | None = None,
    email: str | None = None,
    actor: str = "admin",
    replace: bool = False,
) -> Person:
    """Create (or with `replace` change) a user who can sign in.

    A factory's own person (role "factory") works for one factory of the register; `email` is
    where her reminders go (`bwcases digest`).
    """
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
    factory = _factory_of(store, chosen, factory)
    email = _email(email)
    _password_error(password, name)
    store.add_user(
        name,
        role=chosen.value,
        country=country or None,
        factory=factory,
        email=email,
        password_hash=hash_password(password),
        actor=actor,
        replace=replace,
    )
    return Person(name, chosen, country or None, factory)


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(email: str | None) -> str | None:
    """A mail address as given (trimmed), refused when it cannot be one."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > 320 or _CONTROL.search(email) or not _EMAIL.fullmatch(email):
        raise UsageError(f"--email {email!r} is not a mail address (like name@example.org)")
    return email


def _factory_of(store: Store, role: Role, factory: str | None) -> str | None:
    """The register's ID of the factory a factory's own person works for (None for others)."""
    factory = (factory or "").strip()
    if role is not Role.FACTORY:
        if factory:
            raise UsageError("--factory is for the factory's own people (--role factory)")
        return None
    if not factory:
        raise UsageError("a factory's own person works for one factory: give --factory ID")
    found = store.factories_frame(factory_ids=[factory])
    if found.empty:
        raise UsageError(f"--factory {factory!r} is not in the factory register")
    return factory


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
