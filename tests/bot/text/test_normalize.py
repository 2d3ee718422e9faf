"""Tests for bot.text.normalize: folding, tokens, CJK detection and teaching jieba new words."""
from bot.text import normalize as textnorm
from bot.text.normalize import add_words, fold, fold_with_offsets, is_cjk, language_of, tokenize


def test_fold_unifies_scripts_width_and_case():
    assert fold("澤倫斯基 與 克里姆林宮") == fold("泽伦斯基 与 克里姆林宫") == "泽伦斯基 与 克里姆林宫"
    assert fold("ＮＡＴＯ Putin’s") == "nato putin's"


def test_fold_with_offsets_points_back_into_the_original():
    original = "ﬁnal: 澤倫斯基"  # the ligature folds to two characters
    folded, origin = fold_with_offsets(original)
    assert folded == "final: 泽伦斯基"
    assert len(origin) == len(folded)
    start = folded.index("泽")
    assert original[origin[start]] == "澤"
    assert origin[:2] == [0, 0]


def test_tokenize_keeps_numbers_whole():
    tokens = tokenize("Russia holds 18% of Ukraine, some 110,000 square km, and agreed a 30-day pause.")
    assert {"18%", "110,000", "30"} <= set(tokens)


def test_tokenize_stems_inflections_so_they_meet():
    assert tokenize("sanctions")[0] == tokenize("sanction")[0]
    assert tokenize("Putin's")[0] == tokenize("Putin")[0] == tokenize("Putin’s")[0]
    assert tokenize("freezing")[0] == tokenize("freeze")[0]
    assert tokenize("agreed")[0] == tokenize("agree")[0]
    assert tokenize("talks") == ["talk"]


def test_tokenize_drops_stopwords_but_keeps_negation():
    tokens = tokenize("It is not the end of the talks")
    assert "not" in tokens
    assert not {"it", "is", "the", "of"} & set(tokens)
    assert "的" not in tokenize("俄罗斯的立场")


def test_a_word_whose_stem_spells_a_stopword_is_still_searchable():
    assert tokenize("Putin is willing to withdraw") == ["putin", "will", "withdraw"]  # "willing" -> "will", kept
    assert tokenize("he will") == []  # the stopword itself is still dropped


def test_tokenize_cuts_chinese_and_folds_traditional():
    simplified = tokenize("俄罗斯要求乌克兰保持中立")
    traditional = tokenize("俄羅斯要求烏克蘭保持中立")
    assert simplified == traditional
    assert {"俄罗斯", "要求", "乌克兰", "中立"} <= set(simplified)


def test_tokenize_mixed_text_and_dotted_acronyms():
    tokens = tokenize("The U.S. and 普京 discussed Odesa")
    assert "us" in tokens and "普京" in tokens and "odesa" in tokens


def test_add_words_keeps_a_new_name_in_one_token():
    name = "魏勃朗瑟"  # a made-up transliteration jieba cannot know
    assert name not in tokenize(f"{name}表示反对")
    add_words([name, "Not Chinese", "x"])
    assert name in tokenize(f"{name}表示反对")
    assert textnorm.fold("魏勃朗瑟") in tokenize("魏勃朗瑟")


def test_add_words_accepts_traditional_forms():
    add_words(["顧爾濟瑪特"])  # folded before jieba sees it
    assert "顾尔济玛特" in tokenize("顧爾濟瑪特說")


def test_is_cjk_and_language_of():
    assert is_cjk("普京在与特朗普通话后同意了什么?")
    assert is_cjk("普京对 NATO 的立场?")
    assert not is_cjk("What did 普京 say about Odesa?")
    assert not is_cjk("1234")
    assert language_of("俄羅斯對克里米亞的立場是什麼?") == "zh-Hant"
    assert language_of("普京在与特朗普通话后同意了什么?") == "zh-Hans"
    assert language_of("What is Russia's position?") == "en"
    assert language_of("?!", default="zh-Hans") == "zh-Hans"
