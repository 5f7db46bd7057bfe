"""``playschool clembench export RUN_DIR --out DIR`` and ``playschool clembench import RESULTS_DIR --out RUN_DIR``.

Export writes a run folder's records (``records.jsonl``, and any foreign episodes imported into it) in
clembench's results layout. Import reads a clembench results tree into a run folder: our own exports back into
``records.jsonl`` (resumable: an episode already there is skipped), episodes of other games into
``clembench_episodes.jsonl``; ``--rows FILE`` also writes every imported episode as interactions-dataset rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playschool.games import EpisodeRecord

from .clembench import (
    DEFAULT_MODEL_NAME,
    FOREIGN_FILE,
    ForeignEpisode,
    append_foreign_episodes,
    export_records,
    import_results,
    read_foreign_episodes,
    to_interactions_rows,
)


def _export(args: argparse.Namespace) -> int:
    from playschool.store import RECORDS_FILE, iter_records

    run = Path(args.run_dir)
    episodes: list[EpisodeRecord | ForeignEpisode] = []
    if (run / RECORDS_FILE).is_file():
        episodes += iter_records(run)
    if (run / FOREIGN_FILE).is_file():
        episodes += read_foreign_episodes(run)
    if not episodes:
        raise FileNotFoundError(f"no episodes in {run} (neither {RECORDS_FILE} nor {FOREIGN_FILE})")
    try:
        folders = export_records(episodes, args.out, model_name=args.model, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"error: {exc.args[0].split(';')[0]}; use another --out, or --overwrite", file=sys.stderr)
        return 2
    print(f"exported {len(folders)} episode(s) to {args.out} in clembench's layout")
    return 0


def _import(args: argparse.Namespace) -> int:
    from playschool.store import RecordStore

    episodes = list(import_results(args.results_dir))
    ours = [e for e in episodes if isinstance(e, EpisodeRecord)]
    foreign = [e for e in episodes if isinstance(e, ForeignEpisode)]
    out = Path(args.out)
    added = skipped = 0
    if ours:
        with RecordStore(out) as store:
            for rec in ours:
                if rec.key in store:
                    skipped += 1
                else:
                    store.append(rec)
                    added += 1
    foreign_added = 0
    if foreign:
        out.mkdir(parents=True, exist_ok=True)
        foreign_added = append_foreign_episodes(out / FOREIGN_FILE, foreign)
    print(f"imported {added} record(s) into {out} ({skipped} already there) and {foreign_added} foreign "
          f"episode(s) ({len(foreign) - foreign_added} already there)")
    if args.rows:
        rows = to_interactions_rows(episodes, run=out.name)
        Path(args.rows).write_text("".join(json.dumps(r, sort_keys=True, ensure_ascii=True) + "\n" for r in rows),
                                   encoding="utf-8")
        print(f"wrote {len(rows)} interactions row(s) to {args.rows}")
    return 0


def add_parser(sub: Any) -> None:
    """Add ``clembench export`` and ``clembench import`` to the ``playschool`` command's subparsers."""
    p = sub.add_parser("clembench", help="export records to clembench's results layout, or import clembench results")
    csub = p.add_subparsers(dest="clembench_command", required=True)
    e = csub.add_parser("export", help="write a run's records as clembench results (clem eval reads them)")
    e.add_argument("run_dir", help="run folder (records.jsonl)")
    e.add_argument("--out", required=True, help="clembench results folder to write")
    e.add_argument("--model", default=DEFAULT_MODEL_NAME,
                   help="run folder name clembench shows as the model, e.g. mymodel-t0.0--mymodel-t0.0 "
                        f"(default: {DEFAULT_MODEL_NAME})")
    e.add_argument("--overwrite", action="store_true", help="replace episode folders that already exist")
    e.set_defaults(fn=_export)
    i = csub.add_parser("import", help="read clembench results into a run folder")
    i.add_argument("results_dir", help="clembench results folder (or any folder inside one)")
    i.add_argument("--out", required=True, help="run folder: records.jsonl, clembench_episodes.jsonl")
    i.add_argument("--rows", help="also write every imported episode as interactions-dataset rows (JSONL)")
    i.set_defaults(fn=_import)


__all__ = ["add_parser"]
