"""The wheel ``python -m build`` makes works on its own (issue 21, part 7): built
from a copy of the working tree, installed into a folder outside the checkout,
it carries every data file the product reads, answers ``coverwatch --help`` and
renders an alert email and an analyst page from its own templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("coverwatch", "crawlers", "workers", "search", "alerts", "deploy", "web", "console")
# Files beside the packages that only build or run the deployment from a checkout
# (images, manifests, the test and bootstrap scripts): no installed code reads them.
NOT_SHIPPED = {"deploy/run-tests.sh", "deploy/bootstrap.sh", "deploy/Dockerfile"}


def _data_files() -> set[str]:
    """Every non-Python file of the packages, as a wheel names it."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in parts \
                    and parts[:3] != ("deploy", "opensearch", "target"):
                found.add("/".join(parts))
    return found - NOT_SHIPPED


def _run(command: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _source_copy(target: Path) -> Path:
    """The working tree's packages and project files, without caches or the
    launcher's Maven build: the build never writes into the checkout others use."""
    source = target / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "target")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    return source


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    source = _source_copy(tmp_path)
    # --no-isolation: the build backend comes from the dev extra, so no network is needed.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
         cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("coverwatch-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert not _data_files() - shipped, f"data files missing from the wheel: {sorted(_data_files() - shipped)}"

    installed = tmp_path / "installed"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(installed), str(wheel)],
         cwd=tmp_path)
    # The dependencies come from this interpreter's site-packages; the product only
    # from the installed folder (PYTHONPATH is searched before the editable install's finder).
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    smoke = shutil.copy2(Path(__file__).with_name("wheel_smoke.py"), outside / "wheel_smoke.py")
    help_text = _run([str(installed / "bin" / "coverwatch"), "--help"], cwd=outside, PYTHONPATH=str(installed))
    assert "usage: coverwatch" in help_text and "status" in help_text
    rendered = _run([sys.executable, str(smoke), str(installed)], cwd=outside, PYTHONPATH=str(installed))
    assert "email subject: [Coverwatch] Grid: Volt Typhoon in the grid" in rendered
    assert "login page: 200" in rendered
