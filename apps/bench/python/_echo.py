"""The echo workloads' servers, on 127.0.0.1 in the same process as their clients.

Streams: asyncio.start_server, read(64 KiB) then write + drain. Protocol: an
asyncio.Protocol that writes back what it receives and stops reading while its
transport's buffer is over the high-water mark (pause_writing / resume_writing), the
same flow control as the Node peers' servers.
"""

import asyncio

CHUNK_BYTES = 64 * 1024


async def echo_stream(reader, writer):
    try:
        while True:
            data = await reader.read(CHUNK_BYTES)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def start_echo_server(variant):
    """The server of `variant` (streams or protocol) and the port it listens on."""
    if variant == "streams":
        server = await asyncio.start_server(echo_stream, "127.0.0.1", 0)
    else:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(EchoProtocol, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
