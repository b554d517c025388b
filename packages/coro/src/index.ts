// coro: every coro package behind one import, as `import asyncio` is in Python.
// Re-exports only; each package grows here as it lands (DESIGN §3).

export * from '@coro/futures';
export * from '@coro/loop';
export * from '@coro/queues';
export * from '@coro/sync';
