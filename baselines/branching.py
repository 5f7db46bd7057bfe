"""Branching preference pairs: at a learner turn, sample k replies, play each to the end, prefer the better.

::

    playschool train pairs --model models/sft --games reference mapnav --k 4 --out pairs.jsonl
    playschool train dpo --model models/sft --data pairs.jsonl --out models/dpo --budget-tokens 2M

For every source episode (the model's own greedy play of the train split, or the records of ``--runs``) one
learner turn is picked at random (seeded). From the conversation up to that turn, ``k`` replies are sampled;
each distinct reply is played to the end of the episode against the game's teacher through the batched runner:
the episode's earlier learner moves are replayed as they were (the game is deterministic, so the state is
exactly the source episode's), the branch reply is the next move, and the model plays on greedily. Every two
branches with different episode main scores make a pair (higher = chosen); ties make none. Pairs carry the
branch point and both scores. Only train-split episodes are branched.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.common import TRAIN_SPLIT, RecipeError, check_feedback_mode
from playschool.baselines.config import parse_config
from playschool.games import EpisodeRecord, load_game
from playschool.games.loading import canonical_json

from playschool.backends.base import Backend, Conversation, Decoding, Reply, Request
from playschool.fileio import write_atomic
from playschool.views import learner_view


@dataclass
class PairsRecipe:
    """Build branching preference pairs with a model against the games' teachers."""

    model: str = field(metadata={"help": "model spec or folder that plays and samples (hf:PATH, tiny, PATH)"})
    out: str = field(metadata={"help": "output JSONL of pairs"})
    games: list[str] | None = field(default=None, metadata={"help": "games to branch in (default: all)"})
    runs: list[str] | None = field(default=None, metadata={"help": "branch these runs' records instead of "
                                                                   "playing the model first"})
    n: int | None = field(default=None, metadata={"help": "train instances per experiment (default: all)"})
    k: int = field(default=4, metadata={"help": "replies sampled at each branch point"})
    temperature: float = 1.0
    max_new_tokens: int = 64
    seed: int = 0
    feedback: str = field(default="all", metadata={"help": "what the learner is shown of the teacher's feedback "
                                                           "(all, environment or none) in the source play, the "
                                                           "branches and the pairs' prompts"})
    batch_size: int = 32
    device: str = "auto"
    recipe: str = "pairs"


class ForcedPlayer:
    """A backend that gives fixed replies to known conversations and asks the model for the rest."""

    def __init__(self, model: Backend, forced: dict[str, str]) -> None:
        self.model = model
        self.forced = forced
        self.name = model.name
        self.max_batch_size = model.max_batch_size

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        replies: list[Reply | None] = [None] * len(conversations)
        ask = []
        for i, conv in enumerate(conversations):
            text = self.forced.get(canonical_json(list(conv)))
            if text is None:
                ask.append(i)
            else:
                replies[i] = Reply(text)
        if ask:
            for i, r in zip(ask, self.model.generate([conversations[i] for i in ask], decoding)):
                replies[i] = r
        return [r if r is not None else Reply("") for r in replies]

    def describe(self) -> dict[str, Any]:
        return {**self.model.describe(), "forced_replies": len(self.forced)}


@dataclass(frozen=True)
class BranchPoint:
    record: EpisodeRecord
    turn: int  #: index of the learner move (0 = its first) that is branched
    prompt: list[dict[str, str]]
    prefix: dict[str, str]  #: conversation -> the move the source episode made there


def branch_points(records: Sequence[EpisodeRecord], seed: int, feedback: str = "all") -> list[BranchPoint]:
    """One seeded learner turn per train-split record that has one; prompts as shown under ``feedback``."""
    out = []
    for rec in records:
        if rec.split != TRAIN_SPLIT or rec.outcome == "error":
            continue
        view = learner_view(rec.turns, rec.learner_role, feedback)
        moves = [i for i, m in enumerate(view.messages) if m["role"] == "assistant"]
        if not moves:
            continue
        rng = random.Random(canonical_json([seed, rec.game, rec.instance_id, rec.learner_role]))
        turn = rng.randrange(len(moves))
        at = moves[turn]
        prefix = {canonical_json(view.messages[:j]): view.messages[j]["content"] for j in moves[:turn]}
        out.append(BranchPoint(rec, turn, view.messages[:at], prefix))
    return out


def _task(rec: EpisodeRecord) -> Any:
    from playschool.runner import EpisodeTask

    game = load_game(rec.game)
    return EpisodeTask(game, game.regenerate(rec.instance_id, rec.seed), rec.learner_role)


def build_pairs(model: Backend, records: Sequence[EpisodeRecord], *, k: int = 4, temperature: float = 1.0,
                max_new_tokens: int = 64, seed: int = 0, progress: bool = False,
                feedback: str = "all") -> list[dict[str, Any]]:
    """Branch every record once, play the branches, return the pairs (see the module docstring).

    Under a ``feedback`` ablation the prompts and the branches' play show the learner what that mode shows
    (forced replies are keyed by the ablated conversations, which is what the runner then sends)."""
    from playschool.runner import Runner

    if k < 2:
        raise RecipeError("--k must be at least 2 (a pair needs two replies)")
    feedback = check_feedback_mode(feedback)
    points = branch_points(records, seed, feedback)
    sample = Decoding(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    candidates: list[list[str]] = [[] for _ in points]
    for b in range(k):
        convs = [Request(p.prompt, seed=hash_seed(seed, p, b)) for p in points]
        for cands, reply in zip(candidates, model.generate(convs, sample)):
            if reply.error is None and reply.text not in cands:
                cands.append(reply.text)
    scores: list[dict[str, float]] = [{} for _ in points]
    greedy = Decoding(max_new_tokens=max_new_tokens, seed=seed)
    for b in range(max((len(c) for c in candidates), default=0)):
        live = [i for i, c in enumerate(candidates) if b < len(c)]
        # One runner pass per branch index; a task key appears once per pass, so forced replies never clash.
        forced: dict[str, str] = {}
        for i in live:
            forced.update(points[i].prefix)
            forced[canonical_json(points[i].prompt)] = candidates[i][b]
        runner = Runner({"learner": ForcedPlayer(model, forced)}, decoding=greedy, progress=progress,
                        progress_label=f"branch {b + 1}", feedback=feedback)
        tasks = [_task(points[i].record) for i in live]
        by_key = {t.key: i for t, i in zip(tasks, live)}
        for rec in runner.run(tasks).records:
            if rec.outcome != "error":
                scores[by_key[rec.key]][candidates[by_key[rec.key]][b]] = float(rec.scores.get("main", 0.0))
    pairs = []
    for p, sc in zip(points, scores):
        ranked = sorted(sc.items(), key=lambda kv: (-kv[1], kv[0]))
        for a in range(len(ranked)):
            for c in range(a + 1, len(ranked)):
                (hi, hi_s), (lo, lo_s) = ranked[a], ranked[c]
                if hi_s == lo_s:
                    continue  # a tie says nothing about which reply is better
                pairs.append({
                    "prompt": p.prompt, "chosen": [{"role": "assistant", "content": hi}],
                    "rejected": [{"role": "assistant", "content": lo}],
                    "meta": {"game": p.record.game, "instance_id": p.record.instance_id, "split": p.record.split,
                             "experiment": p.record.experiment, "role": p.record.learner_role,
                             "turn": p.turn, "chosen_main": hi_s, "rejected_main": lo_s, "k": k,
                             "branches": len(sc), "source_main": float(p.record.scores.get("main", 0.0)),
                             "feedback": feedback}})
    return pairs


def hash_seed(seed: int, point: BranchPoint, b: int) -> int:
    import hashlib

    key = canonical_json([seed, point.record.game, point.record.instance_id, point.record.learner_role, b])
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")


def main(argv: Sequence[str] | None = None) -> int:
    from playschool.games import game_names

    from playschool.players import ReferencePlayer
    from playschool.runner import Runner, plan_episodes
    from playschool.spec import load_player
    from playschool.store import iter_records

    cfg = parse_config(PairsRecipe, argv, prog="playschool train pairs", doc=__doc__)
    check_feedback_mode(cfg.feedback)  # a typo fails before the model is loaded
    spec = cfg.model if ":" in cfg.model or cfg.model in ("tiny",) else f"hf:{cfg.model}"
    model = load_player(spec, batch_size=cfg.batch_size, device=cfg.device)
    if isinstance(model, ReferencePlayer) or not isinstance(model, Backend):
        raise RecipeError(f"{cfg.model}: branching needs a model that samples (an hf: or tiny spec)")
    if cfg.runs:
        records = [r for run in cfg.runs for r in iter_records(run)
                   if not cfg.games or r.game in cfg.games or r.game.rsplit("-v", 1)[0] in cfg.games]
    else:
        tasks = plan_episodes(cfg.games or game_names(), TRAIN_SPLIT, n=cfg.n)
        records = Runner({"learner": model}, decoding=Decoding(max_new_tokens=cfg.max_new_tokens),
                         progress=True, progress_label="source play", feedback=cfg.feedback).run(tasks).records
    pairs = build_pairs(model, records, k=cfg.k, temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens,
                        seed=cfg.seed, progress=True, feedback=cfg.feedback)
    write_atomic(Path(cfg.out), "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
    print(f"{len(pairs)} pairs from {len(records)} episodes -> {cfg.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
