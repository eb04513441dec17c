"""`manage.py create_admin USERNAME --role system_admin|security_admin|audit_admin` (SECURITY.md B1).

There are no default accounts: the first administrator is created here, from the server's shell, and
must change the password at the first login. The password is asked for twice (not echoed), or read
from standard input with --password-stdin for scripted installs.
"""

from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tongzhan.accounts import services
from tongzhan.accounts.roles import ADMIN_ROLES
from tongzhan.core.actors import SystemActor
from tongzhan.core.context import acting_from


class Command(BaseCommand):
    stealth_options = ("stdin",)  # tests hand in a file object instead of the terminal
    help = "创建管理员账号（系统管理员、安全管理员或审计管理员）；首次登录须修改密码。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--role", required=True, choices=sorted(str(r) for r in ADMIN_ROLES), help="角色")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")

    def handle(self, *args, username: str, role: str, password_stdin: bool, **options):
        if password_stdin:
            password = (options.get("stdin") or sys.stdin).readline().rstrip("\r\n")
        else:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致。")
        if not password:
            raise CommandError("密码不能为空。")
        try:
            with acting_from("command line"):
                user = services.create_administrator(
                    actor=SystemActor("create_admin"), username=username, role=role, password=password
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建{user.get_role_display()} {user.username}。首次登录须修改密码"
                "并绑定动态验证码（三级系统）。"
            )
        )
