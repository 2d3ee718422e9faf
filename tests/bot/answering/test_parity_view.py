"""The parity view on the seed corpus, asked in English, Simplified and Traditional Chinese, without and with a
(fake, loopback) model; the CLI's ``ask --parity`` and the chat's /parity."""
from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from bot.answering.parity import _compare, parity
from bot.messages import ChatRef, Citation, Reply, Request, Sender
from bot.text.profile import Profile
from tests.conftest import build_services, make_settings
from tests.fakes.openai_api import FakeOpenAI, Scripted

# "What is Putin asking Trump to recognize?" in the three scripts: the English seeds and the Simplified Chinese
# one both report the demand that Russia's annexation be recognized.
QUESTIONS = {
    "en": "What is Putin asking Trump to recognize?",
    "zh-Hans": "普京要求特朗普承认什么?",
    "zh-Hant": "普丁要求川普承認什麼?",
}


def check_sides(view, language: str) -> None:
    assert view.language == language
    en, zh = view.sides["en"], view.sides["zh"]
    assert not en.abstained and not zh.abstained
    assert en.citations and all(not c.language.startswith("zh") for c in en.citations)
    assert zh.citations and all(c.language.startswith("zh") for c in zh.citations)
    reply = view.reply
    assert [c.n for c in reply.citations] == list(range(1, len(en.citations) + len(zh.citations) + 1))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", reply.text.split("\n" + reply.labels["sources"])[0])}
    assert cited and max(cited) <= len(reply.citations)
    # Both sides record Russia's demand on territory: the agreement line says so, in the reader's language.
    assert view.agree and not view.differ
    russia, territory = ("Russia", "territory") if language == "en" else (("俄罗斯", "领土") if language == "zh-Hans" else ("俄羅斯", "領土"))
    assert any(russia in item and territory in item for item in view.agree)
    assert view.agree[0] in reply.lead or language != "en"


@pytest.mark.parametrize("language", list(QUESTIONS))
def test_parity_without_a_model(seeded_services, language):
    view = parity(seeded_services.answerer, QUESTIONS[language], fallback_language="en")
    check_sides(view, language)
    side_labels = {"en": ("English sources", "Chinese sources"), "zh-Hans": ("英文来源", "中文来源"), "zh-Hant": ("英文來源", "中文來源")}
    first, second = side_labels[language]
    texts = [b.text for b in view.reply.bullets]
    assert texts[0].startswith(first + ": ") and any(t.startswith(second + ": ") for t in texts)


def faithful_side_answers(body: dict) -> Scripted:
    """The fake model answers each side faithfully from its own evidence, in the question's language."""
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    chinese_evidence = "普京总统正寻求美国承认" in user
    # Cite the quote that says it, whatever number the engine gave it.
    number = re.search(r"\[(\d+)\] \([^)]*\) (?:President Vladimir Putin is pushing|据报道,普京总统正寻求)", user).group(1)
    if "English" in system:
        answer = (f"Putin reportedly seeks US recognition of Russia's annexation of Donetsk, Luhansk, "
                  f"Kherson and Zaporizhzhia [{number}]." if chinese_evidence else
                  f"Putin is pushing Trump to recognize Russia's annexation of Ukrainian territory [{number}].")
    elif chinese_evidence:
        answer = f"据报道,普京正寻求美国承认俄罗斯吞并顿涅茨克、卢甘斯克、赫尔松和扎波罗热地区[{number}]。"
    else:
        answer = f"普京正在推动特朗普承认俄罗斯对乌克兰领土的吞并[{number}]。"
    return Scripted(content=json.dumps({"answer": answer}, ensure_ascii=False))


@pytest.mark.parametrize("language", list(QUESTIONS))
def test_parity_with_a_model_words_each_side(seeded_template, tmp_path, language):
    path = tmp_path / "parity.db"
    shutil.copyfile(seeded_template, path)
    with FakeOpenAI(default=faithful_side_answers) as api:
        settings = make_settings(f"sqlite:///{path}", llm_url=api.base_url, llm_model="fake", llm_timeout=5.0, llm_translate=False)
        services = build_services(settings, seed=False)
        view = parity(services.answerer, QUESTIONS[language], fallback_language="en")
        assert len(api.calls("answers")) == 2  # one model call per side
        services.writer.client.close()
    check_sides(view, language)
    en_lead, zh_lead = view.sides["en"].lead, view.sides["zh"].lead
    if language == "en":
        assert re.fullmatch(r"Putin is pushing Trump to recognize Russia's annexation of Ukrainian territory \[\d\]\.", en_lead)
        assert zh_lead.startswith("Putin reportedly seeks US recognition")
    else:
        assert "推动特朗普" in en_lead or "推動川普" in en_lead or "推動特朗普" in en_lead
        assert "顿涅茨克" in zh_lead or "頓涅茨克" in zh_lead
        if language == "zh-Hant":
            assert "普京正在推動" in en_lead  # a Simplified answer to a Traditional question is shown in Traditional
    # The Chinese side's lead is renumbered after the English side's quotes in the combined reply.
    offset = len(view.sides["en"].citations)
    assert any(f"[{offset + 1}]" in b.text for b in view.reply.bullets)
    assert services.writer.stats["used"] == 2
    services.engine.dispose()


def test_only_one_side_answers(seeded_services):
    # Only Ukrainska Pravda (English) reports what Russian officials said of Crimea.
    view = parity(seeded_services.answerer, "Does Russia consider Crimea negotiable?", fallback_language="en")
    assert not view.sides["en"].abstained and view.sides["zh"].abstained
    assert "Only the English sources answer this." in view.reply.lead
    assert view.reply.bullets[-1].text == "Chinese sources: nothing on this"
    assert all(not c.language.startswith("zh") for c in view.reply.citations)


def test_neither_side_answers_out_of_scope(seeded_services):
    view = parity(seeded_services.answerer, "What is the capital of Australia?", fallback_language="en")
    assert view.reply.abstained and "Neither the English nor the Chinese sources answer this." in view.reply.lead


def test_different_figures_are_named_as_a_difference():
    def citation(n, quote, language):
        return Citation(n, f"d{n}", f"d{n}.txt", None, "t", None, None, quote, language)

    sides = {"en": Reply("x", citations=(citation(1, "Russia controls over 100,000 square kilometres of Ukrainian territory.", "en"),)),
             "zh": Reply("y", citations=(citation(1, "俄罗斯已占领超过11万平方公里的乌克兰领土。", "zh-Hans"),))}
    answerer = SimpleNamespace(index=SimpleNamespace(ledger=[]), profile=Profile.load())
    agree, differ = _compare(answerer, sides, "en")
    assert agree == [] and differ == ["the figure (more than 100,000 square kilometres vs more than 110,000 square kilometres)"]
    sides["zh"] = Reply("y", citations=(citation(1, "俄罗斯控制着超过10万平方公里的乌克兰领土。", "zh-Hans"),))
    agree, differ = _compare(answerer, sides, "zh-Hans")
    assert agree == ["数字超过10万平方公里"] and differ == []


def test_cli_ask_parity_json(seeded_template, tmp_path, monkeypatch):
    import cli

    path = tmp_path / "cli.db"
    shutil.copyfile(seeded_template, path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("PARLEY_LLM_URL", raising=False)
    result = CliRunner().invoke(cli.app, ["ask", "--parity", "--json", QUESTIONS["zh-Hant"]])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["language"] == "zh-Hant" and set(data["sides"]) == {"en", "zh"}
    for side in data["sides"].values():  # each side keeps the ask --json contract
        assert set(side) == {"question", "language", "answer", "abstained", "as_of", "citations"}
    assert data["agree"] and "英文來源" in data["answer"]


async def test_chat_parity_command(bot):
    reply = await bot.handle(Request(ChatRef("console", "local"), Sender("u1"), "parity", QUESTIONS["en"]))
    assert reply.kind == "answer" and reply.lead.startswith("The same question, answered separately")
    empty = await bot.handle(Request(ChatRef("console", "local"), Sender("u1"), "parity", " "))
    assert empty.kind == "error"


def test_a_stance_the_sides_report_differently_is_a_difference(seeded_services):
    view = parity(seeded_services.answerer, "Which areas might Russia withdraw its troops from?", fallback_language="en")
    assert any(item.startswith("Russia on territory (offers vs ") for item in view.differ)
    assert "They differ on Russia on territory (offers vs" in view.reply.lead
