"""Template helpers of the public collection: whether the navigation shows the review queue."""

from django import template

register = template.Library()


@register.filter
def may_review_collections(user) -> bool:
    """Whether the user's role reads public submissions (the page itself still checks)."""
    return bool(getattr(user, "is_authenticated", False) and user.may("collection.submission", "read"))
