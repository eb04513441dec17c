"""Administrators have no region; every other role has one (SECURITY.md C4, C1).

Numbered 0003 so a parallel 0002 in this app can land beside it; it depends on the latest migration that
existed when it was written.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("region__isnull", True), ("role__in", ["audit_admin", "security_admin", "system_admin"])),
                    models.Q(
                        models.Q(("role__in", ["audit_admin", "security_admin", "system_admin"]), _negated=True),
                        ("region__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="user_region_matches_role",
                violation_error_message="管理员账号不设所属区划；其他角色必须指定所属区划。",
            ),
        ),
    ]
