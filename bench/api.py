"""Catalog API and page benchmark: a generated dbt project behind gunicorn, driven by concurrent clients.

    python bench/api.py [--models 10000] [--duration 20] [--concurrency 4] [--workers 3] [--repeat 3]
                        [--reuse-db] [--endpoints capsule_list capsule_detail column_list search ...]

1. Generates the project once with ../shared/bench/gen_dbt.py (cached in /tmp/dab_bench_gen_N).
2. Creates its own database dab_bench_api_N (kept for --reuse-db), runs `dab migrate`, `dab ingest dbt`
   (the whole pipeline), then VACUUM ANALYZE: the state autovacuum reaches shortly after an ingestion.
3. Starts gunicorn (sync workers, production settings apart from the environment name) on a free port.
   Two workers by default, as `dab serve`: a request is CPU-bound in Python (7-10 ms for a list page) and
   PostgreSQL shares the same two cores, so more workers only add context switches and memory. Measured
   with 4 clients on 2 cores: 2, 3 and 4 workers gave the same throughput (121-130 list pages/s) and p95
   within noise of each other.
4. Per endpoint, --concurrency client threads send requests for --duration seconds (after a warm-up), each
   request on a fresh connection as gunicorn's sync workers close it, and record wall latency per request.
   Each endpoint rotates through realistic URLs: list pages 1-10 and common filters, random capsules and
   columns, search terms taken from the project's own names.
5. Prints requests/s, p50/p95/p99/max latency and errors per endpoint and run, the median over --repeat
   runs, and the load average, since other jobs share the machine.

The load generator shares the cores with gunicorn and PostgreSQL, so figures are pessimistic for a server
with its own database host.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "bench" / "gen_dbt.py"
PYTHON = REPO / ".venv" / "bin" / "python"
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
API_KEY = "bench-api-key-0123456789abcdef"
API_ENDPOINTS = ("capsule_list", "capsule_detail", "column_list", "search")
PAGE_ENDPOINTS = ("browser_page", "capsule_page", "column_page", "search_page")
TARGETS_MS = {"capsule_list": 50, "capsule_detail": 50, "column_list": 50, "search": 100}


def generate(models: int, out: Path | None = None) -> Path:
    """Artifacts of a generated ``models``-model project in ``out`` (default /tmp/dab_bench_gen_N), made once."""
    out = out or Path(f"/tmp/dab_bench_gen_{models}")
    if not (out / "manifest.json").exists():
        if not GEN.exists():
            sys.exit(f"cannot generate artifacts: {GEN} is absent")
        print(f"generating {models} models into {out} ...", flush=True)
        subprocess.run(
            [sys.executable, str(GEN), "--models", str(models), "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def dab(args: list[str], env: dict) -> str:
    result = subprocess.run(
        [str(PYTHON), "-m", "dab_project.cli", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"dab {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare_database(
    *, admin_url: str, models: int, reuse: bool, env: dict, name: str | None = None, artifacts=None
) -> str:
    """Create, migrate and fill the benchmark's own database (or reuse it); returns its URL.

    ``name`` defaults to dab_bench_api_N; ``artifacts`` (a function returning the dab ingest arguments) to the
    generated N-model project."""
    name = name or f"dab_bench_api_{models}"
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**env, "DATABASE_URL": url}
    dab(["migrate", "-v0"], env)
    with psycopg.connect(url, options="-c search_path=dab,public") as conn:
        filled = conn.execute("SELECT count(*) FROM capsules").fetchone()[0] > 0
    if not filled:
        if artifacts is None:
            generated = generate(models)
            arguments = ["--manifest", str(generated / "manifest.json"), "--catalog", str(generated / "catalog.json")]
        else:
            arguments = artifacts()
        print(f"ingesting {' '.join(arguments)} into {name} ...", flush=True)
        started = time.perf_counter()
        dab(["ingest", "dbt", *arguments], env)
        print(f"  ingested in {time.perf_counter() - started:.1f}s", flush=True)
        with psycopg.connect(url, autocommit=True, options="-c search_path=dab,public") as conn:
            conn.execute("VACUUM ANALYZE")
    return url


@dataclass(frozen=True)
class Samples:
    """Real values of the loaded project, for URLs that look like what users ask."""

    capsule_urns: list[str]
    column_urns: list[str]
    domains: list[str]
    search_terms: list[str]
    capsules: int
    columns: int


def load_samples(url: str, seed: int) -> Samples:
    with psycopg.connect(url, options="-c search_path=dab,public") as conn:
        capsules = conn.execute("SELECT count(*) FROM capsules").fetchone()[0]
        columns = conn.execute("SELECT count(*) FROM columns").fetchone()[0]
        capsule_urns = [r[0] for r in conn.execute("SELECT urn FROM capsules ORDER BY urn")]
        domains = [r[0] for r in conn.execute("SELECT name FROM domains ORDER BY name")]
        column_urns = [r[0] for r in conn.execute("SELECT urn FROM columns TABLESAMPLE SYSTEM (1) REPEATABLE (1)")]
        words = conn.execute(
            """SELECT word FROM (SELECT regexp_split_to_table(lower(name), '_') AS word FROM columns
               TABLESAMPLE SYSTEM (5) REPEATABLE (2)) w WHERE length(word) >= 3
               GROUP BY word ORDER BY count(*) DESC LIMIT 40"""
        ).fetchall()
    rng = random.Random(seed)
    names = [urn.rsplit(".", 1)[-1] for urn in rng.sample(capsule_urns, 20)]
    # Common words (thousands of matches), exact capsule names (few), and a few short prefixes.
    terms = [w[0] for w in words] + names + ["id", "em", "customer email", "order status"]
    return Samples(
        capsule_urns=rng.sample(capsule_urns, min(500, len(capsule_urns))),
        column_urns=rng.sample(column_urns, min(500, len(column_urns))),
        domains=domains,
        search_terms=terms,
        capsules=capsules,
        columns=columns,
    )


def url_maker(endpoint: str, samples: Samples):
    """A function rng -> the next URL to request for ``endpoint``."""
    lists = [f"page={n}" for n in range(1, 11)]
    if endpoint == "capsule_list":
        filters = lists + ["layer=marts", "capsule_type=model&has_tests=false", "ordering=-test_count"]
        filters += [f"domain={quote(d)}" for d in samples.domains[:5]]
        return lambda rng: f"/api/v1/capsules?page_size=50&{rng.choice(filters)}"
    if endpoint == "capsule_detail":
        return lambda rng: f"/api/v1/capsules/{rng.choice(samples.capsule_urns)}"
    if endpoint == "column_list":
        filters = lists + ["layer=marts", "pii=true", "capsule="]

        def column_list(rng):
            chosen = rng.choice(filters)
            if chosen == "capsule=":
                chosen += quote(rng.choice(samples.capsule_urns), safe=":")
            return f"/api/v1/columns?page_size=50&{chosen}"

        return column_list
    if endpoint == "search":
        return lambda rng: "/api/v1/search?" + urlencode({"q": rng.choice(samples.search_terms)})
    if endpoint == "browser_page":
        filters = lists + ["layer=marts", "capsule_type=model&has_tests=false", "ordering=-test_count", "search=orders"]
        return lambda rng: f"/capsules/?{rng.choice(filters)}"
    if endpoint == "capsule_page":
        return lambda rng: f"/capsules/{rng.choice(samples.capsule_urns)}/"
    if endpoint == "column_page":
        return lambda rng: f"/columns/{rng.choice(samples.column_urns)}/"
    if endpoint == "search_page":
        return lambda rng: "/search/?" + urlencode({"q": rng.choice(samples.search_terms)})
    raise ValueError(endpoint)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(*, env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    argv = [str(GUNICORN), "dab_project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "sync", "--timeout", "60"]  # fmt: skip
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            status, _ = request(port, "/api/v1/health/live")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit(f"gunicorn did not start; see {log}")


def request(port: int, path: str) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"X-API-Key": API_KEY, "Accept": "application/json"})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


@dataclass
class Result:
    endpoint: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    load: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    @property
    def max_latency(self) -> float:
        return max(self.latencies, default=0.0)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @classmethod
    def median_of(cls, endpoint: str, runs: list[Result]) -> MedianResult:
        return MedianResult(endpoint, runs)


class MedianResult(Result):
    """The median of several runs of one endpoint, shown like one run."""

    def __init__(self, endpoint: str, runs: list[Result]):
        super().__init__(endpoint)
        self.runs = runs
        self.errors = sum(r.errors for r in runs)
        self.load = statistics.median(r.load for r in runs)
        self.latencies = runs[len(runs) // 2].latencies  # for the request count shown; percentiles below

    def percentile(self, p: float) -> float:
        return statistics.median(r.percentile(p) for r in self.runs)

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)

    @property
    def max_latency(self) -> float:
        return statistics.median(max(r.latencies, default=0) for r in self.runs)


def drive(*, port: int, endpoint: str, make_url, duration: float, concurrency: int, seed: int) -> Result:
    result = Result(endpoint)
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        latencies, errors, samples = [], 0, []
        while time.perf_counter() < stop:
            path = make_url(rng)
            started = time.perf_counter()
            try:
                status, _ = request(port, path)
            except OSError as exc:
                status, errors = -1, errors + 1
                samples.append(f"{path}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                errors += 1
                samples.append(f"{path}: HTTP {status}")
            else:
                latencies.append(elapsed)
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.error_samples.extend(samples[:3])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.load = os.getloadavg()[0]
    return result


def row(result: Result) -> str:
    target = TARGETS_MS.get(result.endpoint)
    verdict = "" if target is None else ("  ok" if result.percentile(95) <= target and not result.errors else "  MISS")
    return (
        f"  {result.endpoint:<15} {len(result.latencies):>6} {result.rate:>7.1f} {result.percentile(50):>7.1f} "
        f"{result.percentile(95):>7.1f} {result.percentile(99):>7.1f} {result.max_latency:>7.1f} "
        f"{result.errors:>6} {result.load:>5.2f}{verdict}"
    )


HEADER = (
    f"  {'endpoint':<15} {'reqs':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} {'load':>5}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint and run")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (see the module docstring)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse-db", action="store_true", help="keep dab_bench_api_N if it is already loaded")
    parser.add_argument("--endpoints", nargs="+", default=[*API_ENDPOINTS, *PAGE_ENDPOINTS],
                        choices=[*API_ENDPOINTS, *PAGE_ENDPOINTS])  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL whose user may create databases (the benchmark's database is made beside it)",
    )
    options = parser.parse_args()

    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DEBUG": "false",
           "API_KEY": API_KEY, "ALLOW_ANONYMOUS_READ": "true", "LOG_LEVEL": "INFO"}  # fmt: skip
    url = prepare_database(admin_url=options.database_url, models=options.models, reuse=options.reuse_db, env=env)
    env["DATABASE_URL"] = url
    samples = load_samples(url, options.seed)
    port = free_port()
    log = Path(f"/tmp/dab_bench_api_gunicorn_{port}.log")
    server = start_gunicorn(env=env, port=port, workers=options.workers, log=log)
    print(
        f"{samples.capsules} capsules, {samples.columns} columns; gunicorn {options.workers} sync workers on "
        f"{os.cpu_count()} cpus; {options.concurrency} clients x {options.duration:.0f}s per endpoint; "
        f"load average before {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    runs: list[list[Result]] = []
    try:
        makers = {e: url_maker(e, samples) for e in options.endpoints}
        for make_url in makers.values():  # warm every worker's caches and connection pool
            rng = random.Random(options.seed)
            for _ in range(options.workers * 5):
                request(port, make_url(rng))
        for run in range(options.repeat):
            print(f"\nrun {run + 1} of {options.repeat} (latencies in ms)\n{HEADER}", flush=True)
            results = []
            for endpoint, make_url in makers.items():
                result = drive(port=port, endpoint=endpoint, make_url=make_url, duration=options.duration,
                               concurrency=options.concurrency, seed=options.seed + run)  # fmt: skip
                results.append(result)
                print(row(result), flush=True)
                for sample in result.error_samples[:3]:
                    print(f"      error: {sample}")
            runs.append(results)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if len(runs) > 1:
        print(f"\nmedian of {len(runs)} runs (latencies in ms)\n{HEADER}")
        for index, endpoint in enumerate(options.endpoints):
            per_run = [results[index] for results in runs]
            print(row(Result.median_of(endpoint, per_run)))
    print(f"\ntargets (p95, zero errors): {', '.join(f'{k} <= {v} ms' for k, v in TARGETS_MS.items())}")
    print(f"load average after: {os.getloadavg()[0]:.2f}; gunicorn log: {log}")


if __name__ == "__main__":
    main()
