"""pool-cpu: CPU-bound jobs of ~200 ms, sequential in this process, then on a
ProcessPoolExecutor of 2; prints the speedup (sequential time / pool time).

The job is the same xorshift32 loop as the Node peers'; its iteration count is
calibrated in this process so that one job takes about 200 ms here.
"""

from time import perf_counter

from _pool import emit, new_pool, parse_args, time_jobs, warm_up

CPU_JOB_SECONDS = 0.2
MASK = 0xFFFFFFFF


def burn(iterations):
    state = 0x9E3779B9
    for _ in range(iterations):
        state ^= (state << 13) & MASK
        state ^= state >> 17
        state ^= (state << 5) & MASK
    return state


def add_one(value):
    return value + 1


def calibrate():
    iterations = 1 << 14
    while True:
        started = perf_counter()
        burn(iterations)
        elapsed = perf_counter() - started
        if elapsed >= 0.02:
            return round(iterations * CPU_JOB_SECONDS / elapsed)
        iterations *= 2


def main():
    args = parse_args(8, ["processes"])
    iterations = calibrate()
    started = perf_counter()
    expected = [burn(iterations) for _ in range(args.size)]
    sequential = perf_counter() - started
    with new_pool(args.variant) as pool:
        warm_up(pool, add_one)
        parallel, results = time_jobs(pool, burn, [iterations] * args.size)
    if results != expected:
        raise SystemExit("a job returned a wrong result")
    emit(sequential / parallel)


if __name__ == "__main__":
    main()
