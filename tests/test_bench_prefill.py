"""The prefill benchmark runs end to end on a few episodes and finds reuse (and vLLM's prefix caching, counted
by the stand-in) computing fewer prompt tokens with the same transcripts. Its timings are not checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

BENCH = Path(__file__).parent / "perf" / "bench_runner.py"


def test_prefill_section_prints_fewer_tokens_and_identical_transcripts() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--only", "prefill", "--game", "taboo", "--role", "guesser",
                           "--episodes", "4", "--batch", "4", "--max-new-tokens", "8", "--vllm-standin"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "identical transcripts in 4/4 episodes" in out
    computed = {m.group(1).strip(): (int(m.group(2)), int(m.group(3))) for m in re.finditer(
        r"^\s*(.+?):\s+(\d+) prompt tokens,\s+(\d+) computed", out, re.MULTILINE)}
    before = computed["recompute every prompt"]
    assert before[0] == before[1] > 0  # nothing reused: every prompt token computed
    for after in ("reuse keys/values", "vLLM prefix caching"):
        assert computed[after][0] == before[0] and 0 < computed[after][1] < before[1]
