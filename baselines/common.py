"""What every recipe shares: training conversations from runs or datasets, tokenization with learner-only
loss masks, fingerprints for the ledger header, and saving a model with its ledger and card.

Training data is the *train* split only. Validation and test instances are held out for model selection and
CLU2; a row of another split is dropped and counted, never trained on, and every saved model lists the
instances it saw (``training_data.json``) so that anyone can check it against an evaluation plan.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playschool.games import SPLITS, EpisodeRecord

from playschool.budget import POLICY_VERSION, verify_ledger
from playschool.feedback import check_feedback
from playschool.fileio import write_atomic
from playschool.views import learner_view, perspectives

TRAIN_SPLIT = "train"


class RecipeError(ValueError):
    """Bad recipe input (no data, a held-out split, an unusable chat template): a one-line user error."""


@dataclass(frozen=True)
class Conversation:
    """One learner perspective of one episode: the chat it saw, its own moves as assistant messages."""

    id: str
    messages: list[dict[str, str]]
    game: str
    instance_id: str
    split: str
    role: str
    main: float


@dataclass
class DataReport:
    """What a data loader kept and why it dropped the rest (printed by the recipes, stored in the card)."""

    sources: list[str] = field(default_factory=list)
    kept: int = 0
    held_out: int = 0  #: rows of a validation or test instance: never trained on
    below_threshold: int = 0
    other_game: int = 0
    too_long: int = 0


def check_feedback_mode(mode: str) -> str:
    """``mode`` if it is a feedback mode (:data:`~playschool.feedback.FEEDBACK_MODES`), else a RecipeError."""
    try:
        return check_feedback(mode)
    except ValueError as exc:
        raise RecipeError(str(exc)) from None


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint_rows(rows: Iterable[Any]) -> str:
    """sha256 over the canonical JSON of the rows, in order: the data fingerprint a ledger header carries."""
    h = hashlib.sha256()
    for row in rows:
        h.update(_canonical(row).encode())
        h.update(b"\n")
    return h.hexdigest()


def _is_run_folder(path: Path) -> bool:
    return path.is_dir() and (path / "records.jsonl").is_file()


def _records(source: str) -> Iterable[EpisodeRecord]:
    from playschool.store import iter_records

    return iter_records(source)


def conversations_from_records(records: Iterable[EpisodeRecord], report: DataReport, *, min_main: float,
                               games: Sequence[str] | None = None, feedback: str = "all") -> list[Conversation]:
    """Learner perspectives of train-split episodes whose main score is at least ``min_main``, shown as under
    the ``feedback`` mode (:mod:`playschool.feedback`)."""
    out = []
    for rec in records:
        if games and rec.game not in games and rec.game.rsplit("-v", 1)[0] not in games:
            report.other_game += 1
            continue
        if rec.split != TRAIN_SPLIT:
            report.held_out += 1
            continue
        main = float(rec.scores.get("main", 0.0))
        if main < min_main or rec.outcome == "error":
            report.below_threshold += 1
            continue
        for role in perspectives(rec):
            view = learner_view(rec.turns, role, feedback)
            if any(m is not None for m in view.moves):
                out.append(Conversation(f"{rec.game}/{rec.instance_id}/{rec.learner_role}/{role}", view.messages,
                                        rec.game, rec.instance_id, rec.split, role, main))
    report.kept += len(out)
    return out


def _dataset_rows(source: str, config: str, cache_dir: str | None) -> Any:
    try:
        from datasets import load_dataset
    except ImportError as exc:
        raise RecipeError("reading a dataset needs: pip install 'playschool[train]'") from exc
    name, _, revision = source.partition("@")
    try:
        return load_dataset(name, config, split=TRAIN_SPLIT, revision=revision or None, cache_dir=cache_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise RecipeError(f"{source}: not a run folder (no records.jsonl) and cannot load its {config!r} dataset "
                          f"config: {exc}") from exc


def load_conversations(sources: Sequence[str], *, min_main: float = 50.0, games: Sequence[str] | None = None,
                       cache_dir: str | None = None, feedback: str = "all") -> tuple[list[Conversation], DataReport]:
    """Training conversations from run folders (``records.jsonl``) and interactions datasets (dir or Hub id,
    ``NAME[@REVISION]``, config ``interactions``). Rows of held-out splits are dropped and counted.

    ``feedback`` other than ``"all"`` shows the teacher's feedback as that ablation does (the learner's moves
    are unchanged); it needs records (typed turns): a dataset row's merged messages cannot be ablated."""
    feedback = check_feedback_mode(feedback)
    report = DataReport(sources=list(sources))
    out: list[Conversation] = []
    for source in sources:
        path = Path(source)
        if _is_run_folder(path) or path.suffix == ".jsonl":
            out += conversations_from_records(_records(source), report, min_main=min_main, games=games,
                                              feedback=feedback)
            continue
        if feedback != "all":
            raise RecipeError(f"{source}: --feedback {feedback} needs run folders or records JSONL (typed turns); "
                              "an interactions dataset holds merged messages that cannot be ablated")
        for row in _dataset_rows(source, "interactions", cache_dir):
            meta = row["meta"]
            if games and meta["game"] not in games and meta["game"].rsplit("-v", 1)[0] not in games:
                report.other_game += 1
            elif meta["split"] != TRAIN_SPLIT:
                report.held_out += 1
            elif float(meta["main"]) < min_main:
                report.below_threshold += 1
            else:
                out.append(Conversation(row["id"], row["messages"], meta["game"], meta["instance_id"],
                                        meta["split"], meta["role"], float(meta["main"])))
                report.kept += 1
    if not out:
        raise RecipeError(f"no training conversation in {', '.join(sources)} (kept 0; held out {report.held_out}, "
                          f"below --min-main {report.below_threshold}, other games {report.other_game})")
    return out, report


def load_pairs(sources: Sequence[str], *, games: Sequence[str] | None = None, cache_dir: str | None = None,
               feedback: str = "all") -> tuple[list[dict[str, Any]], DataReport]:
    """Preference pairs (``prompt``/``chosen``/``rejected`` conversational rows with ``meta``) from JSONL files
    (the branching builder's output) or interactions datasets (config ``preferences``); train split only.

    A pair's prompt was shown under the feedback mode it was built with (``meta.feedback``, ``"all"`` when
    absent); a pair built under another mode than ``feedback`` is an error, never silently trained on."""
    feedback = check_feedback_mode(feedback)
    report = DataReport(sources=list(sources))
    out: list[dict[str, Any]] = []
    for source in sources:
        path = Path(source)
        if path.suffix == ".jsonl":
            if not path.is_file():
                raise RecipeError(f"{source}: no such file")
            rows: Iterable[dict[str, Any]] = (json.loads(line) for line in path.read_text().splitlines() if line)
        else:
            rows = _dataset_rows(source, "preferences", cache_dir)
        for row in rows:
            meta = row.get("meta") or {}
            if games and meta.get("game") not in games and str(meta.get("game", "")).rsplit("-v", 1)[0] not in games:
                report.other_game += 1
            elif meta.get("split") != TRAIN_SPLIT:
                report.held_out += 1
            elif (built := meta.get("feedback") or "all") != feedback:
                raise RecipeError(f"{source}: pairs built with --feedback {built}, but this recipe trains with "
                                  f"--feedback {feedback}; build them again with `playschool train pairs "
                                  f"--feedback {feedback}`")
            else:
                out.append({"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"], "meta": meta})
    report.kept = len(out)
    if not out:
        raise RecipeError(f"no train-split preference pair in {', '.join(sources)} (held out {report.held_out})")
    return out, report


# ------------------------------------------------------------------------------------------ tokenizing
def _render(tokenizer: Any, messages: Sequence[dict[str, str]], *, generation_prompt: bool = False) -> str:
    return str(tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=generation_prompt))


def tokenize_with_learner_mask(tokenizer: Any, messages: Sequence[dict[str, str]]) -> dict[str, list[int]]:
    """``input_ids`` of the whole chat and ``assistant_masks`` marking the learner's tokens (its replies and
    the end-of-turn marker that follows each), found from the chat template's own rendering: the characters
    between the generation prompt before a reply and the end of that reply. Works with any chat template that
    renders a conversation's prefix as a prefix of the text (raises :class:`RecipeError` otherwise)."""
    text = _render(tokenizer, messages)
    spans = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        start = len(_render(tokenizer, messages[:i], generation_prompt=True))
        before = _render(tokenizer, messages[: i + 1])
        if not text.startswith(before) or start > len(before):
            raise RecipeError("the chat template does not render a conversation's prefix as a prefix of the "
                              "whole; learner-only loss masks cannot be placed")
        spans.append((start, len(before)))
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = [int(any(s <= a and b <= e and b > a for s, e in spans)) for a, b in enc["offset_mapping"]]
    return {"input_ids": list(enc["input_ids"]), "assistant_masks": mask}


def lora_config(cfg: Any) -> Any:
    """A peft ``LoraConfig`` from a recipe config's ``lora``/``lora_r``/``lora_alpha`` (None without ``--lora``)."""
    if not cfg.lora:
        return None
    try:
        from peft import LoraConfig
    except ImportError as exc:
        raise RecipeError("--lora needs peft: pip install 'playschool[train]'") from exc
    return LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear", task_type="CAUSAL_LM")


def recipe_main(config_cls: type[Any], train: Any, argv: Sequence[str] | None, *, prog: str,
                doc: str | None) -> int:
    """The ``main`` of a training recipe: parse the flags into ``config_cls``, train, print the saved line
    (on the main process; the others return an empty result)."""
    from playschool.baselines.config import parse_config

    cfg = parse_config(config_cls, argv, prog=prog, doc=doc)
    result = train(cfg)
    if result:
        print(saved_line(cfg.out, result))
    return 0


def curriculum_steps(cfg: Any, per_step: int, fed: Sequence[int]) -> int:
    """Optimizer steps of a curriculum stream (a stream has no length): ``--max-steps`` when given; with
    ``--epochs`` > 0, the steps that serve ``epochs`` x the number of rows; with ``--epochs 0``, the steps the
    budget buys at the mean fed tokens of a row (``fed``). The budget gate stops the run whichever comes first."""
    import math

    if cfg.max_steps > 0:
        return int(cfg.max_steps)
    if cfg.epochs > 0:
        return max(1, math.ceil(cfg.epochs * len(fed) / per_step))
    return max(1, math.ceil(cfg.budget_tokens / (sum(fed) / len(fed) * per_step)))


def saved_line(out: str, result: dict[str, Any]) -> str:
    """The one line a recipe prints when its model is saved."""
    return (f"saved {out}: {result['used_tokens']:,} of {result['budget_tokens']:,} budget tokens in "
            f"{result['steps']} steps (stopped: {result['stop_reason']}); ledger head {result['ledger_head']}")


# --------------------------------------------------------------------------------------- provenance
def model_fingerprint(model: str, revision: str | None = None) -> dict[str, Any]:
    """Model id and revision for the ledger header. A local folder gets a content revision: the sha256 of its
    config and of each weights file (whole files up to 256 MiB; beyond that their safetensors header and size,
    so a 10B checkpoint is not read twice)."""
    path = Path(model)
    if not path.is_dir():
        return {"id": model, "revision": revision or "main"}
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.name == "config.json" or f.suffix in (".safetensors", ".bin"):
            h.update(f.name.encode())
            size = f.stat().st_size
            with open(f, "rb") as fh:
                if size <= 256 << 20:
                    h.update(fh.read())
                else:
                    head = fh.read(8)
                    h.update(head + fh.read(int.from_bytes(head, "little")) + str(size).encode())
    return {"id": str(path.resolve()), "revision": f"sha256:{h.hexdigest()[:20]}"}


def config_dict(config: Any) -> dict[str, Any]:
    """A recipe config as JSON-ready data (the ledger header and card carry it)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}


def training_instances(conversations: Iterable[Conversation] | Iterable[dict[str, Any]]) -> list[list[str]]:
    """Sorted distinct (game, instance_id, split) the data came from."""
    seen = set()
    for c in conversations:
        if isinstance(c, Conversation):
            seen.add((c.game, c.instance_id, c.split))
        else:
            meta = c["meta"]
            seen.add((meta["game"], meta["instance_id"], meta["split"]))
    return [list(t) for t in sorted(seen)]


def finish(out_dir: str | Path, *, trainer: Any, tokenizer: Any, ledger: Path, recipe: str, config: dict[str, Any],
           data: DataReport, data_fingerprint: str, instances: list[list[str]], extra: str = "") -> dict[str, Any]:
    """Save the model, tokenizer, ledger, ``budget.json``, ``training_data.json`` and a model card into
    ``out_dir``. The ledger is verified first: a model is never saved with a ledger that does not verify."""
    out = Path(out_dir)
    summary = verify_ledger(ledger)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    # The trainer pickles its arguments; a model folder others load should hold no pickle (the config is in the
    # ledger header and the card).
    (out / "training_args.bin").unlink(missing_ok=True)
    if ledger.resolve() != (out / "ledger.jsonl").resolve():
        shutil.copyfile(ledger, out / "ledger.jsonl")
    budget = {"policy": POLICY_VERSION, "budget_tokens": summary.budget_tokens, "used_tokens": summary.total_tokens,
              "steps": len(summary.steps), "stop_reason": summary.end["reason"] if summary.end else "",
              "refused_step_tokens": summary.end.get("refused_step_tokens", 0) if summary.end else 0,
              "rollout_tokens": summary.rollout_tokens, "teacher_tokens": summary.teacher_tokens,
              "ledger_head": summary.head}
    write_atomic(out / "budget.json", json.dumps(budget, indent=2) + "\n")
    bad = [i for i in instances if i[2] != TRAIN_SPLIT]
    if bad:
        raise RecipeError(f"held-out instances reached the training data: {bad[:3]}")
    write_atomic(out / "training_data.json", json.dumps(
        {"fingerprint": data_fingerprint, "report": asdict(data), "instances": instances}, indent=1) + "\n")
    write_atomic(out / "README.md", _card(recipe, config, budget, data, data_fingerprint, summary.header, extra))
    return budget


def _card(recipe: str, config: dict[str, Any], budget: dict[str, Any], data: DataReport, fingerprint: str,
          header: dict[str, Any], extra: str) -> str:
    model = header.get("model") or {}
    used = 100.0 * budget["used_tokens"] / max(1, budget["budget_tokens"])
    lines = [
        "---", "library_name: transformers", "tags: [playschool, playpen, clu2, trl, " + recipe + "]", "---", "",
        f"# {recipe.upper()} learner trained with playschool", "",
        f"Base model: `{model.get('id', '?')}` at `{model.get('revision', '?')}`.", "",
        "## Token budget", "",
        f"- policy: `{budget['policy']}` (non-padding tokens of every gradient-bearing forward pass)",
        f"- budget: {budget['budget_tokens']:,} tokens; used: {budget['used_tokens']:,} ({used:.2f}%) in "
        f"{budget['steps']} optimizer steps; stopped: {budget['stop_reason']}",
        f"- not budgeted: {budget['rollout_tokens']:,} rollout tokens, {budget['teacher_tokens']:,} teacher tokens",
        f"- ledger: `ledger.jsonl`, head hash `{budget['ledger_head']}` "
        "(check with `playschool budget verify ledger.jsonl`)", "",
        "## Data", "",
        f"- sources: {', '.join(data.sources)}",
        f"- fingerprint: `{fingerprint}`; rows kept: {data.kept}; held-out rows dropped: {data.held_out}; "
        f"below the score threshold: {data.below_threshold}; other games: {data.other_game}; too long: {data.too_long}",
        "- instances trained on: `training_data.json` (train split only)", "",
        "## Recipe config", "", "```json", json.dumps(config, indent=2, sort_keys=True), "```", "",
    ]
    if extra:
        lines += [extra, ""]
    return "\n".join(lines)


__all__ = ["SPLITS", "Conversation", "DataReport", "RecipeError", "check_feedback_mode", "config_dict",
           "conversations_from_records",
           "curriculum_steps", "finish", "fingerprint_rows", "load_conversations", "load_pairs", "lora_config",
           "model_fingerprint", "recipe_main", "saved_line",
           "tokenize_with_learner_mask", "training_instances"]
