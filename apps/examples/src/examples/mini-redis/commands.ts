/*
 * commands: what each command does, as a table of name → { arity, run }.
 *
 * `execute()` looks the command up, checks its argument count and runs it. Each command
 * returns its reply already encoded (a latin1 string, see resp.ts), so the server only
 * concatenates the replies of a batch. Error texts are redis's own, so clients and
 * tests that know redis see what they expect.
 */

import { globMatch } from './glob.js';
import type { PubSub, Subscriber } from './pubsub.js';
import { array, bulk, bulkArray, type Command, error, integer, NIL, OK, simple } from './resp.js';
import type { Store } from './store.js';

/** One connection's view of the server: what its commands act on. */
export interface Session {
  readonly store: Store;
  readonly pubsub: PubSub;
  /** This connection as a subscriber: its channels and outbox. */
  readonly subscriber: Subscriber;
  /** Set by QUIT: the connection closes once the replies so far are written. */
  quit: boolean;
  /** What CONFIG GET answers: setting name → value, as redis-server spells them. */
  readonly config: Readonly<Record<string, string>>;
}

interface CommandSpec {
  /** Argument count including the name: n exactly, or at least -n when negative (redis's convention). */
  arity: number;
  run(session: Session, args: Command): string;
}

const SYNTAX_ERROR = error('ERR syntax error');
const NOT_AN_INTEGER = error('ERR value is not an integer or out of range');
const PONG = simple('PONG');
/** Commands a connection may send while subscribed (RESP2's subscribed mode). */
const ALLOWED_WHEN_SUBSCRIBED = new Set(['subscribe', 'unsubscribe', 'ping', 'quit']);

const table: Record<string, CommandSpec> = {
  ping: { arity: -1, run: ping },
  echo: { arity: 2, run: (_, [, message]) => bulk(message) },
  get: { arity: 2, run: ({ store }, [, key]) => bulk(store.get(key!)) },
  set: { arity: -3, run: set },
  del: { arity: -2, run: ({ store }, args) => integer(count(args, (key) => store.delete(key))) },
  exists: { arity: -2, run: ({ store }, args) => integer(count(args, (key) => store.has(key))) },
  incr: { arity: 2, run: (session, [, key]) => incrementBy(session, key!, 1n) },
  decr: { arity: 2, run: (session, [, key]) => incrementBy(session, key!, -1n) },
  incrby: { arity: 3, run: incrby },
  expire: { arity: 3, run: (session, args) => expire(session, args, 1000) },
  pexpire: { arity: 3, run: (session, args) => expire(session, args, 1) },
  ttl: { arity: 2, run: ({ store }, [, key]) => integer(toSeconds(store.ttl(key!))) },
  pttl: { arity: 2, run: ({ store }, [, key]) => integer(store.ttl(key!)) },
  keys: { arity: 2, run: ({ store }, [, pattern]) => bulkArray(store.keys(pattern!)) },
  dbsize: { arity: 1, run: ({ store }) => integer(store.size) },
  flushall: { arity: -1, run: flush },
  flushdb: { arity: -1, run: flush },
  publish: {
    arity: 3,
    run: ({ pubsub }, [, channel, message]) => integer(pubsub.publish(channel!, message!)),
  },
  subscribe: { arity: -2, run: subscribe },
  unsubscribe: { arity: -1, run: unsubscribe },
  quit: { arity: -1, run: quit },
  config: { arity: -2, run: config },
  command: { arity: -1, run: () => '*0\r\n' }, // redis-cli asks for command docs: none here
};

/**
 * The table by the spellings clients send: lower and upper case. A command in another
 * case ("Get") is lower-cased first; the common spellings cost no string allocation.
 */
const commands = new Map<string, { name: string; spec: CommandSpec }>();
for (const [name, spec] of Object.entries(table)) {
  commands.set(name, { name, spec });
  commands.set(name.toUpperCase(), { name, spec });
}

/** Runs one command and returns its encoded reply (an error reply if it fails). */
export function execute(session: Session, args: Command): string {
  const entry = commands.get(args[0]!) ?? commands.get(args[0]!.toLowerCase());
  if (entry === undefined) return unknownCommand(args);
  const { name, spec } = entry;
  if (spec.arity > 0 ? args.length !== spec.arity : args.length < -spec.arity) {
    return error(`ERR wrong number of arguments for '${name}' command`);
  }
  if (session.subscriber.channels.size > 0 && !ALLOWED_WHEN_SUBSCRIBED.has(name)) {
    return error(
      `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
  }
  return spec.run(session, args);
}

function unknownCommand(args: Command): string {
  // redis quotes the first arguments, up to about 128 characters of them.
  let beginning = '';
  for (const arg of args.slice(1)) {
    if (beginning.length >= 128) break;
    beginning += `'${arg.slice(0, 128)}' `;
  }
  return error(`ERR unknown command '${args[0]}', with args beginning with: ${beginning}`);
}

function ping(session: Session, args: Command): string {
  if (args.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  // A subscribed connection gets PING as a pub/sub-style array, as redis sends it.
  if (session.subscriber.channels.size > 0) return bulkArray(['pong', args[1] ?? '']);
  return args.length === 2 ? bulk(args[1]) : PONG;
}

/** SET key value [NX | XX] [EX seconds | PX milliseconds] */
function set({ store }: Session, args: Command): string {
  const key = args[1]!;
  const value = args[2]!;
  let condition: 'nx' | 'xx' | undefined;
  let ttlMs: number | undefined;
  for (let index = 3; index < args.length; index++) {
    const option = args[index]!.toLowerCase();
    if ((option === 'nx' || option === 'xx') && condition === undefined) {
      condition = option;
    } else if ((option === 'ex' || option === 'px') && ttlMs === undefined) {
      const amount = parseInteger(args[++index]);
      if (amount === undefined) return index < args.length ? NOT_AN_INTEGER : SYNTAX_ERROR;
      if (amount <= 0) return error("ERR invalid expire time in 'set' command");
      ttlMs = option === 'ex' ? amount * 1000 : amount;
    } else {
      return SYNTAX_ERROR;
    }
  }
  if (condition !== undefined && store.has(key) !== (condition === 'xx')) return NIL;
  store.set(key, value, ttlMs);
  return OK;
}

function incrby(session: Session, [, key, amount]: Command): string {
  const increment = parseBigInteger(amount!);
  return increment === undefined ? NOT_AN_INTEGER : incrementBy(session, key!, increment);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** INCR and friends: values are strings holding a 64-bit integer, as in redis. */
function incrementBy({ store }: Session, key: string, increment: bigint): string {
  const current = store.get(key);
  const value = current === undefined ? 0n : parseBigInteger(current);
  if (value === undefined) return NOT_AN_INTEGER;
  const result = value + increment;
  if (result < INT64_MIN || result > INT64_MAX) {
    return error('ERR increment or decrement would overflow');
  }
  const text = String(result);
  if (current === undefined) store.set(key, text);
  else store.replace(key, text); // INCR keeps the key's TTL
  return integer(text);
}

/** EXPIRE key seconds, PEXPIRE key milliseconds. */
function expire({ store }: Session, [name, key, amount]: Command, unitMs: number): string {
  const time = parseInteger(amount);
  if (time === undefined) return NOT_AN_INTEGER;
  const ttlMs = time * unitMs;
  if (!Number.isSafeInteger(ttlMs)) {
    return error(`ERR invalid expire time in '${name!.toLowerCase()}' command`);
  }
  return integer(store.expire(key!, ttlMs) ? 1 : 0);
}

/** TTL in seconds, rounded as redis does; -1 and -2 pass through. */
function toSeconds(ttlMs: number): number {
  return ttlMs < 0 ? ttlMs : Math.floor((ttlMs + 500) / 1000);
}

function flush({ store }: Session, args: Command): string {
  if (args.length > 2) return SYNTAX_ERROR; // FLUSHALL [ASYNC | SYNC]
  store.clear();
  return OK;
}

/** SUBSCRIBE channel...: one confirmation per channel, with the running count. */
function subscribe({ pubsub, subscriber }: Session, args: Command): string {
  let reply = '';
  for (const channel of args.slice(1)) {
    const count = pubsub.subscribe(subscriber, channel);
    reply += array([bulk('subscribe'), bulk(channel), integer(count)]);
  }
  return reply;
}

/** UNSUBSCRIBE [channel...]: none given means all of them. */
function unsubscribe({ pubsub, subscriber }: Session, args: Command): string {
  const channels = args.length > 1 ? args.slice(1) : [...subscriber.channels];
  if (channels.length === 0) return array([bulk('unsubscribe'), NIL, integer(0)]);
  let reply = '';
  for (const channel of channels) {
    const count = pubsub.unsubscribe(subscriber, channel);
    reply += array([bulk('unsubscribe'), bulk(channel), integer(count)]);
  }
  return reply;
}

function quit(session: Session): string {
  session.quit = true;
  return OK;
}

/** CONFIG GET pattern...: the matching settings, as name/value pairs. */
function config(session: Session, args: Command): string {
  const subcommand = args[1]!.toLowerCase();
  if (subcommand !== 'get') {
    return error(`ERR unknown subcommand '${args[1]}'. Try CONFIG HELP.`);
  }
  if (args.length < 3) return error("ERR wrong number of arguments for 'config|get' command");
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(session.config)) {
    if (args.slice(2).some((pattern) => globMatch(pattern.toLowerCase(), name))) {
      pairs.push(name, value);
    }
  }
  return bulkArray(pairs);
}

/** How many of the keys in `args` (after the name) satisfy `test`. */
function count(args: Command, test: (key: string) => boolean): number {
  let total = 0;
  for (let index = 1; index < args.length; index++) if (test(args[index]!)) total++;
  return total;
}

const INTEGER = /^-?(?:0|[1-9][0-9]{0,18})$/;

/** A 64-bit decimal integer as redis reads one (no sign, spaces or leading zeros). */
function parseBigInteger(text: string): bigint | undefined {
  if (!INTEGER.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** A decimal integer that fits a JS number exactly (TTLs), or `undefined`. */
function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined || !INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
