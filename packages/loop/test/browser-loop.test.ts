import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrowserLoop } from '../src/index.js';

/** A MessagePort stand-in: postMessage delivers to the other port in a later setTimeout. */
class FakePort {
  onmessage: ((event: unknown) => void) | null = null;
  peer: FakePort | null = null;
  posted = 0;
  closed = false;
  unrefCalled = false;

  postMessage(message: unknown): void {
    this.posted++;
    const peer = this.peer;
    setTimeout(() => {
      if (peer !== null && !peer.closed) peer.onmessage?.({ data: message });
    }, 0);
  }

  close(): void {
    this.closed = true;
  }

  unref(): void {
    this.unrefCalled = true;
  }
}

class FakeMessageChannel {
  static instances: FakeMessageChannel[] = [];
  readonly port1 = new FakePort();
  readonly port2 = new FakePort();

  constructor() {
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
    FakeMessageChannel.instances.push(this);
  }
}

/** Resolves after a real setTimeout(0), letting fake port messages through. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('BrowserLoop with a MessageChannel', () => {
  beforeEach(() => {
    FakeMessageChannel.instances = [];
    vi.stubGlobal('MessageChannel', FakeMessageChannel);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('runs callSoon callbacks FIFO, woken by a message on its channel', async () => {
    const loop = new BrowserLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => trace.push('a'));
      loop.callSoon((value: string) => trace.push(value), 'b');
      loop.callSoon(resolve);
    });

    expect(trace).toEqual(['a', 'b']);
    expect(FakeMessageChannel.instances).toHaveLength(1);
    expect(FakeMessageChannel.instances[0]?.port2.posted).toBeGreaterThanOrEqual(1);
  });

  it('creates one channel and reuses it for every wake-up', async () => {
    const loop = new BrowserLoop();

    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => loop.callSoon(resolve));
      await turn();
    }

    expect(FakeMessageChannel.instances).toHaveLength(1);
    expect(FakeMessageChannel.instances[0]?.port2.posted).toBe(5);
  });

  it('unrefs the receiving port where the host can, so pending work does not hold the process', async () => {
    const loop = new BrowserLoop();

    await new Promise<void>((resolve) => loop.callSoon(resolve));

    expect(FakeMessageChannel.instances[0]?.port1.unrefCalled).toBe(true);
  });

  it("runs without Node's setImmediate", async () => {
    vi.stubGlobal('setImmediate', undefined);
    const loop = new BrowserLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => trace.push('soon'));
      loop.callLater(1, () => {
        trace.push('timer');
        resolve();
      });
    });

    expect(trace).toEqual(['soon', 'timer']);
  });

  it('closes both ports and drops pending work on close()', async () => {
    const loop = new BrowserLoop();
    const trace: string[] = [];
    await new Promise<void>((resolve) => loop.callSoon(resolve)); // the channel exists now
    loop.callSoon(() => trace.push('soon'));
    loop.callLater(1, () => trace.push('timer'));

    loop.close();
    await new Promise((resolve) => setTimeout(resolve, 10));

    const channel = FakeMessageChannel.instances[0];
    expect(channel?.port1.closed).toBe(true);
    expect(channel?.port2.closed).toBe(true);
    expect(trace).toEqual([]);
  });
});

describe('BrowserLoop without a MessageChannel', () => {
  beforeEach(() => {
    vi.stubGlobal('MessageChannel', undefined);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('falls back to setTimeout(0) to run callSoon callbacks', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const loop = new BrowserLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => trace.push('a'));
      loop.callSoon(() => trace.push('b'));
      loop.callSoon(resolve);
    });

    expect(trace).toEqual(['a', 'b']);
    expect(setTimeoutSpy.mock.calls.some((call) => call[1] === 0)).toBe(true);
  });

  it('closes cleanly without a channel', () => {
    const loop = new BrowserLoop();
    loop.callSoon(() => {});

    loop.close();

    expect(loop.isClosed()).toBe(true);
  });
});

describe('BrowserLoop sources', () => {
  it('import no Node built-in, directly or through the modules they use', () => {
    const sources = new URL('../src/', import.meta.url);
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(fileURLToPath(new URL(file, sources)), 'utf8');
      for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
        if (specifier.startsWith('./')) visit(specifier.slice(2).replace(/\.js$/, '.ts'));
        else nodeImports.push(`${file}: ${specifier}`);
      }
    };

    visit('browser-loop.ts');

    expect(seen.has('base-loop.ts')).toBe(true);
    expect(nodeImports).toEqual([]);
  });
});
