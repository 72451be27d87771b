"""Seed the default alarm rules (tinhso/iot/rules_seed.py); existing codes are left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from tinhso.iot.rules_seed import RULES

    AlarmRule = apps.get_model("iot", "AlarmRule")
    AlarmCondition = apps.get_model("iot", "AlarmCondition")
    for spec in RULES:
        spec = dict(spec)
        conditions = spec.pop("conditions")
        rule, created = AlarmRule.objects.get_or_create(code=spec.pop("code"), defaults=spec)
        if created:
            for key, aggregate, op, threshold in conditions:
                AlarmCondition.objects.create(rule=rule, key=key, aggregate=aggregate, op=op,
                                              threshold=threshold)


class Migration(migrations.Migration):
    dependencies = [("iot", "0002_iot_reading_partitions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
