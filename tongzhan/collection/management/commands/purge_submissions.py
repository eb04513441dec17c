"""`manage.py purge_submissions`: delete rejected and returned public submissions after 90 days (SECURITY.md A4).

Run it daily (deploy/systemd has a timer example in docs/deploy.md). Each deleted submission leaves an
audit event `collection.submission_purge` with its number, status and decision date, nothing personal.
"""

from django.core.management.base import BaseCommand, CommandError

from tongzhan.core.actors import SystemActor
from tongzhan.core.context import acting_from

from ... import ratelimit
from ...services import PURGE_AFTER_DAYS, purge_decided_submissions


class Command(BaseCommand):
    help = "删除审核决定已超过保留期（默认 90 天）的不予采纳和已退回的网站征集提交，并记入审计"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=PURGE_AFTER_DAYS,
                            help="保留天数，不得少于 90（默认 90）")

    def handle(self, *args, days, **options):
        if days < PURGE_AFTER_DAYS:
            raise CommandError(f"保留天数不得少于 {PURGE_AFTER_DAYS} 天")
        from captcha.models import CaptchaStore

        with acting_from("command"):
            purged = purge_decided_submissions(actor=SystemActor("purge_submissions"), days=days)
        CaptchaStore.remove_expired()
        idle = ratelimit.forget_idle()
        self.stdout.write(f"已删除 {purged} 条超过 {days} 天的不予采纳或已退回的提交；清理限流记录 {idle} 条。")
