"""clembench interop: our records -> clembench's results layout -> our records, clembench results -> ours -> back,
what clembench's evaluation reads, interactions-dataset rows, clear errors for malformed files, the CLI."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from playschool.games import EpisodeRecord

from playschool.interop import (
    ClembenchFormatError,
    ForeignEpisode,
    append_foreign_episodes,
    export_records,
    import_results,
    read_episode,
    read_foreign_episodes,
    to_interactions_rows,
)
from playschool.interop.cli import add_parser
from playschool.players import RandomPlayer, ReferencePlayer, ScriptedPlayer
from playschool.runner import Runner, plan_episodes
from playschool.store import RecordStore, iter_records

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "clembench" / "results"
WORDCHAIN = FIXTURE / "mock-7b-t0.0--mock-7b-t0.0" / "wordchain" / "0_short"
CARDSORT = FIXTURE / "mock-7b-t0.0--programmatic" / "cardsort" / "easy"
GAMES = ["wordle", "reference", "repair", "negotiation", "mapnav", "privateshared", "guesswhat", "drawing"]


# ------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def records() -> list[EpisodeRecord]:
    """Records of real games: reference player (wins), random player, a player that writes nonsense (aborts),
    nonsense in self-play, and one ``error`` episode (the game's fault, which no real game produces on demand)."""
    out: list[EpisodeRecord] = []
    for game in GAMES:
        tasks = plan_episodes([game], "train", n=1)[:2]
        for player in (ReferencePlayer(), RandomPlayer(), ScriptedPlayer(["nonsense"])):
            out += Runner({"learner": player}).run(tasks).records
    out += Runner({"learner": ScriptedPlayer(["nonsense"])}, self_play=True).run(
        plan_episodes(["negotiation"], "train", n=1)[:1]).records
    out.append(dataclasses.replace(out[0], outcome="error", fault="game", reason="game error: a test's own"))
    assert {r.outcome for r in out} == {"success", "lose", "aborted", "error"}
    return out


@pytest.fixture(scope="module")
def exported(records: list[EpisodeRecord], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clem") / "results"
    export_records(records, out, model_name="mymodel-t0.0--mymodel-t0.0")
    return out


def _sorted(recs: list[Any]) -> list[Any]:
    return sorted(recs, key=lambda r: (r.key, r.to_json()))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def folders(records: list[EpisodeRecord], exported: Path) -> list[tuple[Path, EpisodeRecord]]:
    """Each exported episode folder with the input record it was written from (matched by its restored record)."""
    by_json = {r.to_json(): r for r in records}
    out = []
    for folder in sorted(p.parent for p in exported.rglob("interactions.json")):
        restored = read_episode(folder)
        assert isinstance(restored, EpisodeRecord)
        out.append((folder, by_json[restored.to_json()]))
    return out


# ------------------------------------------------------------------------------- ours -> clembench -> ours
def test_round_trip_restores_every_record(records: list[EpisodeRecord], exported: Path) -> None:
    back = list(import_results(exported))
    assert all(isinstance(b, EpisodeRecord) for b in back)
    assert _sorted(back) == _sorted(records)
    for a, b in zip(_sorted(records), _sorted(back)):
        assert [(t.speaker, t.to, t.kind, t.text, t.parse, t.reward) for t in a.turns] == \
               [(t.speaker, t.to, t.kind, t.text, t.parse, t.reward) for t in b.turns]


def test_every_turn_is_one_clembench_event(records: list[EpisodeRecord],
                                           folders: list[tuple[Path, EpisodeRecord]]) -> None:
    assert len(folders) == len(records)
    for folder, rec in folders:
        data = _load(folder / "interactions.json")
        players = data["players"]
        assert set(players) == {"GM", *(f"Player {i}" for i in range(1, len(players)))}
        assert [players[f"Player {i}"]["game_role"] for i in range(1, len(players))] == list(rec.roles)
        role_of = {pid: ("game" if pid == "GM" else info["game_role"]) for pid, info in players.items()}
        events = [e for r in data["turns"] for e in r]
        assert len(events) == len(rec.turns)
        for turn, event in zip(rec.turns, events):
            if turn.kind == "move":
                assert (role_of[event["from"]], event["to"]) == (turn.speaker, "GM")
            else:  # messages reach players through the game master, as in clembench
                assert (event["from"], role_of[event["to"]]) == ("GM", turn.to)
                assert event["action"]["playschool"].get("speaker", "game") == turn.speaker
            assert event["action"]["type"] == ("get message" if turn.kind == "move" else "send message")
            assert event["action"]["content"] == turn.text
            assert event["action"]["playschool"]["kind"] == turn.kind
        learner_moves = [t for t in rec.turns if t.kind == "move" and t.speaker == rec.learner_role]
        assert len(data["turns"]) == max(1, len(learner_moves))  # each learner move closes a round
        learner_model = {who for pid, who in ((p, i["model_name"]) for p, i in players.items())
                         if pid != "GM" and rec.roles.get(role_of[pid]) == "learner"}
        assert learner_model <= {"mymodel-t0.0--mymodel-t0.0"}


def test_files_have_what_clemcore_writes(folders: list[tuple[Path, EpisodeRecord]]) -> None:
    for folder, rec in folders:
        data = _load(folder / "interactions.json")
        meta = data["meta"]
        assert (meta["game_name"], meta["experiment_name"]) == (rec.game, rec.experiment)
        assert meta["results_folder"] == folder.parts[-4] == "mymodel-t0.0--mymodel-t0.0"
        assert meta["round_count"] == len(data["turns"]) and meta["completed"] is True
        for name in ("Request Count", "Parsed Request Count", "Violated Request Count"):
            assert len(data[name]) == len(data["turns"])  # clemcore's scorer reads one count per round
        assert (data["Aborted"], data["Success"], data["Lose"]) == (
            int(rec.outcome == "aborted"), int(rec.outcome == "success"), int(rec.outcome == "lose"))
        instance = _load(folder / "instance.json")
        assert instance == {"game_id": meta["game_id"], **rec.instance}
        assert folder.name == f"episode_{meta['game_id']}"
        assert _load(folder.parent / "experiment.json") == {"name": rec.experiment, "game_name": rec.game}


def test_scores_json_is_what_clembench_evaluation_reads(records: list[EpisodeRecord],
                                                        folders: list[tuple[Path, EpisodeRecord]]) -> None:
    played: dict[str, list[float]] = defaultdict(list)
    quality: dict[str, list[float]] = defaultdict(list)
    for folder, rec in folders:
        path = folder / "scores.json"
        if rec.outcome == "error":  # the game's fault: clembench counts the episode as missing, as we do
            assert not path.exists()
            continue
        # clem eval names an episode by the last five parts of its scores file's path.
        model, game, experiment, episode, _ = path.parts[-5:]
        assert (model, game, experiment) == ("mymodel-t0.0--mymodel-t0.0", rec.game, rec.experiment)
        scores = _load(path)
        ep = scores["episode scores"]
        assert "Played" not in ep  # clem eval derives it and refuses files that carry it
        assert not {"main", "success", "aborted", "played"} & set(ep)  # ours are under clembench's names
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ep.values())
        assert (ep["Aborted"], ep["Success"], ep["Lose"]) == (
            int(rec.outcome == "aborted"), int(rec.outcome == "success"), int(rec.outcome == "lose"))
        if rec.outcome == "aborted":
            assert math.isnan(ep["Main Score"])
        else:
            assert ep["Main Score"] == rec.scores["main"]
        assert set(scores["turn scores"]) == {str(i) for i in range(len(_load(folder / "interactions.json")["turns"]))}
        moves = [t for t in rec.turns if t.kind == "move" and t.speaker in
                 ([r for r, w in rec.roles.items() if w == "learner"] or [rec.learner_role])]
        assert ep["Request Count"] == len(moves) == sum(s["Request Count"] for s in scores["turn scores"].values())
        assert ep["Violated Request Count"] == sum(1 for t in moves if t.parse and t.parse.get("ok") is False)
        # clem eval's table: % played = 1 - Aborted, quality = mean Main Score, NaN (not played) skipped.
        played[game].append(1 - ep["Aborted"])
        if not math.isnan(ep["Main Score"]):
            quality[game].append(ep["Main Score"])
    for game in played:
        ours = [r for r in records if r.game == game and r.outcome != "error"]
        ours_played = [r for r in ours if r.outcome != "aborted"]
        assert sum(played[game]) / len(played[game]) == len(ours_played) / len(ours)
        if ours_played:
            assert math.isclose(sum(quality[game]) / len(quality[game]),
                                sum(r.scores["main"] for r in ours_played) / len(ours_played))


def test_export_is_deterministic(records: list[EpisodeRecord], tmp_path: Path) -> None:
    export_records(records, tmp_path / "a")
    export_records(list(reversed(records)), tmp_path / "b")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b and len(a) > 3 * len(GAMES)


def test_export_never_mixes_with_an_older_one(records: list[EpisodeRecord], tmp_path: Path) -> None:
    export_records(records[:3], tmp_path)
    with pytest.raises(FileExistsError, match="already exists"):
        export_records(records[:3], tmp_path)
    assert len(export_records(records[:3], tmp_path, overwrite=True)) == 3
    with pytest.raises(ValueError, match="folder name"):
        export_records(records[:1], tmp_path / "x", model_name="../escape")


# ------------------------------------------------------------------------ clembench -> ours -> clembench
def test_clembench_fixture_imports_as_foreign_episodes() -> None:
    episodes = [e for e in import_results(FIXTURE) if isinstance(e, ForeignEpisode)]
    assert len(episodes) == len(list(FIXTURE.rglob("interactions.json"))) == 3
    by_id = {e.id: e for e in episodes}
    assert sorted(by_id) == ["mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_0",
                             "mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_1",
                             "mock-7b-t0.0--programmatic/cardsort/easy/instance_00000"]
    won, aborted, card = (by_id[k] for k in sorted(by_id))
    assert (won.outcome, won.main_score, won.game) == ("success", 100.0, "wordchain")
    assert (aborted.outcome, aborted.main_score) == ("aborted", None)  # NaN: not played
    assert (card.outcome, card.main_score, card.game) == ("lose", 66.67, "cardsort")
    assert won.experiment_file == "experiment_short.json" and card.experiment_file == "experiment.json"
    # Older runs name players by id; newer ones give each a role.
    assert won.role_names() == {"GM": "game", "Player 1": "Player 1", "Player 2": "Player 2"}
    assert card.model_names() == {"Sorter": "mock-7b", "Dealer": "programmatic"}
    turns = card.turns
    assert len(turns) == sum(len(r) for r in card.rounds) == 13
    assert [t.kind for t in turns[:3]] == ["instruction", "move", "row_state"]
    assert (turns[1].speaker, turns[1].to, turns[1].text) == ("Sorter", "game", "PLACE 1")
    assert json.loads(turns[2].text) == {"row": ["7 of clubs"], "valid": True}


def test_clembench_round_trip_preserves_every_event(tmp_path: Path) -> None:
    episodes = [e for e in import_results(FIXTURE) if isinstance(e, ForeignEpisode)]
    assert len(episodes) == 3
    # Through our own storage too: the foreign-episodes file.
    append_foreign_episodes(tmp_path / "foreign.jsonl", episodes)
    stored = read_foreign_episodes(tmp_path / "foreign.jsonl")
    assert stored == episodes
    export_records(stored, tmp_path / "out")
    for src in sorted(FIXTURE.rglob("interactions.json")):
        rel = src.parent.relative_to(FIXTURE)
        dst = tmp_path / "out" / rel
        before, after = _load(src), _load(dst / "interactions.json")
        assert [[(e["from"], e["to"], e["action"]["type"], e["action"]["content"]) for e in r]
                for r in before["turns"]] == \
               [[(e["from"], e["to"], e["action"]["type"], e["action"]["content"]) for e in r]
                for r in after["turns"]]
        # Everything else clembench keeps comes back too (NaN-safe: compared as JSON text).
        for name in ("interactions.json", "instance.json", "scores.json"):
            assert json.dumps(_load(src.parent / name), sort_keys=True) == \
                   json.dumps(_load(dst / name), sort_keys=True)
        exp = next(src.parent.parent.glob("experiment*.json"))
        assert _load(exp) == _load(dst.parent / exp.name)
    assert not list((tmp_path / "out").rglob("*requests.json"))  # requests are not carried over (see report)


def test_foreign_episodes_file_is_idempotent(tmp_path: Path) -> None:
    episodes = [e for e in import_results(FIXTURE) if isinstance(e, ForeignEpisode)]
    path = tmp_path / "foreign.jsonl"
    assert append_foreign_episodes(path, episodes) == 3
    assert append_foreign_episodes(path, episodes) == 0
    assert len(path.read_text().splitlines()) == 3


# --------------------------------------------------------------------------------------- dataset rows
def test_rows_of_our_records_are_the_dataset_builders(records: list[EpisodeRecord]) -> None:
    sys.path.insert(0, str(ROOT / "datasets_scripts"))
    try:
        import build_interactions as bi
    finally:
        sys.path.remove(str(ROOT / "datasets_scripts"))
    for rec in records:
        assert to_interactions_rows([rec], run="r1") == bi.interaction_rows(rec, "r1")


def test_rows_of_clembench_episodes(tmp_path: Path) -> None:
    episodes = list(import_results(FIXTURE))
    rows = to_interactions_rows(episodes)
    by_id = {r["id"]: r for r in rows}
    # Both model players of the won word chain, the aborted one's first player, the sorter; not the dealer.
    assert sorted(by_id) == [
        "clembench/mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_0/Player 1",
        "clembench/mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_0/Player 2",
        "clembench/mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_1/Player 1",
        "clembench/mock-7b-t0.0--programmatic/cardsort/easy/instance_00000/Sorter",
    ]
    for episode in episodes:
        assert isinstance(episode, ForeignEpisode)
        events = [e for r in episode.rounds for e in r]
        for row in (r for r in rows if r["id"].startswith(f"clembench/{episode.id}/")):
            player = {v: k for k, v in episode.role_names().items()}[row["meta"]["role"]]
            msgs = row["messages"]
            assert msgs[0]["role"] == "user"
            assert all(a["role"] != b["role"] for a, b in zip(msgs, msgs[1:]))  # user and assistant alternate
            assert [m["content"] for m in msgs if m["role"] == "assistant"] == \
                   [e.content for e in events if e.sender == player and e.type == "get message"]
            assert [m["content"] for m in msgs if m["role"] == "user"][0] == \
                   next(e.content for e in events if e.to == player and e.type == "send message")
            assert len(row["meta"]["kinds"]) == len(row["meta"]["rewards"]) == len(msgs)
    aborted = by_id["clembench/mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_1/Player 1"]["meta"]
    assert (aborted["outcome"], aborted["main"], json.loads(aborted["scores"])["Main Score"]) == ("aborted", 0.0, None)
    assert aborted["game"] == "clembench/wordchain" and aborted["instance_id"] == "0_short/1"
    # The rows fit the dataset's declared schema (written as the builder writes them).
    pytest.importorskip("datasets")
    sys.path.insert(0, str(ROOT / "datasets_scripts"))
    try:
        import build_interactions as bi
        import dataset_io
    finally:
        sys.path.remove(str(ROOT / "datasets_scripts"))
    assert dataset_io.write_parquet(rows, bi.interaction_features(), tmp_path / "rows.parquet") > 0


# ----------------------------------------------------------------------------------- malformed files
def _copy_fixture(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    shutil.copytree(FIXTURE, root)
    return root


def _edit(path: Path, fn: Any) -> None:
    data = _load(path)
    fn(data)
    path.write_text(json.dumps(data))


EP0 = Path("mock-7b-t0.0--mock-7b-t0.0/wordchain/0_short/episode_0")
BAD_FILES: dict[str, tuple[Path, Any, str]] = {
    "not json": (EP0 / "interactions.json", "{not json", "not valid JSON"),
    "no turns": (EP0 / "interactions.json", lambda d: d.pop("turns"), "missing key 'turns'"),
    "no players": (EP0 / "interactions.json", lambda d: d.pop("players"), "missing key 'players'"),
    "turns not a list": (EP0 / "interactions.json", lambda d: d.update(turns={"0": []}), "'turns' must be list"),
    "event without action": (EP0 / "interactions.json", lambda d: d["turns"][0][1].pop("action"),
                             r"turns\[0\]\[1\]: missing key 'action'"),
    "action without type": (EP0 / "interactions.json", lambda d: d["turns"][1][0]["action"].pop("type"),
                            r"turns\[1\]\[0\]: missing key 'type'"),
    "scores not json": (EP0 / "scores.json", "", "not valid JSON"),
    "no episode scores": (EP0 / "scores.json", lambda d: d.pop("episode scores"), "missing key 'episode scores'"),
    "instance a list": (EP0 / "instance.json", "[1, 2]", "the instance must be dict"),
    "experiment not json": (EP0.parent / "experiment_short.json", "{", "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_clembench_files_name_the_file(case: str, tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    rel, change, message = BAD_FILES[case]
    if callable(change):
        _edit(root / rel, change)
    else:
        (root / rel).write_text(change)
    with pytest.raises(ClembenchFormatError, match=message) as err:
        list(import_results(root))
    assert str((root / rel).resolve()) in str(err.value)


def test_malformed_exports_name_the_file(records: list[EpisodeRecord], tmp_path: Path) -> None:
    [folder] = export_records(records[:1], tmp_path)
    path = folder / "interactions.json"
    original = path.read_text()
    for change, message in [
        (lambda d: d["playschool"]["record"].pop("outcome"), "lacks field"),
        (lambda d: d["playschool"].update(format=99), "unknown playschool export format 99"),
        (lambda d: d["playschool"]["record"].update(outcome="won"), "unknown outcome"),
        (lambda d: d["turns"][0][0]["action"].pop("playschool"), "'action.playschool' must be dict"),
        (lambda d: d["turns"][0][0].update({"from": "Player 9"}), "'Player 9' is not in 'players'"),
        (lambda d: d["players"]["Player 1"].pop("game_role"), "missing key 'game_role'"),
    ]:
        path.write_text(original)
        _edit(path, change)
        with pytest.raises(ClembenchFormatError, match=message) as err:
            read_episode(folder)
        assert str(path.resolve()) in str(err.value)
    path.write_text(original)
    (folder / "instance.json").unlink()
    with pytest.raises(ClembenchFormatError, match="instance.json: missing"):
        read_episode(folder)


def test_not_a_results_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no interactions.json"):
        list(import_results(tmp_path))
    with pytest.raises(FileNotFoundError):
        list(import_results(tmp_path / "absent"))


def test_bad_foreign_episodes_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "foreign.jsonl"
    [episode] = [e for e in import_results(CARDSORT) if isinstance(e, ForeignEpisode)]
    path.write_text(json.dumps(episode.to_dict()) + "\n" + json.dumps({"location": ["a", "b"]}) + "\n")
    with pytest.raises(ClembenchFormatError, match=r"foreign.jsonl:2: 'location' must be"):
        read_foreign_episodes(path)


# ------------------------------------------------------------------------------------------------- CLI
def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="playschool")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.fn(args))


def test_cli_export_then_import(records: list[EpisodeRecord], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    ours = [r for r in records if r.roles.get(r.learner_role) == "random"]  # one run: one player, unique keys
    with RecordStore(run) as store:
        for rec in ours:
            store.append(rec)
    assert _cli("clembench", "export", str(run), "--out", str(tmp_path / "clem"), "--model", "m--m") == 0
    assert (tmp_path / "clem" / "m--m").is_dir()
    assert _cli("clembench", "export", str(run), "--out", str(tmp_path / "clem"), "--model", "m--m") == 2
    assert "already exists; use another --out, or --overwrite" in capsys.readouterr().err
    assert _cli("clembench", "import", str(tmp_path / "clem"), "--out", str(tmp_path / "back"),
                "--rows", str(tmp_path / "rows.jsonl")) == 0
    assert _sorted(list(iter_records(tmp_path / "back"))) == _sorted(ours)
    assert len((tmp_path / "rows.jsonl").read_text().splitlines()) == len(to_interactions_rows(ours))
    assert _cli("clembench", "import", str(tmp_path / "clem"), "--out", str(tmp_path / "back")) == 0
    assert f"imported 0 record(s) into {tmp_path / 'back'} ({len(ours)} already there)" in capsys.readouterr().out
    assert len(list(iter_records(tmp_path / "back"))) == len(ours)


def test_cli_import_then_export_of_clembench_results(tmp_path: Path) -> None:
    assert _cli("clembench", "import", str(FIXTURE), "--out", str(tmp_path / "run")) == 0
    assert not (tmp_path / "run" / "records.jsonl").exists()
    assert len(read_foreign_episodes(tmp_path / "run")) == 3
    assert _cli("clembench", "export", str(tmp_path / "run"), "--out", str(tmp_path / "clem")) == 0
    for src in FIXTURE.rglob("interactions.json"):
        dst = tmp_path / "clem" / src.relative_to(FIXTURE)
        assert _load(src)["turns"] == _load(dst)["turns"]
    with pytest.raises(FileNotFoundError, match="no episodes"):
        _cli("clembench", "export", str(tmp_path / "empty"), "--out", str(tmp_path / "x"))
