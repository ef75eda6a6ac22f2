"""Template tags of fleet operations: the bulk actions an account list offers."""
from django import template

from fleet.actions import ACTIONS

register = template.Library()


@register.simple_tag
def bulk_actions() -> list:
    """The bulk actions, in the order the list's menu shows them."""
    return list(ACTIONS.values())


@register.simple_tag
def bulk_action(key: str):
    """One bulk action by its key (its consequence for a confirmation)."""
    return ACTIONS[key]
