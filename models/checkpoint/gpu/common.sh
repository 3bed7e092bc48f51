# Shared by teachers.sh and students.sh: run from the repository root on a lent GPU machine
# (see ../README.md, "Running it on a lent GPU machine"). Needs .whl/ and .devdata/fer.pack.npz
# carried along; results go to $OUT. SMOKE_OPTIONS (e.g. "--max-train 256") is added to every
# training command, for a quick trial on a CPU with KERAS_BACKEND=jax.
set -u
START=$(date +%s)
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false
mkdir -p /tmp/runs

elapsed() { echo $(( $(date +%s) - START )); }

# One background training run: run NAME ARCH [emotune train options...]
run() {
    local name=$1 arch=$2
    shift 2
    python3 -m emotune train --data /tmp/fer.npz --arch "$arch" --labels blend --epochs 2000 \
        --time-budget "$BUDGET" --quiet --out "/tmp/runs/$name" "$@" ${SMOKE_OPTIONS:-} \
        > "/tmp/runs/$name.out" 2>&1 &
}

# Wait for every background run, killing what is left at LIMIT seconds after START.
wait_for_runs() {
    while [ -n "$(jobs -rp)" ] && [ "$(elapsed)" -lt "$LIMIT" ]; do sleep 5; done
    for p in $(jobs -rp); do kill "$p"; done
    sleep 2
    echo "runs ended after $(elapsed) s" >> "$OUT/device.txt"
}

# Files come back at most 8, 16 MiB each: pack PATTERNS (relative to /tmp/runs; quote globs so
# they expand there) into NAME.tgz.aa, .ab, ...
bring_back() {
    local name=$1
    shift
    # shellcheck disable=SC2068  # unquoted on purpose: the globs expand inside /tmp/runs
    (cd /tmp/runs && tar czf - $@ | split -b 15m - "$OUT/$name.tgz.")
}

report() {
    for f in /tmp/runs/*.out; do echo "== $f"; grep -v '^\s*$' "$f" | tail -n 2; done
    cat "$OUT/device.txt"
}
