"""Build and launch the arena: one :class:`~.handlers.Arena` (database, live games, models) behind one Gradio
app. Used by ``playschool space``, by the Space's ``app.py`` and by the tests (which launch it on a free port
without blocking)."""

from __future__ import annotations

from typing import Any

from .config import ArenaConfig
from .handlers import Arena


def create_app(config: ArenaConfig) -> tuple[Any, Arena]:
    """The Gradio Blocks app and the arena it serves (close the arena when the app stops)."""
    from .ui import build_app

    arena = Arena.open(config)
    app = build_app(arena)
    # Several visitors at once: games are cheap, but a watched model or a re-scored upload holds a worker thread;
    # the queue keeps streaming updates ordered per visitor.
    app.queue(default_concurrency_limit=8)
    return app, arena


def launch(config: ArenaConfig, *, host: str = "127.0.0.1", port: int | None = None, share: bool = False,
           block: bool = True) -> tuple[Any, Arena, str]:
    """Start the app; returns (app, arena, local URL). ``block=False`` returns at once (tests)."""
    app, arena = create_app(config)
    _, url, _ = app.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block,
                           max_file_size=config.max_upload_bytes, show_error=False, quiet=not block,
                           footer_links=["api"])
    return app, arena, url
