// What `coro ps` and `coro pstree` print, from a process's IntrospectionSnapshot: the same
// tasks and edges as formatCallGraph() (a task sits under the task that waits for it).
import type { IntrospectionSnapshot, TaskSnapshot } from '@coro/futures';

/** `350 ms`, `12.3 s`, `4 min 05 s`; `≥` when only a lower bound is known; `-` if unknown. */
export function formatWaiting(task: TaskSnapshot): string {
  const ms = task.waitingMs;
  if (ms === null) return '-';
  const prefix = task.waitingAtLeast ? '≥' : '';
  if (ms < 1_000) return `${prefix}${ms} ms`;
  if (ms < 60_000) return `${prefix}${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1_000);
  return `${prefix}${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

function header(snapshot: IntrospectionSnapshot): string {
  const count = snapshot.tasks.length;
  return `pid ${snapshot.pid} (node ${snapshot.node}: ${snapshot.argv.join(' ')}): ${count} pending task${count === 1 ? '' : 's'}`;
}

/** Who waits for each task: id → the ids of the tasks that wait for it. */
function awaitersById(snapshot: IntrospectionSnapshot): Map<number, number[]> {
  const awaiters = new Map<number, number[]>();
  for (const task of snapshot.tasks) {
    for (const id of task.waitsFor) {
      const list = awaiters.get(id) ?? [];
      list.push(task.id);
      awaiters.set(id, list);
    }
  }
  return awaiters;
}

/** `coro ps`: one row per task (as Python 3.14's `asyncio ps`), aligned columns. */
export function formatTaskTable(snapshot: IntrospectionSnapshot): string {
  const awaiters = awaitersById(snapshot);
  const rows = [['ID', 'NAME', 'STATE', 'FOR', 'AWAITED BY', 'AWAITS']];
  for (const task of snapshot.tasks) {
    rows.push([
      String(task.id),
      task.name,
      task.state,
      formatWaiting(task),
      (awaiters.get(task.id) ?? []).join(',') || '-',
      task.awaiting ?? (task.state === 'foreign' ? 'a foreign promise or its next step' : '-'),
    ]);
  }
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] as string).length)),
  ) as number[];
  const lines = rows.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1
          ? cell
          : column === 0
            ? cell.padStart(widths[column] as number)
            : cell.padEnd(widths[column] as number),
      )
      .join('  ')
      .trimEnd(),
  );
  return [header(snapshot), ...lines].join('\n');
}

function describeTask(task: TaskSnapshot): string {
  const name = `Task '${task.name}' #${task.id}`;
  if (task.state === 'not started') return `${name} not started yet`;
  if (task.awaiting === null) return `${name} awaiting a foreign promise or its next step`;
  return `${name} waiting ${formatWaiting(task)} for ${task.awaiting}`;
}

/** `coro pstree`: each task under the task that waits for it, roots first (who waits for nobody). */
export function formatTaskTree(snapshot: IntrospectionSnapshot): string {
  const byId = new Map(snapshot.tasks.map((task) => [task.id, task]));
  const awaited = new Set(snapshot.tasks.flatMap((task) => task.waitsFor));
  const lines = [header(snapshot)];
  const seen = new Set<number>();
  const walk = (task: TaskSnapshot, prefix: string, last: boolean): void => {
    const branch = last ? '└── ' : '├── ';
    if (seen.has(task.id)) {
      lines.push(`${prefix}${branch}Task '${task.name}' #${task.id} (see above: a cycle)`);
      return;
    }
    seen.add(task.id);
    lines.push(`${prefix}${branch}${describeTask(task)}`);
    const children = task.waitsFor
      .map((id) => byId.get(id))
      .filter((child): child is TaskSnapshot => child !== undefined);
    children.forEach((child, index) => {
      walk(child, `${prefix}${last ? '    ' : '│   '}`, index === children.length - 1);
    });
  };
  const roots = snapshot.tasks.filter((task) => !awaited.has(task.id));
  roots.forEach((task, index) => {
    walk(task, '', index === roots.length - 1);
  });
  const rest = snapshot.tasks.filter((task) => !seen.has(task.id)); // only cycles are left
  rest.forEach((task, index) => {
    if (!seen.has(task.id)) walk(task, '', index === rest.length - 1);
  });
  return lines.join('\n');
}
