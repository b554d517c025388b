"""queue-10x10: 10 producer(s) + 10 consumer(s), items through Queue(maxsize=100) (items/s)."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args

WORKERS = 10


async def produce(queue, count):
    for i in range(count):
        await queue.put(i)


async def consume(queue, count):
    for _ in range(count):
        await queue.get()


async def main_async(size):
    queue = asyncio.Queue(maxsize=100)
    per_task = size // WORKERS
    tasks = []
    for _ in range(WORKERS):
        tasks.append(asyncio.create_task(produce(queue, per_task)))
        tasks.append(asyncio.create_task(consume(queue, per_task)))
    await asyncio.gather(*tasks)
    return per_task * WORKERS


def main():
    args = parse_args(1_000_000)
    loop = new_loop(args)
    started = perf_counter()
    items = loop.run_until_complete(main_async(args.size))
    emit(items / (perf_counter() - started))


main()
