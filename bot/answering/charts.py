"""Pictures of the ledger: the issue x party gap matrix and stances over time, as PNG bytes drawn with matplotlib.

Drawn off-screen (the Agg backend). Chinese labels need a CJK font; when none is installed the picture
falls back to the English labels rather than drawing empty boxes.
"""
from __future__ import annotations

import functools
import io
import logging
from datetime import date

log = logging.getLogger(__name__)

# One colour per stance, from hard (rejects) to open (accepts); silent cells stay light grey.
COLOURS = {"rejects": "#c0392b", "demands": "#e67e22", "conditions": "#f1c40f", "offers": "#7fb3d5",
           "accepts": "#27ae60", "denies": "#8e44ad"}
SILENT = "#eeeeee"
CJK_FAMILIES = ("Noto Sans CJK", "Noto Sans SC", "Noto Sans TC", "Source Han Sans", "WenQuanYi", "SimHei",
                "Microsoft YaHei", "PingFang", "Heiti", "AR PL", "Droid Sans Fallback")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, if any."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(font.name.startswith(family) for family in CJK_FAMILIES):
            return font.name
    return None


def usable_language(language: str) -> str:
    """``language`` when its labels can be drawn, else English."""
    return language if not language.startswith("zh") or cjk_font() else "en"


def matrix_png(data: dict, labels: dict, language: str) -> bytes:
    """The gap matrix: issues as rows, parties as columns, each cell the latest stance and its date, "silent" where none."""
    plt = _pyplot()
    issues, parties = data["issues"], data["parties"]
    width = min(2.0 + 1.6 * len(parties), 22)
    height = min(1.2 + 0.55 * len(issues), 30)
    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    font = {"family": cjk_font()} if language.startswith("zh") and cjk_font() else {}
    for row, issue in enumerate(issues):
        for col, party in enumerate(parties):
            cell = data["cells"].get(f"{issue}|{party}")
            colour = COLOURS.get(cell["stance"], SILENT) if cell else SILENT
            ax.add_patch(plt.Rectangle((col, row), 1, 1, facecolor=colour, edgecolor="white", linewidth=2))
            if cell:
                when = cell["published"] or "undated"
                text = f"{labels['stances'].get(cell['stance'], cell['stance'])}\n{when}"
            else:
                text = labels["silent"]
            ax.text(col + 0.5, row + 0.5, text, ha="center", va="center", fontsize=7, color="#222222" if cell else "#888888",
                    **font)
    ax.set_xlim(0, len(parties))
    ax.set_ylim(len(issues), 0)
    ax.set_xticks([c + 0.5 for c in range(len(parties))])
    ax.set_xticklabels([labels["parties"][p] for p in parties], rotation=30, ha="right", fontsize=8, **font)
    ax.set_yticks([r + 0.5 for r in range(len(issues))])
    ax.set_yticklabels([labels["issues"][i] for i in issues], fontsize=8, **font)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    return _png(plt, fig)


def timeline_png(series: list[tuple[date, bool, str, str]], stance_labels: dict[str, str], title: str, language: str) -> bytes:
    """Stances over time: one lane per party (or issue), a dot per report coloured by stance; hollow dots are undated
    reports placed at the day they arrived."""
    plt = _pyplot()
    lanes = list(dict.fromkeys(lane for _, _, lane, _ in series))
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.5 * len(lanes)), dpi=110)
    font = {"family": cjk_font()} if language.startswith("zh") and cjk_font() else {}
    for day, undated, lane, stance in series:
        y = lanes.index(lane)
        colour = COLOURS.get(stance, "#555555")
        ax.scatter([day], [y], s=90, facecolors="none" if undated else colour, edgecolors=colour, linewidths=2, zorder=3)
    for stance, colour in COLOURS.items():
        if any(s == stance for *_, s in series):
            ax.scatter([], [], s=60, color=colour, label=stance_labels.get(stance, stance))
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels(lanes, fontsize=8, **font)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.grid(axis="x", color="#dddddd")
    ax.set_title(title, fontsize=10, **font)
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if font:
        for text in legend.get_texts():
            text.set_fontfamily(font["family"])
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(plt, fig)


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
