"""Feedback ablations (``--feedback all|environment|none``): only what the learner is shown changes.

Every registered game is played through the runner under each mode by the same learner (a format error at each
role's first move, then the programmatic teacher's move for that role), replying by position only, so the
three runs must give identical records. What the learner was sent is checked against an oracle built here
from the typed turns and the spec, independently of ``playschool.feedback``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playschool.baselines.common import RecipeError, load_conversations, load_pairs
from playschool.games import LEARNER, TEACHER, EpisodeRecord, Game, Instance, Turn, game_names, load_game

from playschool.feedback import (
    FEEDBACK_MODES,
    NEUTRAL_CLARIFICATION,
    NEUTRAL_CORRECTION,
    NEUTRAL_ENVIRONMENT,
    shown_turns,
)
from playschool.players import ScriptedPlayer
from playschool.runner import EpisodeTask, Runner
from playschool.store import RecordStore
from playschool.views import learner_view

GARBAGE = "hmm, not sure ???"  # no game parses it: a format error, answered by a correction

#: The spec, written out independently of the module: which kinds each mode hides, and what is shown instead.
HIDDEN: dict[str, dict[str, str]] = {
    "all": {},
    "environment": {"correction": NEUTRAL_CORRECTION, "clarification": NEUTRAL_CLARIFICATION},
    "none": {"correction": NEUTRAL_CORRECTION, "clarification": NEUTRAL_CLARIFICATION,
             "environment": NEUTRAL_ENVIRONMENT},
}


def test_modes_and_neutral_texts_are_content_free() -> None:
    assert FEEDBACK_MODES == ("all", "environment", "none")
    for text in (NEUTRAL_CORRECTION, NEUTRAL_CLARIFICATION, NEUTRAL_ENVIRONMENT):
        assert isinstance(text, str) and text.strip()


# ------------------------------------------------------------------------------------------ the learner
def _script(game: Game, inst: Instance, role: str, self_play: bool) -> dict[str, list[str]]:
    """Each learner-played role's replies, keyed by the first message the game sent it (its instructions,
    the same in every mode): garbage first, then the teacher's move for that role in the episode's state."""
    roles = {r: LEARNER if self_play or r == role else TEACHER for r in game.roles}
    ep = game.new_episode(inst, role, roles)
    replies: dict[str, list[str]] = defaultdict(list)
    first: dict[str, str] = {}
    while (turn := ep.pending()) is not None:
        first.setdefault(turn.role, _instructions(ep.turns, turn.role))
        reply = GARBAGE if not replies[turn.role] else ep.teacher_move(turn.role)
        replies[turn.role].append(reply)
        ep.act(reply)
    assert len(set(first.values())) == len(first), "two roles start alike: replies cannot be told apart"
    return {first[r]: replies[r] for r in first}


class Recorder(ScriptedPlayer):
    """Replies by position only (the role's instructions and how many moves it made), never by the feedback
    it is shown, and keeps every conversation it was sent."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        super().__init__(self._reply, name="recorder")
        self.script = script
        self.sent: list[list[dict[str, str]]] = []

    def _reply(self, conversation: Sequence[dict[str, str]]) -> str:
        self.sent.append([dict(m) for m in conversation])
        replies = self.script[_opening(conversation, self.script)]
        n = sum(1 for m in conversation if m["role"] == "assistant")
        return replies[n] if n < len(replies) else GARBAGE


def _instructions(turns: Sequence[Turn], role: str) -> str:
    """The first message the game sent ``role``: the start of its first chat message in every mode."""
    first = next(t for t in turns if t.to == role)
    assert first.kind == "instruction"
    return first.text


def _opening(conversation: Sequence[dict[str, str]], instructions: Iterable[str]) -> str:
    """Which of ``instructions`` opens the conversation (the longest that does): whose conversation it is."""
    return max((i for i in instructions if conversation[0]["content"].startswith(i)), key=len)


# ------------------------------------------------------------------------------------------ the oracle
def _chat(turns: Sequence[Turn], role: str, mode: str) -> list[dict[str, str]]:
    """What ``role`` should be shown under ``mode``: its moves, and the messages to it merged as chats are."""
    parts: list[tuple[str, list[str]]] = []
    for t in turns:
        if t.kind == "move":
            if t.speaker == role:
                parts.append(("assistant", [t.text]))
        elif t.to == role:
            text = HIDDEN[mode].get(t.kind, t.text)
            if parts and parts[-1][0] == "user":
                parts[-1][1].append(text)
            else:
                parts.append(("user", [text]))
    return [{"role": r, "content": "\n\n".join(p)} for r, p in parts]


def _shown_kinds(rec: EpisodeRecord, role: str) -> Counter[str]:
    """Kinds of the messages ``role`` was actually sent: those before its last move."""
    last = max((t.index for t in rec.turns if t.kind == "move" and t.speaker == role), default=-1)
    return Counter(t.kind for t in rec.turns if t.to == role and t.index < last)


def _stable(rec: EpisodeRecord) -> dict[str, Any]:
    data = rec.to_dict()
    data.pop("timing")
    return data


@cache
def _play(name: str, self_play: bool) -> dict[str, Any]:
    """Play a few test instances of ``name`` (every learner role) under each mode; check records and what was
    sent; return the counts of replaced messages per mode and kind."""
    game = load_game(name)
    replaced: dict[str, Counter[str]] = {m: Counter() for m in FEEDBACK_MODES}
    episodes = 0
    for inst in game.generate("test", n=1):
        for role in game.learner_roles:
            if not game.supports(inst, role):
                continue
            script = _script(game, inst, role, self_play)
            records, sent = {}, {}
            for mode in FEEDBACK_MODES:
                player = Recorder(script)
                summary = Runner({"learner": player}, self_play=self_play, feedback=mode).run(
                    [EpisodeTask(game, inst, role)])
                assert summary.played == 1 and not summary.failed, summary.failed
                records[mode], sent[mode] = summary.records[0], player.sent
            episodes += 1
            rec = records["all"]
            # The game, its record and its scores do not depend on what the learner was shown.
            for mode in FEEDBACK_MODES:
                assert _stable(records[mode]) == _stable(rec), (name, role, mode)
            # the learner-played roles that took part (a wordle instance without a critic never talks to it)
            played = [r for r, who in rec.roles.items() if who == LEARNER and any(t.to == r for t in rec.turns)]
            assert played and rec.turns[0].kind == "instruction"
            # Same number of requests, each of the same length, in every mode.
            shape = [len(c) for c in sent["all"]]
            for mode in FEEDBACK_MODES:
                assert [len(c) for c in sent[mode]] == shape, (name, role, mode)
            for mode in FEEDBACK_MODES:
                expected = {r: _chat(rec.turns, r, mode) for r in played}
                by_role = {_instructions(rec.turns, r): r for r in played}
                for conv, full in zip(sent[mode], sent["all"]):
                    r = by_role[_opening(conv, by_role)]
                    # exactly the oracle: ablated slots hold the neutral text, everything else is untouched
                    assert conv == expected[r][: len(conv)], (name, role, mode)
                    # the learner's own moves are never rewritten
                    assert [m for m in conv if m["role"] == "assistant"] == \
                        [m for m in full if m["role"] == "assistant"]
                for r in played:
                    kinds = _shown_kinds(rec, r)
                    for kind in HIDDEN[mode]:
                        replaced[mode][kind] += kinds[kind]
                # No original text of a hidden kind reaches the learner (checked where it is not also the
                # text of a kept message, or the neutral text itself).
                kept = {t.text for t in rec.turns if t.kind not in HIDDEN[mode]}
                hidden = {t.text for t in rec.turns if t.to in played and t.kind in HIDDEN[mode]}
                for text in hidden - kept - set(HIDDEN[mode].values()):
                    if len(text) >= 12:
                        assert not any(text in m["content"] for c in sent[mode] for m in c if m["role"] == "user"), \
                            (name, role, mode, text)
    return {"episodes": episodes, "replaced": replaced}


@pytest.mark.parametrize("self_play", [False, True], ids=["vs-teacher", "self-play"])
@pytest.mark.parametrize("name", game_names())
def test_ablation_changes_only_what_the_learner_is_shown(name: str, self_play: bool) -> None:
    out = _play(name, self_play)
    assert out["episodes"] > 0
    replaced = out["replaced"]
    assert sum(replaced["all"].values()) == 0
    # every first move is garbage: its correction reaches the learner, and is replaced
    assert replaced["environment"]["correction"] > 0
    assert replaced["none"]["correction"] == replaced["environment"]["correction"]
    assert replaced["none"]["clarification"] == replaced["environment"]["clarification"]
    assert replaced["environment"]["environment"] == 0


def test_clarifications_are_replaced_too() -> None:
    """Not vacuous: the games above do send clarifications and environment messages to the learner."""
    total: Counter[str] = Counter()
    for name in game_names():
        for self_play in (False, True):
            for kind, n in _play(name, self_play)["replaced"]["none"].items():
                total[kind] += n
    assert total["clarification"] > 0 and total["correction"] > 0 and total["environment"] > 0


def test_shown_turns_replaces_text_only_on_hidden_feedback_to_the_role() -> None:
    turns = [Turn(0, "game", "a", "instruction", "Play well."), Turn(1, "game", "a", "correction", "Say X."),
             Turn(2, "b", "a", "clarification", "Which one?"), Turn(3, "game", "a", "environment", "You won."),
             Turn(4, "game", "b", "correction", "Not for a."), Turn(5, "a", "game", "move", "X", reward=1.0)]
    assert shown_turns(turns, "a", "all") == turns
    env = shown_turns(turns, "a", "environment")
    assert [t.text for t in env] == ["Play well.", NEUTRAL_CORRECTION, NEUTRAL_CLARIFICATION, "You won.",
                                     "Not for a.", "X"]
    assert [t.kind for t in env] == [t.kind for t in turns] and env[5] == turns[5]
    none = shown_turns(turns, "a", "none")
    assert [t.text for t in none][:4] == ["Play well.", NEUTRAL_CORRECTION, NEUTRAL_CLARIFICATION,
                                          NEUTRAL_ENVIRONMENT]
    assert learner_view(turns, "a", "none").messages == [
        {"role": "user", "content": "\n\n".join(["Play well.", NEUTRAL_CORRECTION, NEUTRAL_CLARIFICATION,
                                                 NEUTRAL_ENVIRONMENT])},
        {"role": "assistant", "content": "X"}]
    assert learner_view(turns, "a").messages == learner_view(turns, "a", "all").messages


def test_unknown_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown feedback mode 'teacher'; expected one of all, environment, none"):
        Runner({"learner": ScriptedPlayer(["x"])}, feedback="teacher")
    with pytest.raises(ValueError, match="unknown feedback mode"):
        shown_turns([], "a", "partial")
    with pytest.raises(ValueError, match="unknown feedback mode"):
        learner_view([], "a", "partial")
    with pytest.raises(RecipeError, match="unknown feedback mode"):
        load_conversations(["nowhere"], feedback="partial")


# ------------------------------------------------------------------------------------------ the CLI
TESTS = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": str(TESTS), "PLAYSCHOOL_GAMES": "higherlower=toygame:HigherLower"}
RUN = ["run", "--games", "higherlower", "--learner", "agent:agents:bisect_reply", "--quiet", "--n", "1"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "playschool.cli", *args], env=ENV, capture_output=True, text=True,
                          timeout=300)


def test_run_records_the_feedback_mode_in_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _cli(*RUN, "--feedback", "environment", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["feedback"] == "environment"
    default = tmp_path / "default"
    assert _cli(*RUN, "--out", str(default)).returncode == 0
    assert json.loads((default / "manifest.json").read_text())["feedback"] == "all"
    # higher-lower's HIGHER/LOWER are environment messages: kept under `environment`, same records as `all`
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert records and all(r["outcome"] == "success" for r in records)
    other = _cli(*RUN, "--feedback", "none", "--out", str(out), "--resume")
    assert other.returncode == 2 and "another configuration" in other.stderr and "feedback" in other.stderr
    bad = _cli(*RUN, "--feedback", "some", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


# ------------------------------------------------------------------------------------------ the recipes
@pytest.fixture(scope="module")
def train_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train-split episodes of games that send the learner corrections and clarifications."""
    out = tmp_path_factory.mktemp("runs") / "scripted"
    with RecordStore(out) as store:
        for name in ("negotiation", "guesswhat"):
            game = load_game(name)
            for inst in game.generate("train", n=1):
                for role in game.learner_roles:
                    if game.supports(inst, role):
                        player = Recorder(_script(game, inst, role, False))
                        for rec in Runner({"learner": player}).run([EpisodeTask(game, inst, role)]).records:
                            store.append(rec)
    return out


def test_training_conversations_show_the_ablation(train_run: Path) -> None:
    from playschool.store import iter_records

    records = {f"{r.game}/{r.instance_id}/{r.learner_role}/{r.learner_role}": r for r in iter_records(train_run)}
    full, _ = load_conversations([str(train_run)], min_main=0.0)
    assert full
    for mode in ("environment", "none"):
        shown, _ = load_conversations([str(train_run)], min_main=0.0, feedback=mode)
        assert [c.id for c in shown] == [c.id for c in full]
        changed = 0
        for a, b in zip(full, shown):
            assert len(a.messages) == len(b.messages)
            assert [m for m in a.messages if m["role"] == "assistant"] == \
                [m for m in b.messages if m["role"] == "assistant"]
            assert b.messages == _chat(records[b.id].turns, b.role, mode)
            changed += sum(x != y for x, y in zip(a.messages, b.messages))
        assert changed > 0
        assert any(NEUTRAL_CLARIFICATION in m["content"] for c in shown for m in c.messages if m["role"] == "user")
        assert any(NEUTRAL_CORRECTION in m["content"] for c in shown for m in c.messages if m["role"] == "user")


def test_datasets_cannot_be_ablated_and_pairs_must_match(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="needs run folders"):
        load_conversations([str(tmp_path / "not-a-run")], feedback="environment")
    pairs = tmp_path / "pairs.jsonl"
    row = {"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": "a"}],
           "rejected": [{"role": "assistant", "content": "b"}], "meta": {"game": "g", "instance_id": "i",
                                                                        "split": "train"}}
    pairs.write_text(json.dumps(row) + "\n" + json.dumps({**row, "meta": {**row["meta"], "feedback": "none"}}) + "\n")
    with pytest.raises(RecipeError, match="pairs built with --feedback none"):
        load_pairs([str(pairs)])
    with pytest.raises(RecipeError, match="pairs built with --feedback all"):
        load_pairs([str(pairs)], feedback="none")
    pairs.write_text(json.dumps({**row, "meta": {**row["meta"], "feedback": "none"}}) + "\n")
    assert len(load_pairs([str(pairs)], feedback="none")[0]) == 1


def test_branch_prompts_show_the_ablation(train_run: Path) -> None:
    from playschool.baselines.branching import branch_points

    from playschool.store import iter_records

    records = list(iter_records(train_run))
    for mode in FEEDBACK_MODES:
        points = branch_points(records, seed=0, feedback=mode)
        assert len(points) == len(branch_points(records, seed=0))
        for p in points:
            assert p.prompt == _chat(p.record.turns, p.record.learner_role, mode)[: len(p.prompt)]
