"""The console adapter: a terminal chat with the real core, and `parley run` driven through stdin."""
from __future__ import annotations

import io
import os
import subprocess
import sys

from adapters.console import ConsoleAdapter, to_request
from bot.config import REPO_ROOT


def test_lines_become_requests():
    question = to_request("What does Russia demand?")
    assert (question.command, question.text, question.is_private) == ("ask", "What does Russia demand?", True)
    command = to_request("/timeline russia nato")
    assert (command.command, command.text, command.args) == ("timeline", "russia nato", ("russia", "nato"))
    assert to_request("   ") is None


async def test_a_console_session_answers_with_citations_and_runs_commands(bot):
    stdin = io.StringIO("Does Russia consider Crimea negotiable?\n/help\n/nonsense\n")
    stdout = io.StringIO()
    adapter = ConsoleAdapter(bot, stdin=stdin, stdout=stdout)
    await adapter.start()
    await adapter.finished.wait()
    text = stdout.getvalue()
    assert "Crimea" in text and "[1]" in text and "Sources:" in text
    assert "/subscribe" in text  # the help lists commands
    assert "/nonsense" in text and "/help" in text  # unknown commands point at /help


def test_parley_run_answers_in_the_terminal(seeded_template, tmp_path):
    db = tmp_path / "run.db"
    db.write_bytes(seeded_template.read_bytes())
    env = {**os.environ, "PARLEY_DATABASE_URL": f"sqlite:///{db}", "PARLEY_SCHEDULER_ENABLED": "false"}
    env.pop("PARLEY_TELEGRAM_TOKEN", None)
    env.pop("PARLEY_DISCORD_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "run", "--console"], input="普京愿意从哪些地区撤军?\n",
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Parley is ready" in result.stdout
    assert "哈尔科夫" in result.stdout or "Kharkiv" in result.stdout


def test_console_replies_name_outlets_never_server_paths():
    from datetime import date

    from adapters.console import render
    from bot.messages import Bullet, Citation, Reply

    def cite(n, quote):
        return Citation(n, "d1", "/srv/parley/seeds/002_58a5.txt", None, "Peace plan", "V7N", date(2024, 11, 23), quote)

    reply = Reply(lead="Russia demands [1][2][3].", bullets=(Bullet("a", (1, 2)), Bullet("b", (3,))),
                  citations=(cite(1, "a"), cite(2, "b"), cite(3, "c")), as_of=date(2024, 11, 23))
    text = render(reply)
    assert "/srv/" not in text and "002_58a5" not in text
    assert "Russia demands [1]." in text and "[2]" not in text
    assert "[1] V7N, 2024-11-23" in text
