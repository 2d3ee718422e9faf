"""The command line: every command and setting is documented, config masks secrets, errors are clear."""
from __future__ import annotations


import pytest
from typer.testing import CliRunner

import cli
from bot.config import Settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's folder
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_every_setting_has_a_help_line():
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_config_lists_every_setting_and_masks_secrets(env, monkeypatch):
    monkeypatch.setenv("PARLEY_TELEGRAM_TOKEN", "123456:SECRET-token-value")
    result = runner.invoke(cli.app, ["config"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    for name in Settings.model_fields:
        assert f"PARLEY_{name.upper()}" in result.output
    assert "SECRET-token-value" not in result.output
    assert "********" in result.output


def test_every_command_has_help():
    result = runner.invoke(cli.app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for command in ("run", "ask", "ingest", "config", "db", "sources", "digest", "positions", "timeline", "compare", "latest"):
        assert command in result.output
    for group in ("db", "sources"):
        sub = runner.invoke(cli.app, [group, "--help"])
        assert sub.exit_code == 0, sub.output


def test_db_upgrade_reports_revision(env):
    result = runner.invoke(cli.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert f"revision {head}" in result.output



@pytest.mark.hostile
def test_local_sources_need_an_operators_folder_from_the_cli_too(env, monkeypatch):
    inbox = env / "allowed" / "inbox"
    inbox.mkdir(parents=True)
    refused = runner.invoke(cli.app, ["sources", "add", str(inbox)], env={"COLUMNS": "300"})
    assert refused.exit_code == 1 and "PARLEY_SOURCE_FOLDERS allows none" in refused.output
    assert runner.invoke(cli.app, ["sources", "add", "/etc"]).exit_code == 1
    monkeypatch.setenv("PARLEY_SOURCE_FOLDERS", str(env / "allowed"))
    assert runner.invoke(cli.app, ["sources", "add", "/etc"]).exit_code == 1
    added = runner.invoke(cli.app, ["sources", "add", str(inbox)])
    assert added.exit_code == 0 and "folder" in added.output, added.output


def test_invalid_setting_is_a_clear_error(env, monkeypatch):
    monkeypatch.setenv("PARLEY_QUESTIONS_PER_MINUTE", "many")
    result = runner.invoke(cli.app, ["config"])
    assert result.exit_code == 2
    assert "Invalid configuration" in result.output


def test_secret_filter_redacts_tokens_in_log_records():
    import logging

    settings = Settings(_env_file=None, telegram_token="42:AAAAsecretsecret")
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST https://api.telegram.org/bot%s/getMe", ("42:AAAAsecretsecret",), None)
    cli.SecretFilter(settings).filter(record)
    assert "AAAAsecretsecret" not in record.getMessage()
    assert "***" in record.getMessage()


def test_readme_documents_exactly_the_settings():
    import re

    from bot.config import REPO_ROOT

    documented = set(re.findall(r"`(PARLEY_[A-Z_]+)`", (REPO_ROOT / "README.md").read_text(encoding="utf-8")))
    defined = {f"PARLEY_{name.upper()}" for name in Settings.model_fields}
    assert documented == defined


def test_ask_prints_no_migration_lines_and_logs_them_to_the_file(env, monkeypatch):
    empty = env / "no-seeds"
    empty.mkdir()
    monkeypatch.setenv("PARLEY_SEEDS_DIR", str(empty))
    monkeypatch.setenv("PARLEY_LOG_FILE", str(env / "logs" / "parley.log"))
    monkeypatch.delenv("PARLEY_LOG_LEVEL", raising=False)
    result = runner.invoke(cli.app, ["ask", "What does Russia demand?"])
    assert result.exit_code == 0, result.output
    assert "Running upgrade" not in result.output and "setup plugin" not in result.output and "INFO" not in result.output
    assert "Running upgrade" in (env / "logs" / "parley.log").read_text(encoding="utf-8")


def test_config_is_readable_at_80_columns_and_hides_the_database_password(env, monkeypatch):
    monkeypatch.setenv("PARLEY_DATABASE_URL", "postgresql+psycopg://parley:hunter2secret@db:5432/parley")
    result = runner.invoke(cli.app, ["config"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in Settings.model_fields:
        assert any(line.startswith(f"PARLEY_{name.upper()} = ") for line in lines), name
    assert "hunter2secret" not in result.output and "postgresql+psycopg://parley:***@db:5432/parley" in result.output
