"""CBV 2.0 standard vocabularies (bare names as EPCIS 2.0 JSON writes them) and their Web URIs."""

from __future__ import annotations

BIZ_STEPS = frozenset("""
accepting arriving assembling collecting commissioning consigning creating_class_instance
cycle_counting decommissioning departing destroying disassembling dispensing encoding
entering_exiting holding inspecting installing killing loading other packing picking receiving
removing repackaging repairing replacing reserving retail_selling sampling sensor_reporting
shipping staging_outbound stock_taking stocking storing transporting unloading unpacking
void_shipping""".split())  # noqa: SIM905

DISPOSITIONS = frozenset("""
active available completeness_verified completeness_inferred conformant container_closed
container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement no_pedigree_match
non_conformant non_sellable_other partially_dispensed recalled reserved retail_sold returned
sellable_accessible sellable_not_accessible stolen unavailable unknown""".split())  # noqa: SIM905

BIZ_TRANSACTION_TYPES = frozenset(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt".split())  # noqa: SIM905
SOURCE_DEST_TYPES = frozenset(["owning_party", "possessing_party", "location"])
ACTIONS = frozenset(["ADD", "OBSERVE", "DELETE"])
EVENT_TYPES = frozenset(["ObjectEvent", "AggregationEvent", "TransactionEvent",
                         "TransformationEvent", "AssociationEvent"])

BIZ_STEP_URI = "https://ref.gs1.org/cbv/BizStep-"
DISPOSITION_URI = "https://ref.gs1.org/cbv/Disp-"
BIZ_STEP_URN = "urn:epcglobal:cbv:bizstep:"
DISPOSITION_URN = "urn:epcglobal:cbv:disp:"

# Vietnamese labels of the steps a buyer sees on the resolver page.
BIZ_STEP_VI = {
    "commissioning": "Thu hoạch, tạo lô", "packing": "Đóng bao", "shipping": "Xuất hàng",
    "receiving": "Nhận hàng", "departing": "Rời kho", "arriving": "Đến nơi",
    "transporting": "Vận chuyển", "storing": "Lưu kho", "inspecting": "Kiểm tra",
    "creating_class_instance": "Chế biến", "commissioning_output": "Chế biến",
    "retail_selling": "Bán lẻ", "stocking": "Lên kệ", "sampling": "Lấy mẫu",
    "sensor_reporting": "Ghi nhận cảm biến", "loading": "Xếp hàng", "unloading": "Dỡ hàng",
    "holding": "Tạm giữ", "other": "Khác",
}


def canonical_term(value: str, bare: frozenset[str], uri: str, urn: str) -> str:
    """A vocabulary value as its Web URI (bare names and CBV URNs expanded; others kept)."""
    if value in bare:
        return uri + value
    if value.startswith(urn):
        return uri + value[len(urn):]
    return value


def biz_step_uri(value: str) -> str:
    return canonical_term(value, BIZ_STEPS, BIZ_STEP_URI, BIZ_STEP_URN)


def disposition_uri(value: str) -> str:
    return canonical_term(value, DISPOSITIONS, DISPOSITION_URI, DISPOSITION_URN)


def short_term(value: str) -> str:
    """The bare name of a CBV Web URI (``…/BizStep-shipping`` → ``shipping``)."""
    for prefix in (BIZ_STEP_URI, DISPOSITION_URI):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value
