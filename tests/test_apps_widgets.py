"""Every widget model the apps create is one the page script can draw (a strange one blanks it)."""

from __future__ import annotations

import json
from pathlib import Path

from ipywidgets.widgets import widget as ipywidget

from bwcases.apps import CaseTimeline, ImprovementPlan, RemediationTracker
from bwcases.store import Store
from tests.helpers import fill, fill_advisor_case, open_app

LOCK = Path(__file__).resolve().parent.parent / "frontend" / "package-lock.json"
# The JavaScript packages the page script bundles (frontend/src/index.js: MODULES), by the
# widget protocol version their models speak: controls 5.x and base 6.x speak "2.0.0".
BUNDLED = {"@jupyter-widgets/base": ("6.", "2.0.0"), "@jupyter-widgets/controls": ("5.", "2.0.0")}


def test_the_bundle_is_built_from_the_widget_packages_the_models_expect() -> None:
    packages = json.loads(LOCK.read_text())["packages"]
    for module, (major, _protocol) in BUNDLED.items():
        assert packages[f"node_modules/{module}"]["version"].startswith(major), module


def test_every_model_the_apps_create_is_in_the_bundle(store: Store, tmp_path: Path) -> None:
    store = fill_advisor_case(store, tmp_path)
    before = set(ipywidget._instances)
    # each app, with the panels that appear on the way: a form, a draft offered, a conflict
    lan = open_app(ImprovementPlan, store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "item:2"
    fill(minh, responsible="Warehouse lead", action="Clear", due_date="31/01/2099")
    minh.form.save.click()
    fill(lan, responsible="Security", action="Clear", due_date="31/01/2099")
    lan.form.save.click()
    assert lan.form.conflict.choices  # the radio buttons of a conflict were made
    tracker = open_app(RemediationTracker, store, "Minh Tran", "VN001")
    tracker.choice.value = "2"
    tracker.tabs.selected_index = 1
    open_app(CaseTimeline, store, "Lan Nguyen", "VN001")
    made = [w for key, w in list(ipywidget._instances.items()) if key not in before]
    assert len(made) > 100
    strange = {
        (w._model_module, w._model_name, w._model_module_version)
        for w in made
        if w._model_module not in BUNDLED or w._model_module_version != BUNDLED[w._model_module][1]
    }
    assert not strange, f"models the page script cannot draw: {sorted(strange)}"
