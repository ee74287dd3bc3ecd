"""CPU per search request in one process: Django's CPU and its PostgreSQL backend's, and queries per request.

    ENVIRONMENT=development python bench/search_cpu.py --database dab_16_base_gitlab [api_search ...]
                                                    [--profile api_search]
    DAB_REPO=/work/main ENVIRONMENT=development python bench/search_cpu.py ...   (another checkout's code)

Runs the endpoints of bench/search.py (``api_search``, ``api_facets``, ``capsules_search``, ``suggest``) over
the same query mix, through Django's test client and every middleware, on an already filled database (one
of bench/search.py's, kept with --reuse-db). Each URL is asked once to warm up, once under a query counter,
then twice timed: ``time.process_time`` per request (Django, Python and psycopg) and the backend's user +
system time from /proc (same machine). Less noisy than wall times on a shared machine, though load still
inflates CPU times. ``--profile`` prints cProfile's cumulative table (CPU clock) for one endpoint instead.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

# The code measured: this checkout, or another one named by DAB_REPO (e.g. main, for a before figure).
REPO = Path(os.environ.get("DAB_REPO") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(REPO))
sys.path.append(str(Path(__file__).resolve().parent))  # after the apps: bench/lineage.py must not shadow them

ENDPOINTS = {
    "api_search": lambda text: "/api/v1/search?" + urlencode({"q": text}),
    "api_facets": lambda text: "/api/v1/search?" + urlencode({"q": text, "facets": "true"}),
    "capsules_search": lambda text: "/api/v1/capsules?" + urlencode({"search": text}),
    "suggest": lambda text: "/api/v1/search/suggest?" + urlencode({"q": text}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a filled benchmark database (dab_..._gitlab or _gen10k)")
    parser.add_argument("endpoints", nargs="*", help=f"some of {', '.join(ENDPOINTS)} (default: all)")
    parser.add_argument("--profile", choices=list(ENDPOINTS))
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/")
    options = parser.parse_args()
    if set(options.endpoints) - set(ENDPOINTS):
        parser.error(f"unknown endpoints: {', '.join(sorted(set(options.endpoints) - set(ENDPOINTS)))}")
    url = options.database_url.rstrip("/") + "/" + options.database
    key = "bench-search-cpu-key-0123456789"
    os.environ.update({
        "DATABASE_URL": url, "DAB_ENV_FILE": os.devnull, "DEBUG": "false", "API_KEY": key,
        "ALLOW_ANONYMOUS_READ": "true", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "dab_project.settings",
    })  # fmt: skip
    import django

    django.setup()
    import search as bench_search  # bench/search.py
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    project = "gitlab" if options.database.endswith("gitlab") else "gen10k"
    queries = bench_search.relevance_set(url, project, sample=40, seed=16)
    rng = random.Random(16)  # the prefixes bench/search.py asks the typeahead
    names = sorted({q for c, q, _ in queries if c == "exact"})
    prefixes = [name[: rng.randint(2, min(8, len(name)))] for name in names for _ in range(3)]
    texts = [q for _, q, _ in queries] + bench_search.common_words(url)
    client = Client(HTTP_X_API_KEY=key, HTTP_ACCEPT="application/json", HTTP_HOST="localhost")

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    for endpoint in [options.profile] if options.profile else options.endpoints or list(ENDPOINTS):
        urls = [ENDPOINTS[endpoint](text) for text in (prefixes if endpoint == "suggest" else texts)]
        for path in urls:
            response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"{path}: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as counted:
            for path in urls:
                client.get(path)
        per_request = len(counted.captured_queries) / len(urls)
        if options.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for path in urls * 2:
                client.get(path)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
            continue
        cpu, wall = [], []
        database_before = backend_cpu()
        for path in urls * 2:
            started, started_wall = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append((time.process_time() - started) * 1000)
            wall.append((time.perf_counter() - started_wall) * 1000)
        database = (backend_cpu() - database_before) * 1000 / len(cpu)
        cpu.sort()
        wall.sort()
        n = len(cpu)
        print(
            f"{endpoint:<16} {n} requests  Django CPU mean {statistics.mean(cpu):.1f} p50 {cpu[n // 2]:.1f} "
            f"p95 {cpu[int(n * 0.95)]:.1f} ms | PostgreSQL CPU mean {database:.1f} ms | wall p50 {wall[n // 2]:.1f} "
            f"p95 {wall[int(n * 0.95)]:.1f} ms | {per_request:.1f} queries | load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
