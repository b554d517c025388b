"""echo-rtt: 50 clients, each sending 64 bytes and waiting for their echo, again and
again, for --size ms; round trips/s. --variant streams or protocol."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args
from _echo import start_echo_server

CLIENTS = 50
MESSAGE_BYTES = 64
MESSAGE = b"a" * MESSAGE_BYTES


class Clock:
    """Counts round trips; `stopped` turns true when the time is up."""

    def __init__(self):
        self.stopped = False
        self.round_trips = 0

    def stop(self):
        self.stopped = True


async def stream_client(reader, writer, clock):
    while True:
        writer.write(MESSAGE)
        await writer.drain()
        await reader.readexactly(MESSAGE_BYTES)
        clock.round_trips += 1
        if clock.stopped:
            break


class Client(asyncio.Protocol):
    def __init__(self, clock, done):
        self.clock = clock
        self.done = done
        self.pending = 0

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.pending += len(data)
        while self.pending >= MESSAGE_BYTES:
            self.pending -= MESSAGE_BYTES
            self.clock.round_trips += 1
            if self.clock.stopped:
                if not self.done.done():
                    self.done.set_result(None)
                return
            self.transport.write(MESSAGE)


async def measure(variant, duration_ms):
    loop = asyncio.get_running_loop()
    server, port = await start_echo_server(variant)
    clock = Clock()
    if variant == "streams":
        connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CLIENTS)]
        started = perf_counter()
        loop.call_later(duration_ms / 1000, clock.stop)
        await asyncio.gather(*(stream_client(r, w, clock) for r, w in connections))
        elapsed = perf_counter() - started
        for _, writer in connections:
            writer.close()
    else:
        done = [loop.create_future() for _ in range(CLIENTS)]
        connections = [
            await loop.create_connection(lambda d=d: Client(clock, d), "127.0.0.1", port)
            for d in done
        ]
        started = perf_counter()
        loop.call_later(duration_ms / 1000, clock.stop)
        for transport, _ in connections:
            transport.write(MESSAGE)
        await asyncio.gather(*done)
        elapsed = perf_counter() - started
        for transport, _ in connections:
            transport.close()
    server.close()
    return clock.round_trips / elapsed


def main():
    args = parse_args(5_000, ["streams", "protocol"])
    loop = new_loop(args)
    emit(loop.run_until_complete(measure(args.variant, args.size)))


main()
