"""The batch report's charts, drawn on matplotlib `Figure`s (never pyplot's global state, so safe
in servers and tests) and returned as PNG bytes. Colours are the demo page's."""

from __future__ import annotations

import io
import textwrap
from collections import Counter

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

LEVELS = ("high", "medium", "low", "error")
COLOURS = {"high": "#b3261e", "medium": "#d99a00", "low": "#8a939e", "error": "#c9ced6"}
INK = "#1b1f24"


def png(fig: Figure) -> bytes:
    """`fig` as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _plain(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def levels(counts: Counter[str], names: dict[str, str], title: str) -> bytes:
    """Rows per risk level, one bar each, the count written at its end."""
    shown = [level for level in LEVELS if counts.get(level) or level != "error"]
    fig, ax = _figure(7.0, 0.5 + 0.45 * len(shown))
    values = [counts.get(level, 0) for level in shown]
    bars = ax.barh([names[level] for level in shown], values, color=[COLOURS[level] for level in shown])
    ax.bar_label(bars, labels=[f"{value:,}" for value in values], padding=3, color=INK)
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.margins(x=0.12)
    _plain(ax)
    return png(fig)


def flags(rows: list[tuple[str, str, int]], title: str, xlabel: str) -> bytes:
    """Red flags by frequency: (label, severity, ads) per bar, most frequent on top."""
    fig, ax = _figure(8.0, 0.6 + 0.38 * max(len(rows), 1))
    labels = [textwrap.shorten(label, 60, placeholder="…") for label, _, _ in rows]
    values = [count for _, _, count in rows]
    bars = ax.barh(labels, values, color=[COLOURS.get(severity, COLOURS["low"]) for _, severity, _ in rows])
    ax.bar_label(bars, labels=[f"{value:,}" for value in values], padding=3, color=INK, fontsize="small")
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.margins(x=0.12)
    _plain(ax)
    return png(fig)


def over_time(table: pd.DataFrame, names: dict[str, str], title: str, share_label: str) -> bytes:
    """Rows per period stacked by level (`table`: one row per period, one column per level),
    with the share at medium or above on a second axis."""
    fig, ax = _figure(8.0, 3.6)
    positions = range(len(table))
    bottom = pd.Series(0, index=table.index)
    for level in ("low", "medium", "high"):
        if level in table.columns:
            ax.bar(
                positions, table[level], bottom=bottom, color=COLOURS[level], label=names[level], width=0.8
            )
            bottom = bottom + table[level]
    risky = table.reindex(columns=["high", "medium"], fill_value=0).sum(axis=1)
    share = ax.twinx()
    share.plot(list(positions), (risky / table.sum(axis=1).clip(lower=1)).to_numpy(), color=INK, marker="o")
    share.set_ylim(0, 1.05)
    share.set_ylabel(share_label)
    step = max(1, len(table) // 12)
    ax.set_xticks(list(positions)[::step], [str(p) for p in table.index][::step], rotation=30, ha="right")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return png(fig)


def by_source(table: pd.DataFrame, names: dict[str, str], title: str, xlabel: str) -> bytes:
    """The share of each level per source (`table`: one row per source, one column per level),
    the row count beside each source's name."""
    fig, ax = _figure(8.0, 0.8 + 0.42 * len(table))
    totals = table.sum(axis=1).clip(lower=1)
    labels = [f"{textwrap.shorten(str(s), 36, placeholder='…')} ({int(n):,})" for s, n in totals.items()]
    left = pd.Series(0.0, index=table.index)
    for level in ("high", "medium", "low"):
        if level in table.columns:
            share = table[level] / totals
            ax.barh(labels, share, left=left, color=COLOURS[level], label=names[level])
            left = left + share
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", fontsize="small", ncols=3, bbox_to_anchor=(1, 1.0), frameon=False)
    _plain(ax)
    return png(fig)


def campaigns(rows: list[tuple[str, int, int, int]], names: dict[str, str], title: str) -> bytes:
    """The largest risky campaigns: (name, ads, high, medium) per bar, stacked by level."""
    fig, ax = _figure(8.0, 0.8 + 0.4 * len(rows))
    labels = [name for name, _, _, _ in rows]
    high = [h for _, _, h, _ in rows]
    medium = [m for _, _, _, m in rows]
    low = [max(size - h - m, 0) for _, size, h, m in rows]
    ax.barh(labels, high, color=COLOURS["high"], label=names["high"])
    ax.barh(labels, medium, left=high, color=COLOURS["medium"], label=names["medium"])
    ax.barh(
        labels,
        low,
        left=[h + m for h, m in zip(high, medium, strict=True)],
        color=COLOURS["low"],
        label=names["low"],
    )
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", fontsize="small", ncols=3, bbox_to_anchor=(1, 1.0), frameon=False)
    _plain(ax)
    return png(fig)
