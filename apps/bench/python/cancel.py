"""cancel: tasks sleeping an hour, all cancelled and awaited (cancels/s).

Once every task is suspended in asyncio.sleep(3600), each is cancelled with
task.cancel() and gather(return_exceptions=True) waits for them all; measured from the
first cancel until the last task is done, as size / seconds.
"""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args

HOUR_S = 3600


async def measure(size):
    sleeping = 0

    async def sleep_an_hour():
        nonlocal sleeping
        sleeping += 1
        await asyncio.sleep(HOUR_S)

    tasks = [asyncio.create_task(sleep_an_hour()) for _ in range(size)]
    while sleeping < size:  # tasks start on the next iteration
        await asyncio.sleep(0)
    started = perf_counter()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return size / (perf_counter() - started)


def main():
    args = parse_args(10_000)
    loop = new_loop(args)
    emit(loop.run_until_complete(measure(args.size)))


main()
