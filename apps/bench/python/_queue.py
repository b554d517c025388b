"""The queue workloads' shared body: N producers + N consumers through Queue(maxsize=100)."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args


async def produce(queue, count):
    for i in range(count):
        await queue.put(i)


async def consume(queue, count):
    for _ in range(count):
        await queue.get()


async def main_async(size, workers):
    queue = asyncio.Queue(maxsize=100)
    per_task = size // workers
    tasks = []
    for _ in range(workers):
        tasks.append(asyncio.create_task(produce(queue, per_task)))
        tasks.append(asyncio.create_task(consume(queue, per_task)))
    await asyncio.gather(*tasks)
    return per_task * workers


def run_queue_workload(workers):
    """Runs the workload with `workers` producers and as many consumers; prints items/s."""
    args = parse_args(1_000_000)
    loop = new_loop(args)
    started = perf_counter()
    items = loop.run_until_complete(main_async(args.size, workers))
    emit(items / (perf_counter() - started))
