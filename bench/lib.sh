# shellcheck shell=bash
# Helpers for bench/run.sh: tools, data, the nginx server and one prepared, timed, verified run.
# Sourced, not executed. Everything it writes lives under bench/data, bench/.work, bench/out and $BENCH_TMPFS.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
DATA_DIR=$BENCH_DIR/data
WORK_DIR=$BENCH_DIR/.work
OUT_DIR=$BENCH_DIR/out
# BENCH_PDL: another built bin.js to measure (e.g. a copy of an earlier build); default: this tree's build.
PDL=(node "${BENCH_PDL:-$REPO_DIR/dist/src/cli/bin.js}")

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------------
# Tools: installed from Debian only when missing; the only network use of the harness besides 127.0.0.1.

ensure_tools() {
  command -v node >/dev/null || die "node is not installed"
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  command -v aria2c >/dev/null || missing+=(aria2)
  command -v wget2 >/dev/null || missing+=(wget2)
  [[ -x /usr/bin/time ]] || missing+=(time)
  command -v script >/dev/null || missing+=(bsdutils)
  ((${#missing[@]} == 0)) && return 0
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing ${missing[*]} and not root: install them first"
    sudo=(sudo)
  fi
  log "installing from Debian: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# ---------------------------------------------------------------------------------------------------------
# Data: generated once, named by size so smoke-size and full-size sets live side by side.
# Each set has a manifest `<name>.sha256` in sha256sum format with paths relative to bench/data/; outputs
# are written under the same relative paths so a manifest verifies an output folder as is.

# gen_file NAME MIB
gen_file() {
  local name=$1 mib=$2
  [[ -s $DATA_DIR/$name && -s $DATA_DIR/$name.sha256 ]] && return 0
  log "generating data/$name ($mib MiB)"
  mkdir -p "$DATA_DIR"
  head -c $((mib * 1048576)) /dev/urandom >"$DATA_DIR/$name.tmp"
  mv "$DATA_DIR/$name.tmp" "$DATA_DIR/$name"
  (cd "$DATA_DIR" && sha256sum "$name" >"$name.sha256.tmp" && mv "$name.sha256.tmp" "$name.sha256")
}

# gen_set NAME COUNT KIB: folder NAME/ with COUNT files f00000.bin… of KIB KiB each.
gen_set() {
  local name=$1 count=$2 kib=$3
  [[ -d $DATA_DIR/$name && -s $DATA_DIR/$name.sha256 ]] && return 0
  log "generating data/$name/ ($count × $kib KiB)"
  rm -rf "${DATA_DIR:?}/$name" "${DATA_DIR:?}/$name.tmp"
  mkdir -p "$DATA_DIR/$name.tmp"
  head -c $((count * kib * 1024)) /dev/urandom |
    split -b $((kib * 1024)) -d -a 5 --additional-suffix=.bin - "$DATA_DIR/$name.tmp/f"
  mv "$DATA_DIR/$name.tmp" "$DATA_DIR/$name"
  (cd "$DATA_DIR" && find "$name" -type f -name '*.bin' | sort | xargs sha256sum >"$name.sha256.tmp" &&
    mv "$name.sha256.tmp" "$name.sha256")
}

# sha_of NAME → the hex digest of a generated single file.
sha_of() { cut -d' ' -f1 "$DATA_DIR/$1.sha256"; }

# manifest_paths MANIFEST… → the served files (absolute) named by manifests, one per line.
manifest_paths() { cat "$@" | sed -E "s|^[0-9a-f]{64} [ *]|$DATA_DIR/|"; }

# ---------------------------------------------------------------------------------------------------------
# nginx on 127.0.0.1 with its own prefix and config under bench/.work/nginx (never the system config).

NGINX_PID=
BASE_URL=

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_nginx() {
  local prefix=$WORK_DIR/nginx port=${BENCH_PORT:-18080} tries=0
  # An explicit BENCH_PORT must be free; the default walks up to the next free port.
  while port_in_use "$port"; do
    [[ -n ${BENCH_PORT:-} ]] && die "port $port is in use (BENCH_PORT)"
    ((++tries > 50)) && die "no free port from 18080 to $port"
    port=$((port + 1))
  done
  mkdir -p "$prefix/logs" "$prefix/tmp"
  local user_line=''
  ((EUID == 0)) && user_line='user root;'
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@DATA@|$DATA_DIR|g" -e "s|@USER_LINE@|$user_line|" \
    "$BENCH_DIR/nginx.conf.template" >"$prefix/nginx.conf"
  local nginx
  nginx=$(nginx_bin)
  "$nginx" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" ||
    die "nginx rejected $prefix/nginx.conf"
  "$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" </dev/null >>"$prefix/logs/stdout.log" 2>&1 &
  NGINX_PID=$!
  BASE_URL=http://127.0.0.1:$port
  local i probe=$1
  for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null -r 0-0 "$BASE_URL/fast/$probe" && break
    kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited; see $prefix/logs/error.log"
    sleep 0.1
  done
  ((i < 100)) || die "nginx did not answer on $BASE_URL within 10 s"
  # The three locations must behave as the scenarios assume, or every number below is meaningless.
  [[ $(curl -s -o /dev/null -r 0-0 -w '%{http_code}' "$BASE_URL/fast/$probe") == 206 ]] || die "/fast/ does not serve ranges"
  [[ $(curl -s -o /dev/null -r 0-0 -w '%{http_code}' "$BASE_URL/norange/$probe") == 200 ]] || die "/norange/ serves ranges"
  log "nginx $NGINX_PID serving $DATA_DIR on $BASE_URL"
}

stop_nginx() {
  [[ -n $NGINX_PID ]] || return 0
  if kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$NGINX_PID" 2>/dev/null && kill -TERM "$NGINX_PID" 2>/dev/null
  fi
  wait "$NGINX_PID" 2>/dev/null
  NGINX_PID=
}

# ---------------------------------------------------------------------------------------------------------
# One timed run, prepared as /work/shared/BENCHMARKING.md demands.
#
# A scenario sets, before calling run_scenario:
#   S_NAME      scenario id (a table in the results)
#   S_OUT       output folder: emptied before every run
#   S_MANIFEST  manifest(s) to verify the output folder with (space-separated paths)
#   S_BYTES     bytes one run downloads (for the memory warm-up and throughput)
#   S_SERVED    file listing the served files to read before every run (page cache warm)
#   S_TOOLS     array of tool ids, run in this order in every round
#   s_cmd TOOL  a function that sets CMD (array), and optionally IDEAL (bytes/s) and STDOUT (file)

TIMED_PID=
FAILED_RUNS=0

# warm_memory DIR BYTES: make the VM hand BYTES of memory back before the timed run (cold pages cost ~8×).
warm_memory() {
  local scratch=$1/.bench-scratch mib=$((($2 + 1048575) / 1048576))
  dd if=/dev/zero of="$scratch" bs=1M count="$mib" status=none
  rm -f "$scratch"
}

run_scenario() {
  local round tool
  for ((round = 1; round <= RUNS; round++)); do
    for tool in "${S_TOOLS[@]}"; do
      [[ $tool =~ ${BENCH_TOOLS:-.} ]] || continue
      timed_run "$tool" "$round"
      # BENCH_PDL_BASE: an earlier build measured right after the same pdl row, in the same round (before/after).
      if [[ -n ${BENCH_PDL_BASE:-} && $tool =~ ${BENCH_BASE_TOOLS:-^pdl-(c16|json)$} ]]; then
        timed_run "pdl-base-${tool#pdl-}" "$round"
      fi
    done
  done
}

timed_run() {
  local tool=$1 round=$2
  local log=$LOG_DIR/$S_NAME.$tool.$round.log timefile=$WORK_DIR/time.txt
  rm -rf "$S_OUT" && mkdir -p "$S_OUT"
  sync
  warm_memory "$S_OUT" $((2 * S_BYTES))
  xargs -a "$S_SERVED" -d '\n' cat >/dev/null
  CMD=() IDEAL=0 STDOUT=$log
  if [[ $tool == pdl-base-* ]]; then
    # s_cmd reads PDL: shadowed here (bash scopes dynamically) so the same command runs the base build.
    local PDL=(node "$BENCH_PDL_BASE")
    s_cmd "pdl-${tool#pdl-base-}"
  else
    s_cmd "$tool"
  fi
  ((${#CMD[@]})) || die "no command for $S_NAME/$tool"
  { printf '$'; printf ' %q' "${CMD[@]}"; echo; } >"$log"
  rm -f "$timefile"
  timeout -k 10 "${BENCH_TIMEOUT:-300}" /usr/bin/time -f '%e %U %S %M' -o "$timefile" "${CMD[@]}" \
    </dev/null >>"$STDOUT" 2>>"$log" &
  TIMED_PID=$!
  wait "$TIMED_PID"
  local rc=$?
  TIMED_PID=

  local wall=NA user=NA sys=NA rss=NA status=ok
  [[ -s $timefile ]] && read -r wall user sys rss < <(tail -n 1 "$timefile")
  if ((rc == 124 || rc == 137)); then
    status="FAILED(timeout)"
  elif ((rc != 0)); then
    status="FAILED(exit $rc)"
  elif ! node "$BENCH_DIR/verify.mjs" "$S_OUT" $S_MANIFEST >>"$log" 2>&1; then
    status="FAILED(checksum)"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$S_NAME" "$tool" "$round" "$status" "$wall" "$user" "$sys" \
    "$rss" "$S_BYTES" "$IDEAL" >>"$RUNS_TSV"
  if [[ $status == ok ]]; then
    log "$S_NAME  round $round  $(printf '%-16s' "$tool") ${wall}s  cpu ${user}+${sys}s  rss $((rss / 1024)) MiB"
  else
    FAILED_RUNS=$((FAILED_RUNS + 1))
    log "!!!!! $S_NAME  round $round  $tool  $status  — log: $log"
    tail -n 8 "$log" | sed 's/^/!!!!!   /' >&2
  fi
}
