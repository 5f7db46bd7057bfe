"""The nano model: the embedded default learner, shipped inside the package.

A ~2M-parameter Llama trained from scratch on CPU by the SFT recipe on reference-player play of the train split
of the games it can learn (``playschool train nano`` rebuilds it; its folder holds the budget ledger, the data
fingerprint, every instance it was trained on and its held-out scores). It is small and weak, but it has learned
the games' move formats and plays some roles above chance, so a first run shows real behaviour. Tests of the
plumbing use the random tiny model instead (:mod:`playschool.tiny`).
"""

from __future__ import annotations

from pathlib import Path

NANO_DIR = Path(__file__).resolve().parent / "models" / "nano"


def nano_model_path() -> Path:
    """The shipped nano model's folder; a clear error if the installation lacks it."""
    if not (NANO_DIR / "config.json").is_file() or not any(NANO_DIR.glob("*.safetensors")):
        raise FileNotFoundError(f"the nano model is missing from {NANO_DIR} (an installation without package "
                                "data?); rebuild it with: playschool train nano --out " + str(NANO_DIR))
    return NANO_DIR


__all__ = ["NANO_DIR", "nano_model_path"]
