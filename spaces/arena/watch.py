"""Watch a model play: one role of a game played by a model the host configured, against the game's teacher,
streamed as one view per turn.

Models are loaded once and shared by every visitor through a :class:`BackendCache`, which keeps a bounded number
loaded (a Space has little memory) and lets one request at a time use a model (a transformers model is not
meant to be called from two threads at once). Only specs that name a model are accepted: ``agent:`` (imports
and runs code), ``scripted:`` (reads a file) and ``human`` (reads the server's terminal) are refused, whatever
the host configured.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from playschool.games import RANDOM, TEACHER

from playschool.backends.base import CONTEXT_OVERFLOW, AsyncBackend, Backend, Decoding, Reply, Request
from playschool.spec import SpecError, parse_spec

from .sessions import PLAY_SPLIT, ArenaError, PlayView, check_choice, new_episode, view_of

#: Spec kinds a visitor may watch: models (local or served), and the game's own reference and random players.
WATCHABLE = ("hf", "nano", "tiny", "openai", "teacher", "random")
#: Who the explanation of a watched game speaks of.
_WHO = "the model"

AnyBackend = Backend | AsyncBackend


def check_spec(spec: str) -> str:
    """The spec in canonical form, or :class:`ArenaError` for one that cannot or must not be watched."""
    try:
        parsed = parse_spec(str(spec))
    except SpecError as exc:
        raise ArenaError(str(exc)) from exc
    if parsed.kind not in WATCHABLE:
        raise ArenaError(f"{parsed.kind!r} players cannot be watched in the arena (only models: "
                         f"{', '.join(WATCHABLE)})")
    return str(parsed)


@dataclass
class _Loaded:
    backend: AnyBackend
    lock: threading.Lock


class BackendCache:
    """Loads each spec once, keeps at most ``max_loaded`` models (least recently used goes first) and serialises
    calls to each model. ``loader`` builds a backend from a spec (default :func:`playschool.spec.load_player`)."""

    def __init__(self, max_loaded: int = 2, loader: Callable[[str], AnyBackend] | None = None) -> None:
        if max_loaded < 1:
            raise ValueError("max_loaded must be >= 1")
        self.max_loaded = max_loaded
        self._loader = loader or _load
        self._lock = threading.Lock()
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        # One lock per spec being loaded: two visitors asking for the same model wait for one load.
        self._loading: dict[str, threading.Lock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._loaded)

    def loaded(self) -> list[str]:
        """The specs loaded now, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def get(self, spec: str) -> AnyBackend:
        """The backend of ``spec``, loading it on first use."""
        return self._entry(check_spec(spec)).backend

    def reply(self, spec: str, request: Request, decoding: Decoding) -> Reply:
        """One reply of the model to one conversation; a failing model gives an error :class:`Reply`."""
        entry = self._entry(check_spec(spec))
        with entry.lock:
            try:
                return entry.backend.generate([request], decoding)[0]  # type: ignore[union-attr]
            except Exception as exc:  # a model failure ends the watched game, never the arena
                return Reply("", error="backend_error", detail=f"{type(exc).__name__}: {exc}")

    def _entry(self, spec: str) -> _Loaded:
        with self._lock:
            if spec in self._loaded:
                self._loaded.move_to_end(spec)
                return self._loaded[spec]
            gate = self._loading.setdefault(spec, threading.Lock())
        with gate:  # outside the cache lock: loading takes seconds and other models stay usable meanwhile
            with self._lock:
                if spec in self._loaded:  # another thread loaded it while we waited
                    self._loaded.move_to_end(spec)
                    return self._loaded[spec]
            try:
                backend = self._loader(spec)
            except ArenaError:
                raise
            except Exception as exc:
                raise ArenaError(f"cannot load {spec}: {type(exc).__name__}: {exc}") from exc
            finally:
                with self._lock:
                    self._loading.pop(spec, None)
            entry = _Loaded(backend, threading.Lock())
            with self._lock:
                self._loaded[spec] = entry
                while len(self._loaded) > self.max_loaded:
                    self._loaded.popitem(last=False)  # requests holding it finish; then it is freed
            return entry


def _load(spec: str) -> AnyBackend:
    from playschool.spec import load_player

    return load_player(spec, batch_size=1)


def watch(spec: str, game: str, role: str, *, seed: int | None = None, backends: BackendCache | None = None,
          max_new_tokens: int = 128, split: str = PLAY_SPLIT) -> Iterator[PlayView]:
    """Let the model ``spec`` play ``role`` of ``game`` against the teacher; yields a view at the start and after
    each of its moves (the teacher's answer included), the last one with the game over.

    The spec, game, role and split are checked here, before anything is yielded (:class:`ArenaError`); a model
    that cannot load fails on the first ``next()``. Decoding is greedy, so a seed gives the same game every
    time. ``teacher``/``random`` watch the game's own reference or random player, which the game plays in one
    go; their moves are then shown one by one. Without ``backends`` the model is loaded for this game only.
    """
    spec = check_spec(spec)
    if not 1 <= max_new_tokens <= 4096:
        raise ArenaError("max_new_tokens must be between 1 and 4096")
    check_choice(game, role, split)
    if parse_spec(spec).kind in ("teacher", "random"):
        return _replayed(spec, game, role, seed, split)
    # "is None", not "or": an empty cache is falsy (it has a length).
    cache = backends if backends is not None else BackendCache(max_loaded=1)
    return _played(spec, game, role, seed, split, cache, Decoding(max_new_tokens=max_new_tokens))


def _played(spec: str, game: str, role: str, seed: int | None, split: str, cache: BackendCache,
            decoding: Decoding) -> Iterator[PlayView]:
    cache.get(spec)  # load before the first view, so that the start of the game is not shown for nothing
    episode = new_episode(game, role, seed=seed, split=split)
    wid = "watch-" + secrets.token_urlsafe(8)
    yield view_of(episode, wid, role, who=_WHO)
    while (turn := episode.pending()) is not None:
        reply = cache.reply(spec, Request(turn.messages, seed=episode.moves), decoding)
        if reply.error is not None:
            why = "its context is full" if reply.error == CONTEXT_OVERFLOW else "the model failed"
            episode.abort(f"{why}: {reply.detail or reply.error}")
        else:
            episode.act(reply.text, tokens={"prompt": reply.prompt_tokens, "completion": reply.completion_tokens})
        yield view_of(episode, wid, role, who=_WHO)


def _replayed(spec: str, game: str, role: str, seed: int | None, split: str) -> Iterator[PlayView]:
    """The game's own player in ``role``: the game plays the whole episode at once, and the views then show it
    one move of the role at a time."""
    episode = new_episode(game, role, seed=seed, split=split, player=TEACHER if spec == "teacher" else RANDOM)
    final = view_of(episode, "watch-" + secrets.token_urlsafe(8), role, who=_WHO)
    moves = [i for i, m in enumerate(final.messages) if m.kind == "move"]
    # A view before each move (what the player had been told so far), then the finished game.
    for cut in moves:
        yield replace(final, messages=final.messages[:cut], done=False, outcome=None, score=None, explanation="",
                      waiting_for=role)
    yield final


__all__ = ["WATCHABLE", "BackendCache", "check_spec", "watch"]
