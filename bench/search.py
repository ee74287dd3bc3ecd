"""Search relevance and latency: does the capsule a user means come first, and how fast, on real projects.

    python bench/search.py --database dab_w16_bench --scratch /tmp/w16/bench [--projects gitlab gen10k]
                           [--reuse-db] [--sample 40] [--duration 15] [--repeat 3] [--seed 16]

1. Each project gets its own database, ``<--database>_<project>`` (kept with --reuse-db): ``gitlab`` is
   ../shared/dbt/gitlab-analytics (4,175 capsules, 19,485 columns), ``gen10k`` the 10,000-model project
   ../shared/bench/gen_dbt.py generates into --scratch (14,555 capsules, 376,207 columns). Migrated,
   ingested through `dab ingest dbt` and VACUUM ANALYZEd by bench/api.py's helpers.
2. The relevance set: for --sample capsule names drawn with --seed among the names no other capsule shares,
   the name as typed and seven variants a user makes (two neighbouring letters swapped, a letter dropped,
   two letters replaced, spaces or hyphens for underscores, no separators, CamelCase); plus the hand-written
   description-word queries of bench/data/search_relevance.tsv for the project. Each query is asked of
   ``/api/v1/search?kind=capsules&limit=5``; a hit is the target's URN at rank 1, or within the first 5.
3. Latency, warm (every URL asked once first), under gunicorn (bench/api.py's server and load driver):
   ``/api/v1/search?q=`` (without and with ``&facets=true``), ``/api/v1/capsules?search=`` and the
   typeahead's ``/api/v1/search/suggest?q=``
   (skipped where the server has none), each rotating over the relevance queries and the 30 words names
   use most (``date``, ``id``: thousands of matches each); the typeahead over 2-8 character prefixes of
   the sampled names. One client on gitlab, four on gen10k (--clients).
4. Prints top-1 and top-5 shares per category and in all, the misses, and p50/p95/p99 per endpoint, the
   median over --repeat runs, with the server's CPU per request: gunicorn's workers and the PostgreSQL
   backends of the database, user + system time read from /proc before and after each run (Linux).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import signal
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as bench_api  # noqa: E402  (reuses its database, gunicorn and load helpers)

SHARED = bench_api.REPO.parent / "shared"
GITLAB = SHARED / "dbt" / "gitlab-analytics" / "manifest.json"
RELEVANCE = bench_api.REPO / "bench" / "data" / "search_relevance.tsv"
TARGETS_MS = {"gitlab": 30, "gen10k": 60}  # p95 of /search and ?search=
DEFAULT_CLIENTS = {"gitlab": 1, "gen10k": 4}
VARIANTS = ("exact", "swap", "drop", "two_edits", "spaces", "hyphens", "squashed", "camel")


def swap(name: str, rng: random.Random) -> str | None:
    """Two neighbouring letters swapped (``dim_date`` -> ``dmi_date``)."""
    spots = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha() and name[i] != name[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def drop(name: str, rng: random.Random) -> str | None:
    """One letter left out, not the first (people rarely miss that one)."""
    spots = [i for i in range(1, len(name)) if name[i].isalpha()]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + name[i + 1 :]


def two_edits(name: str, rng: random.Random) -> str | None:
    """Two letters replaced by other letters, apart from each other and not the first."""
    spots = [i for i in range(1, len(name)) if name[i].isalpha()]
    if len(spots) < 4:
        return None
    first, second = sorted(rng.sample(spots, 2))
    if second - first < 2:
        second = spots[-1] if spots[-1] - first >= 2 else None
        if second is None:
            return None
    chars = list(name)
    for i in (first, second):
        chars[i] = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != chars[i]])
    return "".join(chars)


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def variants(name: str, rng: random.Random) -> dict[str, str]:
    made = {
        "exact": name,
        "swap": swap(name, rng),
        "drop": drop(name, rng),
        "two_edits": two_edits(name, rng),
        "spaces": re.sub(r"_+", " ", name) if "_" in name else None,
        "hyphens": re.sub(r"_+", "-", name) if "_" in name else None,
        "squashed": re.sub(r"[^0-9A-Za-z]+", "", name) if "_" in name else None,
        "camel": camel(name) if "_" in name else None,
    }
    return {category: query for category, query in made.items() if query}


def relevance_set(url: str, project: str, *, sample: int, seed: int) -> list[tuple[str, str, str]]:
    """(category, query, target URN): variants of sampled unique names, then the hand-written queries."""
    with psycopg.connect(url, options="-c search_path=dab,public") as conn:
        rows = conn.execute(
            """SELECT min(name), min(urn) FROM capsules GROUP BY lower(name)
               HAVING count(*) = 1 AND length(min(name)) >= 6 ORDER BY min(urn)"""
        ).fetchall()
        urns = {r[0] for r in conn.execute("SELECT urn FROM capsules")}
    rng = random.Random(seed)
    queries = []
    for name, urn in rng.sample(rows, min(sample, len(rows))):
        queries += [(category, query, urn) for category, query in variants(name, rng).items()]
    with RELEVANCE.open() as handle:
        for line in csv.reader((row for row in handle if not row.startswith("#")), delimiter="\t"):
            if line and line[0] == project:
                if line[3] not in urns:
                    print(f"  warning: {line[3]} is not in {project}; query {line[2]!r} left out", flush=True)
                    continue
                queries.append((line[1], line[2], line[3]))
    return queries


def common_words(url: str, count: int = 30) -> list[str]:
    """The words capsule and column names use most (``date``, ``id``, ``stg``): thousands of matches each."""
    with psycopg.connect(url, options="-c search_path=dab,public") as conn:
        rows = conn.execute(
            """SELECT word FROM (SELECT regexp_split_to_table(lower(name), '[^a-z0-9]+') AS word FROM capsules
               UNION ALL SELECT regexp_split_to_table(lower(name), '[^a-z0-9]+') FROM columns
               TABLESAMPLE SYSTEM (10) REPEATABLE (2)) w WHERE length(word) >= 2
               GROUP BY word ORDER BY count(*) DESC, word LIMIT %s""",
            [count],
        ).fetchall()
    return [row[0] for row in rows]


def get_json(port: int, path: str) -> tuple[int, dict]:
    connection = bench_api.http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"X-API-Key": bench_api.API_KEY, "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
        return response.status, (json.loads(body) if response.status == 200 else {})
    finally:
        connection.close()


def score(port: int, queries: list[tuple[str, str, str]]) -> tuple[dict[str, Counter], list[str]]:
    """Top-1 and top-5 hits per category, and a line per miss."""
    tally: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for category, query, urn in queries:
        status, body = get_json(port, "/api/v1/search?" + urlencode({"q": query, "kind": "capsules", "limit": 5}))
        found = [r["urn"] for r in body.get("capsules", {}).get("results", [])] if status == 200 else []
        rank = found.index(urn) + 1 if urn in found else None
        tally[category]["queries"] += 1
        tally[category]["top1"] += rank == 1
        tally[category]["top5"] += rank is not None
        if rank is None:
            first = found[0].rsplit(".", 1)[-1] if found else "nothing"
            misses.append(f"{category:<12} {query!r} -> wanted {urn.rsplit('.', 1)[-1]}, got {first} first")
    return tally, misses


def print_relevance(project: str, tally: dict[str, Counter], misses: list[str], show: int) -> None:
    print(f"\nrelevance on {project} (target within the first 1 / 5 capsules of /api/v1/search)")
    print(f"  {'category':<12} {'queries':>7} {'top-1':>13} {'top-5':>13}")
    total = Counter()
    for category in [*VARIANTS, *sorted(set(tally) - set(VARIANTS))]:
        counts = tally.get(category)
        if not counts:
            continue
        total.update(counts)
        n = counts["queries"]
        print(f"  {category:<12} {n:>7} {counts['top1']:>5} ({counts['top1'] / n:>5.0%}) {counts['top5']:>5} "
              f"({counts['top5'] / n:>5.0%})")  # fmt: skip
    n = total["queries"]
    print(f"  {'all':<12} {n:>7} {total['top1']:>5} ({total['top1'] / n:>5.0%}) {total['top5']:>5} "
          f"({total['top5'] / n:>5.0%})")  # fmt: skip
    for miss in misses[:show]:
        print(f"    miss: {miss}")
    if len(misses) > show:
        print(f"    ... and {len(misses) - show} more misses")


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process from /proc, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def server_cpu(server_pid: int, url: str, admin_url: str) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn's workers (the children of ``server_pid``) and by the PostgreSQL
    backends connected to the benchmark's database (same machine). The difference over a run, divided by
    its requests, is the server's CPU per request, which the load other processes put on the machine
    moves far less than the wall time."""
    app = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _cpu_seconds(int(entry.name))
            if stat is not None and stat[0] == server_pid:
                app += stat[1]
    with psycopg.connect(admin_url) as conn:
        backends = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [url.rsplit("/", 1)[1]]
        )]  # fmt: skip
    database = sum(stat[1] for stat in map(_cpu_seconds, backends) if stat is not None)
    return app, database


def url_makers(port: int, texts: list[str], prefixes: list[str]) -> dict:
    makers = {
        "api_search": lambda rng: "/api/v1/search?" + urlencode({"q": rng.choice(texts)}),
        "api_facets": lambda rng: "/api/v1/search?" + urlencode({"q": rng.choice(texts), "facets": "true"}),
        "capsules_search": lambda rng: "/api/v1/capsules?" + urlencode({"search": rng.choice(texts)}),
    }
    status, _ = get_json(port, "/api/v1/search/suggest?q=dim")
    if status == 200:
        makers["suggest"] = lambda rng: "/api/v1/search/suggest?" + urlencode({"q": rng.choice(prefixes)})
    else:
        print(f"  no typeahead endpoint on this server (HTTP {status}): suggest not measured", flush=True)
    return makers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="prefix of the benchmark's own databases")
    parser.add_argument("--scratch", required=True, type=Path, help="a folder of yours for generated artifacts")
    parser.add_argument("--projects", nargs="+", default=["gitlab", "gen10k"], choices=["gitlab", "gen10k"])
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--sample", type=int, default=40, help="capsule names per project")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint and run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", nargs="*", default=[], help="project=N, e.g. gitlab=1 gen10k=4")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--show-misses", type=int, default=15)
    parser.add_argument("--relevance-only", action="store_true")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    clients = {**DEFAULT_CLIENTS, **{k: int(v) for k, v in (c.split("=", 1) for c in options.clients)}}
    options.scratch.mkdir(parents=True, exist_ok=True)

    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DEBUG": "false",
           "API_KEY": bench_api.API_KEY, "ALLOW_ANONYMOUS_READ": "true", "LOG_LEVEL": "WARNING"}  # fmt: skip
    for project in options.projects:
        if project == "gitlab":
            if not GITLAB.exists():
                sys.exit(f"{GITLAB} is absent")
            artifacts = lambda: ["--manifest", str(GITLAB)]  # noqa: E731
        else:
            artifacts = lambda: [  # noqa: E731
                "--manifest", str(bench_api.generate(10000, options.scratch / "gen_10000") / "manifest.json"),
                "--catalog", str(options.scratch / "gen_10000" / "catalog.json"),
            ]  # fmt: skip
        url = bench_api.prepare_database(
            admin_url=options.database_url, models=0, reuse=options.reuse_db, env=env,
            name=f"{options.database}_{project}", artifacts=artifacts,
        )  # fmt: skip
        queries = relevance_set(url, project, sample=options.sample, seed=options.seed)
        rng = random.Random(options.seed)
        names = sorted({q for c, q, _ in queries if c == "exact"})
        prefixes = [name[: rng.randint(2, min(8, len(name)))] for name in names for _ in range(3)]
        port = bench_api.free_port()
        log = options.scratch / f"gunicorn_{project}_{port}.log"
        server = bench_api.start_gunicorn(env={**env, "DATABASE_URL": url}, port=port, workers=options.workers, log=log)
        try:
            tally, misses = score(port, queries)
            print_relevance(project, tally, misses, options.show_misses)
            if options.relevance_only:
                continue
            texts = [q for _, q, _ in queries] + common_words(url)
            makers = url_makers(port, texts, prefixes)
            for endpoint, make_url in makers.items():  # warm: every URL once
                key = {"api_search": "q", "api_facets": "q", "capsules_search": "search", "suggest": "q"}[endpoint]
                base = make_url(random.Random(0)).split("?")[0]
                extra = "&facets=true" if endpoint == "api_facets" else ""
                for text in texts if endpoint != "suggest" else prefixes:
                    bench_api.request(port, f"{base}?{urlencode({key: text})}{extra}")
            runs = defaultdict(list)
            n = clients[project]
            print(
                f"\nlatency on {project}: {n} client(s), gunicorn {options.workers} sync workers, "
                f"{options.duration:.0f}s per endpoint and run, {len(texts)} queries (ms)\n{bench_api.HEADER}"
            )
            cpu = defaultdict(list)  # endpoint -> [(gunicorn ms, PostgreSQL ms) per request, per run]
            for run in range(options.repeat):
                for endpoint, make_url in makers.items():
                    before = server_cpu(server.pid, url, options.database_url)
                    result = bench_api.drive(
                        port=port, endpoint=endpoint, make_url=make_url,
                        duration=options.duration, concurrency=n, seed=options.seed + run,
                    )  # fmt: skip
                    after = server_cpu(server.pid, url, options.database_url)
                    served = max(1, len(result.latencies) + result.errors)
                    cpu[endpoint].append(tuple((b - a) * 1000 / served for a, b in zip(before, after, strict=True)))
                    runs[endpoint].append(result)
                    print(bench_api.row(result), flush=True)
            print(f"median of {options.repeat} runs; then the server's CPU per request (ms, gunicorn + PostgreSQL)")
            for endpoint, results in runs.items():
                median = bench_api.Result.median_of(endpoint, results)
                app = statistics.median(c[0] for c in cpu[endpoint])
                database = statistics.median(c[1] for c in cpu[endpoint])
                used = f"  cpu {app:.1f} + {database:.1f} ms"
                if endpoint in ("api_search", "capsules_search"):
                    verdict = "ok" if median.percentile(95) <= TARGETS_MS[project] else "MISS"
                    print(f"{bench_api.row(median)}{used}  (target p95 {TARGETS_MS[project]} ms: {verdict})")
                else:
                    print(f"{bench_api.row(median)}{used}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        print(f"load average: {os.getloadavg()[0]:.2f}; gunicorn log: {log}")


if __name__ == "__main__":
    main()
