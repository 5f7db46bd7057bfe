"""Model spec strings: one short string names any player on the command line and in manifests.

=================================  =====================================================================
``hf:PATH`` / ``hf:ID@REV``        a transformers causal LM from a local folder or the Hub (``[hf]`` extra)
``vllm:PATH`` / ``vllm:ID@REV``    a folder or Hub model on vLLM's offline engine, in-process (``[vllm]`` extra, a GPU)
``openai:MODEL@URL``               any OpenAI-compatible chat server (vLLM, TGI, llama.cpp, ...)
``scripted:FILE``                  replies from a JSON list or a text file (one per line), cycled
``agent:MODULE:ATTR``              a player written in Python (a backend, a factory or a function)
``human``                          you, at the terminal
``nano``                           the embedded default: a ~2M-parameter model trained by the SFT recipe, shipped
``tiny``                           a tiny random-weight transformers model built on first use (plumbing tests)
``teacher``                        each game's programmatic reference player (the ceiling)
``random``                         each game's random legal moves in the right format (the chance floor)
=================================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .backends.base import AsyncBackend, Backend

KINDS = ("hf", "vllm", "openai", "scripted", "agent", "human", "nano", "tiny", "teacher", "random")
_BARE = ("human", "nano", "tiny", "teacher", "random")
#: Kinds that are local transformers models: everything an ``hf:`` model can do, they can.
LOCAL_MODELS = ("hf", "nano", "tiny")
#: Kinds that name a model folder or Hub id, optionally at a revision (``KIND:PATH[@REVISION]``).
_MODEL_PATHS = ("hf", "vllm")


class SpecError(ValueError):
    """A model spec string that cannot be understood."""


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    target: str = ""
    revision: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        if self.kind in _BARE:
            return self.kind
        if self.kind == "openai":
            return f"openai:{self.target}@{self.url}"
        rev = f"@{self.revision}" if self.revision else ""
        return f"{self.kind}:{self.target}{rev}"


def parse_spec(spec: str) -> ModelSpec:
    """Parse a spec string; raises :class:`SpecError` with the accepted forms on anything else."""
    spec = spec.strip()
    if spec in _BARE:
        return ModelSpec(spec)
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS or not rest:
        raise SpecError(f"cannot read model spec {spec!r}; use one of: hf:PATH[@REVISION], vllm:PATH[@REVISION], "
                        "openai:MODEL@URL, scripted:FILE, agent:MODULE:ATTR, human, nano, tiny, teacher, random")
    if kind == "openai":
        model, at, url = rest.partition("@")
        if not at or not model or not url.startswith(("http://", "https://")):
            raise SpecError(f"an OpenAI-compatible spec is openai:MODEL@http(s)://HOST[:PORT]/v1, got {spec!r}")
        return ModelSpec("openai", model, url=url.rstrip("/"))
    if kind in _MODEL_PATHS:
        target, at, rev = rest.rpartition("@")
        # Only a suffix without a slash is a revision: "org/model@main", not "/path/with@sign/model".
        if at and target and "/" not in rev:
            return ModelSpec(kind, target, revision=rev)
        return ModelSpec(kind, rest)
    return ModelSpec(kind, rest)


def _looks_like_path(target: str) -> bool:
    return target.startswith(("/", "./", "../", "~")) or Path(target).exists() or target.count("/") != 1


def check_hf_target(spec: ModelSpec) -> None:
    """Fail early, in one line, on a local model folder (``hf:`` or ``vllm:``) that cannot hold a model (before
    any library loads)."""
    if spec.kind not in _MODEL_PATHS or not _looks_like_path(spec.target):
        return
    folder = Path(spec.target).expanduser()
    if not folder.exists():
        raise SpecError(f"{spec}: no such model folder {folder}")
    if not folder.is_dir():
        raise SpecError(f"{spec}: {folder} is a file, not a model folder")
    if not (folder / "config.json").is_file():
        raise SpecError(f"{spec}: {folder} is not a transformers model folder (it has no config.json)")


def embedded_model_path(spec: str | ModelSpec) -> Path:
    """The local folder of an embedded model spec (``nano``: shipped in the package; ``tiny``: built on first
    use) or of an ``hf:`` folder."""
    s = parse_spec(spec) if isinstance(spec, str) else spec
    if s.kind == "nano":
        from .nano import nano_model_path

        return nano_model_path()
    if s.kind == "tiny":
        from .tiny import default_model_path

        return default_model_path()
    if s.kind == "hf":
        return Path(s.target)
    raise SpecError(f"{s} is not a local transformers model")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def load_player(spec: str | ModelSpec, *, batch_size: int = 32, device: str = "auto",
                concurrency: int = 16, timeout: float = 120.0, reuse_cache: bool = False,
                cache_tokens: int = 65_536) -> Backend | AsyncBackend:
    """Build the backend a spec names. Heavy libraries are imported only for the kinds that need them.

    ``reuse_cache``/``cache_tokens``: local transformers models reuse the keys and values of prompts already
    computed (see :meth:`~playschool.backends.hf.HFBackend.set_cache_reuse`); other kinds ignore them."""
    s = parse_spec(spec) if isinstance(spec, str) else spec
    if s.kind in LOCAL_MODELS:
        try:
            from .backends.hf import HFBackend
        except ImportError as exc:
            raise SpecError(f"{s} needs transformers and torch: pip install 'playschool[hf]' ({exc})") from exc
        if s.kind != "hf":
            return HFBackend(embedded_model_path(s), device=device, max_batch_size=batch_size,
                             reuse_cache=reuse_cache, cache_tokens=cache_tokens)
        check_hf_target(s)
        try:
            return HFBackend(s.target, revision=s.revision, device=device, max_batch_size=batch_size,
                             reuse_cache=reuse_cache, cache_tokens=cache_tokens)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            # transformers raises many kinds (no network, a corrupt folder, an unknown architecture): one line
            # that names the spec and the reason is what a user needs, not a traceback.
            where = "the Hub (no network, or no such model/revision?)" if not _looks_like_path(s.target) else "its folder"
            raise SpecError(f"{s}: cannot load the model from {where}: {_one_line(exc)}") from exc
    if s.kind == "vllm":
        return _load_vllm(s)
    if s.kind == "openai":
        from .backends.openai import OpenAIBackend

        return OpenAIBackend(s.target, s.url or "", max_concurrency=concurrency, timeout=timeout)
    if s.kind == "scripted":
        from .players import ScriptedPlayer

        return ScriptedPlayer.from_file(s.target)
    if s.kind == "agent":
        from .players import load_agent

        return load_agent(s.target)
    if s.kind == "teacher":
        from .players import ReferencePlayer

        return ReferencePlayer()
    if s.kind == "random":
        from .players import RandomPlayer

        return RandomPlayer()
    from .players import HumanPlayer

    return HumanPlayer()


def _load_vllm(s: ModelSpec) -> Backend:
    """A ``vllm:`` spec: vLLM's engine schedules its own batches on the GPU, so ``batch_size`` and ``device``
    (transformers options) do not apply; the runner's concurrency bounds what is in flight."""
    try:
        from .backends.vllm import VLLMBackend, import_vllm

        import_vllm()
    except ImportError as exc:
        raise SpecError(f"{s}: {exc}") from exc  # says to pip install 'playschool[vllm]'
    check_hf_target(s)
    try:
        return VLLMBackend(s.target, revision=s.revision)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        where = "the Hub (no network, or no such model/revision?)" if not _looks_like_path(s.target) else "its folder"
        raise SpecError(f"{s}: cannot load the model from {where}: {_one_line(exc)}") from exc
