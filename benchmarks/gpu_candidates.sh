#!/usr/bin/env bash
# Train the gpu recipe's candidates side by side on the lent GPU machine (JAX, no TensorFlow), for issue 18.
# The candidates, the rule that picks the winner and the files sent back: benchmarks/gpu_candidates.py.
#
# Before: `python benchmarks/gpu_candidates.py prepare` here, in the checkout the device tool sends.
# Device tool: run(command="bash benchmarks/gpu_candidates.sh", carry=["data/gpu_carry"], timeout_s=600)
# Options: GPU_MINUTES=8 (the whole run, in minutes; keep timeout_s above GPU_MINUTES * 60 + 60), and any
# arguments of `gpu_candidates.py run` after the script's name (e.g. --candidates paper,paper_wide).
set -uo pipefail
OUT=${OUT:-runs/gpu_candidates}
CARRY=${GPU_CARRY:-data/gpu_carry}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1  # what is printed comes back even if the run is stopped at its limit
export PYTHONUNBUFFERED=1 KERAS_BACKEND=${KERAS_BACKEND:-jax} TF_CPP_MIN_LOG_LEVEL=2
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # several training processes share the GPU
if compgen -G "$CARRY/wheels/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$CARRY"/wheels/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
export FER_GIT_COMMIT=${FER_GIT_COMMIT:-$(cat "$CARRY/COMMIT" 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
python3 -c "import keras, jax; print('keras', keras.__version__, 'backend', keras.backend.backend(), jax.devices())" \
  || exit 1
exec python3 benchmarks/gpu_candidates.py run --carry "$CARRY" --out "$OUT" --minutes "${GPU_MINUTES:-8}" "$@"
