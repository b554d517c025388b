"""echo-throughput: one client sends 64 KiB writes through an echo server and reads
them back; MB/s (10^6 bytes) of the bytes sent. --variant streams or protocol."""

import asyncio
from time import perf_counter

from _common import emit, new_loop, parse_args
from _echo import CHUNK_BYTES, start_echo_server


async def through_streams(port, chunks):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    chunk = b"a" * CHUNK_BYTES
    total = chunks * CHUNK_BYTES

    async def send():
        for _ in range(chunks):
            writer.write(chunk)
            await writer.drain()

    async def receive():
        received = 0
        while received < total:
            data = await reader.read(CHUNK_BYTES)
            if not data:
                raise ConnectionError("the echo server closed early")
            received += len(data)

    started = perf_counter()
    await asyncio.gather(send(), receive())
    elapsed = perf_counter() - started
    writer.close()
    return elapsed


class Sender(asyncio.Protocol):
    """Writes `chunks` chunks as fast as flow control lets it; counts the echo."""

    def __init__(self, chunks, done):
        self.chunk = b"a" * CHUNK_BYTES
        self.left = chunks
        self.total = chunks * CHUNK_BYTES
        self.received = 0
        self.paused = False
        self.done = done

    def connection_made(self, transport):
        self.transport = transport

    def start(self):
        self.send()

    def send(self):
        while self.left > 0 and not self.paused:
            self.left -= 1
            self.transport.write(self.chunk)

    def pause_writing(self):
        self.paused = True

    def resume_writing(self):
        self.paused = False
        self.send()

    def data_received(self, data):
        self.received += len(data)
        if self.received >= self.total and not self.done.done():
            self.done.set_result(None)


async def through_protocol(port, chunks):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, sender = await loop.create_connection(
        lambda: Sender(chunks, done), "127.0.0.1", port
    )
    started = perf_counter()
    sender.start()
    await done
    elapsed = perf_counter() - started
    transport.close()
    return elapsed


async def measure(variant, size):
    server, port = await start_echo_server(variant)
    chunks = max(1, -(-size // CHUNK_BYTES))
    client = through_streams if variant == "streams" else through_protocol
    elapsed = await client(port, chunks)
    server.close()
    return chunks * CHUNK_BYTES / 1e6 / elapsed


def main():
    args = parse_args(1024 * 1024 * 1024, ["streams", "protocol"])
    loop = new_loop(args)
    emit(loop.run_until_complete(measure(args.variant, args.size)))


main()
