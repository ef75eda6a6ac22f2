"""Functions `manage.py run_worker` calls every round (settings.WORKER_TASKS); each returns how
many items it handled."""
import time

from django.conf import settings
from django.utils import timezone

from console.audit import Actor
from licensing.ratelimit import rate_buckets_delete_before
from licensing.services import licences_mark_expired


def licences_expire_due() -> int:
    """Licences whose validity ended move to Expired (and show so on lists) even if no client asks."""
    return licences_mark_expired(actor=Actor.worker(), today=timezone.localdate())


def rate_buckets_prune() -> int:
    """Drop rate-limit counters of finished windows."""
    window = max(1, settings.LICENCE_RATE_WINDOW_SECONDS)
    return rate_buckets_delete_before(window_start=int(time.time()) - 2 * window)
