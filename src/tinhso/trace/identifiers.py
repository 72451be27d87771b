"""GS1 identifiers as the trace app uses them: EPC URIs (TDS 2.x) and GS1 Digital Link URIs.

* ``check_digit`` — the GS1 mod-10 check digit (weights 3, 1, 3, … from the right).
* ``to_digital_link`` — an EPC URI (``urn:epc:id:…``, ``urn:epc:class:lgtin:…``,
  ``urn:epc:idpat:sgtin:…``) or any GS1 Digital Link URI (custom domain, query string, extra
  qualifiers) to the *constrained canonical* Digital Link the CBV 2.0 event hash uses
  (``https://id.gs1.org`` only, no query string, only the finest-grained key + qualifier).
  ``None`` when the value is neither.
* ``parse_digital_link`` — the (AI, value) pairs of a Digital Link path, for look-ups
  (GTIN + lot of a harvest lot, SSCC of a bag, GLN of a farm).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, unquote, urlsplit

CANONICAL_HOST = "https://id.gs1.org"

# Primary keys a Digital Link URI path may start with, and their fixed lengths when numeric.
PRIMARY_KEYS = {"00": 18, "01": 14, "253": None, "255": None, "401": None, "402": 17,
                "414": 13, "417": 13, "8003": None, "8004": None, "8006": 18, "8010": None,
                "8017": 18, "8018": 18}
# Key qualifiers kept in the constrained form, finest first, per primary key.
KEEP_QUALIFIERS = {"01": ("21", "10", "235"), "414": ("254",), "8006": ("21", "10"),
                   "8010": ("8011",)}
GTIN_RE = re.compile(r"^\d{8}$|^\d{12,14}$")
# Short names some Digital Link URIs use instead of the numeric AI.
AI_NAMES = {"sscc": "00", "gtin": "01", "lot": "10", "ser": "21", "cpv": "22", "gdti": "253",
            "gcn": "255", "ginc": "401", "gsin": "402", "gln": "414", "glnx": "254",
            "party": "417", "grai": "8003", "giai": "8004", "itip": "8006", "cpid": "8010",
            "cpsn": "8011", "gsrnp": "8017", "gsrn": "8018", "tpx": "235"}


def _encode(value: str) -> str:
    """Canonical percent-encoding of a path value: decode, then encode all but unreserved."""
    return quote(unquote(value), safe="'")


def check_digit(body: str) -> str:
    """The GS1 check digit of ``body`` (the digits without it)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def is_valid_gs1_number(value: str) -> bool:
    return value.isdigit() and len(value) >= 2 and check_digit(value[:-1]) == value[-1]


def gtin14(cp: str, ir: str) -> str:
    """GTIN-14 from an EPC company prefix and item reference (indicator digit first)."""
    body = ir[:1] + cp + ir[1:]
    return body + check_digit(body)


def _with_check(digits: str) -> str:
    return digits + check_digit(digits)


def _epc_id(scheme: str, parts: list[str]) -> str | None:
    if scheme == "sgtin" and len(parts) == 3:
        return f"/01/{gtin14(parts[0], parts[1])}/21/{parts[2]}"
    if scheme == "sscc" and len(parts) == 2:
        cp, sr = parts
        return f"/00/{_with_check(sr[:1] + cp + sr[1:])}"
    if scheme == "sgln" and len(parts) == 3:
        cp, lr, ext = parts
        path = f"/414/{_with_check(cp + lr)}"
        return path if ext == "0" else f"{path}/254/{ext}"
    if scheme == "pgln" and len(parts) == 2:
        return f"/417/{_with_check(parts[0] + parts[1])}"
    if scheme == "grai" and len(parts) == 3:
        return f"/8003/0{_with_check(parts[0] + parts[1])}{parts[2]}"
    if scheme == "giai" and len(parts) == 2:
        return f"/8004/{parts[0]}{parts[1]}"
    if scheme in ("gsrn", "gsrnp") and len(parts) == 2:
        return f"/{'8018' if scheme == 'gsrn' else '8017'}/{_with_check(parts[0] + parts[1])}"
    if scheme == "gdti" and len(parts) == 3:
        return f"/253/{_with_check(parts[0] + parts[1])}{parts[2]}"
    if scheme == "sgcn" and len(parts) == 3:
        return f"/255/{_with_check(parts[0] + parts[1])}{parts[2]}"
    if scheme == "cpi" and len(parts) == 3:
        return f"/8010/{parts[0]}{parts[1]}/8011/{parts[2]}"
    if scheme == "ginc" and len(parts) == 2:
        return f"/401/{parts[0]}{parts[1]}"
    if scheme == "gsin" and len(parts) == 2:
        return f"/402/{_with_check(parts[0] + parts[1])}"
    if scheme == "upui" and len(parts) == 3:
        return f"/01/{gtin14(parts[0], parts[1])}/235/{_encode(parts[2])}"
    if scheme == "itip" and len(parts) == 5:
        cp, ir, piece, total, serial = parts
        return f"/8006/{gtin14(cp, ir)}{piece}{total}/21/{serial}"
    return None


def _epc_to_path(uri: str) -> str | None:
    if uri.startswith("urn:epc:id:"):
        scheme, _, rest = uri[len("urn:epc:id:"):].partition(":")
        return _epc_id(scheme, rest.split("."))
    if uri.startswith("urn:epc:class:lgtin:"):
        parts = uri[len("urn:epc:class:lgtin:"):].split(".")
        if len(parts) == 3:
            return f"/01/{gtin14(parts[0], parts[1])}/10/{parts[2]}"
        return None
    if uri.startswith("urn:epc:idpat:sgtin:"):
        parts = uri[len("urn:epc:idpat:sgtin:"):].split(".")
        if len(parts) == 3 and parts[2] == "*":
            return f"/01/{gtin14(parts[0], parts[1])}"
    return None


def parse_digital_link(uri: str) -> list[tuple[str, str]] | None:
    """(AI, value) pairs of a GS1 Digital Link URI's path, from its primary key on; None if the
    path carries no recognised primary key."""
    if not uri.startswith(("http://", "https://")):
        return None
    segments = [s for s in urlsplit(uri).path.split("/") if s]
    segments = [AI_NAMES.get(s, s) if i % 2 == 0 else s for i, s in enumerate(segments)]
    for start, segment in enumerate(segments):
        if segment in PRIMARY_KEYS and (len(segments) - start) % 2 == 0:
            pairs = [(segments[i], segments[i + 1]) for i in range(start, len(segments), 2)]
            if all(ai.isdigit() for ai, _ in pairs):
                return pairs
    return None


def _constrain(pairs: list[tuple[str, str]]) -> str:
    key, value = pairs[0]
    if key == "01" and value.isdigit():
        value = value.zfill(14)
    path = f"/{key}/{_encode(value)}"
    qualifiers = dict(pairs[1:])
    for ai in KEEP_QUALIFIERS.get(key, ()):
        if ai in qualifiers:
            path += f"/{ai}/{_encode(qualifiers[ai])}"
            if key == "8006" or key == "01":
                break
    return path


@functools.lru_cache(maxsize=65536)
def to_digital_link(value: str) -> str | None:
    """The constrained canonical Digital Link of an EPC URI or Digital Link URI, else None."""
    if value.startswith("urn:epc:"):
        path = _epc_to_path(value)
        if path is None:
            return None
        value = CANONICAL_HOST + path
    pairs = parse_digital_link(value)
    if pairs is None:
        return None
    return CANONICAL_HOST + _constrain(pairs)


def lot_uri(gtin: str, lot: str) -> str:
    """The canonical Digital Link of a GTIN + lot (a harvest lot, a batch of kernels)."""
    return f"{CANONICAL_HOST}/01/{gtin.zfill(14)}/10/{lot}"


def sscc_uri(sscc: str) -> str:
    return f"{CANONICAL_HOST}/00/{sscc}"


def gln_uri(gln: str, extension: str = "") -> str:
    return f"{CANONICAL_HOST}/414/{gln}" + (f"/254/{extension}" if extension else "")


def gln_of(uri: str) -> str | None:
    """The GLN (13 digits) a location URI names (sgln URN or Digital Link /414/…)."""
    canonical = to_digital_link(uri)
    if canonical is None:
        return None
    pairs = parse_digital_link(canonical)
    return pairs[0][1] if pairs and pairs[0][0] == "414" else None


def gtin_of(uri: str) -> str | None:
    """The GTIN-14 an EPC, class or Digital Link names (None for SSCC, GLN, …)."""
    canonical = to_digital_link(uri)
    if canonical is None:
        return None
    pairs = parse_digital_link(canonical)
    return pairs[0][1] if pairs and pairs[0][0] == "01" else None
