"""Signing in to the served apps: Jupyter Server's identity provider over the store's users,
and the pages to sign in, sign out and change one's password."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from math import ceil
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from traitlets import Unicode

from bwcases.auth.accounts import (
    ACCOUNT_FREE,
    ACCOUNT_WAIT,
    ADDRESS_FREE,
    ADDRESS_WAIT,
    MAX_PASSWORD,
    MIN_PASSWORD,
    SESSION_HOURS,
    TOO_SHORT,
    Throttle,
    hash_password,
    password_problem,
    sign_in,
    sign_in_check,
)
from bwcases.auth.people import COOKIE_NAME, person_for_token, token_hash
from bwcases.core.domain import login_key
from bwcases.core.i18n import LANGUAGES, language, translator
from bwcases.web.kernel_owners import close_pages
from bwcases.web.limits import START_PAGE
from bwcases.web.pages import page_language, write_page, xsrf

if TYPE_CHECKING:
    from bwcases.store import Store


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


class LoginHandler(LoginFormHandler):
    """The sign-in page: name and password, in the person's language."""

    def _render(self, message: dict[str, str] | None = None, login: str = "") -> None:
        lang = page_language(self)
        _ = translator(lang)
        write_page(
            self,
            "sign_in",
            lang,
            _("Sign in"),
            about=_("Better Work advisor apps: Improvement Plans, remediation and case timelines."),
            error=(message or {}).get("error", ""),
            action=self.request.path,
            xsrf=xsrf(self),
            next=self.get_argument("next", default=self.home),
            login=login,
            name_label=_("Name"),
            password_label=_("Password"),
            language_label=_("Language"),
            languages=LANGUAGES,
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
        """Where a sign-in without a page to return to leads: the first app (not Voilà's list
        of files), in the language the sign-in page was asked in; asked in none, the app takes
        the one she chose last, else her browser's."""
        asked = self.get_argument("lang", "")
        query = f"?{urlencode({'lang': language(asked)})}" if asked else ""
        return f"{self.base_url}voila/render/{START_PAGE}{query}"


class LogoutHandler(JupyterHandler):
    """Signing out (a POST: a link or an image elsewhere cannot sign anyone out) ends the
    session in the store, stops the person's open pages' kernels, and returns to sign-in."""

    @allow_unauthenticated
    def get(self) -> None:
        """A button that signs out."""
        lang = page_language(self)
        _ = translator(lang)
        write_page(
            self,
            "sign_out",
            lang,
            _("Sign out"),
            question=_("Sign out now? The pages you have open stop saving."),
            action=self.request.path,
            xsrf=xsrf(self),
        )

    @allow_unauthenticated
    async def post(self) -> None:
        """Sign out."""
        user = self.current_user
        self.identity_provider.clear_login_cookie(self)
        if user is not None:
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
        write_page(
            self,
            "password",
            lang,
            _("Change password"),
            error=error,
            done=done,
            action=self.request.path,
            xsrf=xsrf(self),
            fields=[
                ("current", _("Current password"), "current-password"),
                ("new", _("New password"), "new-password"),
                ("again", _("New password again"), "new-password"),
            ],
            min_length=MIN_PASSWORD,
            rule=_(TOO_SHORT).format(n=MIN_PASSWORD),
            back=f"{self.base_url}voila/render/{START_PAGE}?lang={lang}",
            back_label=_("Back to the apps"),
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
