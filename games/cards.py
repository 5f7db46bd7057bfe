"""Game cards: each game's README.md is rendered from its class docstring, never written by hand.

    python -m playschool.games.cards              # rewrite games/<name>/README.md for every built-in game
    python -m playschool.games.cards taboo wordle # only these
    python -m playschool.games.cards --check      # exit 1 if any README is out of date (the tests run this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checks import DEGENERATE_CAP
from .game import Game
from .policies import policy_table, score_policies
from .registry import BUILTIN, load_game

HEADER = "<!-- Rendered from the game's docstring by `python -m playschool.games.cards`; edit the docstring. -->"


def render_card(game: Game) -> str:
    """The README of a game: a summary table, its docstring verbatim, then the measured scores of its
    reference player, its random player and every cheap policy (``policies.py``), so the card cannot drift
    from what the game pays."""
    scores = score_policies(game)
    lines = [
        HEADER, "", f"# {game.versioned_id}", "",
        "| | |", "|---|---|",
        f"| roles | {', '.join(game.roles)} |",
        f"| the learner can play | {', '.join(game.learner_roles)} |",
        f"| experiments | {', '.join(game.experiments)} |",
        f"| move limit | {game.max_moves} |",
        "", "```text", game.card, "```", "",
        "## What cheap policies score", "",
        f"Mean main score on {scores.instances_per_experiment} test instances per experiment (the same for every "
        "row), measured by `check_game`. A *bounded* policy skips the role's work and must stay at or below "
        f"{DEGENERATE_CAP:.0f} and a third of the reference player (or the bound the card argues for); an unbounded "
        "row is the reference, the random floor, or an honest short program that shows how much language the "
        "role needs.", "",
        *policy_table(scores), "",
    ]
    return "\n".join(lines)


def card_path(name: str) -> Path:
    return Path(__file__).parent / name / "README.md"


def stale_cards(names: list[str] | None = None) -> list[str]:
    """Built-in games (or ``names``) whose README.md differs from the rendering of their docstring."""
    stale = []
    for name in names or list(BUILTIN):
        path = card_path(name)
        if not path.exists() or path.read_text(encoding="utf-8") != render_card(load_game(name)):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("games", nargs="*", help="built-in games to render (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale cards")
    args = parser.parse_args(argv)
    stale = stale_cards(args.games or None)
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
