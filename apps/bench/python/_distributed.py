"""What the Python twins of the distributed workloads share: Dask's LocalCluster and
Celery (Redis broker and result backend) with 2 worker processes, started before the
timing and stopped after it.

Dask: `distributed.Client` on a `LocalCluster(n_workers=2, threads_per_worker=1)`.
Celery: a redis-server of its own, and 2 `celery worker --pool solo` processes.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time

WORKERS = 2
PYTHON_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def double(value):
    return 2 * value


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dask_client():
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        client.gather(client.map(double, range(200)))  # warm up
        yield client


@contextlib.contextmanager
def celery_app():
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    workers = []
    try:
        os.environ["CORO_BENCH_REDIS"] = url
        sys.path.insert(0, PYTHON_DIRECTORY)
        from _celery_jobs import app, double as task

        for index in range(WORKERS):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "_celery_jobs", "worker", "--pool", "solo",
                     "--loglevel", "WARNING", "-n", f"bench{index}@%h"],
                    cwd=PYTHON_DIRECTORY,
                    env={**os.environ, "CORO_BENCH_REDIS": url},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=0.5) or []) < WORKERS:
            if time.monotonic() > deadline:
                raise SystemExit("the celery workers did not start")
        for value in range(50):
            task.delay(value).get(timeout=30)  # warm up
        yield task
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        redis.terminate()
        redis.wait()
