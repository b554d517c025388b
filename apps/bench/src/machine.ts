import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Runtimes } from './peers.js';

/** What results/latest.json records about the machine and the interpreters. */
export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: Record<string, string>;
  python: string | null;
  uvloop: string | null;
  /** The commit measured, `-dirty` when packages/ had uncommitted changes. */
  commit: string | null;
  date: string;
}

export function describeMachine(runtimes: Runtimes): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${distribution() ?? os.type()}, ${os.type()} ${os.release()} ${os.arch()}`,
    node: Object.fromEntries(runtimes.node.map((runtime) => [runtime.label, runtime.version])),
    python: runtimes.python?.version ?? null,
    uvloop: runtimes.uvloopVersion ?? null,
    commit: commitMeasured(),
    date: new Date().toISOString(),
  };
}

/** PRETTY_NAME from /etc/os-release, where there is one. */
function distribution(): string | undefined {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1];
  } catch {
    return undefined;
  }
}

/** HEAD's short hash, with `-dirty` if the packages' sources differ from it. */
function commitMeasured(): string | null {
  const git = (args: string[]): string | undefined => {
    const result = spawnSync('git', args, { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head === undefined) return null;
  const root = git(['rev-parse', '--show-toplevel']);
  const changes =
    root === undefined ? '' : git(['-C', root, 'status', '--porcelain', '--', 'packages']);
  return changes === undefined || changes === '' ? head : `${head}-dirty`;
}
