#!/usr/bin/env bash
# Governance benchmarks (issue #4). Prints RESULT lines; everything stays on loopback.
#  (a) apply of one epic x 8 features x 10 tasks (89 issues, 88 sub-issue links) to fakehub
#      with its secondary limits ON (80 writes/min, 500/h): wall time against the floor
#      80 content-creating requests a minute imposes, and requests against the minimum.
#      Run with the default pacing (1 write/s) and with --write-interval-ms 750.
#  (b) plan of a 1,010-issue specification against a mirror of 10,000 issues: the plan's
#      own computation (mirror read, generation, diff) and the whole command, first with
#      everything to create, then with everything applied (all unchanged).
# Usage: bench/governance.sh [a|b ...]   (default: both; (a) takes about 6 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${*:-a b}
cargo build --release --quiet -p ghgov -p fakehub --bins
FAKEHUB=target/release/fakehub
GHGOV=target/release/ghgov
tmp=$(mktemp -d /tmp/ghgov-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stat() { curl -s "$1/_fakehub/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

start_fakehub() { # extra fakehub flags... -> FH
  local p; p=$(port)
  "$FAKEHUB" serve --listen "127.0.0.1:$p" --token t --seed-repo acme/widgets "$@" >"$tmp/fh-$p.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q '^listening' "$tmp/fh-$p.log" 2>/dev/null && break; sleep 0.1; done
  FH=http://127.0.0.1:$p
}

# A specification of EPICS epics x FEATURES features x TASKS tasks, and a configuration
# that allows that many features per epic, with agents big enough to take all the work.
make_docs() { # epics features tasks
  python3 - "$1" "$2" "$3" "$tmp" <<'PY'
import json, sys
epics, features, tasks, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spec = {"organization": "acme", "repository": "widgets", "project_scope": {"start_date": "2026-01-05", "epic_definitions": [
    {"epic_key": f"epic-{e}", "epic_title": f"Platform area {e}", "category": "platform", "priority": "high",
     "estimated_duration": "3 months", "success_criteria": ["Area delivered"], "acceptance_criteria": ["Reviewed"],
     "technical_specs": ["See the design"],
     "feature_breakdown": [
        {"feature_key": f"feature-{e}-{f}", "feature_title": f"Capability {e}.{f}", "estimated_effort": "2-3 weeks",
         "acceptance_criteria": ["Tested"], "technical_specs": ["Documented"],
         "task_breakdown": [{"task_key": f"task_{t}", "title": f"Step {t} of capability {e}.{f}", "complexity": "simple",
                             "acceptance_criteria": ["Done"], "technical_specs": ["Noted"]} for t in range(tasks)]}
        for f in range(features)]} for e in range(epics)]}}
config = {"organization": "acme", "repository": "widgets", "configuration_version": "2.0",
  "governance_rules": {"epic_generation_rules": {"milestone_policies": {"default_duration": "3 months", "auto_milestone_creation": True, "milestone_naming_pattern": "Q{quarter}-{year}-{epic_key}"}},
    "feature_generation_rules": {"max_features_per_epic": max(features, 1), "task_estimation_rules": {"simple": "1-3 days"}},
    "compliance_requirements": {"required_documentation": ["acceptance_criteria", "technical_specs"]}},
  "agent_service_mappings": {"agent:dev": {"capabilities": ["platform"], "auto_assignment_priority": 1, "escalation_rules": {"max_concurrent_tasks": 100000}}},
  "label_configuration": {"epic_label": {"color": "8B4789"}, "agent_labels": {"agent:dev": {"color": "4ECDC4"}}}}
json.dump(spec, open(f"{out}/spec.json", "w"))
json.dump(config, open(f"{out}/config.json", "w"))
PY
}

if [[ " $which " == *" a "* ]]; then
  make_docs 1 8 10
  for interval in 1000 750; do
    start_fakehub --seed-issues 0 --secondary-limits on --rate-limit 100000
    db="sqlite://$tmp/a-$interval.db"
    args=(--spec "$tmp/spec.json" --config "$tmp/config.json" --repo acme/widgets --db "$db" --github-url "$FH" --github-token t)
    w0=$(stat "$FH" writes); r0=$(stat "$FH" requests_total)
    start=$(date +%s.%N)
    "$GHGOV" apply --auto-approve --write-interval-ms "$interval" "${args[@]}" >"$tmp/apply.out" 2>"$tmp/apply.err" || { tail -5 "$tmp/apply.err"; exit 1; }
    end=$(date +%s.%N)
    w1=$(stat "$FH" writes); r1=$(stat "$FH" requests_total); limited=$(stat "$FH" rate_limited)
    writes=$((w1 - w0)); requests=$((r1 - r0))
    # The minimum: one request per object the plan creates (labels, milestone, 89 issues, 88 links).
    minimum=$(grep -o '^Plan: [0-9]* to add' "$tmp/apply.out" | grep -o '[0-9]*')
    python3 - "$start" "$end" "$writes" "$requests" "$limited" "$interval" "$minimum" <<'PY'
import sys
start, end, writes, requests, limited, interval, minimum = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
wall = end - start
floor = writes / 80 * 60   # 80 content-creating requests a minute
print(f"RESULT governance_apply_89 write_interval_ms={interval} seconds={wall:.1f} floor_seconds={floor:.1f} ratio={wall/floor:.2f} "
      f"writes={writes} minimum_writes={minimum} requests_total={requests} secondary_limit_answers={limited}")
PY
    grep '^Apply complete' "$tmp/apply.out"
    "$GHGOV" plan "${args[@]}" | tail -n 1
  done
fi

if [[ " $which " == *" b "* ]]; then
  make_docs 10 10 9
  start_fakehub --seed-issues 10000 --seed-comments 0 --seed-labels 20 --seed-milestones 5 --secondary-limits off --rate-limit 100000000
  db="sqlite://$tmp/b.db"
  "$GHGOV" sync acme/widgets --full --db "$db" --github-url "$FH" --github-token t >/dev/null
  args=(--spec "$tmp/spec.json" --config "$tmp/config.json" --repo acme/widgets --db "$db" --github-url "$FH" --github-token t)
  plan_run() { # label
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$GHGOV" plan --no-refresh "${args[@]}" >"$tmp/plan.out" 2>"$tmp/plan.err" || { cat "$tmp/plan.err"; exit 1; }
    read -r secs rss_kb <"$tmp/time"
    ms=$(grep -o 'plan computed in [0-9]* ms' "$tmp/plan.err" | grep -o '[0-9]*' | head -1)
    echo "RESULT governance_plan_1010_vs_10000_$1 plan_ms=$ms command_seconds=$secs peak_rss_mb=$((rss_kb / 1024)) $(tail -n 1 "$tmp/plan.out")"
  }
  plan_run all_new
  "$GHGOV" apply --auto-approve --write-interval-ms 0 --no-secondary-limits "${args[@]}" >"$tmp/apply.out" 2>&1 || { tail -5 "$tmp/apply.out"; exit 1; }
  plan_run all_applied
fi
