"""`python manage.py run_import BATCH_ID {check,commit} --user USER_ID`: the worker the import screens start.

It runs the dry run or the commit of one batch outside the web request. Progress goes to a small JSON
file (services.write_progress) outside the import's transaction; if this process dies, the transaction
rolls back and the screen marks the batch failed from the dead pid or the silent heartbeat (J4).
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "导入工作进程：对一个导入批次执行预检（check）或导入（commit）"

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int)
        parser.add_argument("phase", choices=["check", "commit"])
        parser.add_argument("--user", type=int, required=True)

    def handle(self, *args, batch, phase, user, **options):
        from tongzhan.accounts.models import User
        from tongzhan.imports import services
        from tongzhan.imports.models import ImportBatch

        actor = User.objects.filter(pk=user, is_active=True).first()
        found = ImportBatch.objects.filter(pk=batch).first()
        if actor is None or found is None:
            raise CommandError("batch or user not found")
        try:
            if phase == "check":
                services.run_check(actor=actor, batch=found)
            else:
                services.run_commit(actor=actor, batch=found)
        except Exception as exc:  # already marked failed with a message the screen shows
            raise CommandError(f"import {phase} failed: {type(exc).__name__}") from exc
