"""What every Python twin of a workload shares: its command line and its loop.

    python3 python/<workload>.py [--uvloop] [--variant V] [--size N]

runs the workload once on asyncio's default loop (or uvloop's with --uvloop), in one
of its variants if it has several (the echo workloads: streams or protocol), and
prints the measurement as one JSON number, as the Node runner does.
"""

import argparse
import asyncio
import json


def parse_args(default_size, variants=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's loop")
    if variants is not None:
        parser.add_argument("--variant", choices=variants, required=True)
    parser.add_argument("--size", type=int, default=default_size)
    args = parser.parse_args()
    if args.size < 1:
        parser.error(f"--size must be an integer >= 1; got {args.size}")
    return args


def new_loop(args):
    """A fresh loop, set as the current one: asyncio's default, or uvloop's."""
    if args.uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def emit(value):
    print(json.dumps(value), flush=True)
