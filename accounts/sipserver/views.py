"""The Registered clients page (R1): the contacts the SIP server holds right now."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Account
from accounts.sipserver.registrations import kamailio_time_zone, registrations_of, sip_server_database
from console.listing import paginate


@login_required
def registration_list(request):
    """Live registrations of the accounts the operator may see; on SQLite, how to connect a SIP server."""
    context = {"sip_server": sip_server_database(), "sip_domain": settings.SIP_DOMAIN}
    if context["sip_server"]:
        registrations = registrations_of(Account.objects.visible_to(request.user))
        context["page"] = paginate(request, registrations)
        context["kamailio_time_zone"] = kamailio_time_zone().key
    return render(request, "accounts/registration_list.html", context)
