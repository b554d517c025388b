"""The pool workloads' shared body: a pool of 2 workers from concurrent.futures.

The Python peer of pool-tiny and pool-cpu is plain concurrent.futures (submit, then
result()), with no event loop: asyncio's run_in_executor adds an asyncio future and a
call_soon_threadsafe wake-up per job on top of the same pool.

    python3 python/pool-tiny.py --variant threads|processes [--size N]
"""

import argparse
import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from time import perf_counter

WORKERS = 2


def parse_args(default_size, variants):
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=variants, required=True)
    parser.add_argument("--size", type=int, default=default_size)
    args = parser.parse_args()
    if args.size < 1:
        parser.error(f"--size must be an integer >= 1; got {args.size}")
    return args


def new_pool(variant):
    if variant == "threads":
        return ThreadPoolExecutor(max_workers=WORKERS)
    return ProcessPoolExecutor(max_workers=WORKERS)


def warm_up(pool, job):
    """Runs a few jobs so every worker is up before anything is timed."""
    for future in [pool.submit(job, i) for i in range(WORKERS * 2)]:
        future.result()


def time_jobs(pool, job, arguments):
    """Submits a job per argument at once, waits for all; (seconds, results)."""
    started = perf_counter()
    futures = [pool.submit(job, argument) for argument in arguments]
    results = [future.result() for future in futures]
    return perf_counter() - started, results


def emit(value):
    print(json.dumps(value), flush=True)
