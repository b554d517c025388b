// coro: every coro package behind one import, as `import asyncio` is in Python.
// Re-exports only (DESIGN §3).

export * from '@coro/futures';
export * from '@coro/loop';
export * from '@coro/queues';
export * from '@coro/streams';
export * from '@coro/sync';
export * from '@coro/transports';
export * from '@coro/workers';
