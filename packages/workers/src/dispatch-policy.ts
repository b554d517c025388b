/*
 * dispatch-policy: how a pool deals its queued jobs out to its workers, and how it learns
 * the batch size of each job function. Pure functions over small views of the queue and
 * the workers (no thread, no timer), so the rules are unit-tested in microseconds
 * (test/dispatch-policy.test.ts); PoolExecutor plugs its queue and workers in as a Dealer.
 *
 * Invariants
 *   1. Batches are sized per job function (a function's source, an export's name), from
 *      that function's measured job time: `batch` is about BATCH_TARGET_MS of work per
 *      message, and 1 while its jobs are long (> SHORT_JOB_MS) or not yet measured; one
 *      function's timing never sizes another's batches.
 *   2. A job that travels alone (its function's batch is 1, or it is suspect: its worker
 *      died with it unreported) goes only to an idle worker, and a worker whose oldest job
 *      travels alone is handed nothing more until it reports: long jobs never queue
 *      behind each other in one worker while another is free.
 *   3. A batch holds jobs that do not travel alone (it ends before one), and a worker
 *      holds at most `2 × batch` jobs of the front job's function; it is handed a batch
 *      only when a whole one fits (topping up one job per report would cost a message
 *      per job again).
 *   4. Dealing goes in rounds, one batch per worker per round; each worker's share in a
 *      round is the queued jobs at the start of the round / maxWorkers, rounded up,
 *      capped by `batch`, so jobs queued at once split evenly between the workers.
 *   5. A results message times its last job on its own; the others (each at most the
 *      runtime's FLUSH_AFTER_MS) share the rest of the elapsed time evenly.
 */

/** The moving average's weight of a new measurement. */
export const TIMING_WEIGHT = 0.3;
/** Work (ms) a batch should hold: enough to hide a message's cost. */
export const BATCH_TARGET_MS = 2;
/** The most jobs in one message (a worker holds at most twice this). */
export const MAX_BATCH = 128;
/** Jobs whose measured time is above this travel alone. */
export const SHORT_JOB_MS = 0.5;

/** @internal What the policy needs to know of a queued job. */
export interface JobView {
  /** Its function's batch size (1: it travels alone). */
  readonly batch: number;
  /** Its worker died with it and others unreported: it travels alone (invariant 2). */
  readonly suspect: boolean;
}

/** @internal Whether `job` must travel alone, to an idle worker (invariant 2). */
export function travelsAlone(job: JobView): boolean {
  return job.suspect || job.batch === 1;
}

/** @internal A round's share per worker (invariant 4). */
export function roundShare(queued: number, maxWorkers: number): number {
  return Math.ceil(queued / maxWorkers);
}

/**
 * @internal How many jobs to hand a worker that holds `held` jobs (the oldest of a
 * function whose batch is `oldestBatch`), from a queue whose front is `front`, in a
 * round whose share is `share`; 0 means none now (invariants 2 and 3).
 */
export function jobsToHand(
  held: number,
  oldestBatch: number,
  front: JobView,
  share: number,
): number {
  if (travelsAlone(front)) return held > 0 ? 0 : 1;
  // Busy with a job that travels alone: what it would get should go to a free worker.
  if (held > 0 && oldestBatch === 1) return 0;
  const wanted = Math.min(front.batch, share);
  return 2 * front.batch - held < wanted ? 0 : wanted;
}

/** @internal The queue and workers a pool deals from, as the policy sees them. */
export interface Dealer<W> {
  /** Live queued jobs. */
  queued(): number;
  /** The first live queued job. */
  front(): JobView | undefined;
  /** Whether `worker` takes jobs (not retiring, not exited). */
  accepts(worker: W): boolean;
  /** Jobs `worker` holds (handed, not yet reported). */
  held(worker: W): number;
  /** The batch size of the function of `worker`'s oldest held job (0 if none). */
  oldestBatch(worker: W): number;
  /** Hands `worker` up to `count` jobs from the front: one batch (invariant 3). */
  hand(worker: W, count: number): void;
}

/**
 * @internal Hands `worker` one batch of at most `share` jobs if the policy lets it;
 * says whether it did.
 */
export function feed<W>(dealer: Dealer<W>, worker: W, share: number): boolean {
  const front = dealer.front();
  if (front === undefined) return false;
  const count = jobsToHand(dealer.held(worker), dealer.oldestBatch(worker), front, share);
  if (count === 0) return false;
  dealer.hand(worker, count);
  return true;
}

/**
 * @internal Deals queued jobs to `workers` in rounds until no worker can take more or the
 * queue is empty (invariant 4).
 */
export function dealRounds<W>(dealer: Dealer<W>, workers: readonly W[], maxWorkers: number): void {
  let progress = true;
  while (progress && dealer.queued() > 0) {
    progress = false;
    // Fixed at the start of the round, so the workers of one round get the same.
    const share = roundShare(dealer.queued(), maxWorkers);
    for (const worker of workers) {
      if (dealer.queued() === 0) return;
      if (dealer.accepts(worker) && feed(dealer, worker, share)) progress = true;
    }
  }
}

/** @internal A function's moving average (ms) after a job that took `jobMs` (NaN: none yet). */
export function learnedAverage(averageMs: number, jobMs: number): number {
  return Number.isNaN(averageMs) ? jobMs : averageMs * (1 - TIMING_WEIGHT) + jobMs * TIMING_WEIGHT;
}

/** @internal The batch size for a function whose jobs take `averageMs` (invariant 1). */
export function batchSize(averageMs: number): number {
  if (!(averageMs < SHORT_JOB_MS)) return 1; // long, or NaN: not measured
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_TARGET_MS / Math.max(averageMs, 1e-4))));
}

/**
 * @internal What each job of a results message but the last took, when `count` jobs took
 * `elapsedMs` in all and the last `lastMs` (invariant 5).
 */
export function earlierJobMs(elapsedMs: number, lastMs: number, count: number): number {
  return count > 1 ? Math.max(0, elapsedMs - lastMs) / (count - 1) : 0;
}
