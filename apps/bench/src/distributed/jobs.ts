/*
 * The job of the distributed workloads (dist/distributed/jobs.js), the module every
 * coro-worker loads and the raw BullMQ workers call: as small as a job gets (x → 2x), so
 * what is measured is the trip through Redis.
 */
export function double(value: number): number {
  return 2 * value;
}
