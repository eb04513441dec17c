"""Template filters that ask the role table what a user may do with exports (the views still check)."""

from django import template

register = template.Library()


@register.filter
def may_export(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.may("people.person", "export"))
