#!/usr/bin/env bash
# CLU2 sharded over a SLURM cluster: an array job of N shards (`playschool eval --shard I/N`), then a merge job
# that starts only when every shard succeeded (`playschool eval merge`).
#
#   LEARNER=hf:/shared/models/my-sft BASE=hf:/shared/models/base N=8 NAME=clu2-sft \
#       bash examples/cluster/eval_slurm.sh [submit] [more playschool eval flags, e.g. --games taboo wordle --n 30]
#   DRY_RUN=1 ... bash examples/cluster/eval_slurm.sh     # print every sbatch and playschool command, run nothing
#
# Environment: LEARNER (required), BASE (optional), N (shards, default 8), NAME (run name, default clu2),
# RUNS (default runs: the results go to $RUNS/$NAME, shard I to $RUNS/$NAME/shard-I), INSTANCE_SEED (default 0).
# Extra arguments go to every shard's `playschool eval`, the same for all.
#
# Modes: `submit` (the default on a login node) submits both jobs; `shard` is what each array task runs (the
# default inside an array task, so `sbatch --array=0-7 eval_slurm.sh` alone also works); `merge` is the merge job.
#
# The lines below are the array task's resources; #SBATCH lines are read by sbatch, not by bash.
#SBATCH --job-name=clu2-shard
#SBATCH --array=0-7
#   ^ shards 0..N-1 for N=8; `submit` passes --array=0-$((N-1)), which overrides this line. Append %K
#     (--array=0-63%16) to run at most K shards at a time.
#SBATCH --gpus-per-task=1
#   ^ or --gres=gpu:1, as your cluster asks; none for openai:, teacher or random learners.
#SBATCH --cpus-per-task=8
#SBATCH --mem=64G
#SBATCH --time=04:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail

: "${N:=8}" "${NAME:=clu2}" "${RUNS:=runs}" "${INSTANCE_SEED:=0}" "${DRY_RUN:=0}"
RUN_DIR="$RUNS/$NAME"
# Exported so that the jobs see the values the submitter used (sbatch passes the environment on by default).
export N NAME RUNS INSTANCE_SEED RUN_DIR

# Compute nodes read models and data from the shared cache, never the Hub: N tasks downloading at once get
# throttled, nodes often have no internet, and offline every shard loads the very files (the same revision) that
# were downloaded once on the login node. Put HF_HOME on the shared filesystem and fill it before submitting
# (a model you evaluate is best downloaded to a folder and named hf:/shared/FOLDER: the reference plane loads
# local folders). The taboo teacher's embedding model ships as a Python package: nothing to cache for it.
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1

run() {  # run a command, or with DRY_RUN=1 print it (shell-quoted, one line) instead
    if [[ $DRY_RUN == 1 ]]; then printf '%q ' "$@" | sed 's/ $//'; echo; else "$@"; fi
}

shard() {
    local i=${SLURM_ARRAY_TASK_ID:?the shard mode runs inside an array task (sbatch --array)}
    local base=()
    [[ -n ${BASE:-} ]] && base=(--base "$BASE")
    export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
    # The same settings on every shard, above all the same --instance-seed: each shard keeps its share (a stable
    # hash of the episode or item id) of ONE plan of test instances, and the plan is drawn from that seed. With
    # another seed a shard would hold items of another plan; merge refuses shards whose settings differ.
    run playschool eval --learner "${LEARNER:?set LEARNER, e.g. hf:/shared/models/my-sft}" ${base[@]+"${base[@]}"} \
        --instance-seed "$INSTANCE_SEED" --shard "$i/$N" --out "$RUN_DIR/shard-$i" --quiet "$@"
}

merge() {
    local dirs=() i
    for ((i = 0; i < N; i++)); do dirs+=("$RUN_DIR/shard-$i"); done
    # Refuses a missing or doubled shard, an item in two shards and shards of other settings or playschool
    # versions; the merged scorecard equals the one an unsharded run writes.
    run playschool eval merge "${dirs[@]}" --out "$RUN_DIR"
}

submit() {
    : "${LEARNER:?set LEARNER, e.g. hf:/shared/models/my-sft}"
    [[ -n ${HF_HOME:-} || $DRY_RUN == 1 ]] || echo "note: HF_HOME is not set; point it at a cache on the shared" \
        "filesystem that holds every model and dataset the shards load (they run offline)" >&2
    local script array_id
    script=$(readlink -f "${BASH_SOURCE[0]}")  # absolute: the merge job runs it again from its own directory
    [[ $DRY_RUN == 1 ]] || mkdir -p logs "$RUN_DIR"
    local array=(sbatch --parsable --array="0-$((N - 1))" --job-name="$NAME-shard" "$script" shard "$@")
    if [[ $DRY_RUN == 1 ]]; then run "${array[@]}"; array_id=1000; else array_id=$("${array[@]}"); fi
    array_id=${array_id%%;*}  # --parsable prints "id" or "id;cluster"
    # afterok: the merge starts only if every array task exited 0 (a shard exits 1 when episodes are missing).
    # --kill-on-invalid-dep: if one failed, the merge job is cancelled instead of waiting forever. Then, with the
    # same environment, resubmit that task (sbatch --array=I eval_slurm.sh shard [the same flags]: it resumes from
    # its records) and, once it succeeded, run `bash eval_slurm.sh merge`.
    run sbatch --dependency="afterok:$array_id" --kill-on-invalid-dep=yes --job-name="$NAME-merge" \
        --cpus-per-task=2 --time=00:30:00 --output="logs/%x-%j.out" --wrap="bash $(printf '%q' "$script") merge"
    if [[ $DRY_RUN == 1 ]]; then  # show what each array task and the merge job will run
        local i
        for ((i = 0; i < N; i++)); do SLURM_ARRAY_TASK_ID=$i shard "$@"; done
        merge
    fi
}

mode=${SLURM_ARRAY_TASK_ID:+shard}
mode=${mode:-submit}
case ${1:-} in submit | shard | merge) mode=$1; shift ;; esac
"$mode" "$@"
