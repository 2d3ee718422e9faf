"""The verbs of each stance, one list for the answer engine: ``stance_verbs`` in data/stances.yaml.

The same file holds the ledger's stance grammar (``stances``: patterns with their context, bot/text/attribution.py);
this part is the plain vocabulary: which stance a source sentence's verbs state, which stance a question asks
about, and the words a question's stance verb is searched as.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import yaml

from bot.text import normalize as textnorm
from bot.text.attribution import LEXICON_FILE


@dataclass(frozen=True)
class StanceVerbs:
    in_sources: dict[str, re.Pattern]  # stance -> the verbs that state it in a source sentence (as written)
    in_questions: dict[str, re.Pattern]  # stance -> the verbs that ask about it, in order (matched on folded text)
    words: dict[str, frozenset[str]]  # stance -> the folded, stemmed token of each one-word verb (a question's stance)
    source_words: dict[str, frozenset[str]]  # ... of each one-word verb a source states it with (what a stance is searched as)
    all_words: frozenset[str]  # every stance's ``words``: the tokens that are a stance verb, not a topic

    def asked(self, folded_question: str) -> str | None:
        """The first stance whose verbs a (folded) question uses."""
        return next((stance for stance, pattern in self.in_questions.items() if pattern.search(folded_question)), None)

    def stance_of_token(self, token: str) -> str | None:
        return next((stance for stance, tokens in self.words.items() if token in tokens), None)


def _pattern(words: list[str]) -> re.Pattern:
    latin, chinese = [], set()
    for word in words:
        if textnorm.is_cjk(word):
            chinese |= {word, textnorm.to_traditional(word), textnorm.to_simplified(word)}
        else:
            latin.append(r"\s+".join(re.escape(part.rstrip("*")).replace("'", "['’]?") + (r"\w*" if part.endswith("*") else "")
                                      for part in word.split()))
    alternatives = []
    if latin:
        alternatives.append(r"\b(?:" + "|".join(sorted(latin, key=len, reverse=True)) + r")\b")
    if chinese:
        alternatives.append("(?:" + "|".join(sorted(chinese, key=len, reverse=True)) + ")")
    return re.compile("|".join(alternatives) or r"(?!)", re.I)


@functools.lru_cache(maxsize=2)
def load_stance_verbs(path=LEXICON_FILE) -> StanceVerbs:
    """Read the ``stance_verbs`` part of a lexicon file (the bundled one by default)."""
    table = yaml.safe_load(open(path, encoding="utf-8"))["stance_verbs"]
    in_sources, in_questions, words, source_words = {}, {}, {}, {}
    for stance, entry in table.items():
        plain, extra = list(entry.get("words", [])), list(entry.get("questions_only", []))
        unsearched = list(entry.get("unsearched", []))
        if plain:
            in_sources[stance] = _pattern(plain + unsearched)
        in_questions[stance] = _pattern(plain + unsearched + extra)
        # a stance no source verb states ("conditions") is searched as its plain words, glosses included
        words[stance] = _tokens(plain + extra) if plain else frozenset()
        source_words[stance] = _tokens(plain + list(entry.get("searched_too", [])))
    return StanceVerbs(in_sources, in_questions, words, source_words, frozenset().union(*words.values()))


def _tokens(words: list[str]) -> frozenset[str]:
    """The search tokens of the one-word verbs (a phrase is not a search word)."""
    tokenized = (textnorm.tokenize(word.rstrip("*")) for word in words if " " not in word)
    return frozenset(tokens[0] for tokens in tokenized if len(tokens) == 1)


STANCE_VERBS = load_stance_verbs()
