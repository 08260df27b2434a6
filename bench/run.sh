#!/usr/bin/env bash
# pdl benchmark harness: pdl against curl and aria2c, served by a private nginx on 127.0.0.1.
# Usage: bash bench/run.sh [all|single|many|unthrottled|throttled|norange|files|mixed|splitting]...   (see bench/README.md)
# Every timed run is prepared per /work/shared/BENCHMARKING.md: memory warm-up, page cache warm-up, tools
# interleaved round by round. Results: bench/out/results-<stamp>.md (+ runs-<stamp>.tsv, logs-<stamp>/).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  sed -n '2,3p' "$0" | sed 's/^# //'
  exit 2
}

# --- what to run ------------------------------------------------------------------------------------------
# `splitting` needs per-connection throttles nginx cannot vary per scenario: bench/splitting.mjs serves them
# from the test fixture server instead, and runs on its own (no nginx, curl or aria2c).
if [[ ${1:-} == splitting ]]; then
  shift
  exec node "$(dirname "${BASH_SOURCE[0]}")/splitting.mjs" "$@"
fi

SCENARIOS=()
for arg in "${@:-all}"; do
  case $arg in
    all) SCENARIOS+=(unthrottled throttled norange files mixed) ;;
    single) SCENARIOS+=(unthrottled throttled norange) ;;
    many) SCENARIOS+=(files mixed) ;;
    unthrottled | throttled | norange | files | mixed) SCENARIOS+=("$arg") ;;
    -h | --help) usage ;;
    *) log "unknown scenario '$arg'"; usage ;;
  esac
done
has() { [[ " ${SCENARIOS[*]} " == *" $1 "* ]]; }

# --- sizes (BENCH_SMOKE=1 shrinks every default to prove the harness in seconds) ---------------------------
if [[ ${BENCH_SMOKE:-0} == 1 ]]; then
  d_big=32 d_mid=16 d_small=100 d_medium=20 d_mixbig=8 d_mixsmall=50 d_runs=1
else
  d_big=1024 d_mid=256 d_small=1000 d_medium=200 d_mixbig=64 d_mixsmall=500 d_runs=5
fi
RUNS=${RUNS:-$d_runs}
BIG_MIB=${BENCH_BIG_MIB:-$d_big}
MID_MIB=${BENCH_MID_MIB:-$d_mid}
SMALL_COUNT=${BENCH_SMALL_COUNT:-$d_small}
SMALL_KIB=${BENCH_SMALL_KIB:-100}
MEDIUM_COUNT=${BENCH_MEDIUM_COUNT:-$d_medium}
MEDIUM_KIB=${BENCH_MEDIUM_KIB:-1024}
MIX_BIG_COUNT=${BENCH_MIX_BIG_COUNT:-4}
MIX_BIG_MIB=${BENCH_MIX_BIG_MIB:-$d_mixbig}
MIX_SMALL_COUNT=${BENCH_MIX_SMALL_COUNT:-$d_mixsmall}
((MIX_SMALL_COUNT <= SMALL_COUNT)) || die "BENCH_MIX_SMALL_COUNT must not exceed BENCH_SMALL_COUNT"

BIG=big-${BIG_MIB}M.bin
MID=mid-${MID_MIB}M.bin
SMALL=small-${SMALL_COUNT}x${SMALL_KIB}K
MEDIUM=medium-${MEDIUM_COUNT}x${MEDIUM_KIB}K
MIX_BIGS=()
for ((i = 1; i <= MIX_BIG_COUNT; i++)); do MIX_BIGS+=("mix-${MIX_BIG_MIB}M-$i.bin"); done

ARIA=(aria2c -q --console-log-level=error --summary-interval=0 --file-allocation=none --allow-overwrite=true
  --auto-file-renaming=false)

# --- output locations and cleanup ---------------------------------------------------------------------------
STAMP=$(date +%Y%m%d-%H%M%S)
RUNS_TSV=$OUT_DIR/runs-$STAMP.tsv
SCENARIOS_TSV=$WORK_DIR/scenarios-$STAMP.tsv
META=$WORK_DIR/meta-$STAMP.md
RESULTS=$OUT_DIR/results-$STAMP.md
LOG_DIR=$OUT_DIR/logs-$STAMP
DL_DIR=$WORK_DIR/dl
TMPFS_DIR=${BENCH_TMPFS:-/dev/shm}/pdl-bench-$$

cleanup() {
  if [[ -n ${TIMED_PID:-} ]]; then
    kill -TERM "$TIMED_PID" 2>/dev/null
    wait "$TIMED_PID" 2>/dev/null
  fi
  stop_nginx
  rm -rf "$DL_DIR" "$TMPFS_DIR" "$WORK_DIR/time.txt"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- scenarios ----------------------------------------------------------------------------------------------
# Each sets the S_* variables and s_cmd described in lib.sh, then calls run_scenario.

begin_scenario() { # NAME TITLE SERVED-FILE…
  S_NAME=$1
  printf '%s\t%s\n' "$1" "$2" >>"$SCENARIOS_TSV"
  S_SERVED=$WORK_DIR/$1.served
  shift 2
  printf '%s\n' "$@" >"$S_SERVED"
  log "=== $S_NAME: $(tail -n 1 "$SCENARIOS_TSV" | cut -f2) — $RUNS round(s)"
}

scenario_unthrottled() {
  begin_scenario unthrottled "1 × $BIG_MIB MiB from /fast/ (unthrottled)" "$DATA_DIR/$BIG"
  S_OUT=$DL_DIR/unthrottled S_MANIFEST=$DATA_DIR/$BIG.sha256 S_BYTES=$((BIG_MIB * 1048576))
  S_TOOLS=(pdl-c16 pdl-c8 pdl-c16-sha256 curl wget2 aria2c-x16)
  s_cmd() {
    local url=$BASE_URL/fast/$BIG out=$S_OUT/$BIG
    case $1 in
      pdl-c16) CMD=("${PDL[@]}" get "$url" -c 16 -o "$out" --quiet) ;;
      pdl-c8) CMD=("${PDL[@]}" get "$url" -c 8 -o "$out" --quiet) ;;
      pdl-c16-sha256) CMD=("${PDL[@]}" get "$url" -c 16 -o "$out" --quiet --checksum "sha256:$(sha_of "$BIG")") ;;
      curl) CMD=(curl -sf -o "$out" "$url") ;;
      wget2) CMD=(wget2 -q --no-robots -O "$out" "$url") ;;
      aria2c-x16) CMD=("${ARIA[@]}" -x16 -s16 -k1M -d "$S_OUT" -o "$BIG" "$url") ;;
    esac
  }
  run_scenario
}

scenario_throttled() {
  begin_scenario throttled "1 × $MID_MIB MiB from /slow/ (limit_rate 4m per connection)" "$DATA_DIR/$MID"
  S_OUT=$DL_DIR/throttled S_MANIFEST=$DATA_DIR/$MID.sha256 S_BYTES=$((MID_MIB * 1048576))
  S_TOOLS=(pdl-c16 pdl-c8 aria2c-x16 aria2c-x8)
  s_cmd() {
    local url=$BASE_URL/slow/$MID out=$S_OUT/$MID
    case $1 in
      pdl-c16) CMD=("${PDL[@]}" get "$url" -c 16 -o "$out" --quiet) IDEAL=$((16 * 4194304)) ;;
      pdl-c8) CMD=("${PDL[@]}" get "$url" -c 8 -o "$out" --quiet) IDEAL=$((8 * 4194304)) ;;
      aria2c-x16) CMD=("${ARIA[@]}" -x16 -s16 -k1M -d "$S_OUT" -o "$MID" "$url") IDEAL=$((16 * 4194304)) ;;
      aria2c-x8) CMD=("${ARIA[@]}" -x8 -s8 -k1M -d "$S_OUT" -o "$MID" "$url") IDEAL=$((8 * 4194304)) ;;
    esac
  }
  run_scenario
}

scenario_norange() {
  begin_scenario norange "1 × $MID_MIB MiB from /norange/ (Range ignored: always 200, whole body)" "$DATA_DIR/$MID"
  S_OUT=$DL_DIR/norange S_MANIFEST=$DATA_DIR/$MID.sha256 S_BYTES=$((MID_MIB * 1048576))
  S_TOOLS=(pdl-c16 curl aria2c-x16)
  s_cmd() {
    local url=$BASE_URL/norange/$MID out=$S_OUT/$MID
    case $1 in
      pdl-c16) CMD=("${PDL[@]}" get "$url" -c 16 -o "$out" --quiet) ;;
      curl) CMD=(curl -sf -o "$out" "$url") ;;
      aria2c-x16) CMD=("${ARIA[@]}" -x16 -s16 -k1M -d "$S_OUT" -o "$MID" "$url") ;;
    esac
  }
  run_scenario
}

# write_job OUT YAML MANIFEST…: a pdl job for every manifest entry from /fast/, at the manifest's path.
write_job() {
  local out=$1 yaml=$2
  shift 2
  {
    printf 'version: 1\ndefaults:\n  dir: "%s"\n  connections: 4\n' "$out"
    printf 'limits:\n  files: 16\n  connections: 16\n  perHost: 16\nfiles:\n'
    awk -v base="$BASE_URL/fast/" '{ printf "  - url: %s%s\n    path: %s\n    checksum: sha256:%s\n", base, $2, $2, $1 }' "$@"
  } >"$yaml"
}

# files on disk or on tmpfs: LOCATION is disk | tmpfs
scenario_files_at() {
  local location=$1 manifests=("$DATA_DIR/$SMALL.sha256" "$DATA_DIR/$MEDIUM.sha256")
  local served
  mapfile -t served < <(manifest_paths "${manifests[@]}")
  begin_scenario "files-$location" \
    "$SMALL_COUNT × $SMALL_KIB KiB + $MEDIUM_COUNT × $MEDIUM_KIB KiB from /fast/, 16 at once, sha256 each, outputs on $location" \
    "${served[@]}"
  if [[ $location == tmpfs ]]; then S_OUT=$TMPFS_DIR/files; else S_OUT=$DL_DIR/files; fi
  S_MANIFEST="${manifests[*]}"
  S_BYTES=$(((SMALL_COUNT * SMALL_KIB + MEDIUM_COUNT * MEDIUM_KIB) * 1024))
  FILES_JOB=$WORK_DIR/files-$location.yaml FILES_ARIA=$WORK_DIR/files-$location.aria2 FILES_CURL=$WORK_DIR/files-$location.curlrc
  write_job "$S_OUT" "$FILES_JOB" "${manifests[@]}"
  awk -v base="$BASE_URL/fast/" -v dir="$S_OUT" \
    '{ printf "%s%s\n  dir=%s\n  out=%s\n  checksum=sha-256=%s\n", base, $2, dir, $2, $1 }' "${manifests[@]}" >"$FILES_ARIA"
  awk -v base="$BASE_URL/fast/" -v dir="$S_OUT" \
    '{ printf "url = \"%s%s\"\noutput = \"%s/%s\"\n", base, $2, dir, $2 }' "${manifests[@]}" >"$FILES_CURL"
  FILES_WGET=$WORK_DIR/files-$location.wget2
  awk -v base="$BASE_URL/fast/" '{ print base $2 }' "${manifests[@]}" >"$FILES_WGET"
  S_TOOLS=(pdl-json aria2c-j16 curl-parallel wget2)
  # The TTY reporter's cost shows best where the files themselves are cheap.
  [[ $location == tmpfs ]] && S_TOOLS=(pdl-json pdl-tty aria2c-j16 curl-parallel wget2)
  s_cmd() {
    case $1 in
      pdl-json) CMD=("${PDL[@]}" run "$FILES_JOB" --reporter json) STDOUT=/dev/null ;;
      pdl-tty)
        # A pseudo-terminal of a fixed size, so the TTY reporter renders as it would for a person.
        CMD=(script -qfec "stty cols 120 rows 40 2>/dev/null; exec $(printf '%q ' "${PDL[@]}" run "$FILES_JOB" --reporter tty)" /dev/null)
        STDOUT=/dev/null ;;
      aria2c-j16) CMD=("${ARIA[@]}" -i "$FILES_ARIA" -j 16) ;;
      curl-parallel) CMD=(curl -sf --create-dirs --parallel --parallel-max 16 -K "$FILES_CURL") ;;
      # -x -nH --cut-dirs=1 keeps the served paths under the output folder, as the manifests name them; wget2
      # does not verify checksums either.
      wget2) CMD=(wget2 -q --no-robots --max-threads=16 -x -nH --cut-dirs=1 -P "$S_OUT" -i "$FILES_WGET") ;;
    esac
  }
  run_scenario
}

scenario_files() {
  scenario_files_at disk
  scenario_files_at tmpfs
}

scenario_mixed() {
  local manifest=$WORK_DIR/mixed.sha256 served i
  {
    for name in "${MIX_BIGS[@]}"; do cat "$DATA_DIR/$name.sha256"; done
    head -n "$MIX_SMALL_COUNT" "$DATA_DIR/$SMALL.sha256"
  } >"$manifest"
  mapfile -t served < <(manifest_paths "$manifest")
  begin_scenario mixed \
    "$MIX_BIG_COUNT × $MIX_BIG_MIB MiB from /slow/ with priorities + $MIX_SMALL_COUNT × $SMALL_KIB KiB from /fast/ (pdl run only)" \
    "${served[@]}"
  S_OUT=$DL_DIR/mixed S_MANIFEST=$manifest
  S_BYTES=$(((MIX_BIG_COUNT * MIX_BIG_MIB * 1024 + MIX_SMALL_COUNT * SMALL_KIB) * 1024))
  MIXED_JOB=$WORK_DIR/mixed.yaml
  write_job "$S_OUT" "$MIXED_JOB" <(head -n "$MIX_SMALL_COUNT" "$DATA_DIR/$SMALL.sha256")
  # The big, slow files first in the job with descending priorities; the small files keep the default.
  local bigs=''
  for ((i = 0; i < MIX_BIG_COUNT; i++)); do
    local name=${MIX_BIGS[i]}
    bigs+="  - url: $BASE_URL/slow/$name\n    path: $name\n    checksum: sha256:$(sha_of "$name")\n    priority: $((MIX_BIG_COUNT - i))\n"
  done
  local tmp=$MIXED_JOB.tmp
  awk -v bigs="$bigs" '{ print } /^files:$/ { printf "%s", bigs }' "$MIXED_JOB" >"$tmp" && mv "$tmp" "$MIXED_JOB"
  S_TOOLS=(pdl-json)
  s_cmd() { CMD=("${PDL[@]}" run "$MIXED_JOB" --reporter json) STDOUT=/dev/null; }
  run_scenario
}

# --- machine and versions -----------------------------------------------------------------------------------
write_meta() {
  local head dirty
  head=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$REPO_DIR" status --porcelain 2>/dev/null | wc -l)
  {
    echo "## pdl benchmark, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r)"
    echo "- memory (free -g): $(free -g | awk '/^Mem:/ { print $2 " GiB total, " $7 " GiB available" }')"
    echo "- outputs: $DL_DIR ($(df -T "$WORK_DIR" | awk 'NR==2 { print $2 }')), $TMPFS_DIR ($(df -T "${BENCH_TMPFS:-/dev/shm}" | awk 'NR==2 { print $2 }'))"
    echo "- $("${PDL[@]}" --version 2>/dev/null || echo '?') at git $head$( ((dirty)) && echo " + $dirty uncommitted change(s)"), node $(node -v)"
    echo "- $(curl -V | head -n 1 | cut -d' ' -f1-2), $(aria2c -v | head -n 1), $(wget2 --version 2>/dev/null | head -n 1 | cut -d" " -f1-3), $("$(nginx_bin)" -v 2>&1 | sed 's/^nginx version: //')"
    echo "- settings: RUNS=$RUNS, big $BIG_MIB MiB, mid $MID_MIB MiB, $SMALL_COUNT × $SMALL_KIB KiB + $MEDIUM_COUNT × $MEDIUM_KIB KiB," \
      "mixed $MIX_BIG_COUNT × $MIX_BIG_MIB MiB + $MIX_SMALL_COUNT small; timeout ${BENCH_TIMEOUT:-300} s per command" \
      "${BENCH_TOOLS:+; tools matching /$BENCH_TOOLS/}"
    echo "- preparation before every timed run: sync, write+delete 2× the download size in the output filesystem," \
      "cat the served files to /dev/null; tools interleaved in each round"
  } >"$META"
}

# --- main ---------------------------------------------------------------------------------------------------
ensure_tools
mkdir -p "$DATA_DIR" "$WORK_DIR" "$OUT_DIR" "$LOG_DIR" "$DL_DIR"
[[ -d ${BENCH_TMPFS:-/dev/shm} && -w ${BENCH_TMPFS:-/dev/shm} ]] || die "${BENCH_TMPFS:-/dev/shm} is not a writable folder"
mkdir -p "$TMPFS_DIR"

for tool in pdl-c16 pdl-json; do
  if [[ $tool =~ ${BENCH_TOOLS:-.} ]]; then
    out=$("${PDL[@]}" get --help 2>&1) ||
      die "pdl's CLI does not work (run 'npm run build'; or BENCH_TOOLS='curl|aria2c' to leave pdl out): $out"
    break
  fi
done

head -c 1024 /dev/zero >"$DATA_DIR/probe.bin"
has unthrottled && gen_file "$BIG" "$BIG_MIB"
{ has throttled || has norange; } && gen_file "$MID" "$MID_MIB"
{ has files || has mixed; } && gen_set "$SMALL" "$SMALL_COUNT" "$SMALL_KIB"
has files && gen_set "$MEDIUM" "$MEDIUM_COUNT" "$MEDIUM_KIB"
if has mixed; then for name in "${MIX_BIGS[@]}"; do gen_file "$name" "$MIX_BIG_MIB"; done; fi

start_nginx probe.bin
write_meta
: >"$SCENARIOS_TSV"
: >"$RUNS_TSV"
for scenario in unthrottled throttled norange files mixed; do
  has "$scenario" && "scenario_$scenario"
done

echo >&2
node "$BENCH_DIR/report.mjs" "$RUNS_TSV" "$SCENARIOS_TSV" "$META" "$RESULTS"
log "results: $RESULTS  (runs: $RUNS_TSV, logs: $LOG_DIR)"
if ((FAILED_RUNS > 0)); then
  log "!!!!! $FAILED_RUNS run(s) FAILED — their rows are excluded from the medians; see the logs above"
  exit 1
fi
