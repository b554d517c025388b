export {
  ConcurrentReadError,
  ConnectionLostError,
  IncompleteReadError,
  LimitOverrunError,
} from './errors.js';
export { FlowControlProtocol, type StreamWriterProtocol } from './flow-control.js';
export {
  type OpenConnectionOptions,
  type OpenUnixConnectionOptions,
  openConnection,
  openUnixConnection,
} from './open-connection.js';
export {
  type StartServerOptions,
  type StartUnixServerOptions,
  startServer,
  startUnixServer,
} from './start-server.js';
export {
  type ReadOptions,
  type Separator,
  StreamReader,
  type StreamReaderOptions,
} from './stream-reader.js';
export { type ClientConnected, StreamReaderProtocol } from './stream-reader-protocol.js';
export { StreamWriter, type WriterTlsOptions } from './stream-writer.js';
