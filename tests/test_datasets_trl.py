"""TRL takes the interactions and preferences configs as they are: SFTTrainer and DPOTrainer build and step once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "datasets_scripts"), str(ROOT / "tests" / "fixtures")]

import build_interactions  # noqa: E402
from dataset_runs import make_runs  # noqa: E402

pytest.importorskip("trl")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::FutureWarning")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trl")
    return build_interactions.build(root / "ds", make_runs(root / "runs"))


def _common(tmp_path: Path) -> dict[str, object]:
    return {"output_dir": str(tmp_path / "out"), "max_steps": 1, "report_to": [], "per_device_train_batch_size": 2,
            "use_cpu": True, "save_strategy": "no", "logging_steps": 1, "disable_tqdm": True}


def test_sft_trainer_accepts_the_interactions_config(built: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    ds = load_dataset(str(built), "interactions", split="train", cache_dir=str(tmp_path / "cache"))
    trainer = SFTTrainer(model=str(tiny_model_path), train_dataset=ds,
                         args=SFTConfig(**_common(tmp_path), max_length=1024))
    assert trainer.train_dataset.num_rows > 0 and "input_ids" in trainer.train_dataset.column_names
    assert trainer.train().training_loss > 0


def test_dpo_trainer_accepts_the_preferences_config(built: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    from datasets import load_dataset
    from trl import DPOConfig, DPOTrainer

    ds = load_dataset(str(built), "preferences", split="train", cache_dir=str(tmp_path / "cache"))
    trainer = DPOTrainer(model=str(tiny_model_path), train_dataset=ds,
                         args=DPOConfig(**_common(tmp_path), max_length=1024))
    assert trainer.train_dataset.num_rows == ds.num_rows
    assert {"prompt_ids", "chosen_ids", "rejected_ids"} <= set(trainer.train_dataset.column_names)
    assert trainer.train().training_loss > 0
