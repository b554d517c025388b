// Test helpers shared by the tests of several coro packages. Only for tests: the
// package is private, and its exports point at these TypeScript sources (vitest and
// tsc read them as they are, nothing is built).
export { type Certificates, certificates } from './certificates.js';
export { type RawServer, rawServer } from './raw-server.js';
export { freePort, type RedisServer, startRedis } from './redis-server.js';
export { rejection, until } from './settling.js';
