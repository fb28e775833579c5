"""Packaging: the conda environment and pyproject.toml declare the same dependencies, and a
built wheel, installed (not editable) into a new virtual environment, works from another folder."""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bwcases.web.serve import HOST, free_port
from tests.helpers import ROOT

CONDA_NAMES = {
    "psycopg[binary]": "psycopg",  # conda-forge's psycopg ships the binary build
    "build": "python-build",
}


def _norm(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec.strip()).groups()
    name = CONDA_NAMES.get(name.lower(), name.lower())
    return name.replace("_", "-"), version.replace(" ", "")


def test_environment_yml_declares_what_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    declared = dict(_norm(d) for d in conda if not d.startswith(("python=", "pip")))
    assert declared == dict(_norm(d) for d in wanted)
    assert "python=3.11" in conda


# -- a built wheel, installed -----------------------------------------------------------------

# What the installed package finds, asked of the new environment's own interpreter: where bwcases,
# its notebooks and templates are; whether the checkout's editable finder came along; and which
# interpreter a notebook's kernel runs (jupyter_client runs "python" as the caller's own).
PROBE = """
import json, sys
import bwcases
from bwcases.core.paths import NOTEBOOKS, TEMPLATES
from jupyter_client.kernelspec import KernelSpecManager
argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
print(json.dumps({
    "package": bwcases.__file__,
    "notebooks": str(NOTEBOOKS),
    "templates": str(TEMPLATES),
    "editable": sorted(m for m in sys.modules if "editable" in m),
    "kernel": sys.executable if argv0 in ("python", "python3") else argv0,
    "python": sys.executable,
}))
"""


@dataclass(frozen=True)
class Installed:
    """A virtual environment with the built wheel installed, and what its bwcases finds."""

    venv: Path
    notebooks: Path
    templates: Path
    probe: dict[str, object]

    @property
    def bwcases(self) -> str:
        return str(self.venv / "bin" / "bwcases")

    def env(self) -> dict[str, str]:
        """This process's environment less what would point back at the checkout."""
        drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env = {k: v for k, v in env.items() if not k.startswith("BWCASES_")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    """Run a command; its standard output, or a failure that shows what it said."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _tracked() -> set[str]:
    """The package's files as git knows them (code, notebooks, templates, migrations,
    catalogues), relative to bwcases/."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: which files make the package is git's to say")
    out = _run(["git", "ls-files", "-z", "--", "bwcases"], cwd=ROOT)
    return {name.removeprefix("bwcases/") for name in out.split("\0") if name}


def _files(folder: Path) -> set[str]:
    """The files under a folder, relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel built from it, as `python -m build` makes them (isolated, as
    `pip install .` builds)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out, timeout=600)
    (sdist,) = out.glob("bwcases-*.tar.gz")
    (wheel,) = out.glob("bwcases-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def installed(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A new virtual environment with the wheel installed (not editable). Its dependencies are
    this environment's, without this environment's editable bwcases."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], cwd=venv)
    python = str(venv / "bin" / "python")
    purelib = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv
        ).strip()
    )
    # A folder named in a .pth file joins sys.path, but the .pth files in it are not read: the
    # one that maps bwcases to the checkout (pip's editable install) stays out.
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "bwcases_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    # Jupyter's data and configuration (Voilà's and nbconvert's templates, the kernel spec, the
    # server extensions) live under the environment's prefix, as a real install puts them.
    for part in ("share/jupyter", "etc/jupyter"):
        if (Path(sys.prefix) / part).is_dir():
            (venv / part).parent.mkdir(parents=True, exist_ok=True)
            (venv / part).symlink_to(Path(sys.prefix) / part)
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps"]
    _run([*pip, "--no-index", str(dists["wheel"])], cwd=venv)
    probe = json.loads(_run([python, "-c", PROBE], cwd=venv))
    return Installed(venv, Path(str(probe["notebooks"])), Path(str(probe["templates"])), probe)


@pytest.fixture(scope="module")
def demo(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A demo store made by the installed command, in a folder away from the checkout; yields
    (store URL, folder)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    url = f"sqlite:///{folder / 'cases.sqlite'}"
    cmd = [installed.bwcases, "--db", url, "demo-data", "--factories", "3", "--seed", "1"]
    assert "3 factories" in _run(cmd, cwd=folder, env=installed.env())
    return url, folder


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


@pytest.mark.slow
def test_the_sdist_holds_the_notebooks_and_templates(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = sdist.getnames()
    top = f"{dists['sdist'].name.removesuffix('.tar.gz')}/bwcases/"
    held = {n.removeprefix(top) for n in names if n.startswith(top)}
    assert "notebooks/partner_brief.ipynb" in held and "templates/apps/index.html.j2" in held
    assert sorted(_tracked() - held) == []


@pytest.mark.slow
def test_the_installed_package_finds_its_own_notebooks_and_templates(
    installed: Installed,
) -> None:
    site = installed.venv / "lib"
    assert Path(str(installed.probe["package"])).is_relative_to(site)
    assert installed.notebooks == Path(str(installed.probe["package"])).parent / "notebooks"
    assert installed.templates.is_relative_to(site)
    held = _files(installed.notebooks.parent)
    assert "notebooks/partner_brief.ipynb" in held and "templates/apps/index.html.j2" in held
    assert sorted(_tracked() - held) == []
    assert installed.probe["editable"] == []  # the checkout's bwcases never came along
    assert installed.probe["kernel"] == installed.probe["python"]  # notebooks run it too
    assert not Path(str(installed.probe["python"])).is_relative_to(ROOT)


@pytest.mark.slow
def test_run_writes_each_factory_report_from_the_installed_notebook(
    installed: Installed, demo: tuple[str, Path]
) -> None:
    url, folder = demo
    assert not folder.is_relative_to(ROOT)
    env = installed.env()
    factories = _rows(
        _run([installed.bwcases, "--db", url, "factories", "--format", "csv"], cwd=folder, env=env)
    )
    first = factories[0]
    notebook = installed.notebooks / "factory_progress_report.ipynb"
    batch = {
        "notebook": str(notebook),
        "for_each": "factory",
        "select": {"ids": [first["factory_id"]]},
        "parameters": {"as_of": "2026-06-30"},
        "output": "reports",
        "formats": ["ipynb", "html"],
        "template": "brief",  # the installed templates/brief
    }
    (folder / "batch.yaml").write_text(yaml.safe_dump(batch))
    _run(
        [installed.bwcases, "--db", url, "run", "batch.yaml", "--workers", "1"], cwd=folder, env=env
    )
    (row,) = _rows((folder / "reports" / "manifest.csv").read_text())
    assert (row["item"], row["status"]) == (first["factory_id"], "ok")
    html = (folder / "reports" / f"{first['factory_id']}.html").read_text()
    assert '<header class="bw-head">' in html and first["factory_name"] in html
    executed = json.loads((folder / "reports" / f"{first['factory_id']}.ipynb").read_text())
    assert Path(executed["metadata"]["papermill"]["input_path"]).resolve() == notebook.resolve()


@pytest.mark.slow
def test_brief_renders_a_partner_brief_with_the_installed_package(
    installed: Installed, demo: tuple[str, Path]
) -> None:
    url, folder = demo
    env = installed.env()
    partners = _rows(
        _run([installed.bwcases, "--db", url, "partners", "--format", "csv"], cwd=folder, env=env)
    )
    buyer = next(p for p in partners if p["partner_type"] == "buyer")
    cmd = [installed.bwcases, "--db", url, "brief", "partner", buyer["partner_id"]]
    args = ["--period", "2025-01:2025-12", "-o", "briefs", "--keep-notebook"]  # to read it back
    _run([*cmd, *args], cwd=folder, env=env)
    stem = folder / "briefs" / f"partner-brief-{buyer['partner_id']}-2025-01_2025-12"
    html = stem.with_suffix(".html").read_text()
    assert '<footer class="bw-prov">' in html and buyer["partner_name"] in html
    assert stem.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    executed = json.loads(stem.with_suffix(".ipynb").read_text())
    input_path = Path(executed["metadata"]["papermill"]["input_path"]).resolve()
    assert input_path == (installed.notebooks / "partner_brief.ipynb").resolve()


@pytest.mark.slow
def test_serve_signs_in_and_shows_an_app_from_the_installed_package(
    installed: Installed, demo: tuple[str, Path]
) -> None:
    url, folder = demo
    port = free_port()
    base = f"http://{HOST}:{port}/"
    log = folder / "serve.log"
    cmd = [installed.bwcases, "--db", url, "serve", f"--port={port}", "--demo=3", "--cold"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=folder, env=installed.env(), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 90
        while "(Ctrl-C to stop)" not in log.read_text():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        name, password = re.findall(
            r'Sign in as "([^"]+)" \(advisor\) with the password (\S+)', log.read_text()
        )[0]
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(f"{base}login", timeout=60) as resp:
            form = resp.read().decode()
        assert 'name="password"' in form
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form)
        assert xsrf, form
        page = "voila/render/case_overview.ipynb"
        fields = {"_xsrf": xsrf[1], "username": name, "password": password, "next": f"/{page}"}
        with opener.open(
            f"{base}login", urllib.parse.urlencode(fields).encode(), timeout=120
        ) as resp:
            assert resp.url == f"{base}{page}"
            body = resp.read().decode()
        assert "CaseOverview(" in body  # the installed notebook ran in its kernel
        # the apps' page template, and its script and styles, from the installed templates
        assets = dict(re.findall(r"voila/bwcases/([\w.]+)\?v=([0-9a-f]+)", body))
        assert set(assets) == {"apps.js", "apps.css"}
        with opener.open(f"{base}voila/bwcases/apps.css", timeout=60) as resp:
            served = resp.read()
        assert served == (installed.templates / "apps" / "static" / "apps.css").read_bytes()
    finally:
        proc.send_signal(signal.SIGTERM)  # as a kill: serve stops Voilà with itself
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=2).close()
