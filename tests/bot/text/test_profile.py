"""Tests for bot.text.profile: the bundled profile, alias matching in every script, and a profile for another conflict."""
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.errors import ParleyError
from bot.text.profile import DEFAULT_PROFILE, Profile, ProfileError

DATA = Path(__file__).resolve().parents[2] / "data" / "profiles"
BOT = Path(__file__).resolve().parents[3] / "bot"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return Profile.load()


@pytest.fixture(scope="module")
def caucasus() -> Profile:
    return Profile.load(DATA / "caucasus.yaml")


def keys(profile: Profile, text: str) -> list[str]:
    return [m.key for m in profile.find(text)]


def test_default_profile_names_the_parties_and_their_people(profile):
    for party in ("russia", "ukraine", "united_states", "european_union", "united_kingdom", "france", "germany",
                  "nato", "china", "united_nations", "turkey", "saudi_arabia"):
        assert party in profile.parties
    for actor, party in (("putin", "russia"), ("peskov", "russia"), ("kremlin", "russia"), ("moscow", "russia"),
                         ("zelensky", "ukraine"), ("kyiv", "ukraine"), ("witkoff", "united_states"), ("rubio", "united_states")):
        assert profile.party_of(actor) == party
    assert profile.party_of("russia") == "russia"
    assert profile.party_of("territory") is None
    assert profile.party_of("no_such_key") is None


def test_places_belong_to_issues(profile):
    for place in ("donetsk", "luhansk", "zaporizhzhia", "kherson", "crimea", "odesa", "kursk"):
        assert profile.places[place].issue == "territory"
        assert profile.issue_of(place) == "territory"
    assert profile.issue_of("jeddah") == "talks"
    assert profile.issue_of("ceasefire") == "ceasefire"


def test_find_matches_every_script_and_transliteration(profile):
    assert keys(profile, "澤倫斯基和泽连斯基、泽伦斯基与Zelenskyy、Zelensky") == ["zelensky"] * 5
    assert keys(profile, "普京、普丁和Putin") == ["putin"] * 3
    assert keys(profile, "特朗普、川普與Trump") == ["trump"] * 3
    assert keys(profile, "克里姆林宫 克里姆林宮 the Kremlin") == ["kremlin"] * 3
    assert keys(profile, "Odesa, Odessa, 敖德萨, 敖德薩") == ["odesa"] * 4


def test_find_reports_offsets_into_the_original_text(profile):
    text = "ﬁrst, 俄羅斯總統普丁 met Witkoff’s team"
    mentions = profile.find(text)
    assert [(m.key, text[m.start:m.end]) for m in mentions] == [
        ("putin", "俄羅斯總統"), ("putin", "普丁"), ("witkoff", "Witkoff")]
    assert all(m.surface == text[m.start:m.end] for m in mentions)


def test_find_prefers_the_longest_alias(profile):
    mentions = profile.find("Quote from Putin’s press secretary Dmitry Peskov")
    assert [(m.key, m.surface) for m in mentions] == [
        ("peskov", "Putin’s press secretary"), ("peskov", "Dmitry Peskov")]
    assert keys(profile, "Ukraine's aspirations to join NATO") == ["ukraine", "nato_membership"]


def test_find_respects_english_word_boundaries_and_acronym_case(profile):
    assert keys(profile, "Prussian rules; the ceasefire") == ["ceasefire"]
    assert keys(profile, "tell us about the UN and the US") == ["united_nations", "united_states"]
    assert keys(profile, "Russians and sanctions") == ["russia", "sanctions"]


def test_find_takes_stems_and_ignores_lookalikes(profile):
    assert keys(profile, "recognizing the annexations") == ["territory", "territory"]
    assert keys(profile, "美元和乌拉圭") == []
    assert keys(profile, "美俄会谈") == ["united_states", "russia", "talks"]


def test_expand_gives_aliases_in_all_scripts(profile):
    odesa = profile.expand("odesa")
    assert {"Odesa", "Odessa", "敖德萨", "敖德薩"} <= set(odesa)
    zelensky = profile.expand("zelensky")
    assert {"Zelenskyy", "泽连斯基", "澤倫斯基", "泽伦斯基"} <= set(zelensky)


def test_display_by_language_with_fallbacks(profile):
    assert profile.display("putin", "zh-Hant") == "普丁"
    assert profile.display("putin", "zh-Hans") == "普京"
    assert profile.display("putin", "en") == "Vladimir Putin"
    assert profile.display("crimea", "zh-TW") == "克里米亞"
    assert profile.display("crimea", "fr") == "Crimea"
    with pytest.raises(KeyError, match="no entity"):
        profile.display("atlantis", "en")


def test_events_are_dated_and_found_in_text(profile):
    assert (date(2024, 11, 5) in {day for day, _ in profile.events})
    assert profile.events == sorted(profile.events, key=lambda event: event[0])
    text = "Donald Trump, who won the US presidential election on November 5, has repeatedly emphasized..."
    assert date(2024, 11, 5) in profile.event_dates(text)
    assert profile.event_dates("nothing dated here") == []


def test_entity_keys_are_unique_across_kinds(profile):
    all_keys = [e.key for e in profile.entities()]
    assert len(all_keys) == len(set(all_keys))
    assert sum(len(d) for d in (profile.parties, profile.actors, profile.issues, profile.places, profile.outlets)) == len(all_keys)


def test_another_conflict_profile_finds_its_own_world(caucasus):
    assert caucasus.name.startswith("Armenia")
    text = "Azerbaijani President Ilham Aliyev demanded that Armenia change its constitution, 帕希尼揚说纳卡问题已经解决"
    assert keys(caucasus, text) == ["aliyev", "aliyev", "armenia", "constitution", "pashinyan", "karabakh"]
    assert caucasus.party_of("aliyev") == "azerbaijan"
    assert caucasus.issue_of("syunik") == "corridor"
    assert "russia" not in caucasus.parties
    assert keys(caucasus, "Putin and Zelensky met in Istanbul") == []


def test_default_profile_knows_nothing_of_the_other_conflict(profile):
    assert keys(profile, "Pashinyan and Aliyev met over the Zangezur corridor") == []


def test_default_path_is_bundled_inside_the_package():
    assert DEFAULT_PROFILE.is_relative_to(BOT)
    assert Profile.load(None).name == Profile.load(DEFAULT_PROFILE).name


@pytest.mark.parametrize("content, problem", [
    ("name: [unclosed", "not valid YAML"),
    ("- just a list", "mapping"),
    ("parties: {}\n", "'name'"),
    ("name: X\nparties: {}\n", "at least one party"),
    ("name: X\nparties: {a: {names: {fr: A}}}\n", "include 'en'"),
    ("name: X\nparties: {a: {names: {en: A}}}\nactors: {b: {names: {en: B}, party: nobody}}\n", "unknown party 'nobody'"),
    ("name: X\nparties: {a: {names: {en: A}}}\nplaces: {p: {names: {en: P}}}\n", "needs an 'issue'"),
    ("name: X\nparties: {a: {names: {en: A}}}\nissues: {a: {names: {en: A}}}\n", "used twice"),
    ("name: X\nparties: {a: {names: {en: A}, aliases: Alpha}}\n", "list of strings"),
    ("name: X\nparties: {A B: {names: {en: A}}}\n", "lowercase"),
    ("name: X\nparty: {}\n", "unknown section"),
    ("name: X\nparties: {a: {names: {en: A}}}\nevents: [{date: soon, labels: [x]}]\n", "YYYY-MM-DD"),
])
def test_malformed_profiles_are_refused_with_file_and_problem(tmp_path, content, problem):
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        Profile.load(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    assert isinstance(caught.value, ParleyError) and isinstance(caught.value, ValueError)


def test_missing_profile_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        Profile.load(tmp_path / "absent.yaml")


def test_code_names_no_party_of_the_default_profile():
    """The conflict lives in the YAML: the modules and generic cue lists must not name its parties or people."""
    data = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    names = {name for section in ("parties", "actors", "places") for entry in data[section].values()
             for name in entry["names"].values()}
    names |= {alias for section in ("actors", "places") for entry in data[section].values()
              for alias in entry.get("aliases", []) if len(alias) > 3}
    generic = [BOT / "text" / "profile.py", BOT / "text" / "normalize.py", BOT / "ingestion" / "ledger.py", BOT / "text" / "attribution.py",
               BOT / "ingestion" / "ledger_sentence.py", BOT / "ingestion" / "ledger_conditions.py", BOT / "text" / "data" / "stances.yaml"]
    for path in generic:
        source = path.read_text(encoding="utf-8")
        found = [name for name in names if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", source)]
        assert not found, f"{path.name} names {found}"


def test_a_longer_alias_starting_inside_a_match_wins(profile):
    assert keys(profile, "What did the Kremlin spokesman say?") == ["peskov"]
    assert keys(profile, "a 30-day pause on attacks against energy infrastructure") == ["energy_ceasefire"]
