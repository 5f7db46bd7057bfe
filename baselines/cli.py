"""``playschool train {sft,dpo,pairs,nano,grpo} ...``: the recipes behind one command; flags as the flat scripts take them."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

RECIPES = {"sft": "SFT on Playpen episodes under the token budget",
           "dpo": "DPO on preference pairs under the token budget",
           "pairs": "build branching preference pairs (k sampled replies per learner turn, played out)",
           "nano": "rebuild the embedded nano model from scratch (reference play, SFT, before/after evaluation)",
           "grpo": "GRPO on whole episodes against the teacher (curriculum, feedback ablations) under the budget",
           "ablation": "one GRPO run per feedback setting and curriculum, each scored with CLU2 against the base"}
_MODULES = {"sft": "sft", "dpo": "dpo", "pairs": "branching", "nano": "nano", "grpo": "grpo", "ablation": "ablation"}


def _run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"playschool.baselines.{_MODULES[args.recipe]}")
    from playschool.baselines.common import RecipeError

    try:
        return int(module.main(args.recipe_args))
    except RecipeError as exc:
        raise ValueError(str(exc)) from exc  # the CLI prints ValueErrors as one-line errors


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a learner with a budgeted recipe (sft, dpo, grpo) or build pairs",
                       description="Recipes: " + "; ".join(f"{k}: {v}" for k, v in RECIPES.items())
                       + ". `playschool train RECIPE --help` lists a recipe's flags.", add_help=True)
    p.add_argument("recipe", choices=sorted(RECIPES))
    p.add_argument("recipe_args", nargs=argparse.REMAINDER, help="the recipe's own flags")
    p.set_defaults(fn=_run)


__all__ = ["RECIPES", "add_parser"]
