#!/usr/bin/env bash
# Run every suite: unit (cmocka), integration (real zke processes driven by
# kubectl, python3-kubernetes and curl), the same against an ASan+UBSan
# build, and each libFuzzer target for a bounded time. Ends with one line:
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-6}
passed=0
failed=0
failures=()

count_meson() { # build dir, log of `meson test`, label
  local ok fail timeout
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$2" | tail -1)
  fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$2" | tail -1)
  timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$2" | tail -1)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${timeout:-0}))
  if [ "${fail:-0}" != 0 ] || [ "${timeout:-0}" != 0 ] || [ -z "$ok" ]; then
    failures+=("$3")
    [ -z "$ok" ] && failed=$((failed + 1))
  fi
}

run_integration() { # zke binary, label
  # two runners side by side: the modules with node agents (host bridges,
  # rules and ports: one at a time) and the rest (control plane, simulated
  # nodes), which mostly wait on processes; logs are shown one after the
  # other when both are done
  local host plane p f total_p=0 total_f=0 crashed=0
  host=$(mktemp)
  plane=$(mktemp)
  ZKE_BIN="$1" /usr/bin/python3 tests/integration/run.py --host-network >"$host" 2>&1 &
  local hp=$!
  ZKE_BIN="$1" /usr/bin/python3 tests/integration/run.py --no-host-network >"$plane" 2>&1
  wait "$hp"
  for out in "$host" "$plane"; do
    cat "$out"
    p=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$out" | tail -1)
    f=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$out" | tail -1)
    if [ -z "$p" ]; then
      crashed=1
    else
      total_p=$((total_p + p))
      total_f=$((total_f + f))
    fi
  done
  passed=$((passed + total_p))
  failed=$((failed + total_f))
  if [ "$crashed" = 1 ]; then
    failures+=("$2 (runner crashed)")
    failed=$((failed + 1))
  elif [ "$total_f" != 0 ]; then
    failures+=("$2")
  fi
  rm -f "$host" "$plane"
}

stage() { echo "== $1 (at ${SECONDS}s)"; }

# one fuzz target: its exit status and log land in $2
fuzz_one() { # target name, results dir
  local work corpus=tests/fuzz/corpus/${1#fuzz_}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
  ./build-fuzz/tests/fuzz/"$1" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=0 "$work" >"$2/$1.log" 2>&1
  echo $? >"$2/$1.rc"
  rm -rf "$work"
}

# The sanitizer and fuzz trees build while the first suites run, and then
# the fuzz targets run one after another while the sanitizer suites do: one
# job at the lowest priority, so the tests keep the other core (they wait
# on processes far more than they compute). Each step writes its status.
pre=$(mktemp -d)
(
  if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false --werror >/dev/null
  else
    meson setup --reconfigure build-asan >/dev/null
  fi
  nice -n 19 ninja -C build-asan -j1 >"$pre/asan.log" 2>&1
  echo $? >"$pre/asan.rc"
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  else
    meson setup --reconfigure build-fuzz >/dev/null
  fi
  nice -n 19 ninja -C build-fuzz -j1 >"$pre/fuzz.log" 2>&1
  echo $? >"$pre/fuzz.rc"
  if [ "$(cat "$pre/fuzz.rc")" = 0 ]; then
    mkdir -p "$pre/results"
    for src in tests/fuzz/fuzz_*.c; do
      nice -n 19 bash -c "$(declare -f fuzz_one); FUZZ_SECONDS=$FUZZ_SECONDS fuzz_one $(basename "$src" .c) $pre/results"
    done
  fi
) &
prebuild=$!

stage "unit tests"
log=$(mktemp)
meson test -C build --suite unit --print-errorlogs 2>&1 | tee "$log"
count_meson build "$log" "unit"

stage "integration tests"
run_integration "$PWD/build/zke" "integration"

stage "sanitizers (ASan+UBSan): unit and integration"
while [ ! -f "$pre/asan.rc" ] && kill -0 "$prebuild" 2>/dev/null; do sleep 1; done
# what the background build left (nothing, if it finished), at full speed
if [ "$(cat "$pre/asan.rc" 2>/dev/null)" = 0 ] || ninja -C build-asan >/dev/null; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs 2>&1 | tee "$log"
  count_meson build-asan "$log" "unit (asan)"
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_integration "$PWD/build-asan/zke" "integration (asan)"
else
  failures+=("asan build")
  failed=$((failed + 1))
fi

stage "fuzz targets, ${FUZZ_SECONDS}s each (run beside the sanitizer suites)"
wait "$prebuild"
if [ "$(cat "$pre/fuzz.rc" 2>/dev/null)" = 0 ]; then
  results=$pre/results
  for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    if [ "$(cat "$results/$name.rc" 2>/dev/null)" = 0 ]; then
      echo "fuzz $name: ok"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"
      # the report and its stack first: a plain tail would show only the
      # shadow-memory legend
      grep -E 'ERROR:|runtime error|^ *#[0-9]+ |SUMMARY|Base64:|Test unit' "$results/$name.log" | head -60
      failures+=("fuzz $name")
      failed=$((failed + 1))
    fi
  done
else
  tail -20 "$pre/fuzz.log" 2>/dev/null
  failures+=("fuzz build")
  failed=$((failed + 1))
fi
rm -f "$log"
rm -rf "$pre"

stage "done"
if [ "${#failures[@]}" -gt 0 ]; then
  echo "failed suites: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
