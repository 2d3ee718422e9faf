"""Shared text normalisation for matching and BM25: folding, tokens, CJK tests, jieba's vocabulary."""
from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable

import jieba
import opencc

log = logging.getLogger(__name__)

# jieba announces its dictionary build on its own logger at DEBUG; keep it quiet.
jieba.setLogLevel(logging.INFO)

# CJK ideographs (basic, extension A, compatibility) and the iteration mark 〇.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007"
_CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
# Numbers keep their thousands separators, decimals and a trailing percent: "110,000", "18%", "3.5".
_NUMBER = r"\d+(?:[.,]\d+)*%?"
_WORD = r"[^\W\d_]+(?:['’][^\W\d_]+)*"
# Dotted acronyms ("u.s.", "u.k.") become one word before the dots split them.
_ACRONYM = r"(?:[^\W\d_]\.){2,}"
_LATIN_TOKEN = re.compile(f"{_ACRONYM}|{_NUMBER}|{_WORD}")

# "Doe’s" and "Doe's" must meet; the replacement keeps lengths, so offsets stay valid.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

ENGLISH_STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself
of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves
s t d ll m re ve o y said says say
""".split())
# Negations ("not", "no", 不, 没有) are kept on purpose: they carry a position's meaning.
CHINESE_STOPWORDS = frozenset("""
的 了 和 与 及 或 在 是 也 都 而 就 将 把 被 对 为 以 于 之 其 这 那 这些 那些 这个 那个 一个 一些 该 此 并 但
着 过 呢 吗 吧 啊 么 什么 如何 怎么 怎样 哪些 哪个 哪里 谁 多少 是否 已经 还 又 再 很 更 最 曾 等 等等
他 她 它 他们 她们 它们 我 我们 你 你们 自己 说 表示 称 据 从 向 到 给 让 由 所 中 上 下 里 后 前 时
""".split())


@functools.lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    """One OpenCC converter per config; they are pure, so sharing them is safe."""
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC 't2s'); other scripts pass through unchanged."""
    return _converter("t2s").convert(text) if _CJK.search(text) else text


def to_traditional(text: str) -> str:
    """Simplified -> Traditional Chinese (OpenCC 's2t'); other scripts pass through unchanged."""
    return _converter("s2t").convert(text) if _CJK.search(text) else text


def fold(text: str) -> str:
    """NFKC, lowercase, Traditional -> Simplified, curly apostrophes straightened. For matching only, never for display or quotes."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and map each folded character back to its index in ``text``.

    NFKC and lowercasing can change a string's length ("ﬁ" -> "fi"), so the
    folding is done character by character to keep offsets into the original.
    """
    pieces = [_fold_char(ch) for ch in text]
    folded = "".join(pieces)
    origin = [i for i, piece in enumerate(pieces) for _ in piece]
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):
        # OpenCC's phrase tables rarely change lengths; fall back to one character at a time.
        simplified = "".join(to_simplified(ch)[:1] or ch for ch in folded)
    return simplified, origin


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower().translate(_APOSTROPHES)


def is_cjk(text: str) -> bool:
    """True when the text is mostly Chinese: ideographs are at least a third of its letters."""
    ideographs = len(_CJK.findall(text))
    if not ideographs:
        return False
    letters = sum(1 for ch in text if ch.isalpha())
    return ideographs * 3 >= letters


def chinese_script(text: str) -> str | None:
    """``"zh-Hant"`` if the Chinese in ``text`` uses Traditional forms, ``"zh-Hans"`` if not, None without Chinese."""
    han = "".join(_CJK.findall(text))
    if not han:
        return None
    return "zh-Hant" if to_simplified(han) != han else "zh-Hans"


def language_of(text: str, default: str = "en") -> str:
    """The language tag of a question or passage: ``"en"``, ``"zh-Hans"`` or ``"zh-Hant"``."""
    if is_cjk(text):
        return chinese_script(text) or default
    if any(ch.isalpha() for ch in text):
        return "en"
    return default


def stem(word: str) -> str:
    """Light English stemming: possessives, plurals, -ing, -ed and a final -e, so inflections meet."""
    word = re.sub(r"['’]s?$", "", word)
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith(("ing", "ed")) and len(word) - (3 if word.endswith("ing") else 2) >= 3:
        word = word[: -3] if word.endswith("ing") else word[:-2]
        # "stopped" -> "stopp" -> "stop": undo the consonant the suffix doubled.
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Folded tokens for BM25 and matching: stemmed English words, numbers, jieba's Chinese words; no stopwords."""
    folded = fold(text)
    tokens: list[str] = []
    position = 0
    for run in _CJK_RUN.finditer(folded):
        tokens += _latin_tokens(folded[position:run.start()])
        tokens += _chinese_tokens(run.group())
        position = run.end()
    tokens += _latin_tokens(folded[position:])
    return tokens


def _latin_tokens(segment: str) -> list[str]:
    tokens = []
    for match in _LATIN_TOKEN.finditer(segment):
        token = match.group()
        if token[0].isdigit():
            tokens.append(token)
            continue
        if token.endswith("."):
            token = token.replace(".", "")
        if token in ENGLISH_STOPWORDS:
            continue
        stemmed = stem(token)
        if stemmed:  # a stem may spell a stopword ("willing" -> "will"): the word itself was not one
            tokens.append(stemmed)
    return tokens


def _chinese_tokens(run: str) -> list[str]:
    if _pending_words:
        _teach_pending_words()
    return [w for w in jieba.cut_for_search(run) if w.strip() and w not in CHINESE_STOPWORDS]


def add_words(words: Iterable[str]) -> None:
    """Teach jieba multi-character Chinese words (profile aliases) so they stay one token.

    Words are folded first, because ``tokenize`` cuts folded (Simplified) text. They reach
    jieba on the next Chinese cut, so loading a profile does not pay for jieba's dictionary.
    """
    for word in words:
        folded = fold(word).strip()
        if len(folded) > 1 and _CJK_RUN.fullmatch(folded):
            _pending_words.add(folded)


_pending_words: set[str] = set()


def _teach_pending_words() -> None:
    while _pending_words:
        word = _pending_words.pop()
        # suggest_freq gives the weight that keeps the word whole against jieba's own splits.
        jieba.add_word(word, freq=max(jieba.suggest_freq(word, tune=False), 1000))
