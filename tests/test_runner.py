"""The batched runner: batching across episodes, async backends, failures, determinism."""

from __future__ import annotations

import pytest
from agents import BatchRecorder, Crashing, Overflowing, SlowAsync, bisect_reply
from playschool.games import register, unregister
from toygame import HigherLower, HigherLowerEpisode

from playschool import Decoding, Runner, ScriptedPlayer
from playschool.runner import EpisodeTask, plan_episodes


@pytest.fixture()
def game() -> HigherLower:
    return HigherLower()


def _tasks(game: HigherLower, n: int = 40, role: str = "guesser") -> list[EpisodeTask]:
    return [EpisodeTask(game, i, role) for i in game.generate("train", n=n) if i.experiment == "large"][:n]


def test_pending_turns_of_one_model_go_out_as_one_batch(game: HigherLower) -> None:
    backend = BatchRecorder(max_batch_size=64)
    summary = Runner({"learner": backend}, concurrency=64).run(_tasks(game, 40))
    assert summary.played == 40 and all(r.outcome == "success" for r in summary.records)
    # 40 episodes in flight: the first calls carry all of them, not one each.
    assert backend.sizes[0] == 40 and max(backend.sizes) == 40
    assert sum(backend.sizes) == sum(r.scores["learner_moves"] for r in summary.records)
    assert len(backend.sizes) < 0.1 * sum(backend.sizes)


def test_continuous_batching_refills_finished_slots(game: HigherLower) -> None:
    backend = BatchRecorder(max_batch_size=8)
    Runner({"learner": backend}, concurrency=8).run(_tasks(game, 40))
    # while work remains, every call is full: finished episodes are replaced before the next batch
    full_until = len(backend.sizes) - 12
    assert all(s == 8 for s in backend.sizes[:full_until]), backend.sizes


def test_one_at_a_time_mode_is_the_same_runner(game: HigherLower) -> None:
    batched, single = BatchRecorder(64), BatchRecorder(1)
    a = Runner({"learner": batched}, concurrency=64).run(_tasks(game, 20))
    b = Runner({"learner": single}, concurrency=1).run(_tasks(game, 20))
    assert set(single.sizes) == {1}
    strip = lambda recs: sorted(r.to_json().split('"timing"')[0] for r in recs)  # noqa: E731
    assert strip(a.records) == strip(b.records)  # same records, whatever the batching


class _MarkedEpisode(HigherLowerEpisode):
    """Shows the secret in the guesser's instructions so a backend can single out one episode."""

    def start(self) -> None:
        super().start()
        self._histories["guesser"][0]["content"] += f" (secret {self.params['secret']})"


class _Marked(HigherLower):
    def episode_class(self):
        return _MarkedEpisode


def test_async_backends_do_not_wait_on_unrelated_episodes() -> None:
    game = _Marked()
    tasks = _tasks(game, 10)
    slow_secret = tasks[0].instance.params["secret"]
    backend = SlowAsync(f"(secret {slow_secret})", slow=0.4)
    order: list[str] = []
    Runner({"learner": backend}, concurrency=10, on_record=lambda r: order.append(r.instance_id)).run(tasks)
    # The slow episode is started first but finishes last: the nine others never waited for it.
    assert len(order) == 10 and order[-1] == tasks[0].instance.id


def test_context_overflow_aborts_with_a_reason_and_is_recorded(game: HigherLower) -> None:
    summary = Runner({"learner": Overflowing(limit=3)}).run(_tasks(game, 5))
    assert summary.played == 5
    assert all(r.outcome == "aborted" and r.fault == "guesser" and "context overflow" in r.reason
               for r in summary.records)


def test_backend_crash_fails_episodes_without_recording_them(game: HigherLower) -> None:
    recorded = []
    summary = Runner({"learner": Crashing()}, on_record=recorded.append).run(_tasks(game, 5))
    assert summary.played == 0 and recorded == [] and len(summary.failed) == 5
    assert "CUDA out of memory" in next(iter(summary.failed.values()))


def test_a_bug_in_game_code_aborts_that_episode_only(game: HigherLower) -> None:
    class Buggy(HigherLowerEpisode):
        def apply(self, role, move):
            if move == 500:
                raise ZeroDivisionError("bug")
            return super().apply(role, move)

    class BuggyGame(HigherLower):
        def episode_class(self):
            return Buggy

    g = BuggyGame()
    summary = Runner({"learner": ScriptedPlayer(bisect_reply)}).run(_tasks(g, 6))
    assert summary.played == 6 and summary.game_errors == 6
    assert all("ZeroDivisionError" in r.reason for r in summary.records)


def test_partner_and_self_play_role_assignment(game: HigherLower) -> None:
    learner, partner = BatchRecorder(), BatchRecorder()
    tasks = _tasks(game, 4)
    with_partner = Runner({"learner": learner, "partner": partner}).run(tasks)
    assert all(r.roles == {"guesser": "learner", "keeper": "partner"} for r in with_partner.records)
    assert partner.sizes and learner.sizes
    selfp = Runner({"learner": ScriptedPlayer(bisect_reply)}, self_play=True).run(tasks)
    assert all(set(r.roles.values()) == {"learner"} and r.outcome == "success" for r in selfp.records)


def test_token_counts_reach_the_record(game: HigherLower) -> None:
    rec = Runner({"learner": BatchRecorder()}).run(_tasks(game, 1)).records[0]
    moves = [t for t in rec.turns if t.kind == "move" and t.speaker == "guesser"]
    assert moves and all(t.tokens == {"prompt": 10, "completion": 3} for t in moves)


def test_skip_and_plan(game: HigherLower) -> None:
    register("higherlower", "toygame:HigherLower")
    try:
        tasks = plan_episodes(["higherlower"], "test", n=2)
        assert len(tasks) == 2 * 2 * 2  # experiments x instances x learner roles
        only = plan_episodes(["higherlower"], "test", n=2, roles=["keeper"])
        assert {t.learner_role for t in only} == {"keeper"}
        with pytest.raises(ValueError, match="no selected game has learner role"):
            plan_episodes(["higherlower"], "test", roles=["describer"])
        runner = Runner({"learner": ScriptedPlayer(bisect_reply)})
        summary = runner.run(tasks, skip={tasks[0].key})
        assert summary.played == len(tasks) - 1 and summary.skipped == 1
    finally:
        unregister("higherlower")


def test_decoding_defaults_are_greedy() -> None:
    assert Decoding().greedy and not Decoding(temperature=0.7).greedy


def test_reference_and_random_players(game: HigherLower) -> None:
    from playschool.players import RandomPlayer, ReferencePlayer

    tasks = _tasks(game, 6)
    ref = Runner({"learner": ReferencePlayer()}).run(tasks)
    assert all(r.outcome == "success" and r.roles["guesser"] == "teacher" for r in ref.records)
    a = Runner({"learner": RandomPlayer(3)}, concurrency=6).run(tasks)
    b = Runner({"learner": RandomPlayer(3)}, concurrency=1).run(tasks)
    # the random player depends on seed and conversation only, not on scheduling
    assert sorted(r.to_json().split('"timing"')[0] for r in a.records) == \
        sorted(r.to_json().split('"timing"')[0] for r in b.records)
    assert sum(r.outcome == "success" for r in a.records) < len(tasks)


def test_a_runner_can_run_again_and_reports_each_run_alone(game: HigherLower) -> None:
    backend = BatchRecorder(max_batch_size=8)
    runner = Runner({"learner": backend})
    first = runner.run(_tasks(game, 5))
    second = runner.run(_tasks(game, 3))  # new worker threads: the first run shut its own down
    assert (first.played, second.played) == (5, 3) and len(second.records) == 3
