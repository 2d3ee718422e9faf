"""The README's architecture map names every package folder of the tree, and nothing that is not there."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("bot", "adapters", "storage", "bench")  # folders whose every package must be on the map
SKIPPED = {".git", ".venv", ".ci", "build", "__pycache__"}


def architecture_map(readme: str) -> str:
    return readme.split("## Architecture", 1)[1].split("```", 2)[1]


def mapped_paths(block: str) -> set[str]:
    """Paths the map names: each line's first token ending in "/" or ".py", under the nearest less-indented folder."""
    paths, parents = set(), []  # parents: (indent, folder path)
    for line in block.splitlines():
        match = re.match(r"( *)(\S+)", line)
        if not match or not match.group(2).endswith(("/", ".py")):
            continue
        indent, name = len(match.group(1)), match.group(2).rstrip("/")
        parents = [(i, p) for i, p in parents if i < indent]
        path = f"{parents[-1][1]}/{name}" if parents else name
        paths.add(path)
        if match.group(2).endswith("/"):
            parents.append((indent, path))
    return paths


def package_folders() -> set[str]:
    """Top-level folders of the repository, and every folder of code (holding .py files) inside the code folders,
    leaving out the migrations' versions (one file per schema change)."""
    folders = {p.name for p in ROOT.iterdir()
               if p.is_dir() and p.name not in SKIPPED and not p.name.startswith(".") and not p.name.endswith(".egg-info")}
    for top in CODE:
        for folder in (ROOT / top).rglob("*"):
            if folder.is_dir() and any(folder.glob("*.py")) and "__pycache__" not in folder.parts:
                folders.add(str(folder.relative_to(ROOT)))
    return {f for f in folders if not f.endswith("migrations/versions")}


def test_the_map_names_every_package_folder_and_no_missing_one():
    mapped = mapped_paths(architecture_map((ROOT / "README.md").read_text(encoding="utf-8")))
    folders = package_folders()
    assert folders - mapped == set(), "folders missing from the README's architecture map"
    stale = {p for p in mapped if not (ROOT / p).exists()}
    assert stale == set(), "the README's architecture map names paths that do not exist"


def test_the_map_parser_reads_nesting():
    block = "bot/   core\n  text/   words\n  errors.py messages.py   base\nstorage/   tables\n"
    assert mapped_paths(block) == {"bot", "bot/text", "bot/errors.py", "storage"}
