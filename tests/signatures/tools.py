"""External tools some tests need (SoftHSM2, Poppler): in CI they must exist, so fail there."""

from __future__ import annotations

import os
import shutil

import pytest

APT_HINT = "apt-get install -y softhsm2 poppler-utils"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing on the CI machine ({APT_HINT})")
    pytest.skip(f"{name} is not installed here; install it with: {APT_HINT}")
    raise AssertionError  # unreachable


def require_file(path: str, package: str) -> str:
    if os.path.exists(path):
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing on the CI machine (package {package})")
    pytest.skip(f"{path} is not installed here (package {package})")
    raise AssertionError
