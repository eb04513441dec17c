from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledFormMixin


class LoginForm(StyledFormMixin, AuthenticationForm):
    """The same message for an unknown user and a wrong password (SECURITY.md B3)."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，或账号已被锁定。"),
        "inactive": _("用户名或密码不正确，或账号已被锁定。"),
    }
