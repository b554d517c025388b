"""distributed: tiny jobs (x -> 2x) through Dask's LocalCluster or Celery (Redis broker),
2 worker processes, all submitted at once; jobs/s end to end."""

import os
import sys

# This script's name is the workload's, `distributed`, which is also Dask's package: put
# the scripts' directory last, so `import distributed` finds Dask (its worker processes
# inherit this order).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [entry for entry in sys.path if os.path.abspath(entry or ".") != HERE] + [HERE]

import time  # noqa: E402

from _common import emit, parse_args  # noqa: E402
from _distributed import celery_app, dask_client, double


def main():
    args = parse_args(10_000, ["dask", "celery"])
    values = range(1_000, 1_000 + args.size)
    if args.variant == "dask":
        with dask_client() as client:
            start = time.perf_counter()
            results = client.gather(client.map(double, values))
            seconds = time.perf_counter() - start
    else:
        from celery import group

        with celery_app() as task:
            start = time.perf_counter()
            pending = group(task.s(value) for value in values).apply_async()
            results = pending.get(timeout=3_600)
            seconds = time.perf_counter() - start
            del pending  # before its Redis goes away
    if results != [2 * value for value in values]:
        raise SystemExit("a job returned a wrong result")
    emit(args.size / seconds)


if __name__ == "__main__":
    main()
