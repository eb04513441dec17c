"""Forms of the account screens and of re-authentication."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm
from tongzhan.regions.forms import RegionField
from tongzhan.regions.models import Region
from tongzhan.regions.selectors import region_choices_for

from .models import User
from .roles import ADMIN_ROLES, Role


class UserFilterForm(StyledForm):
    q = forms.CharField(label=_("用户名或姓名"), required=False, max_length=150)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部"))] + Role.choices)
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("正常")), ("0", _("已停用"))]
    )


class RoleRegionMixin:
    """Administrators have no region; every other role needs one (the database checks it too)."""

    def setup_region(self, actor):
        self.fields["region"].queryset = region_choices_for(actor)
        self.fields["region"].error_messages["invalid_choice"] = _("所选区划不存在")

    def clean(self):
        data = super().clean()
        role, region = data.get("role"), data.get("region")
        if role in ADMIN_ROLES and region is not None:
            self.add_error("region", _("管理员账号不设所属区划"))
        elif role and role not in ADMIN_ROLES and region is None and "region" not in self.errors:
            self.add_error("region", _("请为该角色指定所属区划"))
        return data


class PasswordPairMixin:
    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class UserCreateForm(RoleRegionMixin, PasswordPairMixin, StyledForm):
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _")},
    )
    first_name = forms.CharField(label=_("姓名或单位"), max_length=150)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region = RegionField(label=_("所属区划"), queryset=Region.objects.none(), required=False)
    phone_note = forms.CharField(label=_("办公电话"), max_length=32, required=False)
    password1 = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("再次输入初始密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_region(actor)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已存在"))
        return username


class UserRoleForm(RoleRegionMixin, StyledForm):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region = RegionField(label=_("所属区划"), queryset=Region.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_region(actor)


class PasswordResetForm(PasswordPairMixin, StyledForm):
    password1 = forms.CharField(
        label=_("临时密码"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text=_("用户下次登录时必须修改此密码"),
    )
    password2 = forms.CharField(
        label=_("再次输入临时密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )


class ReauthForm(StyledForm):
    password = forms.CharField(
        label=_("当前密码"), widget=forms.PasswordInput(render_value=False), strip=False
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("密码不正确"))
        return password
