/*
 * The dispatch policy alone (src/dispatch-policy.ts): plain data in, decisions out. No
 * thread, no process, no timer; test/dispatch.test.ts checks the same rules end to end.
 */
import { describe, expect, it } from 'vitest';
import {
  BATCH_TARGET_MS,
  batchSize,
  type Dealer,
  dealRounds,
  earlierJobMs,
  type JobView,
  jobsToHand,
  learnedAverage,
  MAX_BATCH,
  roundShare,
  TIMING_WEIGHT,
} from '../src/dispatch-policy.js';

/** A queue of jobs and some workers, as the policy sees them; records every hand-out. */
class FakeDealer implements Dealer<number> {
  readonly queue: JobView[];
  readonly holding: JobView[][];
  readonly handed: Array<[worker: number, count: number]> = [];
  constructor(jobs: JobView[], workers: number) {
    this.queue = [...jobs];
    this.holding = Array.from({ length: workers }, () => []);
  }
  queued(): number {
    return this.queue.length;
  }
  front(): JobView | undefined {
    return this.queue[0];
  }
  accepts(): boolean {
    return true;
  }
  held(worker: number): number {
    return this.holding[worker]?.length ?? 0;
  }
  oldestBatch(worker: number): number {
    return this.holding[worker]?.[0]?.batch ?? 0;
  }
  hand(worker: number, count: number): void {
    // As PoolExecutor does: the first job, then those that may share its message.
    const taken: JobView[] = [this.queue.shift() as JobView];
    while (taken.length < count && this.queue[0] !== undefined && this.queue[0].batch > 1) {
      taken.push(this.queue.shift() as JobView);
    }
    this.holding[worker]?.push(...taken);
    this.handed.push([worker, taken.length]);
  }
}

const short = (batch: number): JobView => ({ batch, suspect: false });
const long: JobView = { batch: 1, suspect: false };

describe('jobsToHand', () => {
  it('hands a job that travels alone (long, unmeasured or suspect) only to an idle worker', () => {
    expect(jobsToHand(0, 0, long, 8)).toBe(1);
    expect(jobsToHand(1, 16, long, 8)).toBe(0);
    expect(jobsToHand(0, 0, { batch: 16, suspect: true }, 8)).toBe(1);
    expect(jobsToHand(2, 16, { batch: 16, suspect: true }, 8)).toBe(0);
  });

  it('hands nothing more to a worker whose oldest job travels alone', () => {
    expect(jobsToHand(1, 1, short(16), 8)).toBe(0);
  });

  it("hands the round's share, capped by the batch size", () => {
    expect(jobsToHand(0, 0, short(16), 5)).toBe(5);
    expect(jobsToHand(0, 0, short(16), 40)).toBe(16);
  });

  it('waits until a whole batch fits in twice the batch size', () => {
    expect(jobsToHand(16, 16, short(16), 16)).toBe(16); // 32 - 16 = 16: it fits
    expect(jobsToHand(17, 16, short(16), 16)).toBe(0); // one short: wait for a report
  });
});

describe('roundShare', () => {
  it('splits the queued jobs evenly, rounding up', () => {
    expect(roundShare(8, 2)).toBe(4);
    expect(roundShare(9, 2)).toBe(5);
    expect(roundShare(1, 4)).toBe(1);
  });
});

describe('dealRounds', () => {
  it('splits short jobs queued at once evenly between the workers', () => {
    const dealer = new FakeDealer(
      Array.from({ length: 8 }, () => short(64)),
      2,
    );

    dealRounds(dealer, [0, 1], 2);

    expect(dealer.handed).toEqual([
      [0, 4],
      [1, 4],
    ]);
    expect(dealer.queued()).toBe(0);
  });

  it('gives long jobs one at a time, one per idle worker, and keeps the rest queued', () => {
    const dealer = new FakeDealer([long, long, long], 2);

    dealRounds(dealer, [0, 1], 2);

    expect(dealer.handed).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(dealer.queued()).toBe(1);
  });

  it('ends a batch before a job that travels alone', () => {
    const dealer = new FakeDealer([short(8), short(8), long, short(8)], 1);

    dealRounds(dealer, [0], 1);

    expect(dealer.handed).toEqual([[0, 2]]); // the long job waits for an idle worker
    expect(dealer.queue).toEqual([long, short(8)]);
  });

  it('deals in several rounds when the share is capped by the batch size', () => {
    const dealer = new FakeDealer(
      Array.from({ length: 12 }, () => short(2)),
      2,
    );

    dealRounds(dealer, [0, 1], 2);

    // Each round: 2 each (the batch), until each holds 2 × batch = 4.
    expect(dealer.handed).toEqual([
      [0, 2],
      [1, 2],
      [0, 2],
      [1, 2],
    ]);
    expect(dealer.queued()).toBe(4);
  });
});

describe('learning batch sizes', () => {
  it('sends jobs of a function not measured yet, or measured long, one at a time', () => {
    expect(batchSize(Number.NaN)).toBe(1);
    expect(batchSize(0.5)).toBe(1);
    expect(batchSize(50)).toBe(1);
  });

  it(`sizes batches of short jobs to about ${BATCH_TARGET_MS} ms of work, at most ${MAX_BATCH}`, () => {
    expect(batchSize(0.1)).toBe(20);
    expect(batchSize(0.25)).toBe(8);
    expect(batchSize(0)).toBe(MAX_BATCH);
  });

  it('takes the first measurement as it is, then a moving average', () => {
    expect(learnedAverage(Number.NaN, 4)).toBe(4);
    expect(learnedAverage(4, 14)).toBeCloseTo(4 * (1 - TIMING_WEIGHT) + 14 * TIMING_WEIGHT);
  });

  it('shares what the jobs before the last took evenly among them', () => {
    expect(earlierJobMs(10, 4, 4)).toBe(2);
    expect(earlierJobMs(3, 3, 1)).toBe(0);
    expect(earlierJobMs(1, 2, 3)).toBe(0); // clock noise never makes a negative time
  });
});
