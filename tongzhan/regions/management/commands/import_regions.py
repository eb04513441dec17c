from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongzhan.core.actors import SYSTEM
from tongzhan.core.context import acting_from
from tongzhan.regions.services import import_regions


class Command(BaseCommand):
    help = "从 CSV 或 xlsx 导入区划表（表头 code,name,parent_code,level），全部成功才写入"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"找不到文件：{file}")
        with acting_from("command line"):
            result = import_regions(actor=SYSTEM, data=file.read_bytes(), filename=file.name)
        if result.errors:
            raise CommandError("导入失败，未写入任何数据：\n" + "\n".join(result.errors))
        self.stdout.write(f"导入完成：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")
