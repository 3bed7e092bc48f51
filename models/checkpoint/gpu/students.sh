#!/bin/bash
# Call 2 of 2 (right after teachers.sh, same warm machine): the STUDENTS (default three) distilled
# in the step from the committed teacher pair plus the vgg_teacher nets in /tmp/runs, BUDGET
# seconds (default 330); then the students and the teachers' best epochs come back.
source models/checkpoint/gpu/common.sh
[ -f /tmp/fer.npz ] || { echo "cold machine: /tmp/fer.npz is gone, run teachers.sh first"; exit 4; }
BUDGET=${BUDGET:-330}
LIMIT=${LIMIT:-$((BUDGET + 45))}
TEACHERS="--teacher models/checkpoint/teachers/gpu_b04.keras --teacher models/checkpoint/teachers/gpu_b06.keras"
for t in vt04 vt05; do
    [ -f "/tmp/runs/$t/best.keras" ] && TEACHERS="$TEACHERS --teacher /tmp/runs/$t/best.keras"
done
echo "teachers: $TEACHERS" >> "$OUT/device.txt"
# STUDENTS: NAME:ARCH:FERPLUS_WEIGHT:TEACHER_WEIGHT entries. Each student shares the GPU with the
# others (three at once got about 110 epochs in 330 s in session 8); fewer get more epochs each.
STUDENTS=${STUDENTS:-"lite04w08:compact_vgg_lite:0.4:0.8 lite03w07:compact_vgg_lite:0.3:0.7 fast04w08:compact_vgg_fast:0.4:0.8"}
NAMES=""
for spec in $STUDENTS; do
    IFS=: read -r name arch ferplus teacher <<< "$spec"
    # shellcheck disable=SC2086  # TEACHERS is a list of options
    run "$name" "$arch" --ferplus-weight "$ferplus" $TEACHERS --teacher-weight "$teacher"
    NAMES="$NAMES $name"
done
wait_for_runs
# shellcheck disable=SC2086  # NAMES is a list of folders
bring_back students $NAMES '*.out'
bring_back teachers vt04/best.keras vt05/best.keras vt04/config.json vt05/config.json
ls -la "$OUT"
report
