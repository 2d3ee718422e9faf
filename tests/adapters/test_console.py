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
    env = {**os.environ, "PARLEY_DATABASE_URL": f"sqlite:///{db}", "PARLEY_SCHEDULER_ENABLED": "false",
           "PARLEY_LOG_FILE": str(tmp_path / "parley.log")}
    env.pop("PARLEY_TELEGRAM_TOKEN", None)
    env.pop("PARLEY_DISCORD_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "run", "--console"], input="普京愿意从哪些地区撤军?\n",
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("Parley: answers about the negotiations")
    assert "哈尔科夫" in result.stdout or "Kharkiv" in result.stdout


def test_console_replies_name_outlets_never_server_paths():
    from datetime import date

    from adapters.console import render
    from bot.messages import Bullet, Citation, Reply
    from bot.messages import cite as markers

    def cite(n, quote):
        return Citation(n, "d1", "/srv/parley/seeds/002_58a5.txt", None, "Peace plan", "V7N", date(2024, 11, 23), quote)

    reply = Reply(lead=f"Russia demands {markers(1, 2, 3)}.", bullets=(Bullet("a", (1, 2)), Bullet("b", (3,))),
                  citations=(cite(1, "a"), cite(2, "b"), cite(3, "c")), as_of=date(2024, 11, 23))
    text = render(reply)
    assert "/srv/" not in text and "002_58a5" not in text
    assert "Russia demands [1]." in text and "[2]" not in text
    assert "[1] V7N, 2024-11-23" in text


# -- `parley run` in a pseudo-terminal: what a new user sees first ---------------------------

def _read_until(fd: int, marker: str, timeout: float) -> str:
    """Everything the terminal shows until ``marker`` (or raise with what came so far)."""
    import select
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {marker!r} within {timeout}s; the screen shows:\n{seen.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def _spawn_in_pty(args: list[str], env: dict, cwd) -> tuple[int, int]:
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal session running parley
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, *args], env)
    return pid, fd


def _run_env(seeded_template, tmp_path, **extra) -> dict:
    db = tmp_path / "run.db"
    db.write_bytes(seeded_template.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update({"PARLEY_DATABASE_URL": f"sqlite:///{db}", "PARLEY_SCHEDULER_ENABLED": "false",
                "PARLEY_LOG_FILE": str(tmp_path / "logs" / "parley.log"), "PARLEY_CACHE_DIR": str(tmp_path / "cache"),
                "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm", "COLUMNS": "100", "LINES": "40"})
    env.update(extra)
    return env


def test_parley_run_in_a_terminal_shows_a_banner_and_a_prompt_and_no_log_lines(seeded_template, tmp_path):
    env = _run_env(seeded_template, tmp_path)
    pid, fd = _spawn_in_pty(["-m", "cli", "run"], env, tmp_path)
    try:
        first = _read_until(fd, "parley> ", timeout=120)
        screen = first.replace("\r", "")
        assert "Parley: answers about the negotiations" in screen and "/help" in screen
        for noise in ("INFO", "alembic", "setup plugin", "Running upgrade", "loaded profile", "Parley is running"):
            assert noise not in screen, screen
        assert len([line for line in screen.splitlines() if line.strip()]) <= 4, screen
        os.write(fd, "/positions 乌克兰\n".encode())
        answer = _read_until(fd, "parley> ", timeout=120)
        assert "乌克兰" in answer and "Latest stance" not in answer  # answered in the language of the argument
        os.write(fd, b"What does Russia demand about NATO?\n")
        answer = _read_until(fd, "parley> ", timeout=120).replace("\r", "")
        for noise in ("INFO", "headwords", "indexed", "passage vectors", "/work/", "seeds/"):
            assert noise not in answer, answer
        assert "NATO" in answer and "Sources:" in answer
        # The answer ends, then the prompt starts a fresh line: nothing was written over or after it.
        assert answer.endswith("\n\nparley> "), answer[-200:]
        os.write(fd, b"\x04")  # Ctrl-D ends the console and the process
        _read_until(fd, "\n", timeout=30)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    logged = (tmp_path / "logs" / "parley.log").read_text(encoding="utf-8")
    assert "Parley is running with console" in logged  # the INFO lines went to the file


def test_parley_log_level_brings_logs_back_to_the_terminal(seeded_template, tmp_path):
    env = _run_env(seeded_template, tmp_path, PARLEY_LOG_LEVEL="INFO")
    result = subprocess.run([sys.executable, "-m", "cli", "run", "--console"], input="", capture_output=True, text=True,
                            timeout=180, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Parley is running with console" in result.stderr or "Parley is running with console" in result.stdout
    assert "Parley is running with console" in (tmp_path / "logs" / "parley.log").read_text(encoding="utf-8")
