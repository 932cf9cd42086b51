#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py options]
# Environment: GPUS (4), GPUS_PER_NODE (4, at most), CPUS_PER_TASK (5),
# SRUN_ARGS (extra srun arguments), PYTHON (python).

set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)

# WORK_DIR is optional: a 4th argument starting with '-' is an option
if [[ $# -ge 4 && "$4" != -* ]]; then
    WORK_DIR_ARGS=("--work-dir=$4")
    PY_ARGS=("${@:5}")
else
    WORK_DIR_ARGS=()
    PY_ARGS=("${@:4}")
fi

PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    ${PYTHON:-python} -u "$TOOLS_DIR/train.py" "$CONFIG" \
    "${WORK_DIR_ARGS[@]}" --launcher=slurm "${PY_ARGS[@]}"
