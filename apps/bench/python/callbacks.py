"""callbacks: a chain of call_soon callbacks, each scheduling the next (ops/s)."""

from time import perf_counter

from _common import emit, new_loop, parse_args


def main():
    args = parse_args(1_000_000)
    size = args.size
    loop = new_loop(args)
    done = loop.create_future()
    remaining = size

    def step():
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            done.set_result(perf_counter())
        else:
            loop.call_soon(step)

    started = perf_counter()
    loop.call_soon(step)
    finished = loop.run_until_complete(done)
    emit(size / (finished - started))


main()
