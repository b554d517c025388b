import net from 'node:net';
import { Queue } from 'coro';
import { execute } from './examples/mini-redis/commands.js';
import { PubSub } from './examples/mini-redis/pubsub.js';
import { RespParser } from './examples/mini-redis/resp.js';
import { Store } from './examples/mini-redis/store.js';

const store = new Store(() => performance.now());
const pubsub = new PubSub();
const server = net.createServer({ noDelay: true }, (socket) => {
  const parser = new RespParser();
  const session = {
    store,
    pubsub,
    subscriber: { channels: new Set<string>(), outbox: new Queue<string>(), tooSlow() {} },
    quit: false,
  };
  socket.on('data', (data) => {
    parser.push(data);
    let replies = '';
    for (let c = parser.next(); c !== undefined; c = parser.next()) replies += execute(session, c);
    socket.write(Buffer.from(replies, 'latin1'));
  });
  socket.on('error', () => {});
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
