// `coro ps PID` and `coro pstree PID`: reads the snapshot a process serves on its
// introspection socket (enableIntrospection() in @coro/futures) and prints it.
import { lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import {
  INTROSPECTION_VERSION,
  type IntrospectionSnapshot,
  introspectionSocketPath,
} from '@coro/futures';
import { formatTaskTable, formatTaskTree } from './format.js';

const USAGE = `usage: coro ps PID        the tasks of a running Node.js process that uses coro
       coro pstree PID    the same tasks as a tree: each under the task that awaits it

options:
  --json           print the snapshot as JSON instead
  --socket PATH    read from this socket instead of the one of PID

The process must have called enableIntrospection() (from 'coro' or '@coro/futures'); it
then listens on <tmpdir>/coro-<uid>/<pid>.sock, reachable only by the same user.`;

/** Reads one snapshot from the socket at `path`. */
export function readSnapshot(path: string, timeoutMs = 10_000): Promise<IntrospectionSnapshot> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${path}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as IntrospectionSnapshot);
      } catch (error) {
        reject(new Error(`${path} sent something that is not a coro snapshot: ${error}`));
      }
    });
  });
}

/** Refuses a socket that is not one, or that another user owns (it could be a decoy). */
function checkSocket(path: string, pid: string): string | null {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return `no coro introspection socket for pid ${pid} at ${path}: the process must call enableIntrospection() (and run as this user, with the same TMPDIR)`;
  }
  if (!stat.isSocket()) return `${path} is not a socket`;
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && stat.uid !== uid) {
    return `${path} belongs to uid ${stat.uid}, not to you (uid ${uid}): refusing it`;
  }
  return null;
}

/** Runs the command with `args` (without `node` and the script); returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    console.error(`coro: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, pid] = positionals;
  if ((command !== 'ps' && command !== 'pstree') || positionals.length !== 2) {
    console.error(USAGE);
    return 2;
  }
  if (!/^[1-9]\d*$/.test(pid as string)) {
    console.error(`coro: PID must be a positive integer; got ${JSON.stringify(pid)}`);
    return 2;
  }
  const path = values.socket ?? introspectionSocketPath(Number(pid));
  const problem = checkSocket(path, pid as string);
  if (problem !== null) {
    console.error(`coro: ${problem}`);
    return 1;
  }
  let snapshot: IntrospectionSnapshot;
  try {
    snapshot = await readSnapshot(path);
  } catch (error) {
    console.error(`coro: cannot read ${path}: ${(error as Error).message}`);
    return 1;
  }
  if (snapshot.version !== INTROSPECTION_VERSION) {
    console.error(
      `coro: pid ${pid} speaks introspection version ${snapshot.version}; this coro reads version ${INTROSPECTION_VERSION}`,
    );
    return 1;
  }
  if (values.json) console.log(JSON.stringify(snapshot, null, 2));
  else console.log(command === 'ps' ? formatTaskTable(snapshot) : formatTaskTree(snapshot));
  return 0;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      socket: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
