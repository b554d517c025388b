"""pool-tiny: jobs x + 1 through a pool of 2 (concurrent.futures), all submitted at once; jobs/s."""

from _pool import emit, new_pool, parse_args, time_jobs, warm_up


def add_one(value):
    return value + 1


def main():
    args = parse_args(20_000, ["threads", "processes"])
    with new_pool(args.variant) as pool:
        warm_up(pool, add_one)
        seconds, results = time_jobs(pool, add_one, range(args.size))
    if results != [i + 1 for i in range(args.size)]:
        raise SystemExit("a job returned a wrong result")
    emit(args.size / seconds)


if __name__ == "__main__":
    main()
