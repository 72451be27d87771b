"""Write the project's Mosquitto configuration to a directory (``tinhso iot broker-config``).

The dynamic-security file is created by Mosquitto's own ``mosquitto_ctrl dynsec init`` (it
hashes the admin password itself); the default ACL access stays as the plugin sets it: devices
may neither subscribe nor publish anywhere their role does not allow.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

DYNSEC_PLUGINS = [
    "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
]
TEMPLATE = Path(__file__).with_name("data") / "mosquitto.conf"


def find_plugin() -> str | None:
    env = os.environ.get("TINHSO_MOSQUITTO_DYNSEC_PLUGIN")
    candidates = [env] if env else DYNSEC_PLUGINS
    return next((p for p in candidates if p and Path(p).exists()), None)


def write_config(directory: Path, *, port: int, admin_user: str, admin_password: str,
                 bind: str = "127.0.0.1") -> Path:
    """Write mosquitto.conf and a fresh dynamic-security.json into ``directory``."""
    plugin = find_plugin()
    ctrl = shutil.which("mosquitto_ctrl")
    if plugin is None or ctrl is None:
        raise FileNotFoundError("Mosquitto 2 with its dynamic-security plugin is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    dynsec = directory / "dynamic-security.json"
    if not dynsec.exists():
        subprocess.run([ctrl, "dynsec", "init", str(dynsec), admin_user, admin_password],  # noqa: S603
                       check=True, capture_output=True, timeout=30)
    conf = directory / "mosquitto.conf"
    conf.write_text(TEMPLATE.read_text().format(
        user=getpass.getuser(), port=port, bind=bind, plugin=plugin, dynsec_file=dynsec,
        data_dir=directory / "data"))
    return conf
