"""The Celery app of the distributed workloads: one task, x -> 2x, JSON on a Redis broker."""

import os

from celery import Celery

app = Celery("bench", broker=os.environ["CORO_BENCH_REDIS"], backend=os.environ["CORO_BENCH_REDIS"])
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task
def double(value):
    return 2 * value
