"""Game cards: each game's README.md is rendered from its class docstring, never written by hand.

    python -m playschool.games.cards          # rewrite games/<name>/README.md for every built-in game
    python -m playschool.games.cards --check  # exit 1 if any README is out of date (the tests run this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .game import Game
from .registry import BUILTIN, load_game

HEADER = "<!-- Rendered from the game's docstring by `python -m playschool.games.cards`; edit the docstring. -->"


def render_card(game: Game) -> str:
    """The README of a game: a summary table, then its docstring verbatim."""
    lines = [
        HEADER, "", f"# {game.versioned_id}", "",
        "| | |", "|---|---|",
        f"| roles | {', '.join(game.roles)} |",
        f"| the learner can play | {', '.join(game.learner_roles)} |",
        f"| experiments | {', '.join(game.experiments)} |",
        f"| move limit | {game.max_moves} |",
        "", "```text", game.card, "```", "",
    ]
    return "\n".join(lines)


def card_path(name: str) -> Path:
    return Path(__file__).parent / name / "README.md"


def stale_cards() -> list[str]:
    """Built-in games whose README.md differs from the rendering of their docstring."""
    stale = []
    for name in BUILTIN:
        path = card_path(name)
        if not path.exists() or path.read_text(encoding="utf-8") != render_card(load_game(name)):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale cards")
    args = parser.parse_args(argv)
    stale = stale_cards()
    if args.check:
        for name in stale:
            print(f"{card_path(name)} is out of date; run python -m playschool.games.cards")
        return 1 if stale else 0
    for name in stale:
        card_path(name).write_text(render_card(load_game(name)), encoding="utf-8")
        print(f"wrote {card_path(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
