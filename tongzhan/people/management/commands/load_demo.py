"""`python manage.py load_demo`: load the demo township (金汇镇 and 梅山乡) once."""

from django.core.management.base import BaseCommand

from tongzhan.people import demo


class Command(BaseCommand):
    help = (
        "载入演示数据：奉贤区金汇镇、北仑区梅山乡的区划、约七十名虚构统战对象和十个演示账号（只载入一次）。"
    )

    def handle(self, *args, **options):
        if demo.is_loaded():
            self.stdout.write(
                f"演示数据已经载入过（区划代码 {demo.DISTRICT_CODE} 已存在），本次未做任何更改。"
            )
            return
        counts = demo.load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入演示数据：区划 {counts['regions']} 个，统战对象 {counts['people']} 人，演示账号 {counts['users']} 个。"
            )
        )
        for username, role, region in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<12}{role}（{region}）")
        self.stdout.write(f"  演示账号统一密码：{demo.DEMO_PASSWORD}（仅供试用，切勿录入真实数据）")
