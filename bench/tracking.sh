#!/usr/bin/env bash
# Tracking benchmarks (issue 11). Prints RESULT lines; everything stays on loopback.
#  (s) a status change through the API until the mirror holds the state GitHub confirmed:
#      PUT /api/v1/issues/{id}/status answered 200 with the new status (the writer's answer
#      is projected before the answer; the webhook echo then adds nothing), p50/p99 over
#      STATUS_CHANGES changes (default 100), one at a time, spaced past the write pacing
#  (e) 1,000 API edits spread over 100 issues from 16 clients while fakehub's webhooks
#      arrive, with fakehub's secondary limits on and ghgov's GitHub pacing as in production:
#      all land (each issue ends with the last title asked), none lost, no request of ghgov's
#      refused by a secondary limit; wall time and GitHub writes
# Known limit: (e) does not finish yet: ghgov keeps every write within GitHub's 500-an-hour
# window, and after about 400 writes (clients that wait for each answer leave little to
# coalesce) it waits for the next hour.
# Usage: bench/tracking.sh [s|e ...]   (default: both; SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${*:-s e}
if [ -n "${GHGOV_BENCH_BIN:-}" ]; then
  FAKEHUB=$GHGOV_BENCH_BIN/fakehub
  GHGOV=$GHGOV_BENCH_BIN/ghgov
else
  cargo build --release --quiet -p ghgov -p fakehub --bins
  FAKEHUB=target/release/fakehub
  GHGOV=target/release/ghgov
fi
tmp=$(mktemp -d /tmp/ghgov-bench-tracking.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# fakehub with 100 open issues, GitHub's secondary limits on; ghgov mirroring it, fed by its
# webhook, with a write token.
p=$(port)
"$FAKEHUB" serve --listen "127.0.0.1:$p" --token t --seed-repo acme/widgets --seed-issues 100 --seed-comments 0 \
  --seed-labels 3 --seed-milestones 1 --secondary-limits on --rate-limit 100000 >"$tmp/fh.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q '^listening' "$tmp/fh.log" 2>/dev/null && break; sleep 0.1; done
FH=http://127.0.0.1:$p
db="sqlite://$tmp/t.db"
"$GHGOV" sync acme/widgets --full --db "$db" --github-url "$FH" --github-token t >/dev/null
TOKEN=$("$GHGOV" token create --name bench --scope write --db "$db" 2>/dev/null | tail -n 1 | tr -d '[:space:]')
gp=$(port)
GG=http://127.0.0.1:$gp
"$GHGOV" serve --listen "127.0.0.1:$gp" --db "$db" --github-url "$FH" --github-token t --webhook-secret benchsecret \
  --repo acme/widgets >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do curl -s -o /dev/null "$GG/health" && break; sleep 0.1; done
"$GHGOV" hooks install acme/widgets --url "$GG" --secret benchsecret --github-url "$FH" --github-token t >/dev/null

python3 - "$GG" "$TOKEN" "$FH" "$which" "${STATUS_CHANGES:-100}" <<'PY'
import json, sys, time, threading, urllib.request, urllib.error
gg, token, fh, which, changes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), int(sys.argv[5])

def call(method, path, body=None, base=None):
    req = urllib.request.Request((base or gg) + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

issues = call("GET", "/api/v1/issues?repo=acme/widgets&state=open&kind=issue&per_page=100")[1]["data"]
ids = [i["id"] for i in issues]
every = call("GET", "/api/v1/issues?repo=acme/widgets&state=all&kind=issue&per_page=100")[1]["data"]
all_ids = [i["id"] for i in every][:100]
if len(all_ids) < 100:
    sys.exit(f"the bench needs 100 issues, the mirror has {len(all_ids)}")

if "s" in which:
    lat = []
    for n in range(changes):
        issue = ids[n % len(ids)]
        _, now = call("GET", f"/api/v1/issues/{issue}")
        target = "planning" if now["status"] == "in_progress" else "in_progress"
        time.sleep(1.05)  # past GitHub's write pacing, so each change measures itself
        t0 = time.perf_counter()
        code, body = call("PUT", f"/api/v1/issues/{issue}/status", {"status": target})
        dt = time.perf_counter() - t0
        if code != 200 or body.get("status") != target:
            sys.exit(f"status change {n}: {code} {body}")
        lat.append(dt * 1000)
    print(f"RESULT tracking_status_change changes={len(lat)} p50_ms={pct(lat, 50):.1f} p99_ms={pct(lat, 99):.1f} max_ms={max(lat):.1f}")

if "e" in which:
    def stats():
        return json.loads(urllib.request.urlopen(fh + "/_fakehub/stats").read())
    before = stats()
    edits = 1000
    lock = threading.Lock()
    codes = {}
    pending = []
    # Each client edits its own issues in order, so the last edit asked of an issue is
    # known: the highest n for it.
    def worker(k):
        for n in range(edits):
            issue = all_ids[n % 100]
            if (n % 100) % 16 != k:
                continue
            code, body = call("PATCH", f"/api/v1/issues/{issue}", {"title": f"edit {n} of issue {issue}"})
            with lock:
                codes[code] = codes.get(code, 0) + 1
                if code == 202:
                    pending.append(body["operation_id"])
                elif code != 200:
                    sys.exit(f"edit {n}: {code} {body}")
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()
    answered = time.perf_counter() - t0
    for op in pending:
        while True:
            _, o = call("GET", f"/api/v1/operations/{op}")
            if o["status"] in ("done", "failed"):
                if o["status"] == "failed":
                    sys.exit(f"operation {op} failed: {o}")
                break
            time.sleep(0.2)
    landed = time.perf_counter() - t0
    bad = [i for i in all_ids if call("GET", f"/api/v1/issues/{i}")[1]["title"] != f"edit {max(n for n in range(edits) if all_ids[n % 100] == i)} of issue {i}"]
    after = stats()
    print(f"RESULT tracking_edits edits={edits} issues=100 answered_s={answered:.1f} all_landed_s={landed:.1f} "
          f"answers={json.dumps(codes, sort_keys=True).replace(' ', '')} github_writes={after['writes'] - before['writes']} "
          f"secondary_limited={after['rate_limited'] - before['rate_limited']} wrong_final_titles={len(bad)}")
    if bad:
        sys.exit(f"issues whose last edit was lost: {bad[:5]}")
PY
