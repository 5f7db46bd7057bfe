"""A rich progress bar for runs: episodes done, success so far, throughput, time left."""

from __future__ import annotations

import sys
from types import TracebackType

from playschool.games import EpisodeRecord


class RunProgress:
    """Counts finished episodes; draws a bar only when enabled and stderr is a terminal (never in CI logs)."""

    def __init__(self, total: int, *, label: str = "playing", enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.success = 0
        self.failed = 0
        self._progress = None
        self._task = None
        if enabled and sys.stderr.isatty() and total > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._task = self._progress.add_task(label, total=total, stats="")

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, record: EpisodeRecord | None) -> None:
        """One episode finished (``None``: it failed and was not recorded)."""
        self.done += 1
        if record is None:
            self.failed += 1
        elif record.outcome == "success":
            self.success += 1
        if self._progress is not None and self._task is not None:
            stats = f"success {self.success}/{self.done - self.failed}"
            if self.failed:
                stats += f" [red]failed {self.failed}[/red]"
            self._progress.update(self._task, advance=1, stats=stats)
