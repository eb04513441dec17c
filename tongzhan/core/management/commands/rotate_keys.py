from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tongzhan.audit.services import record
from tongzhan.core import crypto, keyfile
from tongzhan.core.actors import SYSTEM
from tongzhan.core.context import acting_from


class Command(BaseCommand):
    help = "轮换字段加密密钥：生成新版本 SM4 密钥，并用它重新加密全部敏感字段（旧密钥保留以便读取备份）"

    def handle(self, *args, **options):
        from tongzhan.people.models import SENSITIVE_FIELDS, Person

        try:
            version = keyfile.add_field_key_version()
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        count = 0
        fields = [f"{name}_enc" for name in SENSITIVE_FIELDS]
        with acting_from("command line"), transaction.atomic():
            for person in Person.objects.only("pk", "uid", *fields).iterator(chunk_size=2000):
                changed = []
                for name in SENSITIVE_FIELDS:
                    blob = getattr(person, f"{name}_enc")
                    if blob and crypto.key_version(blob) != version:
                        value = person.decrypt(name)
                        setattr(
                            person,
                            f"{name}_enc",
                            crypto.encrypt(value, table="people_person", row=str(person.uid), field=name),
                        )
                        changed.append(f"{name}_enc")
                if changed:
                    person.save(update_fields=changed)
                    count += 1
            record(actor=SYSTEM, event="keys.rotate", detail={"version": version, "records": count})
        self.stdout.write(f"已启用第 {version} 版字段密钥，重新加密 {count} 条记录。请立即备份新的密钥文件。")
