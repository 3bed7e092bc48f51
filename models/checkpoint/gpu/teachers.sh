#!/bin/bash
# Call 1 of 2: train two vgg_teacher nets alone on the GPU (BUDGET seconds, default 400) and leave
# them in /tmp/runs for students.sh, which must follow on the same warm machine (it stays warm
# for about 30 s). Only logs come back from this call.
source models/checkpoint/gpu/common.sh
BUDGET=${BUDGET:-400}
LIMIT=${LIMIT:-$((BUDGET + 70))}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT/device.txt" 2>&1
python3 -m pip install -q --no-deps --no-index --target /tmp/site .whl/*.whl > "$OUT/pip.txt" 2>&1
python3 -c "import jax, keras; print(jax.__version__, keras.__version__, jax.devices())" >> "$OUT/device.txt" 2>&1 \
    || { cat "$OUT/pip.txt" "$OUT/device.txt"; exit 3; }
python3 -c "from emotune.training.datapack import unpack; unpack('.devdata/fer.pack.npz', '/tmp/fer.npz')" \
    >> "$OUT/device.txt" 2>&1 || { cat "$OUT/device.txt"; exit 3; }
echo "setup done after $(elapsed) s" >> "$OUT/device.txt"
run vt04 vgg_teacher --ferplus-weight 0.4
run vt05 vgg_teacher --ferplus-weight 0.5
wait_for_runs
bring_back teacher-logs vt04.out vt05.out vt04/train.log vt05/train.log
report
