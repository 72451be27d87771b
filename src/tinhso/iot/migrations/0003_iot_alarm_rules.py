"""Seed the default alarm rules (tinhso/iot/rules_seed.py); existing codes are left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from tinhso.iot.rules_seed import seed as seed_rules

    seed_rules(apps.get_model("iot", "AlarmRule"), apps.get_model("iot", "AlarmCondition"))


class Migration(migrations.Migration):
    reviewed_for_large_tables = "seeds the alarm rules table created by 0001: a few rows"
    dependencies = [("iot", "0002_iot_reading_partitions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
