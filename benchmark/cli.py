"""``playschool eval``: CLU2 end to end — both planes, one scorecard, results.json + CSV + HTML report.

    playschool eval                                   # the embedded default learner (nano), runs/clu2
    playschool eval --learner hf:PATH --base hf:BASE --out runs/mine
    playschool eval --learner hf:PATH --base-results runs/base --out runs/mine
    playschool eval --learner openai:ORG/NAME@http://HOST:8000/v1 --out runs/served   # vLLM's server
    playschool eval --learner hf:PATH --shard 0/4 --out runs/s0     # ... 1/4, 2/4, 3/4 elsewhere, then:
    playschool eval merge runs/s0 runs/s1 runs/s2 runs/s3 --out runs/all

Only ``argparse`` is imported when the parser is built: ``playschool --help`` stays fast; numpy, the model
stack and lm-eval load when ``eval`` runs.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

DEFAULT_OUT = "runs/clu2"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``eval`` (and ``eval merge``) to the ``playschool`` subcommands."""
    from playschool.cli import add_cache_options

    p = subparsers.add_parser("eval", help="CLU2: evaluate a learner on both planes; results.json, CSV, HTML",
                              description="Run the CLU2 evaluation: the reference plane (lm-eval, for local hf "
                                          "models and openai: models served with prompt logprobs, e.g. by vLLM) "
                                          "and the interactional plane (the games' test splits), then "
                                          "write results.json, results.csv, report.html and transcripts.")
    p.add_argument("--learner", default="nano",
                   help="model spec of the learner (default: nano, the embedded default model); hf:PATH, "
                        "openai:MODEL@URL, agent:MODULE:ATTR, scripted:FILE, tiny, teacher, random")
    base = p.add_mutually_exclusive_group()
    base.add_argument("--base", help="model spec of the base model, evaluated the same way; adds the "
                                     "improvement with paired bootstrap intervals")
    base.add_argument("--base-results", help="results folder (or results.json) of the base model's evaluation")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT}); resumable")
    p.add_argument("--shard", help="evaluate one shard I/N (0 <= I < N) of all items; merge with 'eval merge'")
    p.add_argument("--games", nargs="+", help="game ids (default: every registered game, packs included)")
    p.add_argument("--n", type=int, help="test instances per experiment (default: the game's test split size; 1 "
                                         "for the embedded default learner)")
    p.add_argument("--limit", type=int, help="reference items per task (default: all)")
    p.add_argument("--data", help="CLU2 reference data folder (default: the fixture items shipped)")
    p.add_argument("--reference-tokenizer", metavar="PATH_OR_ID",
                   help="tokenizer of a served (openai:) model for the reference plane: a local folder or Hub id "
                        "(default: the served model's name, as vLLM serves a Hub model under its id)")
    p.add_argument("--skip-reference", action="store_true", help="do not run the reference plane")
    p.add_argument("--skip-interactional", action="store_true", help="do not run the interactional plane")
    p.add_argument("--instance-seed", type=int, default=0,
                   help="which test instances are drawn (default 0: the published test split; organisers draw the "
                        "private test set with a secret one)")
    p.add_argument("--sampling-seed", type=int, default=0,
                   help="decoding seed when --temperature > 0 (default 0); several sampled runs share instances")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed of the intervals (default 0)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default, reproducible)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (hf)")
    add_cache_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    sub = p.add_subparsers(dest="eval_command", metavar="{merge}")
    m = sub.add_parser("merge", help="merge the shards of one run into the result an unsharded run gives")
    m.add_argument("dirs", nargs="+", help="the shards' output folders (or results.json files)")
    m.add_argument("--out", dest="merge_out", required=True, help="output folder of the merged result")
    m.add_argument("--allow-partial", action="store_true", help="merge even if shards are missing")
    p.set_defaults(fn=cmd_eval)
    return p


def cmd_eval(args: argparse.Namespace) -> int:
    """Run ``playschool eval`` (or ``eval merge``); returns the exit status."""
    from playschool.cli import CLIError

    from .aggregate import DuplicateItemError, ItemError
    from .registry import UnknownTaskError

    try:
        if getattr(args, "eval_command", None) == "merge":
            return _merge(args)
        return _evaluate(args)
    except (UnknownTaskError, DuplicateItemError, ItemError) as exc:
        raise CLIError(str(exc)) from exc


# ------------------------------------------------------------------------------------------- planes
def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _reference(spec: str, args: argparse.Namespace,
               shard: tuple[int, int] | None) -> tuple[list[Any], str, dict[str, Any] | None]:
    """Reference-plane items of a learner spec, what happened (for the manifest and the console), and, for a
    served model, how the plane reached it (the manifest's ``reference.served``; None otherwise)."""
    from playschool.cli import CLIError
    from playschool.spec import LOCAL_MODELS, embedded_model_path, parse_spec

    from .results import shard_items

    if args.skip_reference:
        return [], "skipped (--skip-reference)", None
    s = parse_spec(spec)
    if s.kind == "openai":
        return _served_reference(s.target, s.url or "", args, shard)
    if s.kind not in (*LOCAL_MODELS, "vllm"):
        return [], (f"skipped: lm-eval scores multiple choice by log-likelihood, which needs a local hf model "
                    f"(hf:PATH, vllm:PATH, nano or tiny) or a served one (openai:MODEL@URL); {spec} is neither"), None
    if s.revision:
        raise CLIError(f"{spec}: the reference plane loads a local folder or a Hub id at its default revision; "
                       f"download that revision to a folder and pass {s.kind}:FOLDER")
    try:
        from .reference_plane import run_reference_plane
    except ImportError as exc:
        raise CLIError(f"the reference plane is not available ({exc}); install playschool[hf] and lm-eval, or "
                       "pass --skip-reference") from exc
    # A vllm: model's weights are a transformers checkpoint: the plane scores them through lm-eval's hf model,
    # the same code path (and numbers) as hf:PATH; only the interactional plane plays through vLLM.
    model_path: Any = s.target if s.kind in ("hf", "vllm") else embedded_model_path(s)
    kwargs: dict[str, Any] = {"data": args.data, "limit": args.limit, "batch_size": args.batch_size,
                              "device": _device(args.device)}
    try:
        if "shard" in inspect.signature(run_reference_plane).parameters:
            return list(run_reference_plane(model_path, shard=shard, **kwargs)), "run", None
        # The plane scores every item; keeping the shard's share afterwards is correct, if not the cheapest.
        return shard_items(run_reference_plane(model_path, **kwargs), shard), "run", None
    except (OSError, KeyError) as exc:  # what transformers raises for a model it cannot load
        reason = " ".join(str(exc).split())[:300]
        raise CLIError(f"{spec}: the reference plane cannot load the model: {type(exc).__name__}: {reason}") from exc


def _served_reference(model: str, url: str, args: argparse.Namespace,
                      shard: tuple[int, int] | None) -> tuple[list[Any], str, dict[str, Any]]:
    """The reference plane of an ``openai:MODEL@URL`` learner, through lm-eval's completions model."""
    from playschool.cli import CLIError

    try:
        from .reference_plane import ReferencePlaneError
        from .served import evaluate_served_reference
    except ImportError as exc:
        raise CLIError(f"the reference plane is not available ({exc}); install playschool[eval], or pass "
                       "--skip-reference") from exc
    try:
        run = evaluate_served_reference(model, url, tokenizer=args.reference_tokenizer, data=args.data,
                                        limit=args.limit, shard=shard, num_concurrent=args.concurrency)
    except ReferencePlaneError as exc:  # ServedModelError included: its message names the URL and the problem
        raise CLIError(" ".join(str(exc).split())) from exc
    return run.items, "run", dict(run.manifest.get("model") or {})


def _interactional(spec: str, args: argparse.Namespace, out: Path, shard: tuple[int, int] | None) -> list[Any]:
    from playschool.backends.base import Decoding

    from .interactional import run_interactional_plane

    if args.skip_interactional:
        return []
    decoding = Decoding(max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.sampling_seed)
    return run_interactional_plane(spec, out_dir=out, games=args.games, n=args.n, shard=shard,
                                   seed=args.instance_seed,
                                   decoding=decoding, batch_size=args.batch_size, device=args.device,
                                   reuse_cache=args.reuse_cache, cache_tokens=args.cache_tokens,
                                   concurrency=args.concurrency, progress=not args.quiet)


def _config(args: argparse.Namespace, reference: str, base: Any,
            served: dict[str, Any] | None = None) -> dict[str, Any]:
    """The reproducibility-relevant settings of this evaluation (the manifest hashes them). ``served``: how the
    reference plane reached a served learner (recorded only then, so local runs keep their manifest ids)."""
    from playschool.games import game_names, load_game

    from .interactional import SPLIT
    from .registry import CLU2_VERSION, registry_fingerprint

    interactional: Any = "skipped (--skip-interactional)"
    if not args.skip_interactional:
        interactional = {
            "games": {g: load_game(g).versioned_id for g in (args.games or game_names())}, "split": SPLIT,
            "instances_per_experiment": args.n, "instance_seed": args.instance_seed, "teacher": "teacher",
            "decoding": {"max_new_tokens": args.max_new_tokens, "temperature": args.temperature,
                         "seed": args.sampling_seed},
        }
    ref: dict[str, Any] = {"plane": reference, "limit": args.limit, "data": args.data}
    if served is not None:
        ref["served"] = served
    return {"clu2_version": CLU2_VERSION, "registry_fingerprint": registry_fingerprint(), "learner": args.learner,
            "base": base, "reference": ref,
            "interactional": interactional, "bootstrap": {"seed": args.seed, "n_boot": args.n_boot},
            "shard": args.shard}


def _evaluate(args: argparse.Namespace) -> int:
    from playschool.games import load_game

    from playschool.cli import CLIError, err_console
    from playschool.manifest import build_manifest
    from playschool.spec import check_hf_target, parse_spec

    from .results import build_results, parse_shard, read_results, shard_items

    if args.skip_reference and args.skip_interactional:
        raise CLIError("--skip-reference and --skip-interactional together leave nothing to evaluate")
    shard = parse_shard(args.shard) if args.shard else None
    if parse_spec(args.learner).kind in ("nano", "tiny") and args.n is None:  # parse: fail fast, before loading
        # The embedded default is a demo of the whole real path (a CPU model that plays most roles badly and
        # slowly): one test instance per experiment keeps it to a minute or two.
        args.n = 1
        err_console.print("the embedded default learner plays 1 test instance per experiment (pass --n for more)")
    for spec in (args.learner, args.base):
        if spec:
            check_hf_target(parse_spec(spec))  # one clear line for a missing model folder, before any work
    for g in args.games or ():
        load_game(g)
    out = Path(args.out)
    base_results = read_results(args.base_results) if args.base_results else None

    _check_reference_tokenizer(args)
    items, reference, served = _reference(args.learner, args, shard)
    if reference != "run":
        err_console.print(f"reference plane {reference}")
    items += _interactional(args.learner, args, out / "interactional", shard)

    base_items: list[Any] | None = None
    base_info: dict[str, Any] | None = None
    base_config: Any = None
    if args.base:
        base_items, base_ref, base_served = _reference(args.base, args, shard)
        base_items += _interactional(args.base, args, out / "base" / "interactional", shard)
        base_info = {"learner": args.base, "reference": base_ref}
        base_config = {"spec": args.base}
        if base_served is not None:
            base_info["reference_served"] = base_served
            base_config["reference_served"] = base_served
    elif base_results is not None:
        base_items = shard_items(base_results.items, shard)
        base_info = {"learner": base_results.manifest.get("learner", str(args.base_results)),
                     "manifest": base_results.manifest}
        base_config = {"results": base_results.manifest.get("manifest_id")}

    manifest = build_manifest(_config(args, reference, base_config, served))
    results = build_results(items, manifest, shard=shard, seed=args.seed, n_boot=args.n_boot, base_items=base_items,
                            base_info=base_info)
    _write_all(results, out, [out / "interactional"])
    print_summary(results, out)
    missing = results.scorecard["coverage"]["missing"]
    if missing:
        err_console.print(f"[red]{missing} planned episode(s) could not be played and count as failures; run the "
                          "same command again to retry them (recorded episodes are kept)[/red]")
        return 1
    return 0


def _check_reference_tokenizer(args: argparse.Namespace) -> None:
    """``--reference-tokenizer`` is for a served model's reference plane: refuse it where it would be ignored."""
    from playschool.cli import CLIError
    from playschool.spec import parse_spec

    if args.reference_tokenizer is None:
        return
    if args.skip_reference:
        raise CLIError("--reference-tokenizer is for the reference plane, which --skip-reference skips")
    if not any(spec and parse_spec(spec).kind == "openai" for spec in (args.learner, args.base)):
        raise CLIError("--reference-tokenizer is for a served learner or base (openai:MODEL@URL); local models "
                       "bring their own tokenizer")


def _write_all(results: Any, out: Path, record_dirs: list[Path]) -> None:
    """results.json, results.csv, transcripts/ (from the records of the result's episodes) and report.html."""
    from playschool.transcript import write_html as write_transcripts

    from .interactional import planned_records
    from .report import write_csv, write_html
    from .results import write_results

    write_results(results, out)
    write_csv(results, out)
    keys = {i.details["episode"] for i in results.items if i.details.get("episode")}
    dirs = [d for d in record_dirs if (d / "records.jsonl").is_file()]
    transcripts = None
    if keys and dirs:
        records = [r for d in dirs for r in planned_records(d, keys)]
        write_transcripts(records, out / "transcripts")
        transcripts = "transcripts"
    write_html(results, out, transcripts=transcripts)


def _merge(args: argparse.Namespace) -> int:
    from .results import merge_results

    merged = merge_results(args.dirs, allow_partial=args.allow_partial)
    out = Path(args.merge_out)
    shards = [Path(d) for d in args.dirs if Path(d).is_dir()]
    _merge_records(merged.items, [d / "interactional" for d in shards], out / "interactional")
    _merge_records(merged.base_items, [d / "base" / "interactional" for d in shards], out / "base" / "interactional")
    _write_all(merged, out, [out / "interactional"])
    print_summary(merged, out)
    return 0


def _merge_records(items: Any, shard_dirs: list[Path], out_dir: Path) -> None:
    """The shards' records of the merged items' episodes, in one ``records.jsonl`` (so the merged folder is a
    whole evaluation: its records can be replayed, re-scored or uploaded like an unsharded run's)."""
    from playschool.store import RecordStore

    from .interactional import planned_records

    keys = {i.details["episode"] for i in items if i.details.get("episode")}
    dirs = [d for d in shard_dirs if (d / "records.jsonl").is_file()]
    if not keys or not dirs:
        return
    with RecordStore(out_dir) as store:
        for record in (r for d in dirs for r in planned_records(d, keys)):
            if record.key not in store:  # a re-run of merge into the same folder appends nothing twice
                store.append(record)


# ------------------------------------------------------------------------------------------ summary
def print_summary(results: Any, out: Path | None = None) -> None:
    """The scorecard as rich tables: per task, then dimensions, overall, clemscore and improvement."""
    from rich import box
    from rich.table import Table

    from playschool.cli import console

    from .registry import DIMENSION_LABELS, DIMENSIONS

    card = results.scorecard

    def f(x: Any) -> str:
        return "–" if x is None else f"{x:.1f}"

    def ci(c: Any) -> str:
        return "" if not c else f"[{c[0]:.1f}, {c[1]:.1f}]"

    tasks = Table(title=f"CLU2 {results.clu2_version} · {results.manifest.get('learner', '')}", box=box.SIMPLE_HEAD,
                  padding=(0, 1))
    for col in ("task", "n", "miss/inv", "raw", "score", "95% CI"):
        tasks.add_column(col, no_wrap=True, justify="left" if col == "task" else "right",
                         min_width=11 if col == "95% CI" else None, overflow="ellipsis")
    for tid, t in card["tasks"].items():
        raw = f"{t['raw']:.3g}" if t["raw"] is not None else "–"
        ci_text = f"{t['ci'][0]:.1f}–{t['ci'][1]:.1f}" if t["ci"] else ""
        tasks.add_row(tid, str(t["n"]), f"{t['missing']}/{t['invalid']}", raw, f(t["normalised"]), ci_text)
    console.print(tasks)
    summary = Table(title="scorecard (normalised: random 0, ceiling 100)", box=box.SIMPLE_HEAD)
    for col in ("", "score", "95% CI"):
        summary.add_column(col, justify="left" if not col else "right")
    for d in DIMENSIONS:
        summary.add_row(DIMENSION_LABELS[d], f(card["dimensions"][d]["score"]), ci(card["dimensions"][d]["ci"]))
    summary.add_row("[bold]CLU2 overall[/bold]", f(card["overall"]["score"]), ci(card["overall"]["ci"]))
    summary.add_row("clemscore", f(card["clemscore"]["score"]), "")
    imp = results.improvement
    if imp:
        for d in DIMENSIONS:
            summary.add_row(f"Δ {DIMENSION_LABELS[d]}", f(imp["dimensions"][d]["delta"]),
                            ci(imp["dimensions"][d]["ci"]))
        summary.add_row("Δ overall", f(imp["overall"]["delta"]), ci(imp["overall"]["ci"]))
    console.print(summary)
    cov = card["coverage"]
    if not cov["complete"]:
        console.print(f"[yellow]incomplete scorecard: {cov['missing']} missing item(s); tasks not evaluated: "
                      f"{', '.join(cov['tasks_not_evaluated']) or 'none'}[/yellow]", highlight=False)
    if out is not None:
        console.print(f"wrote {out / 'results.json'}, {out / 'results.csv'}, {out / 'report.html'}", highlight=False)
