"""Upload benchmark: how long `POST /api/v1/ingest/dbt` takes to answer 202 Accepted, and how long a worker then
takes to ingest the job.

    python bench/upload.py [--models 10000] [--repeat 3] [--database-url postgres://...] [--no-worker]

Generates the artifacts once with ../shared/bench/gen_dbt.py (cached in /tmp, shared with bench/ingest.py),
migrates a scratch database, starts `dab serve` (gunicorn, one worker) on a free port and uploads manifest.json
and catalog.json with curl, as a CI job would. Each upload is checked (JSON, which artifact), stored in the
database and queued; the answer's time is what the caller waits. Then, unless --no-worker, `dab worker --batch`
ingests the first queued job (the others are dry runs, so the catalog is loaded once) and its job's own
timings are printed. Medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import PYTHON, REPO, fresh_database, generate, run_dab  # noqa: E402

API_KEY = "bench-api-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upload(base: str, artifacts: Path, *, dry_run: bool) -> tuple[float, int, dict]:
    """curl the upload; seconds until the answer, HTTP status, the body."""
    command = [
        "curl", "-s", "-w", "\n%{http_code} %{time_total}", "-H", f"X-API-Key: {API_KEY}",
        "-F", f"manifest=@{artifacts / 'manifest.json'}", "-F", f"catalog=@{artifacts / 'catalog.json'}",
        "-F", f"dry_run={'true' if dry_run else 'false'}", f"{base}/api/v1/ingest/dbt",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    body, _, tail = out.rpartition("\n")
    code, seconds = tail.split()
    return float(seconds), int(code), json.loads(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-worker", action="store_true", help="time the uploads only")
    options = parser.parse_args()

    artifacts = generate(options.models)
    size = sum((artifacts / name).stat().st_size for name in ("manifest.json", "catalog.json")) / 1024 / 1024
    url = fresh_database(options.database_url, "dab_bench_upload")
    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATABASE_URL": url,
           "API_KEY": API_KEY, "LOG_LEVEL": "WARNING", "DATABASE_POOL_SIZE": "0"}  # fmt: skip
    run_dab(["migrate", "-v0"], env)
    port = free_port()
    server = subprocess.Popen(
        [str(PYTHON), "-m", "dab_project.cli", "serve", "--port", str(port), "--workers", "1"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health/live", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the server did not start")
                time.sleep(0.3)
        times = []
        first_job = None
        for index in range(options.repeat):
            seconds, code, body = upload(base, artifacts, dry_run=index > 0)
            if code != 202:
                sys.exit(f"upload answered {code}: {body}")
            first_job = first_job or body["id"]
            times.append(seconds)
            print(f"  upload {index + 1}: {code} in {seconds:.2f} s (job {body['id']}, {body['status']})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"\n{options.models} models, {size:.0f} MB of artifacts (manifest + catalog):")
    print(f"  202 Accepted after {statistics.median(times):.2f} s (median of {len(times)}; "
          f"min {min(times):.2f}, max {max(times):.2f})")  # fmt: skip
    if options.no_worker:
        return
    wall, rss, _ = run_dab(["worker", "--batch", "--max-tasks", "1", "--no-periodic"], env)
    with psycopg.connect(url) as conn:
        status, duration, timings, error = conn.execute(
            "SELECT status, EXTRACT(EPOCH FROM completed_at - worker_started_at), stats->'timings', error_message"
            " FROM dab.ingestion_jobs WHERE id = %s", [first_job],
        ).fetchone()  # fmt: skip
    job = {"status": status, "duration": float(duration or 0), "timings": timings, "error": error}
    print(f"  the worker ingested the first job in {wall:.1f} s wall, peak RSS {rss} MB: {job['status']}, "
          f"job {job['duration']:.1f} s; steps: {job['timings']}"
          + (f" error: {job['error']}" if job["error"] else ""))  # fmt: skip


if __name__ == "__main__":
    main()
