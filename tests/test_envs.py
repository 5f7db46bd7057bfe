"""The RL environments (``playschool.envs``): Gymnasium's ``check_env`` and PettingZoo's API test for every game
and role, whole episodes won through the envs with the reference moves and checked against the runner's records,
hostile actions, model partners (batched across the vector env's episodes), determinism and registration."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import api_test
from playschool.games import TEACHER, EpisodeRecord, Instance, game_names, load_game, register, unregister

from playschool.backends.base import CONTEXT_OVERFLOW, Conversation, Decoding, Reply
from playschool.envs import (
    PartnerError,
    PlaypenAECEnv,
    PlaypenEnv,
    PlaypenVectorEnv,
    UnicodeText,
    env_id,
    register_envs,
)
from playschool.feedback import NEUTRAL_CORRECTION
from playschool.players import ReferencePlayer, ScriptedPlayer
from playschool.runner import EpisodeTask, Runner
from playschool.spec import SpecError

GAME_ROLES = [(name, role) for name in game_names() for role in load_game(name).learner_roles]


# ------------------------------------------------------------------------------------------ helpers
def reference_moves(game: str, instance: Instance, role: str) -> list[str]:
    """The moves the game's reference player makes as ``role`` on ``instance`` (played through the runner)."""
    record = Runner({"learner": ReferencePlayer()}, concurrency=1).run(
        [EpisodeTask(load_game(game), instance, role)]).records[0]
    assert record.outcome == "success", f"the reference player loses {instance.id}: {record.reason}"
    return [t.text for t in record.turns if t.kind == "move" and t.speaker == role]


def runner_record(game: str, instance: Instance, role: str, moves: Sequence[str], *,
                  self_play: bool = False) -> EpisodeRecord:
    """The record the runner writes when a scripted learner sends ``moves`` (then empty replies), in order."""
    todo = list(moves)
    player = ScriptedPlayer(lambda conversation: todo.pop(0) if todo else "")
    summary = Runner({"learner": player}, concurrency=1, self_play=self_play).run(
        [EpisodeTask(load_game(game), instance, role)])
    return summary.records[0]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict without what legitimately differs between a runner and an env: timing, the manifest and the
    token counts the runner's backends report (an env's user hands in text only)."""
    out = {k: v for k, v in record.items() if k not in ("timing", "manifest_id")}
    out["turns"] = [{k: v for k, v in t.items() if k != "tokens"} for t in record["turns"]]
    return out


def play(env: PlaypenEnv, moves: Sequence[str]) -> tuple[list[float], dict[str, Any]]:
    """Step ``moves`` through a reset env; returns the rewards and the last info. The episode must end exactly
    with the last move."""
    rewards: list[float] = []
    info: dict[str, Any] = {}
    for i, move in enumerate(moves):
        _, reward, terminated, truncated, info = env.step(move)
        rewards.append(float(reward))
        assert truncated is False
        assert terminated == (i == len(moves) - 1), f"terminated={terminated} after move {i + 1}/{len(moves)}"
    return rewards, info


# ------------------------------------------------------------------------------------------ the checkers
@pytest.mark.parametrize(("game", "role"), GAME_ROLES, ids=[f"{g}-{r}" for g, r in GAME_ROLES])
def test_gymnasium_check_env_passes_for_every_game_and_role(game: str, role: str) -> None:
    env = gymnasium.make(env_id(game), role=role, disable_env_checker=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # check_env reports most problems as warnings: none may be raised
        check_env(env.unwrapped, skip_render_check=True)
    assert isinstance(env.unwrapped, PlaypenEnv) and env.unwrapped.role == role


@pytest.mark.parametrize("game", game_names())
def test_pettingzoo_api_test_passes_for_every_game(game: str) -> None:
    env = PlaypenAECEnv(game)
    with warnings.catch_warnings():
        # PettingZoo's advice for numeric games (numpy observations, Box/Discrete spaces, agent names like
        # player_0) does not apply to text; its reset(options={"options": 1}) is answered with our warning.
        warnings.simplefilter("ignore")
        api_test(env, num_cycles=50)
    assert env.possible_agents == [r for r in load_game(game).roles if r in load_game(game).learner_roles]


# ------------------------------------------------------------------------------------------ whole episodes
@pytest.mark.parametrize(("game", "role"), GAME_ROLES, ids=[f"{g}-{r}" for g, r in GAME_ROLES])
def test_reference_moves_win_through_the_env_with_the_runners_record(game: str, role: str) -> None:
    env = PlaypenEnv(game, role)
    obs, info = env.reset(seed=3)
    assert info["outcome"] is None and obs["messages"][0]["role"] == "user"
    instance = env.instance
    assert instance is not None
    moves = reference_moves(game, instance, role)
    rewards, info = play(env, moves)
    assert info["outcome"] == "success" and info["scores"]["success"] == 1.0
    expected = runner_record(game, instance, role, moves)
    assert comparable(info["record"]) == comparable(expected.to_dict())
    # Rewards are the moves' own rewards, in order; the episode score is not folded into them.
    assert rewards == [t.reward for t in expected.turns if t.kind == "move" and t.speaker == role]
    assert sum(rewards) == pytest.approx(info["scores"]["reward"])
    assert info["scores"] == expected.scores and info["record"]["roles"][role] == "learner"


@pytest.mark.parametrize("game", game_names())
def test_self_play_through_the_aec_env_matches_the_runner(game: str) -> None:
    g = load_game(game)
    env = PlaypenAECEnv(game)
    # An instance where every learner role is an agent, so the role set-up is the runner's self-play one.
    instance = next(i for i in env.pool if all(g.supports(i, r) for r in g.learner_roles))
    env.reset(options={"instance_id": instance.id})
    assert env.agents == list(g.learner_roles)
    teacher = g.new_episode(instance, g.learner_roles[0], {r: TEACHER for r in g.roles})
    moves = [t.text for t in teacher.turns if t.kind == "move"]
    todo, returns, infos = list(moves), dict.fromkeys(env.agents, 0.0), {}
    for agent in env.agent_iter(10_000):
        obs, reward, terminated, truncated, info = env.last()
        returns[agent] += reward
        infos[agent] = info
        if not (terminated or truncated):
            assert obs["messages"][-1]["role"] == "user"  # whoever is due has been told something
        env.step(None if terminated or truncated else (todo.pop(0) if todo else ""))
    assert not env.agents and not todo
    records = {a: i["record"] for a, i in infos.items()}
    assert all(r == records[g.learner_roles[0]] for r in records.values())
    record = records[g.learner_roles[0]]
    assert record["outcome"] == "success" and set(record["roles"].values()) == {"learner"}
    expected = runner_record(game, instance, g.learner_roles[0], moves, self_play=True)
    assert comparable(record) == comparable(expected.to_dict())
    for agent, total in returns.items():  # each agent collected exactly the rewards of its own moves
        own = [t["reward"] for t in record["turns"] if t["kind"] == "move" and t["speaker"] == agent]
        assert total == pytest.approx(sum(own))


def test_aec_agents_are_the_roles_an_instance_lets_a_learner_play() -> None:
    env = PlaypenAECEnv("wordle")
    plain = next(i for i in env.pool if i.experiment == "plain")
    env.reset(options={"instance_id": plain.id})
    assert env.possible_agents == ["guesser", "critic"] and env.agents == ["guesser"]
    assert env.infos["guesser"]["outcome"] is None
    env.step("GUESS: crane")
    assert env.agent_selection == "guesser" and env.infos["guesser"]["move"]["ok"] is True


# ------------------------------------------------------------------------------------------ hostile input
@pytest.mark.parametrize("game", game_names())
def test_hostile_text_never_crashes_and_ends_at_worst_aborted(game: str) -> None:
    env = PlaypenEnv(game, split="validation")
    env.reset(seed=0)
    hostile = ["", "x" * 100_000, "\x00\xff\ud800\U0010ffff\u202e\x1b[2J", "🙂" * 9000, "\n" * 500]
    info: dict[str, Any] = {}
    for step in range(load_game(game).max_moves + 1):
        obs, reward, terminated, truncated, info = env.step(hostile[step % len(hostile)])
        assert obs in env.observation_space and isinstance(reward, float)
        if terminated:
            break
    assert info["outcome"] == "aborted" and info["record"]["fault"] == env.role
    assert info["scores"]["main"] == 0.0
    cut = [t for t in info["record"]["turns"] if t.get("truncated_from")]
    assert cut and cut[0]["truncated_from"] == 100_000  # the 100 kB move was kept, cut, and says so
    with pytest.raises(RuntimeError, match="over"):
        env.step("anything")


@pytest.mark.parametrize("bad", [b"GUESS: crane", None, 5, ["text"], 3.5])
def test_a_non_string_action_is_a_type_error_that_leaves_the_episode_untouched(bad: object) -> None:
    env = PlaypenEnv("wordle", split="validation")
    env.reset(seed=0)
    before = env.driver.episode.turns if env.driver else ()
    with pytest.raises(TypeError, match=r"text of a move \(str\)"):
        env.step(bad)  # type: ignore[arg-type]
    assert env.driver is not None and env.driver.episode.turns == before


def test_stepping_before_reset_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        PlaypenEnv("wordle").step("GUESS: crane")


# ------------------------------------------------------------------------------------------ determinism
def test_same_seed_same_instance_and_observations() -> None:
    a, b = PlaypenEnv("reference", "listener"), PlaypenEnv("reference", "listener")
    obs_a, info_a = a.reset(seed=11)
    obs_b, info_b = b.reset(seed=11)
    assert info_a["instance_id"] == info_b["instance_id"] and obs_a == obs_b
    assert a.step("SELECT: 2") == b.step("SELECT: 2")
    # Unseeded resets continue the seeded stream: the same sequence of instances for both envs.
    assert [a.reset()[1]["instance_id"] for _ in range(5)] == [b.reset()[1]["instance_id"] for _ in range(5)]
    drawn = {a.reset(seed=s)[1]["instance_id"] for s in range(10)}
    assert len(drawn) > 3  # seeds do choose different instances


def test_reset_options_name_an_instance() -> None:
    env = PlaypenEnv("wordle", "critic")
    critic = next(i for i in env.pool if i.experiment == "critic")
    plain = next(i for i in env.pool if i.experiment == "plain")
    assert env.reset(options={"instance_id": critic.id})[1]["instance_id"] == critic.id
    assert env.reset(options={"instance": critic.to_dict()})[1]["instance_id"] == critic.id
    with pytest.raises(ValueError, match="cannot be played"):
        env.reset(options={"instance_id": plain.id})  # the plain variant has no critic
    with pytest.raises(ValueError, match="no instance"):
        env.reset(options={"instance_id": "train/critic/9999"})
    with pytest.raises(ValueError, match="not wordle-v2"):
        env.reset(options={"instance": load_game("taboo").generate("train", n=1)[0]})
    with pytest.warns(UserWarning, match="ignores option"):
        env.reset(options={"instanceid": critic.id})


def test_feedback_ablation_changes_what_the_learner_is_shown_only() -> None:
    full, ablated = PlaypenEnv("wordle", split="validation"), PlaypenEnv("wordle", split="validation",
                                                                          feedback="environment")
    full.reset(seed=2)
    ablated.reset(seed=2)
    obs_full, _, _, _, info_full = full.step("not a word at all")
    obs_abl, _, _, _, info_abl = ablated.step("not a word at all")
    assert obs_full["feedback"] == obs_abl["feedback"] == ("correction",)
    assert obs_abl["messages"][-1]["content"] == NEUTRAL_CORRECTION
    assert obs_full["messages"][-1]["content"] != NEUTRAL_CORRECTION
    assert info_full["move"] == info_abl["move"] and info_full["move"]["error"] == "format"


# ------------------------------------------------------------------------------------------ model partners
@pytest.fixture()
def higherlower() -> Iterator[str]:
    """The test number-guessing game registered as a game pack, with its env id."""
    register("higherlower", "toygame:HigherLower")
    ids = register_envs()
    yield "higherlower"
    unregister("higherlower")
    for gid in ids:
        if gid.startswith("playschool/higherlower"):
            del gymnasium.registry[gid]


class Keeper:
    """A model partner for higher-lower's keeper role, computed from the conversation alone (stateless), that logs
    the size of every ``generate`` call."""

    name = "test-keeper"

    def __init__(self, max_batch_size: int = 64, fail: str | None = None) -> None:
        self.max_batch_size = max_batch_size
        self.fail = fail
        self.sizes: list[int] = []

    def _reply(self, conversation: Conversation) -> Reply:
        if self.fail is not None:
            return Reply("", error=self.fail, detail="test failure")
        text = "\n".join(m["content"] for m in conversation if m["role"] == "user")
        secret = int(re.search(r"Your number is (\d+)", text).group(1))  # type: ignore[union-attr]
        guess = int(re.findall(r"GUESS: (\d+)", text)[-1])
        return Reply("CORRECT" if guess == secret else "HIGHER" if secret > guess else "LOWER", prompt_tokens=7,
                     completion_tokens=1)

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        self.sizes.append(len(conversations))
        return [self._reply(c) for c in conversations]

    def describe(self) -> dict[str, Any]:
        return {"backend": "test", "model": self.name}


def bisect(obs: dict[str, Any]) -> str:
    """The guesser's binary search, from its observation alone."""
    lo, hi = 1, int(re.search(r"between 1 and (\d+)", obs["messages"][0]["content"]).group(1))  # type: ignore[union-attr]
    last = None
    for message in obs["messages"]:
        if message["role"] == "assistant":
            last = int(message["content"].split(":")[1])
        elif last is not None and "HIGHER" in message["content"]:
            lo = last + 1
        elif last is not None and "LOWER" in message["content"]:
            hi = last - 1
    return f"GUESS: {(lo + hi) // 2}"


def test_a_model_partner_plays_the_other_role(higherlower: str) -> None:
    keeper = Keeper()
    env = gymnasium.make(env_id(higherlower), role="guesser", partner=keeper)
    obs, info = env.reset(seed=0)
    terminated = False
    while not terminated:
        obs, _, terminated, _, info = env.step(bisect(obs))
    assert info["outcome"] == "success" and info["record"]["roles"] == {"guesser": "learner", "keeper": "partner"}
    keeper_moves = [t for t in info["record"]["turns"] if t["speaker"] == "keeper" and t["kind"] == "move"]
    assert keeper_moves and all(t["tokens"] == {"prompt": 7, "completion": 1} for t in keeper_moves)
    assert keeper.sizes == [1] * len(keeper_moves)


def test_the_vector_env_batches_partner_calls_and_equals_single_envs(higherlower: str) -> None:
    n = 5
    keeper = Keeper()
    vec = PlaypenVectorEnv(higherlower, n, "guesser", partner=keeper)
    singles = [PlaypenEnv(higherlower, "guesser", partner=Keeper()) for _ in range(n)]
    obs, infos = vec.reset(seed=100)
    single_reset = [env.reset(seed=100 + i) for i, env in enumerate(singles)]
    assert (obs, infos) == ([o for o, _ in single_reset], [i for _, i in single_reset])
    assert len({i["instance_id"] for i in infos}) > 1
    done = [False] * n
    steps = 0
    while not all(done):
        moves = [bisect(o) for o in obs]
        batch = vec.step([None if d else m for d, m in zip(done, moves)])
        steps += 1
        for i, env in enumerate(singles):
            if done[i]:  # a finished episode repeats its end, with no reward
                assert batch_row(batch, i) == (obs[i], 0.0, True, False, infos[i])
            else:
                assert batch_row(batch, i) == env.step(moves[i])
        obs, done, infos = batch[0], batch[2], batch[4]
    assert all(i["outcome"] == "success" for i in infos)
    # One call per round for every episode still waiting on the keeper: never one call per episode.
    assert keeper.sizes[0] == n and len(keeper.sizes) == steps
    assert sum(keeper.sizes) == sum(len([t for t in i["record"]["turns"] if t["speaker"] == "keeper"
                                         and t["kind"] == "move"]) for i in batch[4])


def batch_row(batch: tuple[list[Any], ...], i: int) -> tuple[Any, ...]:
    return tuple(column[i] for column in batch)


def test_vector_env_with_the_teacher_equals_single_envs_stepped_one_by_one() -> None:
    n, game = 3, "reference"
    vec = PlaypenVectorEnv(game, n, "listener", split="validation")
    singles = [PlaypenEnv(game, "listener", split="validation") for _ in range(n)]
    seeds = [7, 8, 7]
    obs, infos = vec.reset(seed=seeds)
    assert infos[0]["instance_id"] == infos[2]["instance_id"]
    for env, seed, o in zip(singles, seeds, obs):
        assert env.reset(seed=seed)[0] == o
    script = [["nonsense", "SELECT: 1"], ["SELECT: 2", "SELECT: 3"], ["", "SELECT: 1"]]
    for t in range(2):
        actions = [s[t] for s in script]
        batch = vec.step([None if d else a for d, a in zip(vec.done, actions)])
        for i, env in enumerate(singles):
            if env.driver is not None and env.driver.done:
                assert batch[1][i] == 0.0 and batch[2][i] is True
            else:
                assert batch_row(batch, i) == env.step(actions[i])


def test_partner_failures() -> None:
    env = PlaypenEnv("reference", "speaker", partner=Keeper(fail=CONTEXT_OVERFLOW))
    env.reset(seed=0)
    _, _, terminated, _, info = env.step("DESCRIPTION: the red one")
    assert terminated and info["outcome"] == "aborted" and info["record"]["fault"] == "listener"
    assert "context overflow" in info["reason"]
    env = PlaypenEnv("reference", "speaker", partner=Keeper(fail="backend_error"))
    env.reset(seed=0)
    with pytest.raises(PartnerError, match="backend_error"):
        env.step("DESCRIPTION: the red one")


class _Crashing(Keeper):
    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        raise OSError("server gone")


class _Short(Keeper):
    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        return []


@pytest.mark.parametrize(("backend", "message"), [(_Crashing(), "server gone"), (_Short(), "0 replies for 1")])
def test_a_broken_partner_backend_is_a_partner_error(backend: Keeper, message: str) -> None:
    env = PlaypenEnv("reference", "speaker", partner=backend)
    env.reset(seed=0)
    with pytest.raises(PartnerError, match=message):
        env.step("DESCRIPTION: the red one")


def test_partner_specs() -> None:
    assert PlaypenEnv("wordle", partner="random").roles == {"guesser": "learner", "critic": "random"}
    assert PlaypenEnv("wordle", partner=ReferencePlayer()).roles["critic"] == "teacher"
    with pytest.raises(SpecError, match="cannot read model spec"):
        PlaypenEnv("wordle", partner="gpt-5")
    with pytest.raises(TypeError, match="generate"):
        PlaypenEnv("wordle", partner=object())  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ registration, input
def test_gymnasium_make_works_for_every_registered_game() -> None:
    env = gymnasium.make("playschool/taboo-v2")
    assert isinstance(env.unwrapped, PlaypenEnv) and env.unwrapped.game.versioned_id == "taboo-v2"
    with pytest.warns(UserWarning, match="latest versioned"):  # an unversioned id plays the installed version
        latest = gymnasium.make("playschool/wordle", role="critic").unwrapped
    assert isinstance(latest, PlaypenEnv) and latest.role == "critic"
    ids = register_envs()
    assert ids == register_envs() == [env_id(name) for name in game_names()]
    assert all(gid in gymnasium.registry for gid in ids)
    vec = gymnasium.make_vec("playschool/wordle-v2", num_envs=2, vectorization_mode="sync")
    obs, _ = vec.reset(seed=0)
    assert len(obs["messages"]) == 2


def test_bad_arguments_get_clear_errors() -> None:
    with pytest.raises(ValueError, match="learner roles are guesser, critic"):
        PlaypenEnv("wordle", "keeper")
    with pytest.raises(ValueError, match="unknown split"):
        PlaypenEnv("wordle", split="dev")
    with pytest.raises(ValueError, match="unknown feedback mode"):
        PlaypenEnv("wordle", feedback="some")
    with pytest.raises(ValueError, match="max_chars"):
        PlaypenEnv("wordle", max_chars=0)
    with pytest.raises(ValueError, match="render_mode"):
        PlaypenEnv("wordle", render_mode="human")
    with pytest.raises(KeyError, match="unknown game"):
        PlaypenEnv("chess")
    with pytest.raises(ValueError, match="num_envs"):
        PlaypenVectorEnv("wordle", 0)
    vec = PlaypenVectorEnv("wordle", 2)
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(["GUESS: crane", "GUESS: crane"])
    with pytest.raises(ValueError, match="seed"):
        vec.reset(seed=[1, 2, 3])
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="2 actions"):
        vec.step(["GUESS: crane"])
    with pytest.raises(TypeError, match="str"):
        vec.step(["GUESS: crane", 5])  # type: ignore[list-item]
    assert vec.envs[0].driver is not None and not vec.envs[0].driver.episode.moves  # nothing was played


def test_unicode_text_space() -> None:
    space = UnicodeText(10, min_length=1, seed=3)
    assert "中文 😀 \x00" in space and "x" * 10 in space
    assert "" not in space and "x" * 11 not in space and b"bytes" not in space and 5 not in space
    samples = [space.sample() for _ in range(200)]
    assert all(s in space for s in samples) and any(not s.isascii() for s in samples)
    again = UnicodeText(10, min_length=1, seed=3)
    assert samples == [again.sample() for _ in range(200)]
    assert space == UnicodeText(10, min_length=1) != UnicodeText(11, min_length=1)
    with pytest.raises(ValueError, match="min_length"):
        UnicodeText(3, min_length=4)
