"""Mosquitto's dynamic-security plugin, managed by tinhso over its control topic.

Each device is a dynsec client named ``Device.mqtt_username`` whose password is the device's
token, with a role of its own allowing exactly one thing: publishing to its own topic
``v1/devices/<mqtt_username>/telemetry``. Subscribing is denied to devices (the default ACL
access), so a device can neither publish as another nor read anyone's data. The ingestion
service's client may subscribe to ``v1/devices/+/telemetry`` and learns the sender from the
topic, which the broker guarantees. Commands go to ``$CONTROL/dynamic-security/v1`` as tinhso's
broker admin; answers come back on ``…/response``.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = CONTROL_TOPIC + "/response"
TELEMETRY_FILTER = "v1/devices/+/telemetry"
SHARED_FILTER = "$share/+/" + TELEMETRY_FILTER  # several ingestion processes share the load
INGEST_ROLE = "tinhso-ingest"
TIMEOUT = 10.0


class BrokerError(RuntimeError):
    pass


def device_topic(username: str) -> str:
    return f"v1/devices/{username}/telemetry"


def username_from_topic(topic: str) -> str | None:
    parts = topic.split("/")
    if len(parts) == 4 and parts[:2] == ["v1", "devices"] and parts[3] == "telemetry":
        return parts[2]
    return None


def _new_client(client_id: str) -> mqtt.Client:
    return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                       protocol=mqtt.MQTTv311)


class Dynsec:
    """A short-lived admin connection: ``with Dynsec() as d: d.run([...])``."""

    def __init__(self, host: str | None = None, port: int | None = None,
                 user: str | None = None, password: str | None = None) -> None:
        self.host = host or settings.TINHSO_MQTT_HOST
        self.port = port or settings.TINHSO_MQTT_PORT
        password = password or settings.TINHSO_MQTT_ADMIN_PASSWORD
        if not password or not settings.TINHSO_MQTT_INGEST_PASSWORD:
            raise BrokerError("set TINHSO_MQTT_ADMIN_PASSWORD and TINHSO_MQTT_INGEST_PASSWORD")
        self.client = _new_client(f"tinhso-admin-{uuid.uuid4().hex[:8]}")
        self.client.username_pw_set(user or settings.TINHSO_MQTT_ADMIN_USER, password)
        self._answers: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self._refused: str | None = None
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._ready.set()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._ready.set()
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(msg.payload).get("responses", [])
        except ValueError:
            return
        with self._cond:
            for answer in responses:
                self._answers[str(answer.get("correlationData"))] = answer
            self._cond.notify_all()

    def __enter__(self) -> Dynsec:
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise BrokerError(f"MQTT broker {self.host}:{self.port} unreachable: {exc}") from exc
        self.client.loop_start()
        if not self._ready.wait(TIMEOUT) or self._refused:
            self.close()
            raise BrokerError(f"broker admin login refused: {self._refused or 'timeout'}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, commands: list[dict[str, Any]], *, ok_errors: tuple[str, ...] = ()
            ) -> list[dict[str, Any]]:
        """Send commands; return the answers; raise on an error not listed in ``ok_errors``."""
        ids = []
        for command in commands:
            command["correlationData"] = uuid.uuid4().hex
            ids.append(command["correlationData"])
        self.client.publish(CONTROL_TOPIC, json.dumps({"commands": commands}), qos=1)
        with self._cond:
            if not self._cond.wait_for(lambda: all(i in self._answers for i in ids), TIMEOUT):
                raise BrokerError("no answer from the dynamic-security plugin")
            answers = [self._answers.pop(i) for i in ids]
        for answer in answers:
            error = answer.get("error")
            if error and not any(ok in error for ok in ok_errors):
                raise BrokerError(f"{answer.get('command')}: {error}")
        return answers

    # --- what tinhso manages -------------------------------------------------------------
    def ensure_ingest_client(self) -> None:
        user = settings.TINHSO_MQTT_INGEST_USER
        self.run([
            {"command": "createRole", "rolename": INGEST_ROLE},
            {"command": "addRoleACL", "rolename": INGEST_ROLE, "acltype": "subscribePattern",
             "topic": TELEMETRY_FILTER, "allow": True},
            {"command": "addRoleACL", "rolename": INGEST_ROLE, "acltype": "subscribePattern",
             "topic": SHARED_FILTER, "allow": True},
            {"command": "addRoleACL", "rolename": INGEST_ROLE, "acltype": "publishClientReceive",
             "topic": TELEMETRY_FILTER, "allow": True},
            {"command": "createClient", "username": user,
             "password": settings.TINHSO_MQTT_INGEST_PASSWORD,
             "roles": [{"rolename": INGEST_ROLE}]},
        ], ok_errors=("already exists",))
        # Re-applied so a changed secret takes effect.
        self.run([{"command": "setClientPassword", "username": user,
                   "password": settings.TINHSO_MQTT_INGEST_PASSWORD}])

    def put_device(self, username: str, token: str) -> None:
        """Create (or re-key) a device's client and its one-topic role. Idempotent."""
        self.run([
            {"command": "createRole", "rolename": username},
            {"command": "addRoleACL", "rolename": username, "acltype": "publishClientSend",
             "topic": device_topic(username), "allow": True},
            {"command": "createClient", "username": username, "password": token,
             "roles": [{"rolename": username}]},
        ], ok_errors=("already exists",))
        self.run([{"command": "setClientPassword", "username": username, "password": token},
                  {"command": "enableClient", "username": username}])

    def delete_device(self, username: str) -> None:
        """Delete the client (the broker disconnects it at once) and its role. Idempotent."""
        self.run([{"command": "deleteClient", "username": username},
                  {"command": "deleteRole", "rolename": username}],
                 ok_errors=("not found",))

    def device_usernames(self) -> set[str]:
        answer = self.run([{"command": "listClients", "verbose": False}])[0]
        names = answer.get("data", {}).get("clients", [])
        return {n for n in names if isinstance(n, str) and n.startswith("dev-")}
