"""`manage.py start`: everything `make run` needs, in one command.

Migrates, collects static files, makes sure the field-key file exists, loads the demo township on
the very first start, prints where everything lives and serves the site with waitress.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

DEFAULT_PORT = 8000
THREADS = 8
# Hosts that make waitress listen on every interface (compared against, not bound here).
ALL_INTERFACES = frozenset({"0.0.0.0", "::", "*"})  # noqa: S104


def _default_port() -> int:
    try:
        return int(os.environ.get("PORT", DEFAULT_PORT))
    except ValueError:
        return DEFAULT_PORT


class Command(BaseCommand):
    help = "迁移数据库、收集静态文件、首次启动时载入演示数据，然后用 waitress 提供服务。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default=os.environ.get("TONGZHAN_HOST", "127.0.0.1"),
            help="监听地址（默认取环境变量 TONGZHAN_HOST，否则 127.0.0.1，只允许本机访问）",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=_default_port(),
            help=f"监听端口（默认取环境变量 PORT，否则 {DEFAULT_PORT}）",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="只做准备工作（迁移、静态文件、密钥、演示数据），不启动服务",
        )

    def handle(self, *args, **options):
        host: str = options["host"]
        port: int = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"端口无效：{port}")

        self._migrate()
        self._collectstatic()
        key_path = self._ensure_keys()
        self._maybe_load_demo()
        self._banner(host, port, key_path)
        # The serving threads open their own connections; do not carry this one into them.
        connections.close_all()
        if options["no_serve"]:
            return
        self._serve(host, port)

    # -- preparation -------------------------------------------------------------------------------

    def _step(self, text: str) -> None:
        self.stdout.write(f"» {text}")

    def _migrate(self) -> None:
        self._step("检查数据库迁移……")
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        call_command("migrate", interactive=False, verbosity=0)
        if pending:
            self.stdout.write(f"  已应用 {len(pending)} 个迁移。")
        else:
            self.stdout.write("  数据库已是最新。")

    def _collectstatic(self) -> None:
        self._step("收集静态文件……")
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"  静态文件位于 {settings.STATIC_ROOT}")

    def _ensure_keys(self):
        from tongzhan.core import crypto

        self._step("检查字段加密密钥……")
        existed = os.path.exists(settings.FIELD_KEY_FILE)
        crypto.keyring()
        if os.environ.get("TONGZHAN_FIELD_KEYS"):
            self.stdout.write("  密钥取自环境变量 TONGZHAN_FIELD_KEYS。")
            return None
        if existed:
            self.stdout.write(f"  使用已有密钥文件 {settings.FIELD_KEY_FILE}")
        else:
            self.stdout.write(self.style.WARNING(f"  已生成新的密钥文件 {settings.FIELD_KEY_FILE}"))
        return settings.FIELD_KEY_FILE

    def _maybe_load_demo(self) -> None:
        if not settings.TONGZHAN.get("DEMO"):
            return
        from tongzhan.regions.models import Region

        if Region.objects.exists():
            return
        self._step("首次启动：载入演示数据……")
        try:
            call_command("load_demo")
        except CommandError as exc:
            if "Unknown command" in str(exc):
                self.stdout.write(
                    self.style.WARNING("  尚无 load_demo 命令（演示数据模块尚未完成），跳过载入演示数据。")
                )
                return
            raise
        except ImportError as exc:
            self.stdout.write(
                self.style.WARNING(f"  load_demo 命令暂时无法导入（{exc}），跳过载入演示数据。")
            )
            return
        self.stdout.write(self.style.SUCCESS("  演示数据已载入。"))

    # -- banner ------------------------------------------------------------------------------------

    def _demo_logins(self) -> tuple[str, list[tuple[str, str, str]]] | None:
        """The demo accounts that actually exist in this database, or None."""
        if not settings.TONGZHAN.get("DEMO"):
            return None
        try:
            from tongzhan.people.demo import DEMO_PASSWORD, DEMO_USERS
        except ImportError:
            self.stdout.write(
                self.style.WARNING("（演示账号列表 tongzhan.people.demo 尚不可用，无法显示演示账号。）")
            )
            return None
        from django.contrib.auth import get_user_model

        User = get_user_model()
        wanted = [str(row[0]) for row in DEMO_USERS]
        present = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        rows = [(str(u), str(role), str(region)) for u, role, region in DEMO_USERS if str(u) in present]
        if not rows:
            return None
        return str(DEMO_PASSWORD), rows

    def _banner(self, host: str, port: int, key_path) -> None:
        out = self.stdout.write
        rule = "=" * 64
        out("")
        out(rule)
        out(self.style.SUCCESS("  统战工作管理平台已就绪"))
        out(rule)
        out(f"  访问地址：  http://127.0.0.1:{port}/")
        if host in ALL_INTERFACES:
            out(f"  监听地址：  {host}:{port}（所有网卡，局域网内其他电脑也可访问）")
        else:
            out(f"  监听地址：  {host}:{port}")
        out(f"  数据目录：  {settings.DATA_DIR}")
        if key_path is not None:
            out(f"  密钥文件：  {key_path}")
            out(
                self.style.WARNING(
                    "  ⚠ 请务必备份密钥文件并妥善保管：丢失后已加密的身份证号等字段将无法解密；"
                    "切勿将它提交到代码仓库或随数据库一起外发。"
                )
            )
        else:
            out("  密钥来源：  环境变量 TONGZHAN_FIELD_KEYS（请另行备份）")

        demo = self._demo_logins()
        if demo:
            password, rows = demo
            out("")
            out(
                self.style.WARNING(
                    "  【演示账号】仅供试用，切勿录入真实数据；正式使用请设置 TONGZHAN_DEMO=false 并换用全新的数据目录："
                )
            )
            headers = ("用户名", "角色", "所辖区域")
            widths = [max(_width(h), *(_width(r[i]) for r in rows)) for i, h in enumerate(headers)]
            out(("    " + "  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))).rstrip())
            out("    " + "  ".join("-" * w for w in widths))
            for row in rows:
                out(("    " + "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True))).rstrip())
            out(f"    演示账号统一密码：{password}")
        out(rule)
        out("  按 Ctrl-C 停止服务。")
        out("")

    # -- serving -----------------------------------------------------------------------------------

    def _serve(self, host: str, port: int) -> None:
        import waitress

        from config.wsgi import application

        try:
            waitress.serve(application, host=host, port=port, threads=THREADS)
        except OSError as exc:
            raise CommandError(f"无法在 {host}:{port} 上监听：{exc}（端口是否已被占用？）") from exc
        except KeyboardInterrupt:
            self.stdout.write("\n服务已停止。")


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
