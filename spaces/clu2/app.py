"""The CLU2 metric Space: paste (or upload) per-item results and episode records, get the score card.

evaluate's own ``launch_gradio_widget`` targets the Gradio 3 API (``gr.inputs``), which Gradio 6 no longer has,
so the Space carries this small Blocks app instead. It loads the module from this folder, the same file
``evaluate.load("playschool/clu2")`` fetches from the Hub.
"""

import json
from pathlib import Path

import evaluate
import gradio as gr

HERE = Path(__file__).resolve().parent
CONFIGS = ("all", "interactional", "reference")
#: Longest input the Space scores, in characters (a full test split's records fit; a runaway paste does not).
MAX_CHARS = 50_000_000


def score(text: str, upload: str | None, config: str, seed: float, n_boot: float, learner_as: str = "learner") -> str:
    """One JSON object per line (items of results.json and/or lines of records.jsonl) -> the score card."""
    if upload:
        text = Path(upload).read_text(encoding="utf-8", errors="strict")
    if len(text or "") > MAX_CHARS:
        return json.dumps({"error": f"input over {MAX_CHARS:,} characters"})
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return json.dumps({"error": "paste or upload one JSON object per line"})
    if config not in CONFIGS:
        return json.dumps({"error": f"configuration is one of {', '.join(CONFIGS)}"})
    module = evaluate.load(str(HERE / "clu2.py"), config)
    try:
        out = module.compute(predictions=lines, seed=int(seed), n_boot=int(n_boot), learner_as=learner_as)
    except ValueError as exc:  # the module's input errors say which line and why
        return json.dumps({"error": str(exc)})
    out.pop("scorecard", None)
    return json.dumps(out, indent=2)


def build() -> gr.Blocks:
    with gr.Blocks(title="CLU2") as demo:
        gr.Markdown((HERE / "README.md").read_text(encoding="utf-8").split("---", 2)[-1])
        with gr.Row():
            config = gr.Dropdown(list(CONFIGS), value="all", label="configuration")
            seed = gr.Number(0, precision=0, label="bootstrap seed")
            n_boot = gr.Number(1000, precision=0, label="bootstrap replicates")
            learner_as = gr.Dropdown(["learner", "teacher", "random"], value="learner",
                                     label="who played the learner's role in the records")
        text = gr.Textbox(lines=8, label="predictions: one JSON object per line")
        upload = gr.File(label="or a .jsonl file", type="filepath")
        go = gr.Button("Compute", variant="primary")
        result = gr.Code(language="json", label="score card")
        go.click(score, [text, upload, config, seed, n_boot, learner_as], result, api_name="compute")
    return demo


if __name__ == "__main__":
    build().launch()
