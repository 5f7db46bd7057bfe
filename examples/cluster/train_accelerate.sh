#!/usr/bin/env bash
# A budgeted recipe past one GPU: `accelerate launch` runs the recipe module unchanged, data parallel (ddp) or
# with DeepSpeed ZeRO-2 (deepspeed), on one node or several; then the ledger is verified.
#
#   MODEL=/shared/models/base DATA=runs/ref-train OUT=models/sft-8gpu NPROC=8 BUDGET=100M \
#       bash examples/cluster/train_accelerate.sh [ddp|deepspeed] [more recipe flags, e.g. --lora --epochs 2]
#   DRY_RUN=1 ... bash examples/cluster/train_accelerate.sh deepspeed     # print the commands, run nothing
#
# Environment: MODEL (required), OUT (required), BUDGET (required; the total over all processes, K/M/G allowed),
# RECIPE (sft, dpo or grpo; default sft), DATA (the recipe's --data; leave empty for grpo and pass --roles),
# NPROC (processes = GPUs per node, default 8), BF16 (1 = bf16 mixed precision, the default; 0 = fp32),
# NODES (default 1). With NODES > 1 run the script once per node, e.g. inside `sbatch --nodes=4`:
#   srun --ntasks-per-node=1 bash examples/cluster/train_accelerate.sh deepspeed
# NODE_RANK defaults to $SLURM_NODEID and MAIN_IP to the allocation's first host; MAIN_PORT to 29500.
#
# The recipes are flat scripts: `-m playschool.baselines.sft` is the same program as `playschool train sft` and
# `python baselines/sft.py` (in a checkout), with the same flags.
#
# How the token budget works across processes (playschool/budget/callback.py; docs/scaling.md):
# - --budget-tokens is one budget for the whole run, not per GPU. Every optimizer step's tokens are summed over
#   its micro-batches and over all processes before the callback decides, so every process stops before the same
#   step. More GPUs make each step bigger, so the budget buys fewer steps; it never buys more tokens.
# - accelerate evens out a short last batch by repeating rows on some processes; those rows are fed, so they
#   count (a row count divisible by processes x --batch-size avoids it).
# - Only global rank 0 writes OUT/ledger.jsonl and saves the model (with budget.json, the ledger's head); MODEL
#   and DATA must be readable on every node. The ledger header records world_size.
# - grpo: every process plays its own groups; a step's fed tokens are reserved on the sum over processes before
#   the trainer sees them, and the per-device batch must hold whole groups (the recipe checks).
# - Resuming a budgeted run from a checkpoint is refused: give a job the wall time to finish.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stage=ddp
case ${1:-} in ddp | deepspeed) stage=$1; shift ;; esac
: "${RECIPE:=sft}" "${NPROC:=8}" "${BF16:=1}" "${NODES:=1}" "${DRY_RUN:=0}" "${DATA=runs/ref-train}"
: "${MODEL:?set MODEL (a local folder on the shared filesystem, or a Hub id already in HF_HOME)}"
: "${OUT:?set OUT (the model, ledger.jsonl and budget.json go there)}" "${BUDGET:?set BUDGET, e.g. 100M}"
# Every process loads the model and data from the cache filled beforehand: no rank waits on (or races) a download.
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1

run() {  # run a command, or with DRY_RUN=1 print it (shell-quoted, one line) instead
    if [[ $DRY_RUN == 1 ]]; then printf '%q ' "$@" | sed 's/ $//'; echo; else "$@"; fi
}

recipe=(--model "$MODEL" --out "$OUT" --budget-tokens "$BUDGET")
[[ -n $DATA ]] && recipe+=(--data "$DATA")
if [[ $BF16 == 1 ]]; then recipe+=(--bf16); precision=bf16; else recipe+=(--no-bf16); precision=no; fi

launch=(accelerate launch --num_processes "$((NODES * NPROC))" --num_machines "$NODES" --mixed_precision "$precision"
        --dynamo_backend no)
if [[ $stage == deepspeed ]]; then
    # ZeRO-2 shards optimizer state and gradients over the processes: full fine-tuning with Adam in bf16 holds
    # about 16 bytes per parameter, of which only the weights' 2 stay on every GPU.
    # The budget callback's hook sits on the model module, which DeepSpeed's engine calls, so counting is the same.
    launch+=(--config_file "$here/deepspeed_zero2.yaml")
elif ((NODES * NPROC > 1)); then
    launch+=(--multi_gpu)
fi
node_rank=0
if ((NODES > 1)); then
    node_rank=${NODE_RANK:-${SLURM_NODEID:?set NODE_RANK (or run under srun)}}
    main_ip=${MAIN_IP:-$(scontrol show hostnames "${SLURM_JOB_NODELIST:?set MAIN_IP}" | head -n 1)}
    launch+=(--machine_rank "$node_rank" --main_process_ip "$main_ip" --main_process_port "${MAIN_PORT:-29500}"
             --rdzv_backend static --same_network)
elif [[ -n ${MAIN_PORT:-} ]]; then
    launch+=(--main_process_port "$MAIN_PORT")  # two runs on one node need two ports
fi

run "${launch[@]}" -m "playschool.baselines.$RECIPE" "${recipe[@]}" "$@"

# The ledger is written where global rank 0 ran. Verify its hash chain and that its last hash is the one the saved
# model quotes (budget.json): quote that hash wherever the model's results are reported.
if ((node_rank == 0)); then
    head=LEDGER_HEAD
    [[ $DRY_RUN == 1 ]] || head=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["ledger_head"])' \
        "$OUT/budget.json")
    run playschool budget verify "$OUT/ledger.jsonl" --expect-head "$head"
fi
