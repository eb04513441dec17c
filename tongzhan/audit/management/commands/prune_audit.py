import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from tongzhan.audit import retention
from tongzhan.core.context import acting_from


class Command(BaseCommand):
    help = (
        "归档并清理早于指定日期的审计记录（涉及个人信息的事件至少保存 3 年，其他至少 180 天）。"
        "须由审计管理员执行，并显式加上 --confirm"
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="清理此日期（YYYY-MM-DD）之前的记录")
        parser.add_argument("--archive", required=True, help="归档文件路径（JSON Lines，不得已存在）")
        parser.add_argument("--by", required=True, help="执行清理的审计管理员用户名")
        parser.add_argument("--confirm", action="store_true", help="确认执行；不加此项只做检查")

    def handle(self, *args, **options):
        try:
            before = datetime.date.fromisoformat(options["before"])
        except ValueError:
            raise CommandError("--before 须为 YYYY-MM-DD 格式的日期") from None
        actor = get_user_model().objects.filter(username=options["by"], is_active=True).first()
        if actor is None or not actor.may("audit.auditevent", "prune"):
            raise CommandError("只有审计管理员可以清理审计日志：请用 --by 指定审计管理员的用户名")
        try:
            retention.check_retention(before)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if not options["confirm"]:
            raise CommandError("未执行：清理审计记录须显式加上 --confirm")
        try:
            with acting_from("command"):
                result = retention.prune(actor=actor, before=before, archive=options["archive"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        if result.rows == 0:
            self.stdout.write("没有需要清理的审计记录")
            return
        self.stdout.write(
            f"已归档并清理 {result.rows} 条审计记录（至第 {result.through_id} 号），归档文件 {result.path}，"
            f"SM3 {result.sm3}；审计链自锚点 {result.anchor[:16]}… 继续"
        )
