"""`{% if user|may_import %}`: whether the navigation shows 表格导入 (the views check again)."""

from django import template

register = template.Library()


@register.filter
def may_import(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.may("imports.importbatch", "read"))
