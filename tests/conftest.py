"""Shared pytest fixtures. Keep each fixture small and documented; expensive ones are session-scoped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The arena tests launch Gradio apps: no usage analytics calls from a test run (CI has no network).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# The game tests' shared helpers assert on transcripts: rewrite their asserts so failures show the diff.
pytest.register_assert_rewrite("gamekit")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama + BPE tokenizer with a chat template, built once per session (a few seconds, offline)."""
    from playschool.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
