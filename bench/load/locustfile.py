"""The main journeys of a province's peak hour, for locust (driven by bench/load/run.py).

Users are of four kinds, weighted as traffic is: citizens browsing the catalogue and tracking
their dossiers, citizens submitting online with an attachment, one-stop officers receiving the
new dossiers, and leaders watching the IOC. Each request is named by its journey so the report
gives throughput and p95/p99 per journey. Accounts and tokens come from the JSON file that
run.py prepares (``TINHSO_LOAD_DATA``).
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import deque

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["TINHSO_LOAD_DATA"], encoding="utf-8").read())  # noqa: SIM115
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n" + b"%" * 40_000
# Codes of dossiers submitted and not yet received, shared by the users of this process.
NEW_CODES: deque[str] = deque(maxlen=10_000)
SUBMITTED: deque[tuple[str, str]] = deque(maxlen=10_000)  # (code, token) to track
_lock = threading.Lock()
SEARCHES = ["khai sinh", "giay khai sinh", "chung thuc", "ket hon", "dat dai", "kinh doanh"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Browsing(HttpUser):
    """Anonymous and signed-in citizens reading: home, catalogue search, a procedure, tracking."""

    weight = 6
    wait_time = between(1, 4)

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="browse: home")

    @task(4)
    def search(self) -> None:
        self.client.get("/api/v1/procedures/", params={"q": random.choice(SEARCHES)},  # noqa: S311
                        name="browse: search procedures")

    @task(2)
    def procedure(self) -> None:
        self.client.get(f"/api/v1/procedures/{DATA['procedure']}", name="browse: procedure")

    @task(2)
    def track(self) -> None:
        with _lock:
            item = random.choice(SUBMITTED) if SUBMITTED else None  # noqa: S311
        if item is not None:
            code, token = item
            self.client.get(f"/api/v1/dossiers/{code}", headers=_bearer(token),
                            name="track: my dossier")


class Submitting(HttpUser):
    """Citizens submitting a dossier online with one PDF attachment."""

    weight = 3
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.token = random.choice(DATA["citizens"])  # noqa: S311

    @task
    def submit(self) -> None:
        payload = {"procedure": DATA["procedure"], "agency": DATA["agency"],
                   "form_data": {"ho_ten": "Nguyễn Văn An"}}
        with self.client.post("/api/v1/dossiers/", headers=_bearer(self.token),
                              data={"payload": json.dumps(payload)},
                              files={"to-khai": ("to-khai.pdf", PDF, "application/pdf")},
                              name="submit: online dossier", catch_response=True) as response:
            if response.status_code == 201:
                code = response.json()["code"]
                with _lock:
                    NEW_CODES.append(code)
                    SUBMITTED.append((code, self.token))
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Receiving(HttpUser):
    """One-stop officers receiving the new online dossiers (form 01 follows by job)."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.token = random.choice(DATA["receivers"])  # noqa: S311

    @task(3)
    def receive(self) -> None:
        with _lock:
            code = NEW_CODES.popleft() if NEW_CODES else None
        if code is None:
            self.client.get("/api/v1/dossiers/", headers=_bearer(self.token),
                            params={"status": "1"}, name="officer: queue")
            return
        self.client.post(f"/api/v1/dossiers/{code}/actions/receive", json={},
                         headers=_bearer(self.token), name="officer: receive")

    @task(1)
    def queue(self) -> None:
        self.client.get("/api/v1/dossiers/", headers=_bearer(self.token),
                        name="officer: queue")


class Leading(HttpUser):
    """Leaders watching the 766 index and its ranking."""

    weight = 1
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.token = random.choice(DATA["leaders"])  # noqa: S311

    @task
    def index(self) -> None:
        self.client.get("/api/v1/ioc/index", headers=_bearer(self.token),
                        params={"scope": DATA["scope"], "from": DATA["month_start"],
                                "to": DATA["today"]}, name="ioc: 766 index")
