"""The answer judge (bot/answering/judge.py): its shipped weights, its fit, cross-language answers in both directions
on documents written for these tests, and the training script on a tiny corpus part."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.answering import judge
from bot.answering.question import parse_question
from bot.ingestion.pipeline import Ingestor, expand_inputs

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))
import train_judge  # noqa: E402

# An English question whose answer only a Simplified Chinese report gives, and a Chinese question whose answer only an
# English report gives. Each document also carries unrelated sentences on the same people, so a same-language
# sentence that does not answer is on hand to be picked wrongly.
ZH_REPORT = """俄方向美方递交停火条件清单

2025年8月14日

【本报讯】克里姆林宫发言人佩斯科夫14日说，俄方已向美方递交了一份包含十二项条件的清单，作为全面停火的前提。

佩斯科夫还说，普京总统目前没有访问欧洲的计划。

另据报道，俄外长拉夫罗夫说，俄方愿意继续与乌克兰交换战俘，但交换的时间表仍在讨论之中。
"""
EN_REPORT = """Lavrov says Moscow will free prisoners of war

August 15, 2025

MOSCOW — Russian Foreign Minister Sergei Lavrov said on Friday that Russia would release 840 Ukrainian prisoners of war next week under an exchange brokered by the United Arab Emirates.

Lavrov also criticised European governments for what he called their obstruction of the talks.

Separately, Kremlin spokesman Dmitry Peskov said Russia was still studying the American proposals on a ceasefire.
"""


def test_the_shipped_weights_load_and_score():
    model = judge.load()
    assert model is not None, "bot/answering/judge.json is missing"
    data = json.loads(judge.WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == judge.FEATURES
    assert model.weights.shape == model.mean.shape == model.scale.shape == (len(judge.FEATURES),)
    assert 0.0 <= model.floor < 1.0
    p = model.probabilities(np.vstack([model.mean, model.mean + model.scale]))
    assert np.all((p > 0) & (p < 1))


def test_weights_for_other_features_are_refused():
    data = json.loads(judge.WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][::-1]
    with pytest.raises(ValueError):
        judge.Judge.from_json(data)


def test_the_fit_learns_which_feature_answers():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 3))
    y = (x[:, 1] + 0.1 * rng.normal(size=600) > 0.5).astype(float)
    mean, scale, weights, bias = judge.fit_logistic(x, y, l2=0.1)
    assert abs(weights[1]) > 5 * max(abs(weights[0]), abs(weights[2]))
    model = judge.Judge(mean, scale, weights, bias, floor=0.0)
    assert ((model.probabilities(x) > 0.5) == (y > 0)).mean() > 0.95


@pytest.mark.parametrize("text, aliases, expected", [
    ("俄方在前线的兵力比一年前增加了约十万人。", ["100,000"], True),  # Chinese numerals against digits
    ("Talks lasted 12 hours.", ["12小时"], True),  # and back
    ("會談持續了兩個半小時。", ["two and a half hours"], True),  # Traditional script, a spelled-out duration
    ("The EU froze 210 billion euros.", ["SWIFT"], False),
    ("俄方要求恢复俄罗斯农业银行与SWIFT的连接。", ["農業銀行"], True),  # scripts folded
    ("Russia holds 20% of Ukraine.", ["30%"], False),
])
def test_labels_read_facts_across_scripts_and_number_forms(text, aliases, expected):
    assert train_judge.states_fact(text, aliases) is expected


@pytest.fixture(scope="module")
def cross_language(seeded_template, tmp_path_factory):
    """The seeds plus one Chinese and one English report written for these tests."""
    import shutil

    from tests.conftest import build_services, make_settings

    folder = tmp_path_factory.mktemp("judge")
    path = folder / "seeded.db"
    shutil.copyfile(seeded_template, path)
    services = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    docs = folder / "docs"
    docs.mkdir()
    (docs / "a_peskov_conditions_zh_hans.txt").write_text(ZH_REPORT, encoding="utf-8")
    (docs / "b_lavrov_prisoners.txt").write_text(EN_REPORT, encoding="utf-8")
    list(Ingestor(services).ingest_paths(expand_inputs([str(docs)])))
    yield services.answerer
    services.engine.dispose()


def test_an_english_question_is_answered_from_a_chinese_report(cross_language):
    question = "How many conditions did Peskov say Russia handed to the American side?"
    reply = cross_language.ask(question)
    assert not reply.abstained, reply.text
    assert "十二项条件" in reply.citations[0].quote, reply.text
    ranked = cross_language._candidates(parse_question(question, cross_language.profile))
    assert ranked[0].judge is not None and "十二项条件" in ranked[0].passage.text


def test_a_chinese_question_is_answered_from_an_english_report(cross_language):
    question = "拉夫罗夫说俄罗斯下周将释放多少名乌克兰战俘?"
    reply = cross_language.ask(question)
    assert not reply.abstained, reply.text
    assert "840" in reply.text.split("\n")[0] + reply.citations[0].quote, reply.text
    ranked = cross_language._candidates(parse_question(question, cross_language.profile))
    assert "840" in ranked[0].passage.text


def test_the_training_script_runs_on_a_tiny_part(tmp_path):
    part = tmp_path / "part"
    (part / "docs").mkdir(parents=True)
    (part / "docs" / "a_peskov_conditions_zh_hans.txt").write_text(ZH_REPORT, encoding="utf-8")
    (part / "docs" / "b_lavrov_prisoners.txt").write_text(EN_REPORT, encoding="utf-8")
    questions = [
        {"id": "x1-en", "question": "How many conditions did Peskov say Russia handed to the American side?",
         "expect": [["12", "十二项"]], "sources": ["a_peskov_conditions_zh_hans.txt"], "abstain": False},
        {"id": "x1-hans", "question": "佩斯科夫说俄方向美方递交了多少项条件?",
         "expect": [["12", "十二项"]], "sources": ["a_peskov_conditions_zh_hans.txt"], "abstain": False},
        {"id": "x2", "question": "How many prisoners will Russia release next week, according to Lavrov?",
         "expect": [["840"]], "sources": ["b_lavrov_prisoners.txt"], "abstain": False},
        {"id": "x3", "question": "拉夫罗夫说俄罗斯下周将释放多少名乌克兰战俘?",
         "expect": [["840"]], "sources": ["b_lavrov_prisoners.txt"], "abstain": False},
    ]
    (part / "questions.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions),
                                          encoding="utf-8")
    out = tmp_path / "judge.json"
    assert train_judge.main([str(part), "--folds", "2", "--l2", "10", "--out", str(out)]) == 0
    model = judge.Judge.from_json(json.loads(out.read_text(encoding="utf-8")))
    assert np.all(np.isfinite(model.weights)) and 0.0 <= model.floor < 1.0


TUNE = REPO / "tests" / "data" / "devset" / "tune"


@pytest.mark.slow
@pytest.mark.skipif(not (TUNE / "questions.jsonl").is_file(), reason="the tune corpus is not in this checkout")
def test_the_judge_finds_answers_only_another_language_states(tmp_path):
    """Questions of the tune corpus whose every answering sentence is in the other language (t144: an English question,
    its figure 约十万人 only in a Traditional Chinese report): the judge ranks an answering sentence first more often than
    the hand-tuned score does. (In-sample: a guard that the judge is wired and sound, not a measure; the measure is
    the grouped CV of scripts/train_judge.py.)"""
    services, answerer = train_judge.build_answerer([TUNE], tmp_path / "tune.db")
    try:
        found = train_judge.examples(answerer, train_judge.load_questions(TUNE))
        model = judge.load()
        assert model is not None
        cross = [e for e in found if e.y.any() and e.cross[e.y > 0].all()]
        hand_col = judge.FEATURES.index("score_rank")
        hand = sum(int(e.y[int(np.argmax(e.x[:, hand_col]))] > 0) for e in cross)
        judged = sum(int(e.y[int(np.argmax(model.probabilities(e.x)))] > 0) for e in cross)
        assert len(cross) >= 20
        assert judged >= hand + 5, (judged, hand, len(cross))
        t144 = next(q for q in train_judge.load_questions(TUNE) if q["id"] == "t144")
        ranked = answerer._candidates(parse_question(t144["question"], answerer.profile))
        assert any("十萬" in c.passage.text for c in ranked[:3])
        assert "十萬" in answerer.ask(t144["question"]).text
    finally:
        services.engine.dispose()
