"""CLU2's reference plane for a served model (``openai:MODEL@URL``, lm-eval's ``local-completions``) against a
real OpenAI-compatible HTTP server on 127.0.0.1 (``openai_tiny_server``) backed by the session's tiny model:
the same items and numbers as the local ``hf`` path on the same weights, a clear error before lm-eval starts
for every kind of server that cannot serve the plane, and ``playschool eval`` end to end. Everything offline."""

from __future__ import annotations

import os

# Nothing here may reach the Hub: set before datasets/huggingface_hub read their configuration.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai_tiny_server import Mode, TinyEngine, TinyOpenAIServer
from playschool.benchmark import read_results
from playschool.benchmark import reference_plane as rp
from playschool.benchmark import served as sv

from playschool.cli import main

LIMIT = 5
NAME = "tiny-served"  # the name the test server serves the tiny model under


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf-datasets-cache")


@pytest.fixture(scope="module")
def engine(tiny_model_path: Path) -> TinyEngine:
    return TinyEngine(tiny_model_path)


@pytest.fixture(scope="module")
def server(engine: TinyEngine) -> Iterator[TinyOpenAIServer]:
    with TinyOpenAIServer(engine=engine, model_name=NAME) as s:
        yield s


@pytest.fixture(scope="module")
def hf_run(tiny_model_path: Path, cache: Path) -> rp.ReferenceRun:
    """Every reference task through lm-eval's hf model, LIMIT items per lm-eval task."""
    return rp.evaluate_reference(tiny_model_path, limit=LIMIT, batch_size=8, cache_dir=cache)


@pytest.fixture(scope="module")
def served_run(server: TinyOpenAIServer, tiny_model_path: Path, cache: Path) -> rp.ReferenceRun:
    """The same through the server, with the tiny model's tokenizer."""
    return sv.evaluate_served_reference(NAME, server.url, tokenizer=tiny_model_path, limit=LIMIT, cache_dir=cache,
                                        num_concurrent=4)


@pytest.fixture
def no_lm_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """lm-eval must not start: the preflight is what has to fail."""
    import lm_eval

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("lm-eval started although the server cannot serve the reference plane")

    monkeypatch.setattr(lm_eval, "simple_evaluate", boom)


def compare(served: list[Any], local: list[Any]) -> dict[str, tuple[int, float]]:
    """Assert the served items equal the local ones; per lm-eval task: (items compared, max |Δ loglikelihood|)."""
    assert [i.key for i in served] == [i.key for i in local]
    stats: dict[str, tuple[int, float]] = {}
    for s, h in zip(served, local):
        assert s.score == h.score and s.valid == h.valid, s.key
        assert s.details["lm_eval_task"] == h.details["lm_eval_task"] and s.details["doc_id"] == h.details["doc_id"]
        assert s.details["target"] == h.details["target"] and s.details["prediction"] == h.details["prediction"]
        delta = 0.0
        if "loglikelihoods" in h.details:
            ours, theirs = s.details["loglikelihoods"], h.details["loglikelihoods"]
            assert len(ours) == len(theirs) and all(-200 < x < 0 for x in ours), s.key
            delta = max(abs(a - b) for a, b in zip(ours, theirs))
            assert delta < 1e-4, (s.key, ours, theirs)
        else:  # the generative task: the generation itself, then the number the filter extracts from it
            assert s.details["generation"] == h.details["generation"], s.key
        n, worst = stats.get(h.details["lm_eval_task"], (0, 0.0))
        stats[h.details["lm_eval_task"]] = (n + 1, max(worst, delta))
    return stats


# ------------------------------------------------------------------------------------------ equality
def test_served_plane_scores_every_task_like_the_hf_path(hf_run: rp.ReferenceRun, served_run: rp.ReferenceRun,
                                                         server: TinyOpenAIServer, tiny_model_path: Path) -> None:
    stats = compare(served_run.items, hf_run.items)
    every = {lm.name for t in rp.reference_task_ids() for lm in rp.lm_eval_tasks_for(t)}
    assert set(stats) == every and all(n == LIMIT for n, _ in stats.values())
    print("items compared, max |Δ loglikelihood| per lm-eval task:", stats)
    assert served_run.lm_eval == hf_run.lm_eval
    # Not a vacuous comparison: the choices' log-likelihoods differ, and the generative task generated text.
    mc = [i for i in hf_run.items if "loglikelihoods" in i.details]
    assert all(len(set(i.details["loglikelihoods"])) > 1 for i in mc)
    assert any(i.details["generation"].strip() for i in hf_run.items if "generation" in i.details)
    # The manifest says the plane ran served, and how; the hf run's says hf.
    m = served_run.manifest
    assert m["lm_model"] == sv.LM_EVAL_MODEL and hf_run.manifest["lm_model"] == "hf" and "model" not in hf_run.manifest
    assert m["model"] == {"served": True, "lm_eval_model": "local-completions", "url": server.url, "model": NAME,
                          "tokenizer": str(tiny_model_path), "max_length": 2048, "max_length_source": "server",
                          "add_bos_token": False}
    assert m["model_args"]["base_url"] == f"{server.url}/completions" and m["model_args"]["tokenized_requests"]
    # Log-likelihoods came from echoed prompt logprobs: the server saw lm-eval's completions requests.
    assert sum(path == "/v1/completions" for path, _ in server.seen) > len(mc)


def test_a_tokenizer_that_adds_a_bos_is_mirrored(tmp_path: Path, tiny_model_path: Path, cache: Path,
                                                 hf_run: rp.ReferenceRun) -> None:
    """lm-eval's hf model encodes with the tokenizer's default special tokens; the served path must send the same
    ids, so a tokenizer that adds a BOS by default gets ``add_bos_token=True``, and the numbers still agree."""
    folder = tmp_path / "tiny-bos"
    shutil.copytree(tiny_model_path, folder)
    tok_file = folder / "tokenizer.json"
    spec = json.loads(tok_file.read_text(encoding="utf-8"))
    bos_id = next(t["id"] for t in spec["added_tokens"] if t["content"] == "<|bos|>")
    bos = {"SpecialToken": {"id": "<|bos|>", "type_id": 0}}
    spec["post_processor"] = {
        "type": "TemplateProcessing", "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [bos_id], "tokens": ["<|bos|>"]}}}
    tok_file.write_text(json.dumps(spec), encoding="utf-8")
    tasks = ["ref/knowledge", "ref/arithmetic_gen"]
    local = rp.evaluate_reference(folder, tasks=tasks, limit=3, batch_size=8, cache_dir=cache)
    with TinyOpenAIServer(folder, model_name=NAME) as s:
        served = sv.evaluate_served_reference(NAME, s.url, tokenizer=folder, tasks=tasks, limit=3, cache_dir=cache,
                                              num_concurrent=4)
    assert served.manifest["model"]["add_bos_token"] is True
    stats = compare(served.items, local.items)
    print("with a BOS: items compared, max |Δ loglikelihood| per lm-eval task:", stats)
    assert set(stats) == {"clu2_knowledge", "clu2_arithmetic_gen"}
    # The BOS changes the numbers, so agreeing here means the BOS was sent exactly when hf adds it.
    plain = {i.key: i.details["loglikelihoods"] for i in hf_run.items if "loglikelihoods" in i.details}
    assert all(i.details["loglikelihoods"] != plain[i.key] for i in local.items if "loglikelihoods" in i.details)


# -------------------------------------------------------------------------------- servers that cannot
@pytest.mark.parametrize(("mode", "expected"), [
    ("null-logprobs", "did not echo prompt logprobs; vLLM's OpenAI server does, OpenAI's hosted chat models do not; "
                      "pass --skip-reference"),
    ("no-echo", "did not echo prompt logprobs"),
    ("chat-only", "/v1/completions is not served (HTTP 404"),
])
def test_a_server_that_cannot_fails_before_lm_eval(mode: Mode, expected: str, engine: TinyEngine,
                                                   tiny_model_path: Path, no_lm_eval: None) -> None:
    with TinyOpenAIServer(engine=engine, model_name=NAME, mode=mode) as s, pytest.raises(sv.ServedModelError) as err:
        sv.evaluate_served_reference(NAME, s.url, tokenizer=tiny_model_path, limit=1)
    message = str(err.value)
    assert expected in message and s.url in message and "\n" not in message
    assert isinstance(err.value, rp.ReferencePlaneError)
    assert [p for p, _ in s.seen].count("/v1/completions") == 1  # the probe, and nothing after it


def test_unreachable_server_wrong_name_key_and_tokenizer_are_clear(engine: TinyEngine, tiny_model_path: Path,
                                                                   tmp_path: Path, no_lm_eval: None,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    with socket.socket() as sock:  # a port that nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(sv.ServedModelError, match=rf"cannot reach the server at http://127\.0\.0\.1:{port}/v1 "):
        sv.evaluate_served_reference(NAME, f"http://127.0.0.1:{port}/v1", tokenizer=tiny_model_path)
    with pytest.raises(rp.UnknownReferenceTaskError, match="ref/nonsense"):  # checked before any request
        sv.evaluate_served_reference(NAME, f"http://127.0.0.1:{port}/v1", tasks=["ref/nonsense"])
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with TinyOpenAIServer(engine=engine, model_name=NAME, api_key="sk-right") as s:
        with pytest.raises(sv.ServedModelError, match=r"/v1/models refused the request \(HTTP 401.*OPENAI_API_KEY"):
            sv.evaluate_served_reference(NAME, s.url, tokenizer=tiny_model_path)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
        with pytest.raises(sv.ServedModelError, match=r"HTTP 401: .*Incorrect API key"):
            sv.evaluate_served_reference(NAME, s.url, tokenizer=tiny_model_path)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-right")
        with pytest.raises(sv.ServedModelError, match=r"serves \['tiny-served'\], not 'other'"):
            sv.evaluate_served_reference("other", s.url, tokenizer=tiny_model_path)
        assert sv.prepare_served_model(NAME, s.url, tokenizer=tiny_model_path).max_length == 2048
        # No tokenizer given: the served name is tried, and when it is no loadable tokenizer, say what to pass.
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # never a download attempt
        with pytest.raises(sv.ServedModelError, match=r"cannot load the tokenizer 'no-such-org/no-such-model'.*"
                                                      r"pass --reference-tokenizer PATH_OR_ID"):
            sv.evaluate_served_reference("no-such-org/no-such-model", s.url)
        (tmp_path / "empty").mkdir()
        with pytest.raises(sv.ServedModelError, match="pass --reference-tokenizer"):
            sv.evaluate_served_reference(NAME, s.url, tokenizer=tmp_path / "empty")


def test_the_served_name_is_the_default_tokenizer(engine: TinyEngine, tiny_model_path: Path) -> None:
    """vLLM serves a model under its Hub id or path; that name is the tokenizer unless one is given."""
    with TinyOpenAIServer(engine=engine, model_name=str(tiny_model_path)) as s:
        served = sv.prepare_served_model(str(tiny_model_path), s.url)
    assert served.tokenizer == str(tiny_model_path) and served.max_length_source == "server"
    assert served.model_args()["tokenizer"] == str(tiny_model_path)


def _mock(models: httpx.Response, completion: Any) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return models
        return completion(json.loads(request.content)) if callable(completion) else completion

    return httpx.MockTransport(handle)


def test_probe_checks_the_shape_lm_eval_reads(tiny_model_path: Path) -> None:
    """Without /models the tokenizer gives the length; a server that echoes the prompt but leaves out the
    generated token's entry would have lm-eval drop a real token from every score: refused."""

    def answer(extra: int) -> Any:
        def make(body: dict[str, Any]) -> httpx.Response:
            n = len(body["prompt"][0]) + extra
            logprobs = {"token_logprobs": [None] + [-1.5] * (n - 1), "top_logprobs": [None] + [{"x": -1.0}] * (n - 1)}
            return httpx.Response(200, json={"choices": [{"index": 0, "text": "", "logprobs": logprobs}]})
        return make

    url = "http://server.invalid/v1"
    served = sv.prepare_served_model("m", url, tokenizer=tiny_model_path,
                                     transport=_mock(httpx.Response(404), answer(1)))
    assert (served.max_length, served.max_length_source) == (2048, "tokenizer")
    with pytest.raises(sv.ServedModelError, match=r"returned \d+ token logprobs .* needs \d+ \(the echoed prompt"):
        sv.prepare_served_model("m", url, tokenizer=tiny_model_path, transport=_mock(httpx.Response(404), answer(0)))
    with pytest.raises(sv.ServedModelError, match="HTTP 500: overloaded"):
        sv.prepare_served_model("m", url, tokenizer=tiny_model_path,
                                transport=_mock(httpx.Response(404), httpx.Response(500, text="overloaded")))
    models = httpx.Response(200, json={"data": [{"id": "m", "max_model_len": 512}]})
    served = sv.prepare_served_model("m", url, tokenizer=tiny_model_path, transport=_mock(models, answer(1)))
    assert (served.max_length, served.max_length_source) == (512, "server")
    for secret in ("https://user:pw@server.invalid/v1", "https://server.invalid/v1?key=abc"):
        with pytest.raises(sv.ServedModelError, match="must carry no user info, query or fragment") as err:
            sv.prepare_served_model("m", secret, tokenizer=tiny_model_path, transport=_mock(models, answer(1)))
        assert "pw" not in str(err.value) and "abc" not in str(err.value)


# ------------------------------------------------------------------------------------------------- CLI
def test_playschool_eval_with_a_served_learner(tmp_path: Path, engine: TinyEngine, tiny_model_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    key = "sk-test-0123456789-never-written"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    common = ["--games", "taboo", "--limit", "2", "--quiet", "--n-boot", "50"]
    with TinyOpenAIServer(engine=engine, model_name=NAME, api_key=key) as s:
        out = tmp_path / "served"
        assert main(["eval", "--learner", f"openai:{NAME}@{s.url}", "--reference-tokenizer", str(tiny_model_path),
                     "--n", "1", "--out", str(out), *common]) == 0
        seen = list(s.seen)
    assert main(["eval", "--learner", f"hf:{tiny_model_path}", "--skip-interactional", "--out",
                 str(tmp_path / "hf"), *common]) == 0
    served, local = read_results(out), read_results(tmp_path / "hf")
    ref = [i for i in served.items if i.task.startswith("ref/")]
    stats = compare(ref, [i for i in local.items if i.task.startswith("ref/")])
    assert len(ref) == 2 * len(stats) == 2 * len({lm.name for t in rp.reference_task_ids()
                                                 for lm in rp.lm_eval_tasks_for(t)})
    assert any(i.task.startswith("game/taboo") for i in served.items)  # the interactional plane ran too
    reference = served.manifest["reference"]
    assert reference["plane"] == "run" and reference["served"]["lm_eval_model"] == "local-completions"
    assert reference["served"]["url"] == s.url and reference["served"]["tokenizer"] == str(tiny_model_path)
    assert "served" not in local.manifest["reference"]
    # The key was used (every request carried it, on both endpoints) and is written nowhere under the output.
    assert {p for p, _ in seen} >= {"/v1/models", "/v1/completions", "/v1/chat/completions"}
    assert all(auth == f"Bearer {key}" for _, auth in seen)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 3 and not [p for p in files if key.encode() in p.read_bytes()]

    # Errors are one line, exit status 2, no traceback.
    capsys.readouterr()
    with TinyOpenAIServer(engine=engine, model_name=NAME, mode="chat-only") as s:
        assert main(["eval", "--learner", f"openai:{NAME}@{s.url}", "--reference-tokenizer",
                     str(tiny_model_path), "--out", str(tmp_path / "x"), *common]) == 2
    err = capsys.readouterr().err
    assert "not served (HTTP 404" in err and "--skip-reference" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["eval", "--learner", f"hf:{tiny_model_path}", "--reference-tokenizer", str(tiny_model_path),
                 "--out", str(tmp_path / "y"), *common]) == 2
    assert "--reference-tokenizer is for a served learner" in capsys.readouterr().err
