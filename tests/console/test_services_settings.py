"""The Services page's live checks describe the saved settings, not values a rejected form typed."""
from console.models import ServiceSettings


def test_a_rejected_form_leaves_the_settings_and_the_checks_as_saved(personas, client_for):
    row = ServiceSettings.load()
    row.kamailio_rpc_url = "http://127.0.0.1:9/saved-rpc"
    row.save()
    response = client_for(personas.administrator).post("/services/", {
        "version": row.version,
        "public_base_url": "not an address",  # rejected
        "kamailio_rpc_url": "http://127.0.0.1:7/typed-rpc",
    })

    assert response.status_code == 200 and response.context["form"].errors
    rpc_check = next(check for check in response.context["checks"] if check.name.startswith("Kamailio"))
    assert "typed-rpc" not in rpc_check.message and ":7" not in rpc_check.message
    assert "port 9" in rpc_check.message or ":9" in rpc_check.message
    saved = ServiceSettings.load()
    assert (saved.kamailio_rpc_url, saved.public_base_url, saved.version) == ("http://127.0.0.1:9/saved-rpc", "", row.version)


def test_the_page_shows_every_check_the_settings_list_in_their_order(personas, client_for, settings):
    response = client_for(personas.administrator).get("/services/")
    names = [check.name for check in response.context["checks"]]
    assert names == ["Client web service (public base URL)", "SMS gateway", "Kamailio JSON-RPC", "Provisioning profiles"]
    assert len(settings.SERVICE_CHECKS) == len(names)

    settings.SERVICE_CHECKS = ["activation.checks.profiles_service_check"]
    response = client_for(personas.administrator).get("/services/")
    assert [check.name for check in response.context["checks"]] == ["Provisioning profiles"]
