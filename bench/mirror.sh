#!/usr/bin/env bash
# Mirror benchmarks (issue #3). Prints RESULT lines; everything stays on loopback.
#  (a) full sync from fakehub of 10,000 issues, 2,000 comments, 50 labels, 10 milestones into
#      SQLite and PostgreSQL: wall time, GitHub requests, peak RSS
#  (b) the same sync again with nothing changed: requests that cost rate limit
#  (c) webhook ingestion: signed `issues` deliveries stored per second, p50/p99, 16 and 64 connections
#  (d) GET /api/v1/issues?state=open&label=bug&per_page=25 over 100,000 mirrored issues: rps, p99, RSS
#  (v) the same list asked varied questions (bench/issue_queries.lua: state, sort, direction,
#      label on half, pages 1-40) over 8 connections: rps, p50/p99, RSS
#  d and v run on SQLite, and on PostgreSQL when a server is given.
# Usage: bench/mirror.sh [a|b|c|d|v ...]   (default: all; PostgreSQL runs when
# GHGOV_BENCH_POSTGRES_URL or GHGOV_TEST_POSTGRES_URL is set)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${*:-a b c d v}
# GHGOV_BENCH_BIN=DIR runs binaries built earlier (ghgov and fakehub in DIR) instead of building.
if [ -n "${GHGOV_BENCH_BIN:-}" ]; then
  FAKEHUB=$GHGOV_BENCH_BIN/fakehub
  GHGOV=$GHGOV_BENCH_BIN/ghgov
else
  cargo build --release --quiet -p ghgov -p fakehub --bins
  FAKEHUB=target/release/fakehub
  GHGOV=target/release/ghgov
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
tmp=$(mktemp -d /tmp/ghgov-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stat() { curl -s "$1/_fakehub/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
PG=${GHGOV_BENCH_POSTGRES_URL:-${GHGOV_TEST_POSTGRES_URL:-}}

start_fakehub() { # issues comments labels milestones -> FH
  local p; p=$(port)
  "$FAKEHUB" serve --listen "127.0.0.1:$p" --token t --seed-repo acme/widgets --seed-issues "$1" --seed-comments "$2" \
    --seed-labels "$3" --seed-milestones "$4" --secondary-limits off --rate-limit 100000000 >"$tmp/fh-$p.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q '^listening' "$tmp/fh-$p.log" 2>/dev/null && break; sleep 0.1; done
  FH=http://127.0.0.1:$p
}

pg_db() { # fresh database on the PostgreSQL server -> PGDB
  local name="ghgov_bench_$$_$RANDOM"
  psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
  PGDB="${PG%/*}/$name"
}

sync_run() { # label db kind
  local before after
  before=$(stat "$FH" charged_requests)
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$GHGOV" sync acme/widgets $3 --db "$2" --github-url "$FH" --github-token t >"$tmp/sync.out" 2>"$tmp/sync.err" || { cat "$tmp/sync.err"; exit 1; }
  after=$(stat "$FH" charged_requests)
  read -r secs rss_kb <"$tmp/time"
  requests=$(grep -o '[0-9]* requests' "$tmp/sync.out" | cut -d' ' -f1)
  echo "RESULT mirror_sync_$1 seconds=$secs requests=$requests charged_requests=$((after - before)) peak_rss_mb=$((rss_kb / 1024))"
  echo "  $(cat "$tmp/sync.out")"
}

if [[ " $which " == *" a "* || " $which " == *" b "* ]]; then
  start_fakehub 10000 2000 50 10
  sync_run full_sqlite "sqlite://$tmp/a.db" --full
  sync_run unchanged_sqlite "sqlite://$tmp/a.db" ""
  if [ -n "$PG" ]; then
    pg_db
    sync_run full_postgres "$PGDB" --full
    sync_run unchanged_postgres "$PGDB" ""
    psql "$PG" -qc "DROP DATABASE ${PGDB##*/} WITH (FORCE)" >/dev/null
  else
    echo "SKIPPED PostgreSQL sync benchmark: set GHGOV_BENCH_POSTGRES_URL"
  fi
fi

if [[ " $which " == *" c "* ]]; then
  p=$(port)
  "$GHGOV" serve --listen "127.0.0.1:$p" --db "sqlite://$tmp/c.db" --webhook-secret benchsecret --repo Codertocat/Hello-World >"$tmp/serve-c.log" 2>&1 &
  pids+=($!); spid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$p/health" && break; sleep 0.1; done
  python3 - "$tmp/body.json" <<'PY'
import json, sys
d = json.load(open("testdata/github/webhook-examples.json"))
body = next(e for e in d["issues"] if e.get("action") == "opened")
open(sys.argv[1], "w").write(json.dumps(body))
PY
  sig="sha256=$(openssl dgst -sha256 -hmac benchsecret -r "$tmp/body.json" | cut -d' ' -f1)"
  for c in 16 64; do
    BODY="$tmp/body.json" SECRET_SIG="$sig" EVENT=issues wrk -t2 -c"$c" -d10s --latency -s ../shared/bench/webhook.lua "http://127.0.0.1:$p/webhooks/github" >"$tmp/wrk-$c.out" 2>&1 || true
    line=$(grep '^RESULT' "$tmp/wrk-$c.out" || true)
    [ -f ../shared/bench/webhook.lua ] || line="(needs ../shared/bench/webhook.lua)"
    echo "RESULT mirror_webhook_ingest_c$c ${line#RESULT }"
  done
  stored=$(sqlite3 "$tmp/c.db" 'select count(*) from deliveries' 2>/dev/null || echo "?")
  echo "  deliveries stored: $stored; peak RSS $(awk '/VmHWM/{print int($2/1024)" MB"}' /proc/$spid/status)"
  kill "$spid" 2>/dev/null || true
fi

api_bench() { # label db  -> runs d and/or v against 100,000 issues mirrored into db
  "$GHGOV" sync acme/widgets --full --db "$2" --github-url "$FH" --github-token t | sed 's/^/  /'
  tok=$("$GHGOV" token create --name "bench-$RANDOM" --scope read --db "$2" 2>/dev/null | tail -n 1)
  p=$(port)
  "$GHGOV" serve --listen "127.0.0.1:$p" --db "$2" >"$tmp/serve-$1.log" 2>&1 &
  pids+=($!); spid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$p/health" && break; sleep 0.1; done
  if [[ " $which " == *" d "* ]]; then
    url="http://127.0.0.1:$p/api/v1/issues?state=open&label=bug&per_page=25"
    curl -s -H "Authorization: Bearer $tok" "$url" | python3 -c "import json,sys; d=json.load(sys.stdin); print('  matching issues:', d['pagination']['total'])"
    wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $tok" "$url" >"$tmp/wrk-d.out"
    rps=$(awk '/Requests\/sec/{print $2}' "$tmp/wrk-d.out")
    p50=$(awk '$1=="50%"{print $2}' "$tmp/wrk-d.out"); p99=$(awk '$1=="99%"{print $2}' "$tmp/wrk-d.out")
    echo "RESULT mirror_api_issue_list$3 rps=$rps p50=$p50 p99=$p99 peak_rss_mb=$(awk '/VmHWM/{print int($2/1024)}' /proc/$spid/status)"
  fi
  if [[ " $which " == *" v "* ]]; then
    # Varied questions (bench/issue_queries.lua): filters, sorts and pages over 8 connections.
    wrk -t2 -c8 -d20s --latency -H "Authorization: Bearer $tok" -s bench/issue_queries.lua "http://127.0.0.1:$p" >"$tmp/wrk-v.out"
    rps=$(awk '/Requests\/sec/{print $2}' "$tmp/wrk-v.out")
    p50=$(awk '$1=="50%"{print $2}' "$tmp/wrk-v.out"); p99=$(awk '$1=="99%"{print $2}' "$tmp/wrk-v.out")
    bad=$(awk -F': ' '/non-200 answers/{print $2}' "$tmp/wrk-v.out")
    echo "RESULT mirror_api_issue_list_varied$3 rps=$rps p50=$p50 p99=$p99 non_200=$bad peak_rss_mb=$(awk '/VmHWM/{print int($2/1024)}' /proc/$spid/status)"
  fi
  kill "$spid" 2>/dev/null || true
}

if [[ " $which " == *" d "* || " $which " == *" v "* ]]; then
  start_fakehub 100000 0 20 10
  api_bench sqlite "sqlite://$tmp/d.db" ""
  if [ -n "$PG" ]; then
    pg_db
    api_bench postgres "$PGDB" "_postgres"
    psql "$PG" -qc "DROP DATABASE ${PGDB##*/} WITH (FORCE)" >/dev/null
  else
    echo "SKIPPED PostgreSQL API benchmark: set GHGOV_BENCH_POSTGRES_URL"
  fi
fi
