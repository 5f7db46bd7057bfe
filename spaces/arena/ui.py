"""The arena's Gradio Blocks app: six tabs wired to :mod:`.handlers`.

Every event has an ``api_name``, so the whole arena is scriptable with ``gradio_client`` (the tests play a game,
submit results and request a model through the same endpoints the page uses):

    /new_game(game, role, seed) -> chat, status        /send(text) -> chat, status, text
    /watch(model, game, role, seed) -> chat, status     (streamed, one update per turn)
    /browse(game, role, model, outcome) -> table        /show(key) -> chat, turns
    /submit(files, model_name) -> message               /request_model(model, revision, base) -> message
    /leaderboard(version, search, verified_only) -> table, csv, plot
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from . import handlers as h
from .handlers import Arena
from .sessions import games as playable_games
from .sessions import roles_for

TITLE = "PlaySchool arena"
INTRO = """# 🧸 PlaySchool arena
Play the Playpen's dialogue games against their programmatic teacher, watch a model play, browse transcripts,
and see the CLU2 leaderboard. **Every interactional score on this page is recomputed by replaying the episode
records**; reference-plane numbers from an upload are marked *self-reported* until a worker reruns the model."""

#: Feedback kinds look different in the chat; the badges come from chat.py, this only spaces them out.
CSS = """
.arena-status { min-height: 3em; }
"""


def build_app(arena: Arena) -> gr.Blocks:
    """The Blocks app over one shared :class:`Arena`."""
    games = playable_games()
    first = games[0] if games else None
    roles = roles_for(first) if first else []

    def roles_update(game: str) -> Any:
        choices = roles_for(game) if game else []
        return gr.update(choices=choices, value=choices[0] if choices else None)

    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(INTRO)
        with gr.Tab("Play"):
            session = gr.State(None, delete_callback=lambda sid: arena.sessions.close(sid) if sid else None)
            with gr.Row():
                p_game = gr.Dropdown(games, value=first, label="game", elem_id="play-game")
                p_role = gr.Dropdown(roles, value=roles[0] if roles else None, label="your role",
                                     elem_id="play-role", allow_custom_value=True)  # choices follow the game
                p_seed = gr.Number(None, label="seed (optional)", precision=0)
                p_new = gr.Button("New game", variant="primary", elem_id="play-new")
            p_chat = gr.Chatbot(label="game", height=460, elem_id="play-chat")
            p_status = gr.Markdown(elem_classes="arena-status", elem_id="play-status")
            with gr.Row():
                p_text = gr.Textbox(label="your move", placeholder="type your move and press Enter",
                                    scale=5, elem_id="play-text")
                p_send = gr.Button("Send", scale=1, elem_id="play-send")
            p_game.change(roles_update, p_game, p_role, api_visibility="undocumented")
            p_new.click(lambda g, r, s, old: h.new_game(arena, g, r, s, old), [p_game, p_role, p_seed, session],
                        [p_chat, session, p_status], api_name="new_game")
            def send(text: str, sid: str | None) -> tuple[Any, ...]:
                return h.send(arena, text, sid)

            p_send.click(send, [p_text, session], [p_chat, session, p_status, p_text], api_name="send")
            p_text.submit(send, [p_text, session], [p_chat, session, p_status, p_text],
                          api_visibility="undocumented")

        with gr.Tab("Watch"):
            with gr.Row():
                w_model = gr.Dropdown(list(arena.config.watch_models), value=arena.config.watch_models[0]
                                      if arena.config.watch_models else None, label="model")
                w_game = gr.Dropdown(games, value=first, label="game")
                w_role = gr.Dropdown(roles, value=roles[0] if roles else None, label="role the model plays",
                                     allow_custom_value=True)
                w_seed = gr.Number(None, label="seed (optional)", precision=0)
                w_go = gr.Button("Watch", variant="primary")
            w_chat = gr.Chatbot(label="the model's game", height=460)
            w_status = gr.Markdown(elem_classes="arena-status")
            w_game.change(roles_update, w_game, w_role, api_visibility="undocumented")
            w_go.click(lambda m, g, r, s: (yield from h.watch_game(arena, m, g, r, s)),
                       [w_model, w_game, w_role, w_seed], [w_chat, w_status], api_name="watch")

        with gr.Tab("Transcripts"):
            choices = arena.transcripts.choices() if arena.transcripts is not None else {}
            with gr.Row():
                t_filters = [gr.Dropdown([""] + list(choices.get(k, [])), value="", label=k)
                             for k in ("game", "role", "model", "outcome")]
            t_table = gr.Dataframe(headers=list(h.TRANSCRIPT_COLUMNS), interactive=False, label="episodes")
            t_key = gr.Dropdown([], label="episode", allow_custom_value=True)
            t_chat = gr.Chatbot(label="transcript", height=460)
            t_turns = gr.Dataframe(interactive=False, label="turns: speaker, feedback kind, reward")

            def browse(*filters: str) -> tuple[Any, Any]:
                found, keys = h.browse(arena, *filters)
                return found, gr.update(choices=keys, value=keys[0] if keys else None)

            for f in t_filters:
                f.change(browse, t_filters, [t_table, t_key], api_visibility="undocumented")
            t_browse = gr.Button("Search")
            t_browse.click(browse, t_filters, [t_table, t_key], api_name="browse")
            t_key.change(lambda k: h.show_transcript(arena, k), t_key, [t_chat, t_turns], api_name="show")
            if arena.transcripts is None:
                gr.Markdown("No transcript sources configured (`playschool space --transcripts RUN_DIR ...`).")

        with gr.Tab("Submit results"):
            gr.Markdown("Upload the output of `playschool eval` (a .zip of its folder, or `results.json` and "
                        "`records.jsonl`). The episodes are replayed against the games and re-scored here; "
                        "reference-plane items are shown as self-reported. Nothing you upload is executed.")
            # No file_types filter: every file reaches the checker, which says what is wrong with it (Gradio's
            # filter would answer a wrong extension with a bare error instead).
            s_files = gr.File(file_count="multiple", label="files (.zip, or results.json + records.jsonl)")
            s_name = gr.Textbox(label="model name (shown on the leaderboard)")
            s_go = gr.Button("Submit", variant="primary")
            s_out = gr.Markdown()

            def submit(files: Any, name: str, request: gr.Request) -> str:
                return h.submit_results(arena, files, name, h.visitor_of(request))

            submitted = s_go.click(submit, [s_files, s_name], s_out, api_name="submit")

        with gr.Tab("Request a model"):
            gr.Markdown("Ask for a model to be evaluated: a worker with a GPU runs `playschool eval --base ...` "
                        "on it and posts verified results (both planes recomputed).")
            with gr.Row():
                r_model = gr.Textbox(label="model (Hub id)", placeholder="org/name")
                r_rev = gr.Textbox(label="revision", placeholder="main or a commit")
                r_base = gr.Textbox(label="base model", placeholder="org/base-model")
            r_go = gr.Button("Request evaluation", variant="primary")
            r_out = gr.Markdown()
            r_queue = gr.Dataframe(headers=list(h.QUEUE_COLUMNS), interactive=False, label="queue")

            def request_model(m: str, rev: str, b: str, request: gr.Request) -> tuple[str, Any]:
                return h.request_model(arena, m, rev, b, h.visitor_of(request)), h.queue_rows(arena)

            r_go.click(request_model, [r_model, r_rev, r_base], [r_out, r_queue], api_name="request_model")
            gr.Button("Refresh queue").click(lambda: h.queue_rows(arena), None, r_queue, api_name="queue")

        with gr.Tab("Leaderboard"):
            with gr.Row():
                vs = h.leaderboard_versions(arena)
                l_version = gr.Dropdown(vs, value=vs[0] if vs else None, label="CLU2 version",
                                        allow_custom_value=True)
                l_search = gr.Textbox(label="search models")
                l_verified = gr.Checkbox(label="verified only")
                l_go = gr.Button("Refresh")
            l_table = gr.Dataframe(interactive=False, label="entries, ranked within one CLU2 version and this "
                                                            f"arena's plan ({arena.config.plan_id()})")
            l_csv = gr.File(label="CSV")
            l_plot = gr.Plot(label="dimension scores with 95% intervals")

            def board(version: str | None, search: str, verified: bool) -> tuple[Any, str, Any]:
                shown, csv_path, fig = h.leaderboard(arena, version, search, verified)
                headers, values = h.table(shown)
                return pd.DataFrame(values, columns=headers), csv_path, fig

            l_go.click(board, [l_version, l_search, l_verified], [l_table, l_csv, l_plot], api_name="leaderboard")
            app.load(board, [l_version, l_search, l_verified], [l_table, l_csv, l_plot],
                     api_visibility="undocumented")
            # An accepted upload shows up at once; the queue is current when the page opens.
            submitted.then(board, [l_version, l_search, l_verified], [l_table, l_csv, l_plot],
                           api_visibility="undocumented")
            app.load(lambda: h.queue_rows(arena), None, r_queue, api_visibility="undocumented")
    return app
