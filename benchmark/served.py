"""CLU2's reference plane for a *served* model (``openai:MODEL@URL``), through lm-eval's OpenAI-compatible
completions model (``local-completions``).

Multiple-choice tasks are scored by log-likelihood: lm-eval sends each context+continuation as token ids to
``<URL>/completions`` with ``echo: true, logprobs: 1, max_tokens: 1`` and sums the *prompt* log-probabilities
of the continuation's tokens that the server echoes back (vLLM's OpenAI server does this; OpenAI's hosted chat
models do not). The generative task goes through the same endpoint's ordinary generation (greedy, ``stop``).

So that a served model and the same weights loaded locally (``hf:``, lm-eval's ``hf`` model) are scored on
exactly the same token sequences, lm-eval tokenizes here with the model's own Hugging Face tokenizer and sends
token ids (``tokenized_requests``), adding the special tokens exactly when lm-eval's ``hf`` model would (it
uses the tokenizer's default, see :func:`adds_special_tokens`).

Before lm-eval starts, :func:`prepare_served_model` loads that tokenizer, reads the context length from
``GET <URL>/models`` and sends one probe request shaped like lm-eval's; a server that cannot serve the plane
fails there with a :class:`ServedModelError` that names the URL and what is missing, not somewhere inside
lm-eval. The API key comes from ``$OPENAI_API_KEY`` (lm-eval reads the same variable); it is sent as a bearer
token and never recorded.

Heavy imports (``transformers``, ``lm_eval``) stay inside functions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .items import ItemResult
from .reference_plane import ReferencePlaneError, ReferenceRun, evaluate_reference, resolve_tasks
from .registry import UnknownTaskError

#: lm-eval's registered name of its OpenAI-compatible completions model.
LM_EVAL_MODEL = "local-completions"
#: The context length when neither the server nor the tokenizer says (lm-eval's own default for API models).
DEFAULT_MAX_LENGTH = 2048
#: The probe's prompt: a few ordinary tokens, like the start of a reference item.
PROBE_TEXT = "Question: What is the capital of France?\nAnswer: Paris"
#: What lm-eval's API models import (its ``api`` extra); without them it fails with a long message of its own.
API_PACKAGES = ("aiohttp", "tenacity", "requests", "tqdm")
# Tokenizers without a known length report a huge sentinel (transformers uses int(1e30)).
_SANE_MAX_LENGTH = 10_000_000
_SKIP = "pass --skip-reference to evaluate it on the interactional plane only"


class ServedModelError(ReferencePlaneError):
    """The served model cannot be scored on the reference plane (unreachable, no completions endpoint, no prompt
    log-probabilities, an HTTP error, no tokenizer); the message names the URL and what is wrong, in one line."""


def _line(text: object, limit: int = 300) -> str:
    """One line of at most ``limit`` characters: errors here end up as a CLI's single-line message."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: what a manifest may record (a key can hide in either)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _headers() -> dict[str, str]:
    # The same variable lm-eval's local-completions reads, so the probe and the run authenticate alike.
    key = os.environ.get("OPENAI_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


@dataclass(frozen=True)
class ServedModel:
    """A served model that passed the preflight, and what lm-eval needs to score it like the local ``hf`` path."""

    model: str  # the name the server serves it under (the spec's MODEL)
    url: str  # the OpenAI base URL (``http://host:port/v1``), as given
    tokenizer: str  # a local folder or Hub id that ``AutoTokenizer.from_pretrained`` loads
    max_length: int  # context length in tokens
    max_length_source: str  # "server" (GET /models max_model_len) | "tokenizer" | "default"
    add_bos_token: bool  # True when the tokenizer adds special tokens by default (so lm-eval's hf model does)

    @property
    def completions_url(self) -> str:
        return f"{self.url.rstrip('/')}/completions"

    def model_args(self, *, num_concurrent: int = 16, max_retries: int = 3, timeout: int = 300,
                   max_gen_toks: int = 256) -> dict[str, Any]:
        """lm-eval ``local-completions`` arguments. No API key among them: lm-eval reads ``$OPENAI_API_KEY``
        itself, and these arguments go into the run's manifest."""
        return {"base_url": self.completions_url, "model": self.model, "tokenizer_backend": "huggingface",
                "tokenizer": self.tokenizer, "tokenized_requests": True, "max_length": self.max_length,
                "add_bos_token": self.add_bos_token, "num_concurrent": int(num_concurrent),
                "max_retries": int(max_retries), "timeout": int(timeout), "max_gen_toks": int(max_gen_toks)}

    def describe(self) -> dict[str, Any]:
        """The manifest's account of how the plane reached the model (no secrets: the URL is stripped of user
        info and query)."""
        return {"served": True, "lm_eval_model": LM_EVAL_MODEL, "url": public_url(self.url), "model": self.model,
                "tokenizer": self.tokenizer, "max_length": self.max_length,
                "max_length_source": self.max_length_source, "add_bos_token": self.add_bos_token}


# ------------------------------------------------------------------------------------------ tokenizer
def load_tokenizer(name: str) -> Any:
    """The Hugging Face tokenizer ``name`` (a local folder or Hub id), or a one-line :class:`ServedModelError`
    saying to pass ``--reference-tokenizer``."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise ServedModelError(f"the reference plane of a served model needs transformers ({exc}); "
                               f"install playschool[eval], or {_SKIP}") from exc
    try:
        return AutoTokenizer.from_pretrained(name)
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError, ... for what it cannot load
        raise ServedModelError(f"cannot load the tokenizer {name!r} of the served model ({type(exc).__name__}: "
                               f"{_line(exc, 200)}); pass --reference-tokenizer PATH_OR_ID (a local folder or Hub "
                               "id with the served model's tokenizer)") from exc


def adds_special_tokens(tokenizer: Any) -> bool:
    """Whether the tokenizer adds special tokens (a BOS, typically) when asked for its default.

    lm-eval's ``hf`` model with ``add_bos_token`` unset encodes with the tokenizer's default; its API models
    encode with ``add_special_tokens=add_bos_token``. Passing this value as ``add_bos_token`` makes both send the
    model the same token ids."""
    default = tokenizer(PROBE_TEXT).input_ids
    plain = tokenizer(PROBE_TEXT, add_special_tokens=False).input_ids
    return list(default) != list(plain)


def _tokenizer_max_length(tokenizer: Any) -> int | None:
    value = getattr(tokenizer, "model_max_length", None)
    if isinstance(value, int) and 0 < value <= _SANE_MAX_LENGTH:
        return value
    return None


# ------------------------------------------------------------------------------------------- preflight
def _unreachable(url: str, exc: Exception) -> ServedModelError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return ServedModelError(f"the server at {public_url(url)} did not answer in time ({type(exc).__name__}); "
                                f"is it overloaded? Or {_SKIP}")
    return ServedModelError(f"cannot reach the server at {public_url(url)} ({type(exc).__name__}: "
                            f"{_line(exc, 150)}); is it running and is the URL right (e.g. "
                            f"http://HOST:PORT/v1)?")


def _refused(where: str, response: Any) -> ServedModelError:
    return ServedModelError(f"{public_url(where)} refused the request (HTTP {response.status_code}: "
                            f"{_line(response.text, 150)}); set OPENAI_API_KEY to the server's key")


def server_models(client: Any, url: str) -> list[dict[str, Any]] | None:
    """The entries of ``GET <url>/models``, or None when the server does not list them (not every server does;
    that alone is no reason to refuse it). An unreachable server raises :class:`ServedModelError`."""
    import httpx

    try:
        response = client.get(f"{url.rstrip('/')}/models")
    except httpx.TransportError as exc:
        raise _unreachable(url, exc) from exc
    if response.status_code in (401, 403):
        raise _refused(f"{url.rstrip('/')}/models", response)
    if response.status_code != 200:
        return None
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return None
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else None


def probe(client: Any, served: ServedModel, tokenizer: Any) -> None:
    """Send one request shaped exactly like lm-eval's log-likelihood requests and check that the answer carries
    what lm-eval reads: a log-probability for every prompt token (the first may be None) plus the one generated
    token, each with its ``top_logprobs``. Raises :class:`ServedModelError` otherwise."""
    import httpx

    ids = list(tokenizer(PROBE_TEXT, add_special_tokens=served.add_bos_token).input_ids)
    payload = {"model": served.model, "prompt": [ids], "temperature": 0, "max_tokens": 1, "logprobs": 1,
               "seed": 1234, "echo": True}
    where = public_url(served.completions_url)
    try:
        response = client.post(served.completions_url, json=payload)
    except httpx.TransportError as exc:
        raise _unreachable(served.url, exc) from exc
    status = response.status_code
    if status in (404, 405):
        raise ServedModelError(f"{where} is not served (HTTP {status}: {_line(response.text, 100)}): the "
                               "reference plane scores log-likelihoods through the completions API, which a "
                               f"chat-only server lacks; serve the model with vLLM's OpenAI server, or {_SKIP}")
    if status in (401, 403):
        raise _refused(served.completions_url, response)
    if status >= 400:
        raise ServedModelError(f"{where} answered a log-likelihood request with HTTP {status}: "
                               f"{_line(response.text, 200)}")
    try:
        body = response.json()
        choices = sorted(body["choices"], key=lambda c: c.get("index", 0))
        logprobs = choices[0].get("logprobs")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ServedModelError(f"{where} answered with no completion choices ({type(exc).__name__}: "
                               f"{_line(response.text, 150)})") from exc
    no_echo = (f"the server at {public_url(served.url)} did not echo prompt logprobs; vLLM's OpenAI server does, "
               "OpenAI's hosted chat models do not; pass --skip-reference")
    token_logprobs = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
    if not isinstance(token_logprobs, list) or len(token_logprobs) < len(ids):
        got = "no logprobs" if not isinstance(token_logprobs, list) else f"{len(token_logprobs)} token logprobs"
        raise ServedModelError(f"{no_echo} (asked for the {len(ids)} prompt tokens' log-probabilities with echo, "
                               f"got {got})")
    # lm-eval drops the last entry as the generated token's: a server that echoes the prompt but returns no
    # entry for the generated token would have a real continuation token dropped from every score.
    if len(token_logprobs) != len(ids) + 1:
        raise ServedModelError(f"{where} returned {len(token_logprobs)} token logprobs for a prompt of {len(ids)} "
                               f"tokens and max_tokens=1; lm-eval's local-completions needs {len(ids) + 1} (the "
                               f"echoed prompt and the generated token); {_SKIP}")
    top = logprobs.get("top_logprobs")
    values_ok = all(isinstance(v, int | float) and math.isfinite(v) and v <= 1e-6 for v in token_logprobs[1:])
    top_ok = isinstance(top, list) and len(top) == len(token_logprobs) and all(
        isinstance(t, dict) and t for t in top[1:])
    if not (values_ok and top_ok):
        raise ServedModelError(f"{where} echoed prompt logprobs lm-eval cannot read (token_logprobs must be "
                               f"numbers <= 0 after the first, top_logprobs one non-empty mapping per token); {_SKIP}")


def prepare_served_model(model: str, url: str, *, tokenizer: str | Path | None = None,
                         timeout: float = 60.0, transport: Any = None) -> ServedModel:
    """Everything checked before lm-eval starts: the tokenizer (``tokenizer``, else the served model's name, as
    vLLM serves a Hub model under its id) loads; the context length (the server's ``max_model_len`` when
    ``GET /models`` gives one, else the tokenizer's ``model_max_length`` if it is a real length, else
    :data:`DEFAULT_MAX_LENGTH`); the server lists the model (when it lists any) and passes :func:`probe`.
    ``transport`` (an ``httpx`` transport) is for tests. Raises :class:`ServedModelError`."""
    import httpx

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServedModelError(f"{public_url(url)!r} is no OpenAI base URL; use http(s)://HOST[:PORT]/v1")
    if parts.username or parts.password or parts.query or parts.fragment:
        # lm-eval's arguments (the URL among them) go into the manifest: a credential in the URL would too.
        raise ServedModelError(f"the server URL {public_url(url)} must carry no user info, query or fragment; "
                               "give the API key in OPENAI_API_KEY")
    missing = [p for p in API_PACKAGES if find_spec(p) is None]
    if missing:
        raise ServedModelError(f"lm-eval's API models need {missing}: pip install 'lm-eval[api]', or {_SKIP}")
    name = str(tokenizer) if tokenizer is not None else model
    tok = load_tokenizer(name)
    add_bos = adds_special_tokens(tok)
    with httpx.Client(timeout=timeout, headers=_headers(), transport=transport) as client:
        entries = server_models(client, url)
        entry = next((e for e in entries or [] if e.get("id") == model), None)
        if entries and entry is None:
            served = sorted(str(e.get("id")) for e in entries)[:10]
            raise ServedModelError(f"the server at {public_url(url)} serves {served}, not {model!r}; use "
                                   f"openai:NAME@{public_url(url)} with one of those names")
        server_len = entry.get("max_model_len") if entry else None
        if isinstance(server_len, int) and server_len > 1:
            max_length, source = server_len, "server"
        elif (tok_len := _tokenizer_max_length(tok)) is not None:
            max_length, source = tok_len, "tokenizer"
        else:
            max_length, source = DEFAULT_MAX_LENGTH, "default"
        served_model = ServedModel(model=model, url=url.rstrip("/"), tokenizer=name, max_length=max_length,
                                   max_length_source=source, add_bos_token=add_bos)
        probe(client, served_model, tok)
    return served_model


# ------------------------------------------------------------------------------------------------- run
def evaluate_served_reference(model: str, url: str, *, tokenizer: str | Path | None = None,
                              tasks: Sequence[str] | None = None, data: str | Path | None = None,
                              limit: int | None = None, shard: tuple[int, int] | None = None,
                              batch_size: int = 1, num_concurrent: int = 16, max_retries: int = 3,
                              timeout: int = 300, cache_dir: str | Path | None = None) -> ReferenceRun:
    """Run the reference plane on the model served at ``url`` (an OpenAI base URL, ``.../v1``) under ``model``.

    ``tasks``/``data``/``limit``/``shard``/``cache_dir`` as in
    :func:`~playschool.benchmark.reference_plane.run_reference_plane`; ``tokenizer`` as in
    :func:`prepare_served_model`; ``batch_size`` prompts per request (1: every server takes it; vLLM batches
    concurrent requests anyway), ``num_concurrent`` requests in flight, ``max_retries`` attempts per request,
    ``timeout`` seconds per request. The manifest's ``model`` entry says the plane ran served
    (:meth:`ServedModel.describe`). Raises :class:`ServedModelError` before lm-eval starts when the server
    cannot serve the plane, and wraps what fails inside lm-eval's requests in one too."""
    selected = resolve_tasks(tasks)  # an unknown task id fails before any request
    served = prepare_served_model(model, url, tokenizer=tokenizer, timeout=min(float(timeout), 60.0))
    args = served.model_args(num_concurrent=num_concurrent, max_retries=max_retries, timeout=timeout)
    try:
        return evaluate_reference(None, tasks=selected, data=data, limit=limit, batch_size=batch_size,
                                  shard=shard, model_args=args, cache_dir=cache_dir, lm_model=LM_EVAL_MODEL,
                                  model_info=served.describe())
    except (ReferencePlaneError, UnknownTaskError):  # the plane's own errors (data, tasks) say what they are
        raise
    except Exception as exc:  # aiohttp/requests/tenacity errors and malformed answers: the server's, say so
        raise ServedModelError(f"the served model at {public_url(url)} failed during the reference run "
                               f"({type(exc).__name__}: {_line(exc, 200)})") from exc


def run_served_reference_plane(model: str, url: str, *, tokenizer: str | Path | None = None,
                               tasks: Sequence[str] | None = None, data: str | Path | None = None,
                               limit: int | None = None, shard: tuple[int, int] | None = None,
                               batch_size: int = 1, num_concurrent: int = 16, max_retries: int = 3,
                               timeout: int = 300, cache_dir: str | Path | None = None) -> list[ItemResult]:
    """:func:`evaluate_served_reference`'s items only (one :class:`ItemResult` per scored item)."""
    return evaluate_served_reference(model, url, tokenizer=tokenizer, tasks=tasks, data=data, limit=limit,
                                     shard=shard, batch_size=batch_size, num_concurrent=num_concurrent,
                                     max_retries=max_retries, timeout=timeout, cache_dir=cache_dir).items


__all__ = ["API_PACKAGES", "DEFAULT_MAX_LENGTH", "LM_EVAL_MODEL", "PROBE_TEXT", "ServedModel", "ServedModelError",
           "adds_special_tokens", "evaluate_served_reference", "load_tokenizer", "prepare_served_model", "probe",
           "public_url", "run_served_reference_plane", "server_models"]
