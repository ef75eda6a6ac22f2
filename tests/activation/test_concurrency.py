"""Fifty phones pressing Activate on the same link at once (PostgreSQL): each POST runs through the
whole Django stack in its own thread with its own database connection."""
import threading

from django.db import connection
from django.test import Client

from activation.models import OneTimeLink
from tests.activation.conftest import send_and_deliver
from tests.conftest import requires_postgresql

CONCURRENT = 50
MEDIA_TYPE = "application/vnd.sipconsole.provisioning+xml"


@requires_postgresql
def test_fifty_concurrent_activate_posts_hand_out_exactly_one_configuration_file(wizard_account, transactional_db):
    token = send_and_deliver(wizard_account, "activation")
    start = threading.Barrier(CONCURRENT)
    answers: list[tuple[int, str]] = []

    def press_activate():
        try:
            phone = Client()
            start.wait()
            response = phone.post(f"/a/{token}")
            answers.append((response.status_code, response.headers.get("Content-Type", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=press_activate) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == CONCURRENT
    assert [answer for answer in answers if answer[1] == MEDIA_TYPE] == [(200, MEDIA_TYPE)]
    assert sorted(status for status, _ in answers) == [200] + [410] * (CONCURRENT - 1)
    assert OneTimeLink.objects.get(purpose="activation").used_at is not None
