"""Users, roles, hashed passwords and sign-in sessions; who the kernel believes is signed in."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from bwcases.apps.request import page_request
from bwcases.auth.accounts import (
    Throttle,
    add_user,
    check_password,
    demo_users,
    hash_password,
    password_problem,
    sign_in,
)
from bwcases.auth.people import (
    COOKIE_NAME,
    Person,
    Role,
    person,
    person_for_token,
    token_from_cookies,
    token_hash,
)
from bwcases.core.errors import NotFoundError, UsageError
from bwcases.core.i18n import negotiate
from bwcases.store import Store
from bwcases.store import models as m
from tests.helpers import PASSWORD, Clock, bw, fill_advisor_case, fill_case


@pytest.fixture
def people(store: Store, tmp_path: Path) -> Store:
    return fill_advisor_case(store, tmp_path)


def test_passwords_are_kept_only_as_salted_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and PASSWORD not in first and first.startswith("$argon2id$")
    assert check_password(first, PASSWORD) and not check_password(first, PASSWORD + "x")
    assert not check_password("not a hash", PASSWORD)


def test_adding_a_user_checks_what_it_is_given(store: Store) -> None:
    with pytest.raises(UsageError, match="role 'boss'"):
        add_user(store, "Ann", role="boss", password=PASSWORD)
    with pytest.raises(UsageError, match="--country"):
        add_user(store, "Ann", role="staff", password=PASSWORD)
    with pytest.raises(UsageError, match="at least 12"):
        add_user(store, "Ann", role="advisor", password="short")
    added = add_user(store, "  Ann   Tran ", role="staff", password=PASSWORD, country="Vietnam")
    assert added == Person("Ann Tran", Role.STAFF, "Vietnam")
    with pytest.raises(UsageError, match="exists already"):
        add_user(store, "Ann Tran", role="advisor", password=PASSWORD)
    add_user(store, "Ann Tran", role="advisor", password=PASSWORD + "!", replace=True)
    assert store.user("Ann Tran")["role"] == "advisor"


def test_the_audit_trail_never_holds_a_password_hash(store: Store) -> None:
    add_user(store, "Ann Tran", role="advisor", password=PASSWORD, actor="admin")
    trail = store.history("users", "Ann Tran")
    assert trail["actor"].tolist() == ["admin"]
    assert "argon2" not in trail["after"].iloc[0] and "password" not in trail["after"].iloc[0]


def test_signing_in_starts_a_session_the_store_knows_only_by_hash(people: Store) -> None:
    assert sign_in(people, "Lan Nguyen", "wrong password") is None
    assert sign_in(people, "Nobody", PASSWORD) is None
    signed = sign_in(people, "  lan   NGUYEN ", PASSWORD)  # a name in any letter case
    assert signed is not None
    who, token = signed
    assert who == Person("Lan Nguyen", Role.ADVISOR, "Vietnam")
    assert person_for_token(people, token) == who
    assert person_for_token(people, token + "x") is None and person_for_token(people, None) is None
    with people.reading() as s:
        held = s.execute(select(m.UserSession.token_hash)).scalars().all()
    assert held == [token_hash(token)] and token not in held
    people.end_session(token_hash(token))
    assert person_for_token(people, token) is None


def test_an_expired_session_signs_nobody_in(people: Store) -> None:
    people.start_session(
        "Lan Nguyen", token_hash("old-token"), dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    assert person_for_token(people, "old-token") is None


def test_a_deactivated_person_is_signed_out_and_cannot_sign_in(people: Store) -> None:
    signed = sign_in(people, "Lan Nguyen", PASSWORD)
    assert signed is not None
    token = signed[1]
    done = bw("--db", people.url, "users", "deactivate", "  lan NGUYEN ")  # as she signs in
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == "deactivated Lan Nguyen"
    assert person_for_token(people, token) is None  # her open session, at once
    assert sign_in(people, "Lan Nguyen", PASSWORD) is None
    listed = bw("--db", people.url, "users", "list", "--format", "csv").stdout
    assert {row["name"]: row["active"] for row in csv.DictReader(io.StringIO(listed))} == {
        "Hoa Le": "yes",
        "Lan Nguyen": "no",
        "Minh Tran": "yes",
        "Sokha Chan": "yes",
    }
    again = bw("--db", people.url, "users", "deactivate", "Lan Nguyen")
    assert again.exit_code == 0 and again.stdout.strip() == "Lan Nguyen was already inactive"
    back = bw("--db", people.url, "users", "activate", "Lan Nguyen")
    assert back.exit_code == 0 and back.stdout.strip() == "activated Lan Nguyen"
    assert person_for_token(people, token) is None  # the old session stays ended
    assert sign_in(people, "Lan Nguyen", PASSWORD) is not None
    trail = people.history("users", "Lan Nguyen")
    me = getpass.getuser()  # the command's actor
    changes = [(a, json.loads(b)) for a, b in zip(trail["actor"], trail["after"], strict=True)]
    assert changes[1:] == [(me, {"active": False}), (me, {"active": True})]


def test_changing_a_deactivated_person_s_password_does_not_let_her_in(people: Store) -> None:
    assert bw("--db", people.url, "users", "deactivate", "Lan Nguyen").exit_code == 0
    new = "mango lanterns drift north"
    add = ("--db", people.url, "users", "add", "Lan Nguyen", "--role", "advisor", "--replace")
    changed = bw(*add, "--password-stdin", stdin=new + "\n")
    assert changed.exit_code == 0, changed.stderr
    assert changed.stdout.splitlines() == [
        "changed Lan Nguyen (advisor)",
        "Lan Nguyen stays inactive: `bwcases users activate` lets her sign in",
    ]
    assert sign_in(people, "Lan Nguyen", new) is None
    assert bw("--db", people.url, "users", "activate", "Lan Nguyen").exit_code == 0
    assert sign_in(people, "Lan Nguyen", new) is not None


def test_deactivating_someone_unknown_says_whom(people: Store) -> None:
    for command in ("deactivate", "activate"):
        unknown = bw("--db", people.url, "users", command, "Lan Ngyen")
        assert unknown.exit_code == 2 and "'Lan Ngyen'" in unknown.stderr, unknown.stderr
        assert "Traceback" not in unknown.stderr
    assert sign_in(people, "Lan Nguyen", PASSWORD) is not None


def test_the_session_cookie_is_read_from_the_header() -> None:
    assert token_from_cookies(f"_xsrf=abc; {COOKIE_NAME}=tok-123; other=1") == "tok-123"
    assert token_from_cookies("") is None and token_from_cookies(None) is None
    assert token_from_cookies('bad"cookie') is None


def test_roles_scope_the_portfolio() -> None:
    lan = Person("Lan Nguyen", Role.ADVISOR, "Vietnam")
    staff = Person("Minh Tran", Role.STAFF, "Vietnam")
    reader = Person("Hoa Le", Role.READONLY, None)
    vn = {"advisor": "Lan Nguyen", "country": "Vietnam"}
    kh = {"advisor": "Sokha Chan", "country": "Cambodia"}
    assert lan.scope() == {"advisor": "Lan Nguyen"} and staff.scope() == {"country": "Vietnam"}
    assert lan.covers(vn) and not lan.covers(kh)
    assert staff.covers(vn) and not staff.covers(kh)
    assert reader.covers(kh) and not reader.can_edit
    assert staff.can_verify and not lan.can_verify and lan.can_edit


def test_in_voila_the_person_comes_from_the_session_cookie_only(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = sign_in(people, "Lan Nguyen", PASSWORD)
    assert signed is not None
    token = signed[1]
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # as Voilà starts a kernel for a page
    monkeypatch.setenv("QUERY_STRING", "factory=VN003&lang=vi&user=Minh+Tran")
    monkeypatch.setenv("HTTP_COOKIE", f"{COOKIE_NAME}={token}")
    request = page_request(people, user="Minh Tran")  # parameters cannot name someone else
    assert request.person == Person("Lan Nguyen", Role.ADVISOR, "Vietnam")
    assert (request.factory_id, request.lang) == ("VN003", "vi")

    monkeypatch.setenv("HTTP_COOKIE", f"{COOKIE_NAME}=forged")
    assert page_request(people, user="Minh Tran").person is None
    monkeypatch.delenv("HTTP_COOKIE")
    assert page_request(people).person is None


def test_outside_voila_the_parameter_names_the_person(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    request = page_request(people, user="Minh Tran", factory_id="VN001", lang="km")
    assert request.person == Person("Minh Tran", Role.STAFF, "Vietnam")
    assert (request.factory_id, request.lang) == ("VN001", "km")
    assert page_request(people, user="Nobody").person is None


def test_a_person_s_language_is_remembered(people: Store) -> None:
    assert people.language_of("Lan Nguyen") is None  # not chosen yet
    people.set_language("Lan Nguyen", "vi")
    people.set_language("Lan Nguyen", "km")
    assert people.language_of("Lan Nguyen") == "km" and people.language_of("Minh Tran") is None
    with pytest.raises(UsageError, match="language 'fr' is not one of"):
        people.set_language("Lan Nguyen", "fr")
    with pytest.raises(NotFoundError, match="no user 'Nobody'"):
        people.set_language("Nobody", "vi")
    assert people.language_of("Lan Nguyen") == "km"
    assert people.history("users", "Lan Nguyen")["action"].tolist() == ["insert"]  # not audited


@pytest.mark.parametrize(
    ("query", "browser", "kept", "lang"),
    [
        ("factory=VN001", "id-ID,id;q=0.9", "vi", "vi"),  # remembered beats the browser
        ("factory=VN001&lang=ar", "id-ID,id;q=0.9", "vi", "ar"),  # the address beats both
        ("factory=VN001", "id-ID,id;q=0.9", None, "id"),  # nothing chosen: the browser's
        ("lang=", "km", None, "km"),
    ],
)
def test_a_page_opens_in_the_address_s_language_else_the_remembered_else_the_browser_s(
    people: Store,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    browser: str,
    kept: str | None,
    lang: str,
) -> None:
    signed = sign_in(people, "Lan Nguyen", PASSWORD)
    assert signed is not None
    if kept:
        people.set_language("Lan Nguyen", kept)
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", query)
    monkeypatch.setenv("HTTP_ACCEPT_LANGUAGE", browser)
    monkeypatch.setenv("HTTP_COOKIE", f"{COOKIE_NAME}={signed[1]}")
    assert page_request(people).lang == lang
    people.set_language("Minh Tran", "ar")  # another person's choice is not hers
    assert page_request(people).lang == lang
    monkeypatch.delenv("HTTP_COOKIE")  # nobody signed in: the address's, else the browser's
    assert page_request(people).lang == ("ar" if "lang=ar" in query else negotiate(browser))


def test_outside_voila_the_named_person_s_language_is_used_unless_one_is_given(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    people.set_language("Minh Tran", "id")
    assert page_request(people, user="Minh Tran").lang == "id"
    assert page_request(people, user="Minh Tran", lang="km").lang == "km"
    assert page_request(people, user="Lan Nguyen").lang == "en"


def test_demo_users_get_new_passwords_and_real_users_are_left_alone(people: Store) -> None:
    lines = demo_users(people)  # the first factory is KH001, Sokha Chan's; she is a real user
    assert len(lines) == 1 and "Cambodia programme staff" in lines[0]
    password = lines[0].rsplit(" ", 1)[-1]
    assert sign_in(people, "Cambodia programme staff", password) is not None
    again = demo_users(people)
    assert again[0].rsplit(" ", 1)[-1] != password  # a new one at every start
    assert sign_in(people, "Sokha Chan", PASSWORD) is not None  # untouched


def test_users_are_added_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    added = bw(
        "--db",
        db,
        "users",
        "add",
        "Lan Nguyen",
        "--role",
        "advisor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.stderr
    assert added.stdout.strip() == "added Lan Nguyen (advisor)"
    printed = bw("--db", db, "users", "add", "Minh Tran", "--role", "staff", "--country", "Vietnam")
    assert printed.exit_code == 0 and "password: " in printed.stdout  # not a terminal: made one
    password = printed.stdout.rsplit("password: ", 1)[1].strip()
    bad = bw(
        "--db", db, "users", "add", "Hoa Le", "--role", "staff", "--password-stdin", stdin=PASSWORD
    )
    assert bad.exit_code == 2 and "--country" in bad.stderr and "Traceback" not in bad.stderr
    listed = bw("--db", db, "users", "list", "--format", "csv")
    assert listed.stdout.splitlines()[0] == (
        "name,role,country,factory_id,email,active,created_by,created_at"
    )
    assert "argon2" not in listed.stdout and PASSWORD not in listed.stdout
    store = Store(db)
    assert sign_in(store, "Lan Nguyen", PASSWORD) is not None
    assert sign_in(store, "Minh Tran", password) is not None
    store.dispose()


def test_a_factory_person_works_for_one_factory_of_the_register(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    store = fill_case(Store(db), tmp_path)
    add = ("--db", db, "users", "add", "Rina Akter", "--role", "factory", "--password-stdin")
    missing = bw(*add, stdin=PASSWORD)
    assert missing.exit_code == 2 and "--factory" in missing.stderr
    unknown = bw(*add, "--factory", "VN999", stdin=PASSWORD)
    assert unknown.exit_code == 2 and "'VN999'" in unknown.stderr
    bad_mail = bw(*add, "--factory", "VN001", "--email", "rina at factory", stdin=PASSWORD)
    assert bad_mail.exit_code == 2 and "'rina at factory'" in bad_mail.stderr
    assert store.user("Rina Akter") is None  # nothing half written
    added = bw(*add, "--factory", "VN001", "--email", " rina@adhi.example ", stdin=PASSWORD)
    assert added.exit_code == 0, added.stderr
    record = store.user("Rina Akter")
    assert record is not None
    assert (record["factory_id"], record["email"]) == ("VN001", "rina@adhi.example")
    rina = person(record)
    assert rina == Person("Rina Akter", Role.FACTORY, None, "VN001")
    assert rina.covers({"factory_id": "VN001"}) and not rina.covers({"factory_id": "KH001"})
    assert not rina.can_edit and not rina.can_verify  # she proposes; the programme decides
    advisor = bw(
        "--db", db, "users", "add", "Lan Nguyen", "--role", "advisor", "--factory", "VN001"
    )
    assert advisor.exit_code == 2 and "--role factory" in advisor.stderr
    store.dispose()


@pytest.mark.parametrize(
    "password",
    [
        "1234567890",  # short and common
        "          ",  # ten spaces
        "            ",  # twelve spaces
        "123456789012",  # long enough, but a guesser's first try
        "Password1234",
        "qwertyuiopas",
        "Farhana Akter 1",  # her own name
    ],
)
def test_a_password_easy_to_guess_is_refused(store: Store, password: str) -> None:
    assert password_problem(password, "Farhana Akter") is not None
    with pytest.raises(UsageError, match="at least 12|too easy to guess"):
        add_user(store, "Farhana Akter", role="advisor", password=password)
    assert store.user("Farhana Akter") is None


@pytest.mark.parametrize("password", ["correct horse battery", "abc123-def456-789abc"])
def test_a_long_uncommon_password_is_taken(password: str) -> None:
    assert password_problem(password, "Farhana Akter") is None


NAME = "Đặng Thị Ánh"


@pytest.mark.parametrize(
    "typed",
    [
        NAME,
        "đặng thị ánh",  # SQLite's lower() folds ASCII only
        "ĐẶNG  THỊ\tÁNH",  # spacing as typed on a phone
        unicodedata.normalize("NFD", "đặng thị ánh"),  # a keyboard that composes apart
    ],
)
def test_a_name_signs_in_in_any_case_spacing_or_composition(store: Store, typed: str) -> None:
    add_user(store, NAME, role="advisor", password=PASSWORD)
    signed = sign_in(store, typed, PASSWORD)
    assert signed is not None and signed[0].name == NAME


def test_two_users_one_sign_in_name_apart_are_refused(store: Store) -> None:
    add_user(store, "Lan Nguyen", role="advisor", password=PASSWORD)
    with pytest.raises(UsageError, match="signs in with the same name"):
        add_user(store, "LAN  NGUYEN", role="advisor", password=PASSWORD)
    assert store.users_frame()["name"].tolist() == ["Lan Nguyen"]
    assert sign_in(store, "lan nguyen", PASSWORD) is not None


def test_a_control_character_in_a_name_is_refused(store: Store) -> None:
    with pytest.raises(UsageError, match="not a name"):
        add_user(store, "Lan\x1b[31mNguyen", role="advisor", password=PASSWORD)


def test_failures_cost_a_growing_wait_never_a_lock_out() -> None:
    clock = Clock()
    throttle = Throttle(3, 30.0, clock=clock)
    for _ in range(3):
        assert throttle.wait("farhana akter") == 0
        throttle.failed("farhana akter")
    waits = []
    for _ in range(8):  # a guesser who tries as soon as she may
        wait = throttle.wait("farhana akter")
        waits.append(wait)
        clock.now += wait
        throttle.failed("farhana akter")
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    assert throttle.wait("someone else") == 0
    clock.now += 30
    assert throttle.wait("farhana akter") == 0  # her owner waits half a minute at worst
    clock.now += 15 * 60
    throttle.failed("farhana akter")
    assert throttle.wait("farhana akter") == 0  # old failures are forgotten
