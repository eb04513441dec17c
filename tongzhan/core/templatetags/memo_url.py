"""`{% url %}` that remembers, per process, what a link without arguments reverses to.

Installed as a template builtin (settings.TEMPLATES), so it replaces Django's tag in every template.
Reversing a name walks the resolver's patterns, substitutes, re-matches and quotes: about 60 µs, and
the layout alone has a dozen links, drawn on every page and on every keystroke of the search page. A
link with arguments (a person's pk), and `{% url … as var %}`, go to Django's tag unchanged.

What a name reverses to depends only on the name, the URLconf in force, the script prefix, the
current application namespace and the language (i18n_patterns), so those are the key. Anything that
replaces the URLconf (override_settings in tests) changes the key or clears the memo.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library, defaulttags
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = Library()

_memo: dict[tuple, str] = {}
MEMO_LIMIT = 4096


class MemoURLNode(defaulttags.URLNode):
    def render(self, context):
        if self.args or self.kwargs or self.asvar:
            return super().render(context)
        request = getattr(context, "request", None)
        key = (self.view_name.resolve(context), getattr(request, "current_app", None),
               getattr(getattr(request, "resolver_match", None), "namespace", None),
               get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language(), context.autoescape)
        url = _memo.get(key)
        if url is None:
            url = super().render(context)  # raises NoReverseMatch as Django's tag does; nothing is kept then
            if len(_memo) >= MEMO_LIMIT:
                _memo.clear()
            _memo[key] = url
        return url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME", "LANGUAGE_CODE"):
        _memo.clear()
