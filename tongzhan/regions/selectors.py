"""Reads of the region tree, scoped to the user's subtree."""

from __future__ import annotations

from django.http import Http404

from tongzhan.core.scoping import READ, region_of, restrict

from .models import Region


def regions_visible_to(user, action: str = READ):
    return restrict(Region.objects.all(), user, action).select_related("parent")


def get_region_for_user(user, pk, action: str = READ) -> Region:
    try:
        return regions_visible_to(user, action).get(pk=int(pk))
    except (Region.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def region_choices_for(user, *, levels=None, include_retired=False):
    """Regions a user may file people under or filter by, in tree order, each labelled with its depth."""
    qs = regions_visible_to(user)
    if levels:
        qs = qs.filter(level__in=levels)
    if not include_retired:
        qs = qs.filter(is_retired=False)
    return qs.order_by("code")


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code.strip()).first()


def root_for(user) -> Region | None:
    return region_of(user)


def subtree(region: Region):
    return Region.objects.filter(path__startswith=region.path)


def descendants_count(region: Region) -> int:
    return subtree(region).exclude(pk=region.pk).count()


def tree_order(regions) -> list[Region]:
    """Depth-first order by code at each level, for an indented list."""
    by_id = {r.pk: r for r in regions}
    return sorted(regions, key=lambda r: [by_id[pk].code if pk in by_id else "" for pk in r.ancestor_ids()])
