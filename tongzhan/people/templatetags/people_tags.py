from django import template
from django.utils.translation import gettext as _

from ..services.categories import _display

register = template.Library()

ACTIONS = {"create": "新建", "update": "修改", "verify": "确认准确", "join": "加入", "leave": "退出",
           "add": "添加", "delete": "删除", "import": "表格导入", "undo": "撤销导入"}


@register.filter
def detail_fields(detail):
    """(label, value) pairs of a category's typed attributes."""
    return list(_display(detail).items())


@register.filter
def history_action(entry):
    return _(ACTIONS.get(entry.action, entry.action))
