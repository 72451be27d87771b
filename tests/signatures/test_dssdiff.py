"""The DSS fast path of the modification analysis gives pyhanko's default verdict (decision 0026).

Each case verifies the same bytes twice — with pyhanko's default policy exactly as it comes
(``fast_diff=False``) and with ours — and the reports must be equal, field by field (verdict,
modification level, coverage). Some cases also say which path was taken: the fast path for
what our B-LT adds, pyhanko's own index for anything else.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.signatures import pkihelpers as h
from tinhso.signatures import dssdiff, signing
from tinhso.signatures.verify import verify_pdf

BOX = signing.StampPlacement(0, (300, 40, 500, 60))


def _both(data: bytes) -> tuple[dict[str, Any], dict[str, int]]:
    """The report with our policy (asserted equal to pyhanko's) and which path it took."""
    before = dict(dssdiff.STATS)
    ours = verify_pdf(data).as_dict()
    taken = {k: dssdiff.STATS[k] - before[k] for k in before}
    theirs = verify_pdf(data, fast_diff=False).as_dict()
    assert ours == theirs
    return ours, taken


def _append(data: bytes, change: Any) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_dss_like(writer: IncrementalPdfFileWriter) -> None:
    """What a second LT update adds: a new DSS with a certificate stream, fresh objects."""
    cert = writer.add_object(generic.StreamObject(stream_data=b"0\x03\x02\x01\x00"))
    dss = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Certs"): generic.ArrayObject([cert])}))
    writer.root[generic.NameObject("/DSS")] = dss
    writer.update_root()


@pytest.fixture
def blt(officer_cert) -> bytes:
    return signing.sign_with(h.simple_pdf(), officer_cert, field_name="ChuKy", placement=BOX)


def test_our_blt_takes_the_fast_path_with_the_same_verdict(blt):
    report, taken = _both(blt)
    [sig] = report["signatures"]
    assert report["valid"] and sig["reason"] == "OK"
    assert sig["modification_level"] == "LTA_UPDATES"
    assert taken == {"fast": 1, "full": 0, "index_built": 0}


def test_rsa_blt_takes_the_fast_path(db, operator, officer):
    h.init_pki("rsa-2048")
    cert = h.issue_personal(operator, officer, key_algorithm="rsa-2048")
    report, taken = _both(signing.sign_with(h.simple_pdf(), cert, field_name="S"))
    assert report["valid"] and taken["fast"] == 1 and taken["index_built"] == 0


def test_stand_in_answers_are_pyhankos_answers(blt):
    """For every object the DSS revision wrote, the stand-in's answer equals the reverse index
    pyhanko builds (the catalog excepted: settled by the blanket approval, see the module)."""
    reader = PdfFileReader(BytesIO(blt), strict=False)
    sig = reader.embedded_regular_signatures[0]
    policy = dssdiff.policy_for(sig)
    assert isinstance(policy, dssdiff.DssAwareDiffPolicy)
    old = reader.get_historical_resolver(sig.signed_revision)
    new = reader.get_historical_resolver(sig.signed_revision + 1)
    stand_in = policy._stand_in(reader, old, new)
    assert stand_in is not None
    written = new.explicit_refs_in_revision() - {old.root_ref}
    assert len(written) > 3  # info, metadata and the fresh DSS objects
    old._load_reverse_xref_cache()
    for ref in written:
        assert stand_in._known[ref] == old._get_usages_of_ref(ref), ref


def test_page_content_added_after_signing(blt):
    def change(writer):
        stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 0 0 9 9 re f"))
        writer.add_stream_to_page(0, stream)

    report, taken = _both(_append(blt, change))
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["full"] == 1 and taken["fast"] == 1  # the page revision; the DSS one


def test_object_overwritten_after_signing(blt):
    def change(writer):
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
        writer.update_container(page)

    report, taken = _both(_append(blt, change))
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["full"] == 1


def test_annotation_added_after_signing(blt):
    def change(writer):
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        note = writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (10, 10, 30, 30)]),
            generic.NameObject("/Contents"): generic.TextStringObject("Đã sửa"),
        }))
        annots = page.get("/Annots") or generic.ArrayObject()
        annots.append(note)
        page[generic.NameObject("/Annots")] = annots
        writer.update_container(page)

    report, taken = _both(_append(blt, change))
    assert report["signatures"][0]["modification_level"] != "LTA_UPDATES"
    assert taken["full"] == 1


def test_dss_update_that_also_changes_the_catalog(blt):
    def change(writer):
        _add_dss_like(writer)
        writer.root[generic.NameObject("/PageLayout")] = generic.NameObject("/TwoColumnLeft")

    report, taken = _both(_append(blt, change))
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["fast"] == 2  # fast path taken, and pyhanko's catalog rule still says no


def test_dss_update_that_also_changes_a_page(blt):
    def change(writer):
        _add_dss_like(writer)
        stream = writer.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 0 0 9 9 re f"))
        writer.add_stream_to_page(0, stream)

    report, taken = _both(_append(blt, change))
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["full"] == 1


def test_a_second_dss_update_alone_is_still_lta(blt):
    report, taken = _both(_append(blt, _add_dss_like))
    assert report["signatures"][0]["reason"] == "OK"
    assert report["signatures"][0]["modification_level"] == "LTA_UPDATES"


def test_second_signature(blt, officer_cert):
    twice = signing.sign_with(blt, officer_cert, field_name="ChuKy2",
                              placement=signing.StampPlacement(0, (300, 80, 500, 100)))
    report, taken = _both(twice)
    first, second = report["signatures"]
    assert first["reason"] == "UPDATED_AFTER_SIGNING" and second["reason"] == "OK"
    assert taken["full"] >= 1 and taken["fast"] >= 1


def _with_page_entry(value: Any) -> bytes:
    """simple_pdf whose page dictionary carries ``/Extra value`` (set before signing)."""
    def change(writer):
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        page[generic.NameObject("/Extra")] = value(writer)
        writer.update_container(page)

    return _append(h.simple_pdf(), change)


def test_dangling_references_made_real_by_the_dss_update(officer_cert, monkeypatch):
    """The signed revision points at object numbers that do not exist yet; the DSS update
    creates them. pyhanko's index sees those usages and refuses; so must we (the scan sends
    the document down pyhanko's path), and without the scan the verdict would differ."""
    def dangling(writer):
        free = int(writer.prev.trailer["/Size"])  # the next object numbers to be allocated
        return generic.ArrayObject([generic.IndirectObject(n, 0, writer)
                                    for n in range(free, free + 100)])

    signed = signing.sign_with(_with_page_entry(dangling), officer_cert, field_name="S")
    report, taken = _both(signed)
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["full"] == 1 and taken["fast"] == 0
    monkeypatch.setattr(dssdiff, "_references", lambda data: iter(()))
    assert verify_pdf(signed).signatures[0].reason == "OK"  # the scan is what refused


def _dss_and_new_subject(writer: IncrementalPdfFileWriter) -> None:
    _add_dss_like(writer)
    info = writer.trailer["/Info"]
    info[generic.NameObject("/Subject")] = generic.TextStringObject("Đã cập nhật")
    writer.update_container(info)


def test_information_dictionary_update_alone_is_lta(officer_cert):
    signed = signing.sign_with(h.simple_pdf(), officer_cert, field_name="S", long_term=False,
                               timestamp=False)
    report, taken = _both(_append(signed, _dss_and_new_subject))
    assert report["signatures"][0]["modification_level"] == "LTA_UPDATES"
    assert taken == {"fast": 1, "full": 0, "index_built": 0}


def test_information_dictionary_also_used_by_a_page(officer_cert, monkeypatch):
    """A DSS update that rewrites /Info: when the signed revision also reaches that dictionary
    from a page, pyhanko's index refuses the update, and so do we."""
    def info(writer):
        return writer.trailer.raw_get("/Info")

    signed = signing.sign_with(_with_page_entry(info), officer_cert, field_name="S",
                               long_term=False, timestamp=False)
    updated = _append(signed, _dss_and_new_subject)
    report, taken = _both(updated)
    assert report["signatures"][0]["reason"] == "MODIFIED_AFTER_SIGNING"
    assert taken["full"] == 1
    monkeypatch.setattr(dssdiff._SignedBytes, "referenced_only_in",
                        lambda self, idnum, **kw: True)
    assert verify_pdf(updated).signatures[0].reason == "OK"  # the region check refused


def test_whole_file_signature_needs_no_analysis(officer_cert):
    bb = signing.sign_with(h.simple_pdf(), officer_cert, field_name="S", long_term=False,
                           timestamp=False)
    report, taken = _both(bb)
    assert report["signatures"][0]["modification_level"] == "NONE"
    assert taken == {"fast": 0, "full": 0, "index_built": 0}  # pyhanko never asks


def test_an_empty_signature_slot_goes_down_pyhankos_path(officer_cert):
    """A form with a field not signed yet (a slot for the next signer): the stand-in does not
    answer for it, pyhanko's index does; same verdict."""
    from pyhanko.sign import fields

    def slot(writer):
        fields.append_signature_field(writer, fields.SigFieldSpec("ChoKy2"))

    signed = signing.sign_with(_append(h.simple_pdf(), slot), officer_cert, field_name="S")
    report, taken = _both(signed)
    assert report["signatures"][0]["reason"] == "OK"
    assert taken["full"] == 1 and taken["fast"] == 0


def test_any_other_question_builds_pyhankos_index(blt):
    reader = PdfFileReader(BytesIO(blt), strict=False)
    sig = reader.embedded_regular_signatures[0]
    policy = dssdiff.policy_for(sig)
    assert isinstance(policy, dssdiff.DssAwareDiffPolicy)
    old = reader.get_historical_resolver(sig.signed_revision)
    stand_in = policy._stand_in(reader, old,
                                reader.get_historical_resolver(sig.signed_revision + 1))
    assert stand_in is not None
    old._indirect_object_access_cache = stand_in
    pages = old.root.raw_get("/Pages").reference
    answer = old._get_usages_of_ref(pages)
    assert old._indirect_object_access_cache is not stand_in  # the real index, kept
    assert answer == old._get_usages_of_ref(pages) and answer


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')


def _with_xmp() -> bytes:
    """simple_pdf with an XMP stream added before signing."""
    def add(writer):
        xmp = writer.add_object(generic.StreamObject({
            generic.NameObject("/Type"): generic.NameObject("/Metadata"),
            generic.NameObject("/Subtype"): generic.NameObject("/XML")}, stream_data=XMP))
        writer.root[generic.NameObject("/Metadata")] = xmp
        writer.update_root()

    return _append(h.simple_pdf(), add)


def _dss_and_new_xmp(writer: IncrementalPdfFileWriter) -> None:
    _add_dss_like(writer)
    ref = writer.root.raw_get("/Metadata").reference
    writer.objects[(ref.generation, ref.idnum)] = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/Metadata"),
        generic.NameObject("/Subtype"): generic.NameObject("/XML")},
        stream_data=XMP.replace(b"/>", b"></rdf:RDF>"))


def test_xmp_rewritten_by_a_dss_update(officer_cert):
    """An XMP stream that existed before signing is referenced by the catalog's older versions
    too: outside the places the fast path accepts, so pyhanko's path (conservative)."""
    signed = signing.sign_with(_with_xmp(), officer_cert, field_name="S",
                               long_term=False, timestamp=False)
    report, taken = _both(_append(signed, _dss_and_new_xmp))
    assert report["signatures"][0]["modification_level"] == "LTA_UPDATES"
    assert taken["full"] == 1
