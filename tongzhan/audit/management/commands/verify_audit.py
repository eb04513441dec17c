from django.core.management.base import BaseCommand, CommandError

from tongzhan.audit.services import verify_chain


class Command(BaseCommand):
    help = "校验审计日志的 HMAC-SM3 链；链完整时退出码为 0，否则指出第一条被破坏的记录并以非零退出"

    def handle(self, *args, **options):
        intact, broken_id, checked = verify_chain()
        if not intact and broken_id is None:  # no row after the archive marker vouches for it
            raise CommandError("审计链断裂：归档标记（链的起点）与审计日志中记录的清理事件不符，归档标记被改动或伪造")
        if not intact:
            raise CommandError(
                f"审计链在第 {broken_id} 号记录处断裂（此前 {checked} 条记录完好）：该记录或其前一条记录被改动或删除"
            )
        self.stdout.write(f"审计链完整：共校验 {checked} 条记录")
