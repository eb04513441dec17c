from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tongzhan.audit.models import AuditEvent
from tongzhan.audit.services import verify_chain
from tongzhan.core import crypto

pytestmark = pytest.mark.django_db


def test_the_chain_of_the_fixture_world_is_intact(world):
    intact, broken, checked = verify_chain()
    assert intact and broken is None
    assert checked == AuditEvent.objects.count() > 0


def test_verify_audit_names_the_first_row_edited_behind_the_triggers_back(world, capsys):
    call_command("verify_audit")
    assert "审计链完整" in capsys.readouterr().out
    victim = AuditEvent.objects.order_by("id")[3]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
            cursor.execute("UPDATE audit_auditevent SET reason = 'edited' WHERE id = %s", [victim.pk])
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute("UPDATE audit_auditevent SET reason = 'edited' WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=f"第 {victim.pk} 号"):
        call_command("verify_audit")


def test_rotating_keys_reencrypts_every_sensitive_field_and_keeps_them_readable(
    world, capsys, settings, tmp_path
):
    # Rotate a copy of the key file, never the developer's own.
    copy = tmp_path / "field_keys.json"
    copy.write_bytes(Path(settings.FIELD_KEY_FILE).read_bytes())
    settings.FIELD_KEY_FILE = copy
    crypto.reset_keyring()
    person = world.person_a1
    before = {name: person.decrypt(name) for name in ("id_number", "phone", "address", "ethnicity")}
    old_version = crypto.key_version(person.id_number_enc)
    try:
        call_command("rotate_keys")
        person.refresh_from_db()
        assert crypto.key_version(person.id_number_enc) == old_version + 1
        assert {name: person.decrypt(name) for name in before} == before
        assert AuditEvent.objects.filter(event="keys.rotate").exists()
        assert "重新加密" in capsys.readouterr().out
    finally:
        crypto.reset_keyring()
