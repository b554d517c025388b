"""timers: call_later with delays over 0-100 ms, half cancelled (ops/s).

Measured from the first call_later until the last live timer fired; the delays are
the sequence src/workloads/timers.ts computes, so every peer gets the same timers.
"""

from time import perf_counter

from _common import emit, new_loop, parse_args


def timer_delay_ms(index):
    return (index * 2654435761) % 4294967296 * 101 // 4294967296


def main():
    args = parse_args(100_000)
    size = args.size
    loop = new_loop(args)
    done = loop.create_future()
    live = (size + 1) // 2

    def fire():
        nonlocal live
        live -= 1
        if live == 0:
            done.set_result(perf_counter())

    started = perf_counter()
    handles = [loop.call_later(timer_delay_ms(i) / 1000, fire) for i in range(size)]
    for i in range(1, size, 2):
        handles[i].cancel()
    finished = loop.run_until_complete(done)
    emit(size / (finished - started))


main()
