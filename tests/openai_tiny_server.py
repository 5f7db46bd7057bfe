"""A small OpenAI-compatible server over a local transformers model folder, for tests (a helper, not a test file).

It answers the way vLLM's OpenAI server does, on the parts that CLU2 uses:

* ``GET /v1/models``: the one served model, with ``max_model_len`` (the model's ``max_position_embeddings``).
* ``POST /v1/completions``: ``prompt`` as a string, a list of token ids, a list of strings or a list of
  token-id lists (one choice per prompt, with its ``index``); greedy decoding of ``max_tokens`` tokens, stopped
  by the model's EOS token or cut before the first of the ``stop`` strings (``finish_reason`` ``"stop"`` or
  ``"length"``); ``echo`` puts the prompt in front of the text; ``logprobs: k`` adds ``tokens``,
  ``token_logprobs``, ``top_logprobs`` (the top k tokens and the chosen one; ``None`` for the first prompt
  token, which nothing conditions) and ``text_offset``, covering the prompt too when echoed; ``usage``.
* ``POST /v1/chat/completions``: the model's chat template, greedy decoding, so that a whole ``playschool
  eval`` (whose interactional plane talks to chat completions) can run against it.

``mode`` emulates servers that cannot serve CLU2's reference plane: ``"null-logprobs"`` (completions answer
``logprobs: null``), ``"no-echo"`` (``echo`` is ignored: the log-probabilities cover the generated token only)
and ``"chat-only"`` (``/v1/completions`` is a 404). With ``api_key`` set, requests without that bearer token
get a 401. Every request's path and ``Authorization`` header are kept in :attr:`TinyOpenAIServer.seen`.

Decoding is always greedy (``temperature`` is accepted and ignored), and model calls are serialised by a lock:
a test server is for exact, reproducible answers, not throughput.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["ok", "null-logprobs", "no-echo", "chat-only"]
MODES: tuple[Mode, ...] = ("ok", "null-logprobs", "no-echo", "chat-only")


@dataclass
class Generation:
    """What greedy decoding of one prompt produced."""

    ids: list[int]  # generated token ids (EOS not included)
    text: str  # decoded (special tokens skipped), cut before the first stop string
    finish_reason: str  # "stop" (EOS or a stop string) | "length"
    rows: list[Any] = field(repr=False)  # log-softmax row that chose each generated token


class TinyEngine:
    """A transformers causal LM and its tokenizer, loaded once; every model call holds :attr:`lock`."""

    def __init__(self, model_path: str | Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.model = AutoModelForCausalLM.from_pretrained(str(model_path))
        self.model.eval()
        self.max_model_len = int(getattr(self.model.config, "max_position_embeddings", 2048))
        self.eos_id = self.tokenizer.eos_token_id
        self.lock = threading.Lock()
        # transformers 5 renamed ``past_key_values`` to ``cache`` (the old name warns); use what this one takes.
        self._cache_arg = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

    def encode(self, text: str, *, add_special_tokens: bool = True) -> list[int]:
        # A string prompt is tokenized with the tokenizer's default special tokens, as vLLM does.
        return list(self.tokenizer(text, add_special_tokens=add_special_tokens).input_ids)

    def token(self, token_id: int) -> str:
        return str(self.tokenizer.convert_ids_to_tokens(int(token_id)))

    def run(self, prompt: Sequence[int], max_tokens: int, stop: Sequence[str],
            echo_rows: bool) -> tuple[Any, Generation]:
        """Greedy decoding with a KV cache (as ``model.generate`` does): the prompt's log-softmax rows (when
        ``echo_rows``; row ``i`` predicts token ``i + 1``) and the generation."""
        torch = self.torch
        with self.lock, torch.inference_mode():
            out = self.model(input_ids=torch.tensor([list(prompt)]), use_cache=True)
            logp = torch.log_softmax(out.logits[0].float(), dim=-1)
            prompt_rows = logp[:-1] if echo_rows else None
            row, past = logp[-1], getattr(out, self._cache_arg)
            ids: list[int] = []
            rows: list[Any] = []
            text, finish = "", "length"
            for _ in range(max_tokens):
                next_id = int(torch.argmax(row))
                rows.append(row)
                if next_id == self.eos_id:
                    finish = "stop"
                    break
                ids.append(next_id)
                text = str(self.tokenizer.decode(ids, skip_special_tokens=True))
                cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
                if cut >= 0:  # like vLLM: the text ends before the stop string, which is not returned
                    text, finish = text[:cut], "stop"
                    break
                if len(ids) == max_tokens:
                    break
                step = self.model(input_ids=torch.tensor([[next_id]]), use_cache=True, **{self._cache_arg: past})
                row, past = torch.log_softmax(step.logits[0, -1].float(), dim=-1), getattr(step, self._cache_arg)
        return prompt_rows, Generation(ids=ids, text=text, finish_reason=finish, rows=rows)

    def top(self, row: Any, chosen: int, k: int) -> dict[str, float]:
        """The top ``k`` tokens of a log-softmax row plus the chosen one: {token: logprob}."""
        values, indices = self.torch.topk(row, max(1, k))
        top = {self.token(int(i)): float(v) for v, i in zip(values, indices)}
        top[self.token(chosen)] = float(row[chosen])
        return top


def _error(status: int, message: str, kind: str = "invalid_request_error") -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind, "code": status}})


def _prompts(engine: TinyEngine, prompt: Any) -> list[list[int]]:
    """The four prompt forms of the completions API, as token-id lists."""
    if isinstance(prompt, str):
        return [engine.encode(prompt)]
    if not isinstance(prompt, list) or not prompt:
        raise ValueError("prompt must be a string, a list of token ids, a list of strings or a list of id lists")
    if all(isinstance(p, int) for p in prompt):
        return [list(prompt)]
    if all(isinstance(p, str) for p in prompt):
        return [engine.encode(p) for p in prompt]
    if all(isinstance(p, list) and p and all(isinstance(t, int) for t in p) for p in prompt):
        return [list(p) for p in prompt]
    raise ValueError("prompt must be a string, a list of token ids, a list of strings or a list of id lists")


def create_app(engine: TinyEngine, model_name: str, *, mode: Mode = "ok", api_key: str | None = None,
               seen: list[tuple[str, str | None]] | None = None) -> Any:
    """The FastAPI app (see the module docstring)."""
    from fastapi import FastAPI, Request

    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: use one of {MODES}")
    app = FastAPI(title="tiny OpenAI-compatible server (tests)")
    log = seen if seen is not None else []

    @app.middleware("http")
    async def authorise(request: Request, call_next: Any) -> Any:
        auth = request.headers.get("authorization")
        log.append((request.url.path, auth))
        if api_key is not None and auth != f"Bearer {api_key}":
            return _error(401, "Incorrect API key provided.", "authentication_error")
        return await call_next(request)

    def check_model(body: dict[str, Any]) -> Any:
        if body.get("model") != model_name:
            return _error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
        return None

    def check_length(n_prompt: int, max_tokens: int) -> Any:
        if n_prompt + max_tokens > engine.max_model_len:
            return _error(400, f"This model's maximum context length is {engine.max_model_len} tokens. However, "
                               f"you requested {n_prompt + max_tokens} tokens ({n_prompt} in the messages, "
                               f"{max_tokens} in the completion).")
        return None

    def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
        return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": 0,
                                            "owned_by": "playschool-tests", "max_model_len": engine.max_model_len}]}

    @app.post("/v1/completions")
    def completions(body: dict[str, Any]) -> Any:  # sync: FastAPI runs it in its thread pool
        if mode == "chat-only":
            return _error(404, "Not Found", "NotFoundError")
        if (bad := check_model(body)) is not None:
            return bad
        try:
            prompts = _prompts(engine, body.get("prompt"))
            raw_max = body.get("max_tokens")
            max_tokens = 16 if raw_max is None else int(raw_max)
            raw_k = body.get("logprobs")
            k = None if raw_k is None else int(raw_k)
            raw_stop = body.get("stop") or []
            stop = [raw_stop] if isinstance(raw_stop, str) else [str(s) for s in raw_stop]
        except (TypeError, ValueError) as exc:
            return _error(400, str(exc))
        echo = bool(body.get("echo")) and mode != "no-echo"
        choices, n_prompt, n_completion = [], 0, 0
        for index, ids in enumerate(prompts):
            if (bad := check_length(len(ids), max_tokens)) is not None:
                return bad
            rows, gen = engine.run(ids, max_tokens, stop, echo_rows=echo and k is not None)
            prefix = str(engine.tokenizer.decode(ids)) if echo else ""
            logprobs = None
            if k is not None and mode != "null-logprobs":
                logprobs = _logprobs(engine, ids if echo else [], rows, gen, k, prefix)
            choices.append({"index": index, "text": prefix + gen.text, "logprobs": logprobs,
                            "finish_reason": gen.finish_reason})
            n_prompt += len(ids)
            n_completion += len(gen.ids)
        return {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "object": "text_completion", "created": int(time.time()),
                "model": model_name, "choices": choices, "usage": usage(n_prompt, n_completion)}

    @app.post("/v1/chat/completions")
    def chat(body: dict[str, Any]) -> Any:
        if (bad := check_model(body)) is not None:
            return bad
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty list")
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or 16
        stop = body.get("stop") or []
        stop = [stop] if isinstance(stop, str) else list(stop)
        text = engine.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = engine.encode(str(text), add_special_tokens=False)  # the template writes the BOS itself
        if (bad := check_length(len(ids), int(max_tokens))) is not None:
            return bad
        _, gen = engine.run(ids, int(max_tokens), stop, echo_rows=False)
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": model_name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text},
                             "finish_reason": gen.finish_reason}],
                "usage": usage(len(ids), len(gen.ids))}

    return app


def _logprobs(engine: TinyEngine, prompt: list[int], rows: Any, gen: Generation, k: int,
              prefix: str) -> dict[str, Any]:
    """The completions API's ``logprobs`` object over the (echoed) prompt and the generated tokens."""
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top_logprobs: list[dict[str, float] | None] = []
    text_offset: list[int] = []
    for i, token_id in enumerate(prompt):
        tokens.append(engine.token(token_id))
        text_offset.append(len(engine.tokenizer.decode(prompt[:i])))
        if i == 0:  # nothing conditions the first token: vLLM gives None here too
            token_logprobs.append(None)
            top_logprobs.append(None)
        else:
            token_logprobs.append(float(rows[i - 1][token_id]))
            top_logprobs.append(engine.top(rows[i - 1], token_id, k))
    # The generated tokens (EOS included when it ended the text: its logprob is the server's answer too).
    generated = gen.ids + ([engine.eos_id] if len(gen.rows) > len(gen.ids) else [])
    for j, (token_id, row) in enumerate(zip(generated, gen.rows)):
        tokens.append(engine.token(token_id))
        text_offset.append(len(prefix) + len(engine.tokenizer.decode(gen.ids[:j], skip_special_tokens=True)))
        token_logprobs.append(float(row[token_id]))
        top_logprobs.append(engine.top(row, token_id, k))
    return {"tokens": tokens, "token_logprobs": token_logprobs, "top_logprobs": top_logprobs,
            "text_offset": text_offset}


class TinyOpenAIServer:
    """The app under a real uvicorn server on a free 127.0.0.1 port, in a daemon thread (a context manager).

    ``url`` is the OpenAI base URL (``http://127.0.0.1:PORT/v1``); ``seen`` lists (path, Authorization header)
    of every request received. The engine may be shared between servers (loading it is the slow part)."""

    def __init__(self, model_path: str | Path | None = None, *, model_name: str = "tiny", mode: Mode = "ok",
                 api_key: str | None = None, engine: TinyEngine | None = None) -> None:
        if engine is None:
            if model_path is None:
                raise ValueError("give model_path or engine")
            engine = TinyEngine(model_path)
        self.engine = engine
        self.model_name = model_name
        self.mode = mode
        self.seen: list[tuple[str, str | None]] = []
        self._app = create_app(engine, model_name, mode=mode, api_key=api_key, seen=self.seen)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> TinyOpenAIServer:
        import uvicorn

        # Binding the socket here (port 0) and handing it to uvicorn avoids a race for the "free" port.
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self._server = uvicorn.Server(uvicorn.Config(self._app, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the tiny OpenAI server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        if self._sock is not None:
            self._sock.close()


__all__ = ["MODES", "Generation", "Mode", "TinyEngine", "TinyOpenAIServer", "create_app"]
