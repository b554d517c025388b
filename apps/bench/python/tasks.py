"""tasks: tasks that each await asyncio.sleep(0) twice, gathered (tasks/s)."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args


async def sleep_twice():
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def gather_all(size):
    await asyncio.gather(*[asyncio.create_task(sleep_twice()) for _ in range(size)])


def main():
    args = parse_args(100_000)
    loop = new_loop(args)
    started = perf_counter()
    loop.run_until_complete(gather_all(args.size))
    emit(args.size / (perf_counter() - started))


main()
