"""task-memory: bytes per task blocked on one Future (lower is better).

Method: tracemalloc counts the bytes of every Python allocation made after it starts
and still alive (task objects, coroutine frames, the Future's callback list, the list
holding the tasks). It starts just before the tasks are created, after a gc.collect();
the traced size is read once every task is suspended on the Future, after another
gc.collect(), and divided by the number of tasks. This is the counterpart of heapUsed
after gc() on Node: the interpreter's own fixed overhead is outside both figures.
"""

import asyncio
import gc
import tracemalloc

from _common import emit, new_loop, parse_args


async def measure(size):
    gate = asyncio.get_running_loop().create_future()
    blocked = 0

    async def block_on_gate():
        nonlocal blocked
        blocked += 1
        await gate

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pending = [asyncio.create_task(block_on_gate()) for _ in range(size)]
    while blocked < size:  # tasks start on the next iteration
        await asyncio.sleep(0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gate.set_result(None)
    await asyncio.gather(*pending)
    return (after - before) / size


def main():
    args = parse_args(100_000)
    loop = new_loop(args)
    emit(loop.run_until_complete(measure(args.size)))


main()
