"""The batched runner: plays many episodes at once and batches every pending model call across episodes.

Each episode is a small coroutine that asks its players for replies. Replies from a batching backend
(transformers) go through a :class:`_BatchQueue`: the queue waits until every runnable episode has either
asked for its next reply or is waiting on something else, then sends all pending conversations for that
model in one ``generate`` call on the backend's own worker thread. When a batch returns, its episodes move
on at once and finished episodes make room for new ones (continuous batching). Async backends (HTTP) are
awaited per request, so a turn never waits on an unrelated episode; cheap inline players (scripted, human)
are called directly.

Infrastructure failures (a server down after all retries, a crashed backend) do not produce records: the
episode is reported as failed and a resumed run plays it again. A context overflow is the model's problem
and ends the episode as ``aborted`` with that reason.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from playschool.games import (
    LEARNER,
    RANDOM,
    TEACHER,
    EpisodeRecord,
    Game,
    Instance,
    episode_key,
    load_game,
    stable_seed,
)

from .backends.base import (
    BACKEND_ERROR,
    CONTEXT_OVERFLOW,
    AsyncBackend,
    Backend,
    Conversation,
    Decoding,
    Reply,
    Request,
)
from .feedback import check_feedback
from .players import RandomPlayer, ReferencePlayer
from .views import learner_view

#: Role assignment values beyond LEARNER/TEACHER: a model-backed partner plays the non-learner roles.
PARTNER = "partner"


@dataclass(frozen=True)
class EpisodeTask:
    """One episode to play: a game, an instance and the role the learner takes."""

    game: Game
    instance: Instance
    learner_role: str

    @property
    def key(self) -> str:
        return episode_key(self.game.versioned_id, self.instance.id, self.learner_role)


def plan_episodes(games: Sequence[str], split: str, *, roles: Sequence[str] | None = None, n: int | None = None,
                  seed: int = 0) -> list[EpisodeTask]:
    """Every (instance, learner role) pair of ``games`` on ``split``.

    ``roles`` restricts the learner roles (a role a game lacks is skipped for that game; a role no game has
    is an error); ``n`` caps instances per experiment.
    """
    tasks: list[EpisodeTask] = []
    seen_roles: set[str] = set()
    for gid in games:
        game = load_game(gid)
        wanted = [r for r in game.learner_roles if roles is None or r in roles]
        seen_roles.update(wanted)
        for inst in game.generate(split, n=n, seed=seed):
            tasks.extend(EpisodeTask(game, inst, r) for r in wanted if game.supports(inst, r))
    if roles is not None and (missing := set(roles) - seen_roles):
        raise ValueError(f"no selected game has learner role(s) {sorted(missing)}")
    return tasks


@dataclass
class RunSummary:
    """What a run did. ``records`` holds the records written by this run only."""

    played: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    game_errors: int = 0
    seconds: float = 0.0
    model_calls: int = 0
    records: list[EpisodeRecord] = field(default_factory=list)

    @property
    def episodes_per_second(self) -> float:
        return self.played / self.seconds if self.seconds > 0 else 0.0


class _EpisodeFailed(Exception):
    """An infrastructure failure: the episode is not recorded and will be played again on resume."""


class _BatchQueue:
    """Collects conversations for one batching backend and sends them in as few calls as possible."""

    def __init__(self, runner: Runner, backend: Backend) -> None:
        self.runner = runner
        self.backend = backend
        self.max_batch = max(1, int(getattr(backend, "max_batch_size", 1)))
        self.pending: list[tuple[Conversation, asyncio.Future[Reply]]] = []
        self.worker: asyncio.Task[None] | None = None
        # One thread per backend: a model is never called from two threads at once.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playschool-backend")

    async def submit(self, conversation: Conversation) -> Reply:
        fut: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.pending.append((conversation, fut))
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())
        return await fut

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                # Let every runnable episode reach its next request first: that is what fills the batch.
                spins = 0
                while self.runner._runnable > 0 and len(self.pending) < self.max_batch and spins < 10_000:
                    await asyncio.sleep(0)
                    spins += 1
                batch = self.pending[: self.max_batch]
                del self.pending[: len(batch)]
                convs = [c for c, _ in batch]
                try:
                    replies = await loop.run_in_executor(self.executor, self.backend.generate, convs,
                                                         self.runner.decoding)
                    if len(replies) != len(batch):
                        raise RuntimeError(f"backend returned {len(replies)} replies for {len(batch)} requests")
                except Exception as exc:  # a crashed backend fails its requests, not the whole run
                    replies = [Reply("", error=BACKEND_ERROR, detail=f"{type(exc).__name__}: {exc}")] * len(batch)
                self.runner.summary.model_calls += 1
                for (_, fut), reply in zip(batch, replies):
                    if not fut.done():
                        self.runner._runnable += 1
                        fut.set_result(reply)
        finally:
            self.worker = None

    def close(self) -> None:
        self.executor.shutdown(wait=False)


class Runner:
    """Plays episode tasks with the given players and writes one record per finished episode.

    ``players`` maps a role assignment value to the backend that plays it: ``"learner"`` (required),
    optionally ``"partner"`` (a model-backed teacher playing every non-learner role). With ``self_play``
    the learner plays every role. ``on_record`` is called with each record as soon as its episode ends
    (the CLI appends it to the run's :class:`~playschool.store.RecordStore`). ``feedback`` (see
    :mod:`playschool.feedback`) ablates the teacher's feedback in what the learner backend is shown; partners
    see everything, and the game, its records and scores are the same in every mode.
    """

    def __init__(self, players: dict[str, Backend | AsyncBackend], *, decoding: Decoding | None = None,
                 concurrency: int = 64, self_play: bool = False, manifest_id: str = "",
                 on_record: Callable[[EpisodeRecord], None] | None = None, progress: bool = False,
                 progress_label: str = "playing", feedback: str = "all") -> None:
        if LEARNER not in players:
            raise ValueError("players must include the learner")
        self.feedback = check_feedback(feedback)
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.players = players
        self.decoding = decoding or Decoding()
        self.concurrency = concurrency
        self.self_play = self_play
        self.manifest_id = manifest_id
        self.on_record = on_record
        self.progress = progress
        self.progress_label = progress_label
        self.summary = RunSummary()
        # The game's own player (reference or random) takes the learner's seat: the episode plays it, no request
        # ever goes out.
        self._internal = (TEACHER if isinstance(players[LEARNER], ReferencePlayer)
                          else RANDOM if isinstance(players[LEARNER], RandomPlayer) else None)
        self._runnable = 0
        self._live = 0
        self._spawn: Callable[[], None] = lambda: None
        self._queues: dict[int, _BatchQueue] = {}

    # ------------------------------------------------------------------ API
    def run(self, tasks: Iterable[EpisodeTask], *, skip: frozenset[str] | set[str] = frozenset()) -> RunSummary:
        """Play every task whose key is not in ``skip``; returns the summary (also on ``self.summary``)."""
        all_tasks = list(tasks)
        todo = [t for t in all_tasks if t.key not in skip]
        self.summary = RunSummary(skipped=len(all_tasks) - len(todo))  # each run reports on itself only
        start = time.perf_counter()
        try:
            asyncio.run(self._run(todo))
        finally:
            for q in self._queues.values():
                q.close()
            self._queues.clear()  # their worker threads are shut down; a later run() makes new ones
            self.summary.seconds = time.perf_counter() - start
        return self.summary

    def roles_for(self, task: EpisodeTask) -> dict[str, str]:
        learner = self._internal or LEARNER
        other = learner if self.self_play else (PARTNER if PARTNER in self.players else TEACHER)
        return {r: (learner if r == task.learner_role else other) for r in task.game.roles}

    # ------------------------------------------------------------- internals
    async def _run(self, todo: list[EpisodeTask]) -> None:
        from .progress import RunProgress

        it = iter(todo)
        tasks: set[asyncio.Task[None]] = set()
        finished = asyncio.Event()
        crash: list[BaseException] = []
        loop = asyncio.get_running_loop()
        bar = RunProgress(len(todo), label=self.progress_label, enabled=self.progress)
        self._live = 0

        def on_done(t: asyncio.Task[None]) -> None:
            tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                crash.append(t.exception())  # type: ignore[arg-type]
            if crash or not tasks:
                finished.set()

        def spawn() -> None:
            # Called by each finishing episode *before* it stops counting as runnable, so the replacement
            # joins the next batch instead of missing it.
            while self._live < self.concurrency and not crash:
                task = next(it, None)
                if task is None:
                    break
                self._live += 1
                self._runnable += 1
                t = loop.create_task(self._play(task, bar))
                tasks.add(t)
                t.add_done_callback(on_done)

        self._spawn = spawn
        try:
            with bar:
                spawn()
                if tasks:
                    await finished.wait()
                if crash:
                    for t in tasks:
                        t.cancel()
                    raise crash[0]
        finally:
            # HTTP clients belong to this event loop: close them before asyncio.run() closes the loop.
            for backend in self.players.values():
                aclose = getattr(backend, "aclose", None)
                if aclose is not None and asyncio.iscoroutinefunction(aclose):
                    await aclose()

    async def _reply(self, backend: Backend | AsyncBackend, conversation: Conversation) -> Reply:
        if getattr(backend, "inline", False):
            self.summary.model_calls += 1
            return backend.generate([conversation], self.decoding)[0]  # type: ignore[union-attr]
        if hasattr(backend, "agenerate"):
            self._runnable -= 1
            try:
                return await backend.agenerate(conversation, self.decoding)
            finally:
                self._runnable += 1
                self.summary.model_calls += 1
        queue = self._queues.get(id(backend))
        if queue is None:
            queue = self._queues[id(backend)] = _BatchQueue(self, backend)
        self._runnable -= 1  # the queue's worker counts us back in when it delivers our reply
        return await queue.submit(conversation)

    async def _play(self, task: EpisodeTask, bar: Any) -> None:
        started = time.perf_counter()
        try:
            record = await self._episode(task, started)
        except _EpisodeFailed as exc:
            self.summary.failed[task.key] = str(exc)
            bar.advance(None)
        else:
            self.summary.played += 1
            self.summary.records.append(record)
            if self.on_record is not None:
                self.on_record(record)
            bar.advance(record)
        finally:
            self._live -= 1
            self._spawn()
            self._runnable -= 1

    async def _episode(self, task: EpisodeTask, started: float) -> EpisodeRecord:
        roles = self.roles_for(task)
        try:
            episode = task.game.new_episode(task.instance, task.learner_role, roles)
        except Exception as exc:
            raise _EpisodeFailed(f"game could not start: {type(exc).__name__}: {exc}") from exc
        model_seconds = 0.0
        while (turn := episode.pending()) is not None:
            backend = self.players[roles[turn.role]]
            t0 = time.perf_counter()
            # The sampling seed of this request: a function of the decoding seed, the episode and the move
            # number only, so a sampled reply never depends on what else was in flight.
            messages = turn.messages
            if self.feedback != "all" and roles[turn.role] == LEARNER:
                # What the learner backend is shown: its history rebuilt from the typed turns, ablated.
                messages = tuple(learner_view(episode.turns, turn.role, self.feedback).messages)
            request = Request(messages, stable_seed(self.decoding.seed, task.key, episode.moves))
            reply = await self._reply(backend, request)
            model_seconds += time.perf_counter() - t0
            if reply.error == CONTEXT_OVERFLOW:
                episode.abort(f"context overflow: {reply.detail or 'the conversation no longer fits the model'}")
                break
            if reply.error is not None:
                raise _EpisodeFailed(f"{reply.error}: {reply.detail}")
            tokens = {"prompt": reply.prompt_tokens, "completion": reply.completion_tokens}
            try:
                episode.act(reply.text, tokens=tokens)
            except Exception as exc:  # a bug in game code outside a move must not take the whole run down
                episode.fail_game(exc, f"in the episode driver\n{traceback.format_exc(limit=3)}")
                break
        if episode.outcome == "error":
            self.summary.game_errors += 1
        timing = {"seconds": round(time.perf_counter() - started, 4), "model_seconds": round(model_seconds, 4)}
        return episode.record(manifest_id=self.manifest_id, timing=timing)
