"""PostgreSQL only: make iot_reading a table partitioned by month of ts, with a DEFAULT
partition, a BRIN index on ts, and partitions for the current and next two months.
SQLite keeps the plain table (the same code reads and writes both)."""

from django.db import migrations

PARTITIONED = """
DROP TABLE iot_reading;
CREATE TABLE iot_reading (
    device_id bigint NOT NULL,
    key varchar(40) NOT NULL,
    ts timestamp with time zone NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (device_id, key, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE iot_reading_default PARTITION OF iot_reading DEFAULT;
CREATE INDEX iot_reading_ts_brin ON iot_reading USING brin (ts);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PARTITIONED)
    from tinhso.iot.partitions import ensure_partitions

    ensure_partitions(months_ahead=2)


class Migration(migrations.Migration):
    reviewed_for_large_tables = "partitions the readings table created by 0001 in the same release: empty at migrate"
    dependencies = [("iot", "0001_iot_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
