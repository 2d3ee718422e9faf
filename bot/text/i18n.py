"""Localized message templates (en, zh-Hans, zh-Hant), read from the YAML files in bot/text/locales/."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "zh-Hans", "zh-Hant")
_FOLDER = Path(__file__).resolve().parent / "locales"
_ALIASES = {
    "en": "en", "zh": "zh-Hans", "zh-hans": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
    "zh-hant": "zh-Hant", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
}


def normalize_language(code: str | None) -> str | None:
    """Map a platform locale ("zh-TW", "zh-hans", "en-US") to one of LANGUAGES, or None."""
    if not code:
        return None
    code = code.strip().replace("_", "-").lower()
    if code in _ALIASES:
        return _ALIASES[code]
    return "en" if code.startswith("en") else None


@lru_cache(maxsize=1)
def _catalog() -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = {}
    for path in sorted(_FOLDER.glob("*.yaml")):
        for key, texts in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in catalog:
                raise ValueError(f"{path.name}: message key {key!r} is defined twice")
            catalog[key] = texts
    return catalog


def t(key: str, language: str | None = "en", **values: object) -> str:
    """The message ``key`` in ``language`` (falling back to English), formatted with ``values``."""
    texts = _catalog().get(key)
    if texts is None:
        raise KeyError(f"no message {key!r} in bot/text/locales/*.yaml")
    template = texts.get(language or "en") or texts["en"]
    return template.format(**values) if values else template


def labels(language: str | None) -> dict[str, str]:
    """The chrome words adapters need to render a Reply."""
    return {name: t(f"label.{name}", language) for name in ("sources", "as_of", "undated", "more", "title_only",
                                                         "unknown_source", "as_of_arrived")}
