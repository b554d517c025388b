import { type ExceptionContext, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import type { BaseProtocol, BaseTransport } from '../src/index.js';
import { WriteFlowControl } from '../src/write-flow-control.js';

/** A transport that is only what the flow control asks of it: its protocol. */
function fakeTransport(protocol: BaseProtocol<never>): BaseTransport {
  return {
    close: () => {},
    isClosing: () => false,
    getExtraInfo: <V>(_name: string, defaultValue?: V) => defaultValue,
    getProtocol: () => protocol,
    setProtocol: () => {},
  };
}

function recording(loop: VirtualLoop) {
  const trace: string[] = [];
  const reports: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => reports.push(context));
  const protocol: BaseProtocol<never> = {
    pauseWriting: () => trace.push('pause'),
    resumeWriting: () => trace.push('resume'),
  };
  return { trace, reports, protocol };
}

describe('WriteFlowControl', () => {
  it('pauses above the high-water mark and resumes at the low one, strictly alternating', () => {
    const loop = new VirtualLoop();
    const { trace, protocol } = recording(loop);
    const flow = new WriteFlowControl(loop, fakeTransport(protocol), { high: 100, low: 10 });

    flow.maybePause(100); // at the mark: not above
    flow.maybePause(101);
    flow.maybePause(500); // already paused: not told twice
    const early = flow.canResume(11);
    const due = flow.canResume(10);
    flow.resume(true);
    flow.resume(true); // not paused any more: not told twice

    expect(trace).toEqual(['pause', 'resume']);
    expect([early, due]).toEqual([false, true]);
    expect(flow.paused).toBe(false);
  });

  it('flips to resumed without telling the protocol when the transport is closing', () => {
    const loop = new VirtualLoop();
    const { trace, protocol } = recording(loop);
    const flow = new WriteFlowControl(loop, fakeTransport(protocol), undefined);

    flow.maybePause(65_537);
    flow.resume(false);

    expect(trace).toEqual(['pause']);
    expect(flow.paused).toBe(false);
  });

  it('reports an exception of pauseWriting or resumeWriting and goes on', () => {
    const loop = new VirtualLoop();
    const { reports } = recording(loop);
    const failure = new Error('protocol bug');
    const protocol: BaseProtocol<never> = {
      pauseWriting: () => {
        throw failure;
      },
      resumeWriting: () => {
        throw failure;
      },
    };
    const transport = fakeTransport(protocol);
    const flow = new WriteFlowControl(loop, transport, { high: 1 });

    flow.maybePause(2);
    flow.resume(true);

    expect(reports).toEqual([
      { message: 'protocol.pauseWriting() failed', exception: failure, transport, protocol },
      { message: 'protocol.resumeWriting() failed', exception: failure, transport, protocol },
    ]);
  });

  it('applies new limits at once, and keeps the old ones when they are invalid', () => {
    const loop = new VirtualLoop();
    const { trace, protocol } = recording(loop);
    const flow = new WriteFlowControl(loop, fakeTransport(protocol), undefined);

    flow.setLimits({ high: 1_000 }, 1_001);

    expect(trace).toEqual(['pause']);
    expect(flow.limits()).toEqual({ high: 1_000, low: 250 });
    expect(() => flow.setLimits({ high: 1, low: 2 }, 0)).toThrow(
      new RangeError('limits.low must be <= limits.high; got low 2, high 1'),
    );
    expect(flow.limits()).toEqual({ high: 1_000, low: 250 });
  });

  it('asks for the write callback unless a write into an empty buffer cannot matter to resuming', () => {
    const loop = new VirtualLoop();
    const { protocol } = recording(loop);
    const flow = new WriteFlowControl(loop, fakeTransport(protocol), { high: 100, low: 30 });

    const small = flow.needsWriteCallback(0, 30); // at most low and at most high - low
    const behindOthers = flow.needsWriteCallback(1, 1); // the buffer holds bytes already
    const aboveLow = flow.needsWriteCallback(0, 31);
    flow.setLimits({ high: 100, low: 80 }, 0);
    const aboveHighMinusLow = flow.needsWriteCallback(0, 21); // its completion could reach low
    flow.maybePause(101);
    const whilePaused = flow.needsWriteCallback(0, 1);

    expect(small).toBe(false);
    expect([behindOthers, aboveLow, aboveHighMinusLow, whilePaused]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
