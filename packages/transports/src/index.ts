export {
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionResetError,
} from './connection-errors.js';
export {
  type ConnectionOptions,
  createConnection,
  createUnixConnection,
  type LoopOptions,
  type UnixConnectionOptions,
} from './create-connection.js';
export {
  createDatagramEndpoint,
  type DatagramEndpointOptions,
} from './create-datagram-endpoint.js';
export {
  createServer,
  createUnixServer,
  type ServerOptions,
  type UnixServerOptions,
} from './create-server.js';
export { connectReadPipe, connectWritePipe } from './pipes.js';
export { ProcessLookupError } from './process-lookup-error.js';
export type {
  BaseProtocol,
  BufferedProtocol,
  DatagramProtocol,
  Protocol,
  ProtocolFactory,
  SocketAddress,
  SubprocessProtocol,
} from './protocols.js';
export { Server } from './server.js';
export {
  SocketTransport,
  type SocketTransportOptions,
  type StreamProtocol,
} from './socket-transport.js';
export { type StartTlsOptions, startTls } from './start-tls.js';
export {
  type StdioOption,
  type SubprocessOptions,
  subprocessExec,
  subprocessShell,
} from './subprocess-exec.js';
export {
  type ClientSsl,
  DEFAULT_MIN_TLS_VERSION,
  DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  type ServerSsl,
} from './tls-options.js';
export type {
  BaseTransport,
  DatagramAddress,
  DatagramTransport,
  PeerName,
  ReadTransport,
  SubprocessTransport,
  Transport,
  WriteBufferLimits,
  WriteTransport,
} from './transport.js';
