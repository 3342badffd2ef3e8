#!/usr/bin/env bash
# The search benchmark of BENCHMARKS.md: a deterministic synthetic corpus
# of N incidents (default 10,000), then
#   - `castor build` wall time (render + tantivy + browser index),
#   - the index rebuild `castor search` does on its own (load + index),
#   - the tantivy index's size on disk and the browser index's size,
#   - `castor search` end to end (process start to output), p50 and p95
#     over 50 queries,
#   - the bytes the browser downloads for a first query.
# Usage: benches/search.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"

cargo build --release --quiet --bin castor --example gen_corpus
CASTOR="$PWD/target/release/castor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
target/release/examples/gen_corpus "$WORK/site" "$N" >/dev/null
cd "$WORK/site"

ms() { echo $(( ($2 - $1) / 1000000 )); }

t0=$(date +%s%N); "$CASTOR" build --quiet; t1=$(date +%s%N)
echo "castor build ($N incidents): $(ms "$t0" "$t1") ms"
rm -rf .castor/index
t0=$(date +%s%N); "$CASTOR" search --quiet bgp >/dev/null; t1=$(date +%s%N)
echo "search index rebuild by castor search (load + index + query): $(ms "$t0" "$t1") ms"
echo "tantivy index on disk: $(du -sk .castor/index | cut -f1) KiB"
echo "browser index: $(du -sk public/search/index | cut -f1) KiB in $(find public/search/index -type f | wc -l) files"

QUERIES=(bgp dns "dns ttl" certificate expired replication failover backup restore
  latency "retry storm" cache quorum "leader election" partition "split brain" deploy
  rollback canary "feature flag" kubernetes etcd postgres mysql redis kafka queue
  "disk full" memory leak cpu throttle "rate limit" "load balancer" proxy cdn region
  power cooling "fiber cut" router firmware kernel clock "leap second" credential
  token rotation firewall ransom)
times=()
for q in "${QUERIES[@]}"; do
  t0=$(date +%s%N); "$CASTOR" search "$q" >/dev/null; t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
count=${#sorted[@]}
p50=${sorted[$(( count * 50 / 100 ))]}
p95=${sorted[$(( count * 95 / 100 ))]}
echo "castor search end to end over $count queries: p50 $((p50 / 1000)).$(( (p50 % 1000) / 100 )) ms, p95 $((p95 / 1000)).$(( (p95 % 1000) / 100 )) ms"

# What the /search/ page fetches for a first query: meta.json, one shard
# per word, and the chunks of the 20 results it shows (the same ranking
# as search.js, so the same chunks).
python3 - "$PWD/public/search/index" "${QUERIES[@]}" <<'PY'
import json, math, os, re, sys
base, queries = sys.argv[1], sys.argv[2:]
meta_path = os.path.join(base, "meta.json")
meta = json.load(open(meta_path))
sizes = []
for q in queries:
    total = os.path.getsize(meta_path)
    words = [w for w in re.split(r"[^\w]+", q.lower()) if len(w) >= 2 and w not in meta["stop_words"]]
    per_word = []
    for w in words:
        key = w[: meta["prefix"]]
        scores = {}
        if key in meta["shards"]:
            path = os.path.join(base, "t", key + ".json")
            total += os.path.getsize(path)
            shard = json.load(open(path))
            for term, lst in shard.items():
                if term != w and not (term.startswith(w) and len(w) >= 3):
                    continue
                idf = math.log(1 + meta["docs"] / (len(lst) / 2))
                doc = 0
                for i in range(0, len(lst), 2):
                    doc += lst[i]
                    scores[doc] = max(scores.get(doc, 0), lst[i + 1] * idf)
        per_word.append(scores)
    hits = [(sum(s[d] for s in per_word), d) for d in per_word[0] if all(d in s for s in per_word)] if per_word else []
    hits.sort(key=lambda h: (-h[0], h[1]))
    for n in {d // meta["chunk"] for _, d in hits[:20]}:
        total += os.path.getsize(os.path.join(base, "d", f"{n}.json"))
    sizes.append(total)
sizes.sort()
kib = lambda b: f"{b / 1024:.0f} KiB"
print(f"browser bytes for a first query over {len(sizes)} queries: "
      f"median {kib(sizes[len(sizes) // 2])}, max {kib(sizes[-1])} "
      f"(meta.json alone {kib(os.path.getsize(meta_path))})")
PY
