"""Move the seeded cold and heat rules to the values the cited sources support (docs/iot.md):
only rules still exactly as 0003 seeded them; an agronomist's edit is left alone."""

from django.db import migrations

OLD_HEAT_SOURCE = "Ngưỡng tự đặt (chưa xác nhận): nắng nóng gay gắt ≥ 37 °C theo cách gọi của KTTV"


def forwards(apps, schema_editor):
    from tinhso.iot.rules_seed import COLD_NAME, COLD_SOURCE, HEAT_SOURCE

    AlarmRule = apps.get_model("iot", "AlarmRule")
    AlarmCondition = apps.get_model("iot", "AlarmCondition")
    AlarmRule.objects.filter(code="heat-stress", source=OLD_HEAT_SOURCE).update(source=HEAT_SOURCE)
    cold = AlarmRule.objects.filter(code="frost-stress", duration_hours=2).first()
    if cold is None:
        return
    conditions = list(AlarmCondition.objects.filter(rule=cold).values_list(
        "key", "aggregate", "op", "threshold"))
    if conditions != [("air_temperature", "max", "le", 4.0)]:
        return
    AlarmCondition.objects.filter(rule=cold).update(aggregate="avg", threshold=13.0)
    AlarmRule.objects.filter(pk=cold.pk).update(duration_hours=24, name=COLD_NAME,
                                                source=COLD_SOURCE)


class Migration(migrations.Migration):
    reviewed_for_large_tables = "updates two rows of the alarm rules (a handful of rows)"
    dependencies = [("iot", "0004_iot_retry_digest")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
