"""The ledger views (issue 15): who said it and on whose record, undated entries, "silent" parties, the gap matrix, JSON."""
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.text import i18n
from storage.models import Document, Position

PNG = b"\x89PNG\r\n\x1a\n"


def add(session, doc_id: str, published: date | None, *positions, arrived: datetime | None = None) -> None:
    session.add(Document(id=doc_id, content_hash=doc_id, origin=f"https://news.example/{doc_id}", text="",
                         outlet="news.example", published=published, ingested_at=arrived or datetime(2025, 6, 20, 12, tzinfo=timezone.utc)))
    session.flush()
    for party, issue, stance, speaker, attribution, relayed_from, quote in positions:
        session.add(Position(document_id=doc_id, party=party, issue=issue, stance=stance, speaker=speaker,
                             attribution=attribution, relayed_from=relayed_from, quote=quote, published=published))


@pytest.fixture
def ledger(services):
    with Session(services.engine) as session:
        add(session, "d1", date(2025, 3, 11),
            ("ukraine", "ceasefire", "accepts", None, "on_record", None, "Ukraine said it was ready to accept a ceasefire."),
            ("united_states", "ceasefire", "offers", None, "on_record", None, "Ukraine said it was ready to accept a ceasefire."))
        add(session, "d2", date(2025, 3, 19),
            ("russia", "territory", "demands", "putin", "relayed", "Kommersant", "Putin is pushing for recognition."))
        add(session, "d3", None,
            ("russia", "ceasefire", "rejects", "peskov", "relayed", "Reuters", "Freezing the conflict will not work."),
            arrived=datetime(2025, 3, 15, 9, tzinfo=timezone.utc))
        add(session, "d4", date(2025, 5, 20),
            ("russia", "ceasefire", "conditions", "five current and former Russian officials", "anonymous", None,
             "Five officials said the Kremlin could agree to a ceasefire if the West stops arming Kyiv."))
        session.commit()
    return services


def test_lines_show_speaker_attribution_date_and_citation(ledger):
    reply = ledger.answerer.positions(None, "en")
    lines = [b.text for b in reply.bullets]
    assert any(line.startswith("Russia · territory: demands (2025-03-19; Vladimir Putin, relayed by Kommersant)") for line in lines)
    assert any("(2025-05-20; five current and former Russian officials, anonymous)" in line for line in lines)
    assert all(b.cites for b in reply.bullets) and reply.citations


def test_undated_entries_are_placed_by_arrival_and_marked(ledger):
    reply = ledger.answerer.timeline("russia", "ceasefire", "en")
    lines = [b.text for b in reply.bullets]
    assert lines[0].startswith("rejects (undated, arrived 2025-03-15; Dmitry Peskov, relayed by Reuters)")
    assert lines[1].startswith("sets conditions (2025-05-20;")
    # the latest stance is the newest dated one, not an undated report that merely arrived
    latest = ledger.answerer.positions("russia", "en")
    assert any(b.text.startswith("Russia · ceasefire: sets conditions") or b.text.startswith("ceasefire: sets conditions")
               for b in latest.bullets)


def test_timeline_of_every_party_on_one_issue(ledger):
    reply = ledger.answerer.timeline(None, "ceasefire", "en")
    assert [b.text.split(":")[0] for b in reply.bullets] == ["Ukraine", "United States", "Russia", "Russia"]


def test_compare_shows_a_silent_party(ledger):
    reply = ledger.answerer.compare("russia", "ukraine", "territory", "en")
    lines = [b.text for b in reply.bullets]
    assert lines[0].startswith("Russia: demands")
    assert lines[1] == i18n.t("ledger.silent.line", "en", party="Ukraine")


def test_the_gap_matrix(ledger):
    data = ledger.answerer.matrix_data()
    assert data["issues"] == ["territory", "ceasefire"] and data["parties"] == ["russia", "ukraine", "united_states"]
    assert data["cells"]["territory|ukraine"] is None
    assert data["cells"]["ceasefire|russia"]["stance"] == "conditions"
    reply = ledger.answerer.matrix([], "en")
    territory, ceasefire = (b.text for b in reply.bullets)
    assert "silent: Ukraine and United States" in territory and "only Russia has spoken" in territory
    assert ceasefire.endswith("gap: Russia sets conditions / Ukraine accepts / United States offers")
    assert len(reply.text) < 4096  # the text fallback fits one chat message
    assert reply.attachment is not None and reply.attachment.data.startswith(PNG)
    chinese = ledger.answerer.matrix(["ceasefire"], "zh-Hans", picture=False)
    assert chinese.attachment is None and "停火" in chinese.bullets[0].text


def test_positions_json_is_one_object_per_entry(ledger):
    rows = ledger.answerer.ledger_json()
    assert len(rows) == 5
    assert all(list(row) == ["party", "issue", "stance", "speaker", "attribution", "relayed_from", "quote", "document_id",
                             "origin", "published"] for row in rows)
    relayed = next(r for r in rows if r["speaker"] == "Vladimir Putin")
    assert (relayed["attribution"], relayed["relayed_from"], relayed["published"]) == ("relayed", "Kommersant", "2025-03-19")
    assert relayed["origin"] == "https://news.example/d2"


def test_cli_positions_json_and_matrix_png(ledger, tmp_path, monkeypatch):
    from cli import app

    monkeypatch.setenv("PARLEY_DATABASE_URL", ledger.settings.database_url)
    monkeypatch.setenv("PARLEY_SEEDS_DIR", str(tmp_path / "no-seeds"))
    runner = CliRunner()
    result = runner.invoke(app, ["positions", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(r["party"], r["issue"], r["stance"]) for r in rows} >= {("russia", "territory", "demands")}
    picture = tmp_path / "matrix.png"
    result = runner.invoke(app, ["matrix", "--png", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes().startswith(PNG) and "silent" in result.stdout
    result = runner.invoke(app, ["matrix", "--json"])
    assert json.loads(result.stdout)["cells"]["territory|ukraine"] is None


def test_the_ledger_contract_is_documented_in_the_readme(ledger):
    from bot.answering.overviews import JSON_FIELDS

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The ledger contract")[1].split("\n## ")[0]
    documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert documented == list(JSON_FIELDS)
    assert all(list(row) == documented for row in ledger.answerer.ledger_json())
