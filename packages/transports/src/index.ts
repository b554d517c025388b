export type {
  BaseProtocol,
  BufferedProtocol,
  DatagramProtocol,
  Protocol,
  ProtocolFactory,
  SocketAddress,
  SubprocessProtocol,
} from './protocols.js';
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
