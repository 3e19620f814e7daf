#!/usr/bin/env bash
# Benchmarks fakehub: seed time for 100,000 issues, start-up time, peak RSS, the
# throughput of `GET /repos/o/r/issues?per_page=100` (full 200 bodies, then conditional
# requests answered 304) over keep-alive loopback connections with wrk, and GraphQL: a
# Projects v2 board of 10,000 issues with three field values each, paged 100 items at a
# time with the cursor carried from answer to request (bench/project_items.lua).
#
# A program that prints numbers, not a test: every result is a `RESULT name key=value...`
# line on stdout. Loopback only; fakehub is killed on exit.
#
#   bench/fakehub.sh                  # 10 s per wrk run
#   DURATION=5s bench/fakehub.sh      # shorter runs
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
ISSUES=${ISSUES:-100000}
PROJECT_ITEMS=${PROJECT_ITEMS:-10000}
TOKEN=t
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}

log() { echo "# $*" >&2; }

log "building fakehub (release)"
cargo build --release --quiet -p fakehub --bin fakehub

command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
command -v wrk >/dev/null || { echo "wrk is not available" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
URL="$BASE/repos/o/r/issues?per_page=100"

WORK=$(mktemp -d)
PID=
cleanup() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        # Bounded: five seconds to shut down gracefully, then SIGKILL.
        for _ in $(seq 50); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }

log "starting fakehub on 127.0.0.1:$PORT with $ISSUES issues"
t0=$(now)
"${CARGO_TARGET_DIR:-target}/release/fakehub" serve --listen "127.0.0.1:$PORT" --token "$TOKEN" \
    --seed-repo o/r --seed-issues "$ISSUES" --seed-comments 20000 --seed-labels 20 --seed-milestones 10 \
    --secondary-limits off --rate-limit 100000000 \
    >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!

# Wait for the first stdout line (the contract), then for the stderr seed line.
deadline=$(( $(date +%s) + STARTUP_TIMEOUT ))
until grep -q '^listening on http://' "$WORK/stdout" 2>/dev/null; do
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "fakehub exited before listening:" >&2
        cat "$WORK/stderr" >&2
        exit 1
    fi
    if (( $(date +%s) > deadline )); then
        echo "fakehub did not listen within ${STARTUP_TIMEOUT}s" >&2
        exit 1
    fi
    sleep 0.01
done
t1=$(now)
startup=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

seed_line=
for _ in $(seq 500); do
    seed_line=$(grep -m1 '^seeded o/r: ' "$WORK/stderr" || true)
    [[ -n "$seed_line" ]] && break
    sleep 0.01
done
[[ -n "$seed_line" ]] || { echo "no 'seeded o/r:' line on stderr" >&2; cat "$WORK/stderr" >&2; exit 1; }
log "$seed_line"
seed_seconds=$(sed -E 's/.*\(([0-9.]+)s\)$/\1/' <<<"$seed_line")

# One request to check the route and to learn the ETag of the page.
curl -sS --max-time 10 -D "$WORK/headers" -o "$WORK/body" -H "Authorization: token $TOKEN" "$URL"
status=$(awk 'NR == 1 { print $2 }' "$WORK/headers")
[[ "$status" == 200 ]] || { echo "GET $URL answered $status" >&2; cat "$WORK/headers" >&2; exit 1; }
etag=$(awk 'tolower($1) == "etag:" { sub(/\r$/, ""); sub(/^[^:]*: */, ""); print }' "$WORK/headers")
[[ -n "$etag" ]] || { echo "no ETag on $URL" >&2; exit 1; }
body_bytes=$(stat -c %s "$WORK/body")
items=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/body")
log "page: $items issues, $body_bytes bytes, ETag $etag"
cond=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" -H "If-None-Match: $etag" "$URL")
[[ "$cond" == 304 ]] || { echo "conditional GET answered $cond, not 304" >&2; exit 1; }

# Prints `rps=... p50_ms=... p99_ms=...` from wrk's --latency output; fails on errors.
summarise() {
    awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v + 0
        }
        /Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { bad += $NF }
        /Socket errors:/ { errors = $0 }
        END {
            if (bad > 0) { print "wrk saw " bad " non-2xx/3xx responses" > "/dev/stderr"; exit 1 }
            if (errors != "") print "wrk: " errors > "/dev/stderr"
            printf "rps=%.0f p50_ms=%.2f p99_ms=%.2f\n", rps, p50, p99
        }'
}

run_wrk() { # name, extra wrk args...
    local name=$1
    shift
    log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION $name"
    timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -H "Authorization: token $TOKEN" "$@" "$URL" >"$WORK/wrk-$name.txt"
    echo "RESULT $name $(summarise <"$WORK/wrk-$name.txt")"
}

echo "RESULT fakehub_seed_100k_issues seconds=$seed_seconds issues=$ISSUES"
echo "RESULT fakehub_startup_to_listening seconds=$startup"
run_wrk fakehub_issues_list
run_wrk fakehub_issues_list_304 -H "If-None-Match: $etag"

# Memory before the project exists, comparable with earlier runs.
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
echo "RESULT fakehub_peak_rss mib=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }') rss_now_mib=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "RESULT fakehub_issues_page bytes=$body_bytes items=$items"

# GraphQL: a board of PROJECT_ITEMS issues of o/r, seeded through the control API.
log "seeding a project of $PROJECT_ITEMS items"
curl -sS --max-time 120 -o "$WORK/project" -w '%{http_code}' -X POST "$BASE/_fakehub/projects" \
    -d "{\"owner\": \"o\", \"repository\": \"o/r\", \"items\": $PROJECT_ITEMS}" >"$WORK/project-status"
[[ "$(cat "$WORK/project-status")" == 201 ]] || { echo "seeding the project failed:" >&2; cat "$WORK/project" >&2; exit 1; }
read -r project seeded_items < <(python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); print(p["node_id"], p["items"])' "$WORK/project")
log "project $project: $(cat "$WORK/project")"
log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION fakehub_graphql_project_items"
timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: bearer $TOKEN" -s bench/project_items.lua "$BASE/graphql" -- "$project" \
    >"$WORK/wrk-graphql.txt"
gql=$(grep -m1 '^GraphQL pages:' "$WORK/wrk-graphql.txt" || true)
log "$gql"
[[ "$gql" =~ errors:\ 0$ ]] || { echo "GraphQL answered errors: $gql" >&2; cat "$WORK/wrk-graphql.txt" >&2; exit 1; }
echo "RESULT fakehub_graphql_project_items $(summarise <"$WORK/wrk-graphql.txt") items=$seeded_items per_page=100"
