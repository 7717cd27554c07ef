#!/usr/bin/env bash
# The busy-machine check: the concurrency-heavy test files, ROUNDS (5) times in a row, while
# two other full suites run beside them the whole time (each starts again when it ends).
# A test that fails only here is a defect, as any other: the tests assert promises, not
# how fast a loaded machine keeps them.
#
#   make busy-check              (or: tests/busy_check.sh; ROUNDS=1 for a shorter one)
#
# Prints each round's summary and, at the end, every failed test of the rounds and of the
# suites beside them with its message; exits 1 if a round failed. Logs: $OUT (kept).
set -u
cd "$(dirname "$0")/.."
PYTEST="${PYTEST:-.venv/bin/pytest}"
ROUNDS="${ROUNDS:-5}"
OUT="${OUT:-$(mktemp -d /tmp/newsdesk-busy-XXXXXX)}"
mkdir -p "$OUT" || exit 1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
HEAVY=(
  tests/vectorstore/test_fencing.py tests/vectorstore/test_lease.py tests/vectorstore/test_lock.py
  tests/vectorstore/test_load_guard.py tests/vectorstore/test_mid_run.py tests/vectorstore/test_live.py
  tests/ingest/test_crash_recovery.py tests/ingest/test_poller_seat.py tests/bot/e2e/test_fleet.py
  tests/bot/e2e/test_load.py tests/bot/e2e/test_standin_thread.py tests/bot/e2e/test_stop.py
  tests/bot/e2e/test_startup.py
  tests/bot/e2e/test_newsroom.py tests/bot/e2e/test_newsroom_delivery.py
  tests/bot/e2e/test_newsroom_faults.py tests/bot/e2e/test_newsroom_restart.py
)
echo "busy check: ${ROUNDS} rounds of ${#HEAVY[@]} files beside two full suites; logs in ${OUT}"

beside=()
for n in 1 2; do
  # its own process group (setsid), so that the end interrupts the suite and nothing else;
  # a background job starts with SIGINT ignored, which pytest would keep: set back first
  setsid bash -c '
    run=0
    while [ -d "$0" ] && [ ! -e "$0/done" ]; do
      run=$((run + 1))
      python3 -c "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])" \
        "$1" -q -p no:cacheprovider --basetemp="$0/beside-$2-tmp" > "$0/beside-$2-run-$run.log" 2>&1
      sleep 1
    done' "$OUT" "$PYTEST" "$n" &
  beside+=($!)
done

failed=0
for round in $(seq 1 "$ROUNDS"); do
  log="$OUT/round-$round.log"
  started=$(date +%s)
  "$PYTEST" -q -p no:cacheprovider --basetemp="$OUT/round-tmp" "${HEAVY[@]}" > "$log" 2>&1 || failed=1
  echo "round $round ($(( $(date +%s) - started )) s, load $(cut -d' ' -f1-3 /proc/loadavg)): $(tail -n 1 "$log")"
done

touch "$OUT/done"
for pid in "${beside[@]}"; do
  kill -INT -- "-$pid" 2>/dev/null  # pytest stops at once and tears its fixtures down
done
for pid in "${beside[@]}"; do
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
rm -rf "$OUT"/round-tmp "$OUT"/beside-*-tmp

echo "--- failed in the rounds:"
grep -h -E "^(FAILED|ERROR) tests/" "$OUT"/round-*.log || echo "none"
echo "--- failed in the suites beside them (a run cut short at the end is not a failure):"
grep -h -E "^(FAILED|ERROR) tests/" "$OUT"/beside-*-run-*.log || echo "none"
exit "$failed"
