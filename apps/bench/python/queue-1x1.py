"""queue-1x1: 1 producer(s) + 1 consumer(s), items through Queue(maxsize=100) (items/s)."""

from _queue import run_queue_workload

run_queue_workload(1)
