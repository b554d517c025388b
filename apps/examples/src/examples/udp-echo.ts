/*
 * udp-echo: a UDP echo server and a client, with the Protocol API.
 *
 * UDP has no connection and no stream: each `sendto()` is one datagram, delivered
 * whole or not at all, to the protocol's `datagramReceived(data, from)`. The server
 * answers each datagram to the address it came from. The client's endpoint is
 * "connected" to the server (`remoteAddr`), so its `sendto()` needs no address; its
 * protocol puts each reply into a Queue, and the client waits for each one under a
 * timeout, because a datagram may be lost and nothing would ever tell it so.
 */
import {
  createDatagramEndpoint,
  type DatagramProtocol,
  type DatagramTransport,
  Queue,
  type SocketAddress,
  timeout,
} from 'coro';
import type { Output } from '../example.js';

export const name = 'udp-echo';
export const title = 'A UDP echo server and client: createDatagramEndpoint and DatagramProtocol';

/** The server's protocol: every datagram goes back to its sender, upper-cased. */
class EchoServer implements DatagramProtocol {
  #transport?: DatagramTransport;
  connectionMade(transport: DatagramTransport): void {
    this.#transport = transport;
  }
  datagramReceived(data: Uint8Array, from: SocketAddress): void {
    this.#transport?.sendto(Buffer.from(data).toString().toUpperCase(), from);
  }
}

/** The client's protocol: replies go into a queue that the client reads. */
class EchoClient implements DatagramProtocol {
  readonly replies = new Queue<string>();
  datagramReceived(data: Uint8Array): void {
    this.replies.putNowait(Buffer.from(data).toString());
  }
  errorReceived(error: Error): void {
    // With a connected endpoint, a closed port comes back as ICMP, reported here.
    this.replies.putNowait(`error: ${error.message}`);
  }
}

export async function main(out: Output = console.log): Promise<void> {
  const [server] = await createDatagramEndpoint(() => new EchoServer(), {
    localAddr: ['127.0.0.1', 0], // port 0: any free port
  });
  const { port } = server.getExtraInfo<SocketAddress>('sockname')!;
  out(`UDP echo server on 127.0.0.1:${port}`);

  const [client, protocol] = await createDatagramEndpoint(() => new EchoClient(), {
    remoteAddr: ['127.0.0.1', port],
  });
  try {
    for (const message of ['hello', 'datagrams', 'bye']) {
      client.sendto(message); // one datagram; no address: the endpoint is connected
      const reply = await timeout(2_000, () => protocol.replies.get());
      out(`sent ${message}, got ${reply}`);
    }
  } finally {
    client.close();
    server.close();
  }
  out('both endpoints closed');
}
