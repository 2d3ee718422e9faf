"""Figures for answering: a question in one language matched with a figure written in another, and rendered back."""
from __future__ import annotations

import pytest

from bot.answering.figures import asked_units, extract_figures, fit, matching, render_figure, same_figures, states

# (an English question, a Chinese question, a Chinese sentence, an English sentence, the figure for an English reader,
#  the figure for a Chinese reader): each Chinese form of issue 14
CASES = [
    ("How many Russian troops are deployed in Ukraine?", "俄军在乌克兰部署了多少兵力?",
     "俄羅斯目前在烏克蘭境內部署了約60萬人的兵力。", "Russia has about 600,000 troops in Ukraine.",
     "about 600,000", "约60万"),
    ("How many bodies did Russia hand over?", "俄方移交了多少具遗体?",
     "俄方已向烏克蘭移交了6000具烏軍陣亡士兵的遺體。", "Russia handed over 6,000 bodies.", "6,000", "6000具"),
    ("How long did the meeting last?", "会见持续了多长时间?",
     "俄罗斯总统普京会见了美国总统特使维特科夫，会谈持续了两个半小时。", "The meeting lasted two and a half hours.",
     "2.5 hours", "2.5小时"),
    ("What share of respondents would accept a temporary occupation?", "多少比例的受访者愿意接受领土暂时被占领?",
     "约三分之一的受访者表示愿意接受部分领土暂时被占领。", "About a third of respondents would accept it.",
     "one third", "三分之一"),
    ("What share of Ukrainians support an election during the war?", "多少比例的乌克兰人支持战时举行大选?",
     "只有百分之二十的受访者支持在战争期间举行总统选举。", "Only 20 percent of respondents back a wartime election.",
     "20%", "20%"),
    ("How long did the third round of talks last?", "第三轮谈判持续了多久?",
     "俄乌两国代表团在伊斯坦布尔举行第三轮直接谈判，会谈持续约一小时。", "The third round lasted about an hour.",
     "about one hour", "约一小时"),
    ("How many prisoners did they agree to exchange?", "双方同意交换多少名战俘?",
     "双方同意再交换逾1200名战俘。", "They agreed to swap more than 1,200 prisoners.", "more than 1,200", "超过1200"),
    ("How many drones did Russia launch?", "俄军发射了多少架无人机?",
     "俄军向乌克兰发射了近百架无人机和数枚导弹。", "Russia launched nearly 100 drones.", "nearly 100", "近100"),
    ("How much money is in the second tranche?", "第二笔收益有多少资金?",
     "歐盟將向烏克蘭撥付第二筆收益，金額約21億歐元。", "The tranche is worth about 2.1 billion euros.",
     "2.1 billion", "21亿"),
]


@pytest.mark.parametrize("english, chinese, zh_sentence, en_sentence, en_figure, zh_figure", CASES)
def test_each_chinese_figure_form_answers_an_english_question_and_back(english, chinese, zh_sentence, en_sentence,
                                                                      en_figure, zh_figure):
    assert fit(english, zh_sentence) == 1.0  # the question's kind of figure is in the Chinese sentence
    assert fit(chinese, en_sentence) == 1.0  # and in the English one for the Chinese question
    zh_figures, en_figures = matching(english, zh_sentence), matching(chinese, en_sentence)
    assert zh_figures and en_figures
    assert states(en_sentence, zh_figures[0]) and states(zh_sentence, en_figures[0])  # one value in both scripts
    assert en_figure in render_figure(zh_figures[0], "en")  # shown in the question's language
    assert zh_figure in render_figure(en_figures[0], "zh-Hans")


def test_a_figure_of_another_kind_does_not_answer():
    assert fit("How long did the talks last?", "双方同意再交换逾1200名战俘。") == 0.25
    assert fit("多少比例的乌克兰人支持选举?", "The talks lasted about 12 hours.") == 0.25
    assert fit("How long did the talks last?", "克里姆林宫发言人佩斯科夫表示不应期待突破。") == 0.0
    assert matching("How many drones did Russia launch?", "会谈持续约12小时，俄军发射了近百架无人机。")[0].value == 100


def test_questions_name_the_kind_of_figure_in_any_script():
    assert {"hour", "minute"} <= asked_units("美俄代表團在利雅德的會談持續了多久？")
    assert asked_units("乌克兰将把新项目特许权使用费的多大比例注入重建投资基金?") == {"percent"}
    assert "eur" in asked_units("歐盟境內凍結了多少俄羅斯央行資產？")
    assert "troops" in asked_units("How many bodies did Russia hand over?")  # counts of people answer each other
    assert asked_units("能源停火期满后的第一个夜晚,俄军发射了多少架无人机?") == {"drones"}
    assert asked_units("Who leads the Russian delegation?") == frozenset()


def test_same_figures_across_languages_and_different_figures():
    assert same_figures("俄軍在烏境內部署約60萬人", "Russia has about 600,000 troops in Ukraine")
    assert not same_figures("俄方移交了6000具遗体", "Ukraine received 6,057 bodies")
    assert not same_figures("会谈持续约一小时", "the talks lasted about 40 minutes")


def test_dates_small_counts_and_vague_multiples_are_not_figures():
    assert extract_figures("2025年3月19日，两名官员在2025年说") == ()
    assert [f.value for f in extract_figures("broken it dozens of times, more than 80 times")] == [80]
    assert extract_figures("数十名士兵") == ()
    assert [f.unit for f in extract_figures("In 2022, more than 110,000 square kilometres")] == ["square_km"]
