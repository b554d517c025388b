"""distributed-latency: one tiny job at a time through Dask's LocalCluster or Celery
(Redis broker), 2 worker processes; round trips/s at the p50 and p99 latency."""

import math
import os
import sys

# See distributed.py: Dask's `distributed` package must come before the scripts' directory.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [entry for entry in sys.path if os.path.abspath(entry or ".") != HERE] + [HERE]

import time  # noqa: E402

from _common import emit, parse_args  # noqa: E402
from _distributed import celery_app, dask_client, double


def percentile(ordered, p):
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def main():
    args = parse_args(500, ["dask", "celery"])
    latencies = []
    if args.variant == "dask":
        with dask_client() as client:
            for value in range(args.size):
                start = time.perf_counter()
                result = client.submit(double, value, pure=False).result()
                latencies.append(time.perf_counter() - start)
                assert result == 2 * value
    else:
        with celery_app() as task:
            for value in range(args.size):
                start = time.perf_counter()
                result = task.delay(value).get(timeout=30)
                latencies.append(time.perf_counter() - start)
                assert result == 2 * value
    latencies.sort()
    emit({"p50": 1 / percentile(latencies, 50), "p99": 1 / percentile(latencies, 99)})


if __name__ == "__main__":
    main()
