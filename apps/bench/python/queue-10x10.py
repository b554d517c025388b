"""queue-10x10: 10 producer(s) + 10 consumer(s), items through Queue(maxsize=100) (items/s)."""

from _queue import run_queue_workload

run_queue_workload(10)
