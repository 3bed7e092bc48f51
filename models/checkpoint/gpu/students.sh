#!/bin/bash
# Call 2 of 2 (right after teachers.sh, same warm machine): three students distilled in the step
# from the committed teacher pair plus the vgg_teacher nets in /tmp/runs, BUDGET seconds
# (default 330); then the students and the teachers' best epochs come back.
source models/checkpoint/gpu/common.sh
[ -f /tmp/fer.npz ] || { echo "cold machine: /tmp/fer.npz is gone, run teachers.sh first"; exit 4; }
BUDGET=${BUDGET:-330}
LIMIT=${LIMIT:-$((BUDGET + 45))}
TEACHERS="--teacher models/checkpoint/teachers/gpu_b04.keras --teacher models/checkpoint/teachers/gpu_b06.keras"
for t in vt04 vt05; do
    [ -f "/tmp/runs/$t/best.keras" ] && TEACHERS="$TEACHERS --teacher /tmp/runs/$t/best.keras"
done
echo "teachers: $TEACHERS" >> "$OUT/device.txt"
# shellcheck disable=SC2086  # TEACHERS is a list of options
{
    run lite04w08 compact_vgg_lite --ferplus-weight 0.4 $TEACHERS --teacher-weight 0.8
    run lite03w07 compact_vgg_lite --ferplus-weight 0.3 $TEACHERS --teacher-weight 0.7
    run fast04w08 compact_vgg_fast --ferplus-weight 0.4 $TEACHERS --teacher-weight 0.8
}
wait_for_runs
bring_back students lite04w08 lite03w07 fast04w08 '*.out'
bring_back teachers vt04/best.keras vt05/best.keras vt04/config.json vt05/config.json
ls -la "$OUT"
report
