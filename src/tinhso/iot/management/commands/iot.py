"""``tinhso iot …``: farms, parcels and devices (prints the device token), the MQTT broker
configuration and sync, the ingestion service, alarm checks, maintenance and the simulator."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tinhso.core.errors import DomainError


def _commune(code: str) -> Any:
    from tinhso.units.models import AdminUnit, Level

    units = AdminUnit.objects.filter(code=code, level=Level.COMMUNE).order_by("valid_to")
    unit = units.filter(valid_to__isnull=True).first() or units.first()
    if unit is None:
        raise CommandError(f"no commune with code {code!r}")
    return unit


class Command(BaseCommand):
    help = ("Nông nghiệp thông minh (IoT): trang trại, thửa, thiết bị, broker MQTT, "
            "thu nhận dữ liệu.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        sub.required = True
        p = sub.add_parser("add-farm", help="add a farm")
        p.add_argument("--name", required=True)
        p.add_argument("--owner-kind", default="household",
                       help="household | cooperative | enterprise")
        p.add_argument("--owner-name", required=True)
        p.add_argument("--commune", required=True, help="commune code")
        p.add_argument("--owner", help="owner's user name (optional)")
        p = sub.add_parser("add-parcel", help="add a parcel to a farm")
        p.add_argument("--farm", type=int, required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--area", required=True, help="hectares")
        p.add_argument("--crop", required=True, help="pepper | cashew | rubber | …")
        p.add_argument("--variety", default="")
        p.add_argument("--year", type=int)
        p.add_argument("--stage", default="vegetative")
        p.add_argument("--lat", type=float)
        p.add_argument("--lon", type=float)
        p = sub.add_parser("add-device", help="add a device; prints its token once")
        p.add_argument("--parcel", type=int, required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--no-broker", action="store_true", help="HTTP only: not on the broker")
        p = sub.add_parser("rotate-token", help="a new token for a device (printed once)")
        p.add_argument("device", type=int)
        p = sub.add_parser("revoke-device", help="revoke a device (HTTP, broker, ingestion)")
        p.add_argument("device", type=int)
        sub.add_parser("list", help="farms, parcels and devices")
        p = sub.add_parser("broker-config", help="write Mosquitto's configuration to DIR")
        p.add_argument("directory")
        p.add_argument("--port", type=int, default=None)
        sub.add_parser("sync-broker", help="make the broker's device clients match tinhso's")
        p = sub.add_parser("ingest", help="the MQTT ingestion service (runs until stopped)")
        p.add_argument("--batch", type=int, default=500)
        p.add_argument("--evaluate-every", type=float, default=60.0, metavar="SECONDS")
        p.add_argument("--share", default="", metavar="GROUP",
                       help="join a shared subscription: several processes split the load")
        p.add_argument("--client-id", default="tinhso-ingest",
                       help="the persistent session's id (one per process)")
        sub.add_parser("evaluate", help="check the threshold alarm rules of every parcel")
        sub.add_parser("check-offline", help="raise/clear device-offline alarms")
        p = sub.add_parser("maintain", help="create partitions ahead; apply retention")
        p.add_argument("--retention-days", type=int, default=None)
        p = sub.add_parser("simulate", help="demo farms publishing a season over MQTT")
        p.add_argument("--days", type=float, default=30.0, help="simulated days (default 30)")
        p.add_argument("--step-minutes", type=int, default=30)
        p.add_argument("--speed", type=float, default=0.0,
                       help="simulated seconds per real second (0 = as fast as possible)")
        p.add_argument("--seed", type=int, default=16)
        p.add_argument("--direct", action="store_true",
                       help="store directly (no broker), e.g. for `make run` on a laptop")
        p.add_argument("--if-empty", action="store_true", help="do nothing if the demo exists")

    def handle(self, *args: Any, subcommand: str, **o: Any) -> None:
        handler = getattr(self, "_" + subcommand.replace("-", "_"), None)
        if handler is None:  # pragma: no cover - argparse rejects unknown subcommands
            raise CommandError(f"unknown subcommand {subcommand!r}")
        try:
            handler(**o)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc

    def _out(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))

    def _add_farm(self, **o: Any) -> None:
        from tinhso.accounts.models import User
        from tinhso.iot import services

        owner = None
        if o["owner"]:
            owner = User.objects.filter(username=o["owner"]).first()
            if owner is None:
                raise CommandError(f"no user {o['owner']!r}")
        farm = services.farm_add(acting_user=None, name=o["name"], owner_kind=o["owner_kind"],
                                 owner_name=o["owner_name"], commune=_commune(o["commune"]),
                                 owner=owner)
        self._out({"farm": farm.pk, "name": farm.name})

    def _add_parcel(self, **o: Any) -> None:
        from tinhso.iot import services
        from tinhso.iot.models import Farm

        farm = Farm.objects.filter(pk=o["farm"]).first()
        if farm is None:
            raise CommandError(f"no farm {o['farm']}")
        parcel = services.parcel_add(
            acting_user=None, farm=farm, name=o["name"], area_ha=o["area"], crop=o["crop"],
            variety=o["variety"], planting_year=o["year"], stage=o["stage"],
            latitude=o["lat"], longitude=o["lon"])
        self._out({"parcel": parcel.pk, "name": parcel.name})

    def _device(self, pk: int) -> Any:
        from tinhso.iot.models import Device

        device = Device.objects.select_related("parcel__farm").filter(pk=pk).first()
        if device is None:
            raise CommandError(f"no device {pk}")
        return device

    def _print_token(self, device: Any, token: str) -> None:
        from tinhso.iot.broker import device_topic

        self._out({"device": device.pk, "token": token, "mqtt_username": device.mqtt_username,
                   "mqtt_password": token, "topic": device_topic(device.mqtt_username),
                   "http": f"{settings.TINHSO_PUBLIC_URL}/api/v1/iot/{token}/telemetry",
                   "broker_synced": device.broker_synced})

    def _add_device(self, **o: Any) -> None:
        from tinhso.iot import services
        from tinhso.iot.models import Parcel

        parcel = Parcel.objects.select_related("farm").filter(pk=o["parcel"]).first()
        if parcel is None:
            raise CommandError(f"no parcel {o['parcel']}")
        device, token = services.device_add(acting_user=None, parcel=parcel, name=o["name"],
                                            push_to_broker=not o["no_broker"])
        self._print_token(device, token)

    def _rotate_token(self, **o: Any) -> None:
        from tinhso.iot import services

        device = self._device(o["device"])
        token = services.device_rotate_token(acting_user=None, device=device)
        self._print_token(device, token)

    def _revoke_device(self, **o: Any) -> None:
        from tinhso.iot import services

        device = services.device_revoke(acting_user=None, device=self._device(o["device"]))
        self._out({"device": device.pk, "active": device.is_active,
                   "broker_synced": device.broker_synced})

    def _list(self, **o: Any) -> None:
        from tinhso.iot.models import Farm

        for farm in Farm.objects.select_related("commune").prefetch_related("parcels__devices"):
            self.stdout.write(f"farm {farm.pk} {farm.name} — {farm.commune.name}")
            for parcel in farm.parcels.all():
                self.stdout.write(f"  parcel {parcel.pk} {parcel.name} {parcel.crop} "
                                  f"{parcel.stage} {parcel.area_ha} ha")
                for d in parcel.devices.all():
                    self.stdout.write(
                        f"    device {d.pk} {d.name} {d.mqtt_username} "
                        f"{'active' if d.is_active else 'revoked'} synced={d.broker_synced} "
                        f"last_seen={d.last_seen_at} bad={d.bad_payloads}")

    def _broker_config(self, **o: Any) -> None:
        from tinhso.iot.brokerconf import write_config

        conf = write_config(Path(o["directory"]), port=o["port"] or settings.TINHSO_MQTT_PORT,
                            admin_user=settings.TINHSO_MQTT_ADMIN_USER,
                            admin_password=settings.TINHSO_MQTT_ADMIN_PASSWORD)
        self.stdout.write(f"mosquitto -c {conf}\n(then: tinhso iot sync-broker)")

    def _sync_broker(self, **o: Any) -> None:
        from tinhso.iot import services

        self._out(services.broker_sync())

    def _ingest(self, **o: Any) -> None:
        from tinhso.iot.mqtt_ingest import Ingestor

        ingestor = Ingestor(batch_max=o["batch"], evaluate_every=o["evaluate_every"],
                            share=o["share"], client_id=o["client_id"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: ingestor.stop_event.set())
        ingestor.start()
        self.stderr.write(f"ingesting from {ingestor.host}:{ingestor.port} "
                          f"(Ctrl+C to stop)")
        ingestor.run()
        c = ingestor.counters
        self._out({"messages": c.messages, "stored": c.stored, "duplicates": c.duplicates,
                   "bad": c.bad, "unknown": c.unknown})

    def _evaluate(self, **o: Any) -> None:
        from tinhso.iot import tasks

        self._out(tasks.evaluate_alarms())

    def _check_offline(self, **o: Any) -> None:
        from tinhso.iot import tasks

        self._out(tasks.check_offline())

    def _maintain(self, **o: Any) -> None:
        from tinhso.iot import tasks

        self._out(tasks.maintain(retention_days=o["retention_days"]))

    def _simulate(self, **o: Any) -> None:
        from tinhso.iot import simulator

        report = simulator.run(days=o["days"], step_minutes=o["step_minutes"],
                               speed=o["speed"], seed=o["seed"], direct=o["direct"],
                               if_empty=o["if_empty"], out=self.stderr.write)
        self._out(report)
