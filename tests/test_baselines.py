"""The recipes end to end on a tiny model: SFT and DPO stop at the budget as the policy says, their ledgers
verify, tampering is caught, held-out instances never reach training, branching pairs prefer the better reply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playschool.baselines.common import RecipeError, load_conversations, tokenize_with_learner_mask
from playschool.baselines.config import parse_tokens
from playschool.games.loading import canonical_json

from playschool.backends.base import Reply, request_seed
from playschool.budget import verify_ledger
from playschool.cli import main as cli_main
from playschool.players import ReferencePlayer
from playschool.runner import Runner, plan_episodes
from playschool.store import RecordStore, iter_records
from playschool.views import learner_view

pytest.importorskip("trl")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::FutureWarning")]

GAMES = ["reference", "mapnav"]


@pytest.fixture(scope="module")
def ref_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference-player records: 2 train instances per experiment, plus test ones that must never be trained on."""
    out = tmp_path_factory.mktemp("runs") / "ref"
    tasks = plan_episodes(GAMES, "train", n=2) + plan_episodes(GAMES, "test", n=1)
    records = Runner({"learner": ReferencePlayer()}).run(tasks).records
    with RecordStore(out) as store:
        for r in records:
            store.append(r)
    return out


def test_learner_mask_covers_exactly_the_learner_replies(tiny_model_path: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    msgs = [{"role": "user", "content": "Pick one: A or B?"}, {"role": "assistant", "content": "SELECT: A"},
            {"role": "user", "content": "Which A?"}, {"role": "assistant", "content": "The red A"}]
    row = tokenize_with_learner_mask(tok, msgs)
    assert len(row["input_ids"]) == len(row["assistant_masks"])
    learned = tok.decode([t for t, m in zip(row["input_ids"], row["assistant_masks"]) if m])
    assert learned.replace("\n", "") == "SELECT: A<|eos|>The red A<|eos|>"


def test_held_out_splits_and_low_scores_are_dropped(ref_run: Path) -> None:
    convs, report = load_conversations([str(ref_run)], min_main=50.0)
    assert convs and all(c.split == "train" for c in convs)
    assert report.held_out == sum(1 for r in iter_records(ref_run) if r.split != "train") > 0
    with pytest.raises(RecipeError, match="no training conversation"):
        load_conversations([str(ref_run)], min_main=101.0)


def test_sft_stops_at_the_budget_and_its_ledger_verifies(ref_run: Path, tiny_model_path: Path,
                                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sft"
    rc = cli_main(["train", "sft", "--model", str(tiny_model_path), "--data", str(ref_run), "--out", str(out),
                   "--budget-tokens", "6k", "--batch-size", "2", "--gradient-accumulation", "2", "--use-cpu",
                   "--max-length", "4096"])
    assert rc == 0
    s = verify_ledger(out / "ledger.jsonl")
    budget = json.loads((out / "budget.json").read_text())
    assert s.total_tokens <= 6000 and budget["used_tokens"] == s.total_tokens and budget["stop_reason"] == "budget"
    assert s.end and s.end["reason"] == "budget" and all(e["micro_batches"] == 2 for e in s.steps)
    assert budget["ledger_head"] == s.head and s.head in (out / "README.md").read_text()
    data = json.loads((out / "training_data.json").read_text())
    assert data["instances"] and all(split == "train" for _, _, split in data["instances"])
    assert data["fingerprint"] == s.header["datasets"]["sft"]
    tested = {(r.game, r.instance_id) for r in iter_records(ref_run) if r.split == "test"}
    assert not tested & {(g, i) for g, i, _ in data["instances"]}
    # The CLI verifies and rejects a tampered copy, naming the line.
    capsys.readouterr()
    assert cli_main(["budget", "verify", str(out / "ledger.jsonl")]) == 0
    lines = (out / "ledger.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "bad.jsonl").write_text("".join(lines[:1] + lines[2:]))
    assert cli_main(["budget", "verify", str(tmp_path / "bad.jsonl")]) == 1
    assert "line 2" in capsys.readouterr().out
    assert cli_main(["budget", "report", str(out / "ledger.jsonl"), "--png", str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_sft_with_lora_counts_the_same(ref_run: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("peft")
    from playschool.baselines.sft import SFTRecipe, train

    common = {"model": str(tiny_model_path), "data": [str(ref_run)], "budget_tokens": 10**6, "max_steps": 2,
              "batch_size": 2, "use_cpu": True, "max_length": 4096}
    full = train(SFTRecipe(out=str(tmp_path / "full"), **common))  # type: ignore[arg-type]
    lora = train(SFTRecipe(out=str(tmp_path / "lora"), lora=True, **common))  # type: ignore[arg-type]
    assert full["used_tokens"] == lora["used_tokens"] > 0
    assert (tmp_path / "lora" / "adapter_config.json").is_file()


class Oracle:
    """Replays the source episodes' moves where the conversation is known; sampling with an odd seed (and any
    unknown conversation) gets a useless reply, so a branch that leaves the source episode plays badly."""

    name = "oracle"
    max_batch_size = 8

    def __init__(self, run: Path) -> None:
        self.book = {}
        for r in iter_records(run):
            msgs = learner_view(r.turns, r.learner_role).messages
            for j, m in enumerate(msgs):
                if m["role"] == "assistant":
                    self.book[canonical_json(msgs[:j])] = m["content"]

    def generate(self, convs, decoding):  # type: ignore[no-untyped-def]
        out = []
        for c in convs:
            bad = decoding.temperature > 0 and request_seed(c, 0) % 2
            out.append(Reply("I am not sure." if bad else self.book.get(canonical_json(list(c)), "I am not sure.")))
        return out

    def describe(self) -> dict[str, str]:
        return {"name": self.name}


def test_branching_pairs_prefer_the_reply_that_wins(ref_run: Path) -> None:
    from playschool.baselines.branching import build_pairs

    records = list(iter_records(ref_run))
    pairs = build_pairs(Oracle(ref_run), records, k=4)  # type: ignore[arg-type]
    assert pairs
    for p in pairs:
        assert p["meta"]["split"] == "train" and p["meta"]["chosen_main"] > p["meta"]["rejected_main"]
        assert p["rejected"][0]["content"] == "I am not sure."
        assert p["prompt"][-1]["role"] == "user"
    # Branch points after the first move replay the source's earlier moves exactly (else nothing would win).
    assert any(p["meta"]["turn"] > 0 and p["meta"]["chosen_main"] == 100.0 for p in pairs)


def test_dpo_counts_both_completions_with_their_prompt(ref_run: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    from playschool.baselines.branching import build_pairs
    from playschool.baselines.dpo import DPORecipe, train
    from transformers import AutoTokenizer

    pairs = build_pairs(Oracle(ref_run), list(iter_records(ref_run)), k=4)  # type: ignore[arg-type]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    tok = AutoTokenizer.from_pretrained(tiny_model_path)

    def n(msgs: list[dict[str, str]], gen: bool = False) -> int:
        return len(tok(tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen),
                       add_special_tokens=False)["input_ids"])

    # Hand count: each pair feeds prompt+chosen and prompt+rejected once per epoch.
    expected = sum(2 * n(p["prompt"], True) + (n(p["prompt"] + p["chosen"]) - n(p["prompt"], True))
                   + (n(p["prompt"] + p["rejected"]) - n(p["prompt"], True)) for p in pairs)
    done = train(DPORecipe(model=str(tiny_model_path), data=[str(path)], out=str(tmp_path / "dpo"),
                           budget_tokens=10**7, use_cpu=True, max_length=8192))
    assert done["used_tokens"] == expected and done["stop_reason"] == "completed"
    small = train(DPORecipe(model=str(tiny_model_path), data=[str(path)], out=str(tmp_path / "dpo2"),
                            budget_tokens=expected // 2, use_cpu=True, max_length=8192))
    s = verify_ledger(tmp_path / "dpo2" / "ledger.jsonl")
    assert small["stop_reason"] == "budget" and s.total_tokens <= expected // 2
    assert s.total_tokens + small["refused_step_tokens"] > expected // 2  # the next step would not have fitted


def test_token_counts_parse() -> None:
    assert (parse_tokens("250k"), parse_tokens("1.5M"), parse_tokens("1_000")) == (250_000, 1_500_000, 1000)
    for bad in ("0", "-3", "lots"):
        with pytest.raises(Exception, match="token count"):
            parse_tokens(bad)


def test_epochs_zero_spends_the_budget_over_several_epochs(ref_run: Path, tiny_model_path: Path,
                                                            tmp_path: Path) -> None:
    from playschool.baselines.sft import SFTRecipe, train

    common = {"model": str(tiny_model_path), "data": [str(ref_run)], "batch_size": 4, "use_cpu": True,
              "max_length": 4096}
    one_epoch = train(SFTRecipe(out=str(tmp_path / "e1"), budget_tokens=10**7, **common))  # type: ignore[arg-type]
    budget = int(2.5 * one_epoch["used_tokens"])
    spent = train(SFTRecipe(out=str(tmp_path / "e0"), budget_tokens=budget, epochs=0, **common))  # type: ignore[arg-type]
    # The schedule is sized to the budget: more than two epochs fed, never more than the budget.
    assert 2 * one_epoch["used_tokens"] < spent["used_tokens"] <= budget
