from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Search relies on Whoosh's private internals: refuse to start on a version it was not
        # checked against rather than answer wrongly (accounts/search/engine/whoosh_boundary.py).
        from accounts.search.engine.whoosh_boundary import refuse_unchecked_whoosh

        refuse_unchecked_whoosh()
