"""lock: 100 tasks sharing one Lock, each holding it across one await sleep(0) (acquisitions/s)."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args

TASKS = 100


async def worker(lock, count):
    for _ in range(count):
        async with lock:
            await asyncio.sleep(0)


async def main_async(size):
    lock = asyncio.Lock()
    per_task = size // TASKS
    await asyncio.gather(*[asyncio.create_task(worker(lock, per_task)) for _ in range(TASKS)])
    return per_task * TASKS


def main():
    args = parse_args(1_000_000)
    loop = new_loop(args)
    started = perf_counter()
    count = loop.run_until_complete(main_async(args.size))
    emit(count / (perf_counter() - started))


main()
