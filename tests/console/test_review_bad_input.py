"""Review: free-text filters of list pages answer 200 on input PostgreSQL cannot store (S3/O: no 500)."""
import pytest
from django.urls import reverse


@pytest.mark.parametrize(("url_name", "params"), [
    ("activation:sms_list", {"q": "+39\x00"}),
    ("audit_list", {"action": "account\x00"}),
])
def test_a_nul_character_in_a_list_filter_is_not_a_server_error(personas, client_for, url_name, params):
    client = client_for(personas.administrator)
    client.raise_request_exception = False
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
