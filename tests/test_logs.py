"""An app's failure is told to the server's log (who, which page) and never to the browser."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bwcases.apps import RemediationTracker
from bwcases.apps.common import TROUBLE
from bwcases.store import Store
from tests.helpers import fill_advisor_case, open_app


def test_an_app_failure_goes_to_the_server_log_not_the_page(
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app = open_app(
        RemediationTracker, fill_advisor_case(sqlite_store, tmp_path), "Lan Nguyen", "VN001"
    )
    page = io.StringIO()  # in a kernel, sys.stderr streams to the page
    monkeypatch.setattr(sys, "stderr", page)

    def fails() -> bool:
        raise RuntimeError("SELECT password_hash FROM users WHERE name = 'Lan Nguyen'")

    monkeypatch.setattr(app, "record_progress", fails)
    app._on_record(None)
    assert page.getvalue() == ""  # nothing of it reaches the browser…
    assert "Something went wrong" in app.notice.value and TROUBLE.split(".")[0] in app.notice.value
    logged = capfd.readouterr().err  # …the server's log has it, with who and where
    assert "RuntimeError" in logged and "password_hash" in logged
    assert "Lan Nguyen on remediation_tracker.ipynb, factory VN001" in logged
