"""The worker's loop: call every task in settings.WORKER_TASKS, rest when there was nothing to do."""
import logging
import time
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("console.worker")


def load_tasks(paths: list[str]) -> list[tuple[str, Callable[[], int]]]:
    tasks = []
    for path in paths:
        module_name, function_name = path.rsplit(".", 1)
        tasks.append((path, getattr(import_module(module_name), function_name)))
    return tasks


def run_round(tasks: list[tuple[str, Callable[[], int]]]) -> int:
    """Run each task once; a failing task is logged and does not stop the others. Returns the work done."""
    done = 0
    for path, task in tasks:
        close_old_connections()
        try:
            done += task() or 0
        except Exception:
            logger.exception("worker task %s failed", path)
    return done


def run_forever(*, rounds: int | None = None, idle_seconds: float | None = None) -> None:
    """Loop over the tasks (`rounds` bounds the loop for tests); sleep only after an idle round."""
    tasks = load_tasks(settings.WORKER_TASKS)
    idle = settings.WORKER_IDLE_SECONDS if idle_seconds is None else idle_seconds
    completed = 0
    while rounds is None or completed < rounds:
        if run_round(tasks) == 0:
            time.sleep(idle)
        completed += 1
