"""Template tags of the licensing panel on the Services page."""
from django import template

from accounts.models import Account
from licensing import signing
from licensing.queries import attention_counts

register = template.Library()


@register.simple_tag
def licence_signing_key() -> dict:
    """The public half of the licence signing key, as clients need it, and its id."""
    return {"public_key": signing.public_key_b64(), "key_id": signing.key_id()}


@register.simple_tag
def licences_never_validated() -> int:
    """How many automatically activated accounts never validated their licence (all groups)."""
    return attention_counts(Account.objects.all())["never_validated"]
