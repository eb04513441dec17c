from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm, StyledFormMixin

from . import lockout


class LoginForm(StyledFormMixin, AuthenticationForm):
    """The same message for an unknown user, a wrong password and a locked account (SECURITY.md B3)."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，或账号已被锁定。"),
        "inactive": _("用户名或密码不正确，或账号已被锁定。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.ip_locked = False

    def clean(self):
        # The address rule comes before any password check, so a locked address learns nothing.
        if self.request is not None and lockout.ip_locked(lockout.client_address(self.request)):
            self.ip_locked = True
            lockout.note_refused(self.request, self.data.get("username", ""))
            raise self.get_invalid_login_error()
        return super().clean()


class TokenForm(StyledForm):
    """The six digits from the authenticator app."""

    token = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
        error_messages={"min_length": _("请输入 6 位数字。"), "max_length": _("请输入 6 位数字。")},
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isascii() or not token.isdigit():
            raise forms.ValidationError(_("请输入 6 位数字。"))
        return token


class OwnPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    """Django's form (old password, new twice, the profile's validators) with Chinese messages.

    Saving goes through services.change_own_password, not the form.
    """

    error_messages = {
        "password_mismatch": _("两次输入的新密码不一致。"),
        "password_incorrect": _("原密码不正确。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("原密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")
