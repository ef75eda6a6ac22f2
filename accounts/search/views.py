"""The global search page: the top bar's box searches every group the operator may see (S1)."""
from django.contrib.auth.decorators import login_required

from accounts.models import Account
from accounts.search.results import search_context, search_within
from accounts.views import render_account_list


@login_required
def account_search(request):
    query_text = request.GET.get("q", "").strip()
    accounts = Account.objects.visible_to(request.user)
    error = None
    if query_text:
        outcome = search_within(accounts, query_text, user=request.user)
        accounts, error = outcome.accounts, outcome.error
    return render_account_list(request, "search/search_results.html", accounts, {
        **search_context(query_text, error), "show_group": True,
    })
