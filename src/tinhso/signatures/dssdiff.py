"""pyhanko's default modification analysis, without its most expensive step when that step
provably cannot change the answer (issue 12, verification of any PDF; decision 0026).

A PAdES B-LT document has one revision after the signed one: the document security store
(DSS: certificates, CRLs, OCSP responses) and the catalog's new ``/DSS`` entry. To judge it,
pyhanko's ``StandardDiffPolicy.apply`` first builds a reverse index of the *signed* revision —
every path from the trailer to every object, which parses every object of the document
(``HistoricalResolver._load_reverse_xref_cache``; ≈ 45 % of a verification, profiled) — and
asks it one question per object written by the later revision: "where was this object used
before?". The answer matters for objects that already existed (an overwritten object must be
justified on every path that reaches it) and for new objects that the signed revision already
pointed at (a dangling reference made real later: the classic way to smuggle content in).

When the later revision only overwrites the catalog and otherwise adds fresh objects, and no
fresh object number occurs in any reference of the signed revision's bytes, the answers are
known without the index:

- a fresh object that nothing in the signed revision references has no usages (exact);
- the catalog's usages are never looked at: pyhanko's first rule, ``CatalogModificationRule``,
  either rejects the revision or approves the catalog with a blanket approval, which clears
  every usage whatever it was (the first catalog question gets "no usages"; any later one,
  and any question about another object — form rules ask about fields — builds the real
  index and gets pyhanko's answer).

Everything else is pyhanko's ``DEFAULT_DIFF_POLICY`` unchanged: the same rules in the same
order decide, so the verdict and the modification level are pyhanko's. When the conditions do
not hold (a second signature, a form filled in, an annotation, an overwritten object, object
numbers that the signed revision mentions) nothing is replaced and pyhanko builds its index.

The scan is conservative: it looks for ``<digits> <digits> R`` anywhere in the bytes the
signature covers and in the decoded object streams of the signed revision, including stream
data and strings, where a match is not a reference — a false match only sends the document
down pyhanko's own path. pyhanko reads a reference only where its own pattern
(``generic.INDIRECT_PATTERN``: digits, whitespace, digits, whitespace, ``R``) matches, so no
reference it reads can escape the scan provided every object of the signed revision lies
inside the signed bytes; an object offset past the signed revision's ``startxref`` keyword, a
hybrid cross-reference file or an object stream that cannot be decoded also sends the
document down pyhanko's path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader, RawPdfPath
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffPolicy,
    DiffResult,
    ModificationLevel,
    SuspiciousModification,
)

logger = logging.getLogger(__name__)

# A digit run, whitespace, a digit run, whitespace, R: pyhanko's INDIRECT_PATTERN without its
# 20-byte window and its "no letter after R" test (so it matches at least where pyhanko's does).
_REFERENCE = re.compile(rb"(?<!\d)(\d+)\s+\d+\s+R")
_DIGITS_KEPT = 20  # pyhanko reads a reference from a 20-byte window: longer numbers never are


def _references(data: bytes) -> Iterator[tuple[int, int]]:
    """(object number, offset) of every possible reference in ``data``. Every suffix of the
    first number counts too (``126 0 R`` also yields 26 and 6): a reader that starts in the
    middle of a digit run — an object-stream offset pointing there — would read those."""
    for match in _REFERENCE.finditer(data):
        digits = match.group(1)
        first = match.start(1)
        for skip in range(max(0, len(digits) - _DIGITS_KEPT), len(digits)):
            yield int(digits[skip:]), first + skip

STATS = {"fast": 0, "full": 0, "index_built": 0}  # revisions judged without / with the index


class _Usages(dict):  # type: ignore[type-arg]
    """Stands in for ``HistoricalResolver._indirect_object_access_cache`` of the signed
    revision while one later revision is judged (see the module docstring)."""

    def __init__(self, old: HistoricalResolver, known: dict[Any, set[RawPdfPath]],
                 root: Any) -> None:
        super().__init__()
        self._old = old
        self._known = known
        self._root = root
        self._root_asked = False

    def __bool__(self) -> bool:  # pyhanko does ``cache or {}``: never look empty
        return True

    def __getitem__(self, ref: Any) -> Any:
        if ref in self._known:
            paths = self._known[ref]
            if not paths:
                raise KeyError(ref)
            return set(paths)
        if ref == self._root and not self._root_asked:
            self._root_asked = True  # the reverse-index lookup, settled by the blanket approval
            raise KeyError(ref)
        # Any other question: pyhanko's own index, built now and kept on the resolver.
        STATS["index_built"] += 1
        self._old._indirect_object_access_cache = None
        self._old._load_reverse_xref_cache()
        index = self._old._indirect_object_access_cache
        assert index is not None
        return index[ref]


def _refs_in(value: Any, *, depth: int = 0) -> list[int]:
    """Object numbers referenced by a direct value, descending into direct containers."""
    if isinstance(value, generic.IndirectObject):
        return [value.idnum]
    if depth > 32:
        return [-1]  # absurd nesting: answer "something", which disqualifies the fast path
    found: list[int] = []
    if isinstance(value, generic.DictionaryObject):
        for key in value:
            found += _refs_in(value.raw_get(key), depth=depth + 1)
    elif isinstance(value, generic.ArrayObject):
        for item in value:
            found += _refs_in(item, depth=depth + 1)
    return found


def _keys_referencing(dictionary: Any, idnum: int) -> set[str] | None:
    """Keys of ``dictionary`` whose value is a reference to ``idnum``; None when ``idnum`` is
    also referenced inside a direct value (a nested path the stand-in does not produce)."""
    keys: set[str] = set()
    for key in dictionary:
        raw = dictionary.raw_get(key)
        if isinstance(raw, generic.IndirectObject):
            if raw.idnum == idnum:
                keys.add(str(key))
        elif idnum in _refs_in(raw) or -1 in _refs_in(raw):
            return None
    return keys


class _SignedBytes:
    """Where references may occur in the signed revision's bytes (module docstring)."""

    def __init__(self, reader: PdfFileReader, old: HistoricalResolver, signed_end: int
                 ) -> None:
        self.ok = False
        self.offsets: dict[int, list[int]] = {}
        self.in_objstreams: set[int] = set()
        self.trailer_regions: list[tuple[int, int]] = []
        self.catalog_region: tuple[int, int] | None = None
        stream = reader.stream
        position = stream.tell()
        try:
            stream.seek(0)
            signed = stream.read(signed_end)
        finally:
            stream.seek(position)
        if len(signed) != signed_end:
            return
        last_startxref = signed.rfind(b"startxref")
        if last_startxref < 0:
            return
        objstreams: set[int] = set()
        placed: list[tuple[int, int]] = []  # (object number, offset) of every object written
        xref_streams: set[int] = set()
        for section in reader.xrefs._xref_sections[: old.revision + 1]:
            data = section.xref_data
            if data.hybrid is not None:
                return
            placed += [(number, offset) for number, (_, offset) in data.standard_xrefs.items()]
            objstreams |= data.obj_streams_used
            meta = section.meta_info
            if meta.stream_ref is not None:
                xref_streams.add(meta.stream_ref.idnum)
            end = signed.find(b"startxref", meta.start_location)
            if end < 0:
                return
            self.trailer_regions.append((meta.start_location, end))
        if any(offset >= last_startxref for _, offset in placed):
            return  # an object outside the signed revision's bytes
        for number in objstreams:
            try:
                decoded = old(generic.Reference(number, 0, pdf=old)).data
            except Exception:  # noqa: BLE001 - undecodable: let pyhanko decide
                return
            self.in_objstreams.update(number for number, _ in _references(decoded))
        for number, at in _references(signed):
            self.offsets.setdefault(number, []).append(at)
        root_number = old.root_ref.idnum
        root_at = reader.xrefs.get_historical_ref(old.root_ref, old.revision)
        if isinstance(root_at, int):
            end = signed.find(b"endobj", root_at)
            if end > 0:
                self.catalog_region = (root_at, end)
        # No other object may start inside a trailer or the catalog: what lies in those
        # regions is then only what the parsed trailer and catalog show.
        for number, offset in placed:
            for start, end in self.trailer_regions:
                if start <= offset < end and number not in xref_streams:
                    return
            region = self.catalog_region
            if region and region[0] <= offset < region[1] and number != root_number:
                return
        self.ok = True

    def referenced_only_in(self, idnum: int, *, trailer: bool, catalog: bool) -> bool:
        """No occurrence of a reference to ``idnum`` outside the allowed regions."""
        if idnum in self.in_objstreams:
            return False
        regions = list(self.trailer_regions) if trailer else []
        if catalog:
            if self.catalog_region is None:
                return False
            regions.append(self.catalog_region)
        return all(any(a <= at < b for a, b in regions)
                   for at in self.offsets.get(idnum, ()))


class DssAwareDiffPolicy(DiffPolicy):
    """``DEFAULT_DIFF_POLICY`` for one signature whose signed bytes end at ``signed_end``."""

    def __init__(self, signed_end: int) -> None:
        self.signed_end = signed_end
        self._bytes: _SignedBytes | None = None

    def review_file(self, reader: PdfFileReader, base_revision: int | HistoricalResolver,
                    field_mdp_spec: Any = None, doc_mdp: Any = None
                    ) -> DiffResult | SuspiciousModification:
        # The loop of StandardDiffPolicy.review_file, one revision at a time.
        if isinstance(base_revision, int):
            old = reader.get_historical_resolver(base_revision)
        else:
            old = base_revision
        current_max = ModificationLevel.NONE
        changed: set[str] = set()
        for revision in range(old.revision + 1, reader.xrefs.total_revisions):
            new = reader.get_historical_resolver(revision)
            stand_in = self._stand_in(reader, old, new)
            STATS["fast" if stand_in is not None else "full"] += 1
            if stand_in is not None:
                old._indirect_object_access_cache = stand_in
            try:
                result = DEFAULT_DIFF_POLICY.apply(old, new, field_mdp_spec=field_mdp_spec,
                                                   doc_mdp=doc_mdp)
            except SuspiciousModification as exc:
                logger.warning("Error in diff operation between revision %d and %d",
                               old.revision, revision, exc_info=exc)
                return exc
            finally:
                if stand_in is not None and old._indirect_object_access_cache is stand_in:
                    old._indirect_object_access_cache = None
            current_max = max(current_max, result.modification_level)
            changed |= result.changed_form_fields
        return DiffResult(current_max, changed)

    def _stand_in(self, reader: PdfFileReader, old: HistoricalResolver,
                  new: HistoricalResolver) -> _Usages | None:
        if old._indirect_object_access_cache is not None:
            return None  # pyhanko's index exists already: nothing to save
        written = new.explicit_refs_in_revision()
        root = old.root_ref
        if root in written and new.root_ref != root:
            return None
        if self._bytes is None:
            self._bytes = _SignedBytes(reader, old, self.signed_end)
        scan = self._bytes
        if not scan.ok:
            return None
        trailer = old.trailer_view
        catalog = old.root
        known: dict[Any, set[RawPdfPath]] = {}
        info = trailer.raw_get("/Info") if "/Info" in trailer else None
        metadata = catalog.raw_get("/Metadata") if "/Metadata" in catalog else None
        for ref in written:
            if ref == root:
                continue
            if old.is_ref_unassignable(ref):  # a new object: referenced nowhere before
                if ref.idnum in scan.in_objstreams or ref.idnum in scan.offsets:
                    return None
                known[ref] = set()
            elif isinstance(info, generic.IndirectObject) and ref == info.reference:
                # the document information dictionary: reached by the trailer's /Info only
                if (_keys_referencing(trailer, ref.idnum) != {"/Info"}
                        or _keys_referencing(catalog, ref.idnum) != set()
                        or not scan.referenced_only_in(ref.idnum, trailer=True,
                                                       catalog=False)):
                    return None
                known[ref] = {RawPdfPath("/Info")}
            elif isinstance(metadata, generic.IndirectObject) and ref == metadata.reference:
                # the XMP stream: reached by the catalog's /Metadata only, the catalog by the
                # trailer's /Root only
                if (_keys_referencing(trailer, ref.idnum) != set()
                        or _keys_referencing(catalog, ref.idnum) != {"/Metadata"}
                        or _keys_referencing(trailer, root.idnum) != {"/Root"}
                        or _keys_referencing(catalog, root.idnum) != set()
                        or not scan.referenced_only_in(ref.idnum, trailer=True, catalog=True)
                        or not scan.referenced_only_in(root.idnum, trailer=True,
                                                       catalog=True)):
                    return None
                known[ref] = {RawPdfPath("/Root", "/Metadata")}
            else:
                return None  # any other existing object overwritten: pyhanko's index
        fields = _signed_signature_fields(old, new)
        if fields is None or fields & set(known) or root in fields:
            return None
        # The form rules ask where each field was used (for the contexts of the updates they
        # approve). For a signature field that was signed before and is untouched, every such
        # update carries valid_when_locked=True and valid_when_certifying=True for a reference
        # that the revision did not write: it changes nothing whatever the answer.
        for ref in fields:
            known[ref] = set()
        return _Usages(old, known, root)


def _signed_signature_fields(old: HistoricalResolver, new: HistoricalResolver
                         ) -> set[Any] | None:
    """The form's fields when the form is the very same object in both revisions and
    every field is a signature field already signed in the signed revision (else None)."""
    from pyhanko.sign.diff_analysis.form_rules_api import _list_fields

    old_form = old.root.raw_get("/AcroForm") if "/AcroForm" in old.root else None
    new_form = new.root.raw_get("/AcroForm") if "/AcroForm" in new.root else None
    if old_form is None and new_form is None:
        return set()
    if not (isinstance(old_form, generic.IndirectObject)
            and isinstance(new_form, generic.IndirectObject)
            and old_form.reference == new_form.reference
            and old_form.reference not in new.explicit_refs_in_revision()):
        return None
    try:
        old_fields = old_form.get_object().get("/Fields")
        new_fields = new_form.get_object().get("/Fields")
        specs = dict(_list_fields(old_fields, new_fields, old_path=None))
    except Exception:  # noqa: BLE001 - anything unusual: pyhanko's own path decides
        return None
    refs: set[Any] = set()
    for spec in specs.values():
        old_field = spec.old_field if spec.old_field_ref is not None else None
        if (spec.field_type != "/Sig" or old_field is None
                or spec.old_field_ref != spec.new_field_ref or "/V" not in old_field):
            return None
        refs.add(spec.old_field_ref)
    return refs


# The private parts of pyhanko the stand-in relies on (checked against pyhanko 0.38, which
# pyproject.toml pins); without them every document takes pyhanko's own path.
_PYHANKO_INTERNALS = (hasattr(HistoricalResolver, "_load_reverse_xref_cache")
                      and hasattr(HistoricalResolver, "is_ref_unassignable"))


def policy_for(signature: Any) -> DiffPolicy | None:
    """The policy for ``signature`` (an EmbeddedPdfSignature), or None for pyhanko's default
    when its byte range is not the usual two-part range starting at 0."""
    if not _PYHANKO_INTERNALS:  # another pyhanko than the one this was proved against
        return None
    byte_range = signature.byte_range
    try:
        start, _, second, length = (int(v) for v in byte_range)
    except (TypeError, ValueError):
        return None
    if start != 0:
        return None
    return DssAwareDiffPolicy(second + length)
