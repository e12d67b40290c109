"""The release signature's field, added to a PDF as a tagged, described form field.

A signature lives in a form field whose widget annotation sits on the first page
(invisible: a zero rectangle, printable). PDF/UA-1 asks for every widget to be reached
from the structure tree through a /Form element, with a description (the field's /TU or
the element's /Alt). The field is added to the incremental update that pyHanko then
signs, with both, and the widget's /StructParent key in the ParentTree, so that a signed
release stays as accessible (and, as a PDF/A-3b file, as conforming) as the unsigned one.
This module loads pyHanko: it is imported when a release is signed.
"""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields


class KeptMetadataWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the metadata as it is, and writes no stream.

    pyHanko would set the modification date of the document information and XMP to the
    signing time and write its own serialisation of the XMP packet, in a form that PDF/A's
    rules for extension schemas do not admit (the PDF/UA identification's schema
    description, report/render/xmp.py). The signing time is the signature's /M.

    Its cross-reference section is a table, not a stream: pyHanko writes LF before
    endstream, and a compressed cross-reference stream that ended with CR would read one
    byte short to PDF/A's length rule (report/render/streams.py).
    """

    def __init__(self, data: io.BytesIO) -> None:
        super().__init__(data)
        self.stream_xrefs = False

    def _update_meta(self) -> None:
        """Write no metadata update."""


def add_signature_field(writer: IncrementalPdfFileWriter, name: str, description: str) -> None:
    """Add an empty, invisible signature field named name, described and tagged as /Form."""
    fields.append_signature_field(
        writer, fields.SigFieldSpec(sig_field_name=name, readable_field_name=description)
    )
    widget_ref = next(
        ref for ref in writer.root["/AcroForm"]["/Fields"] if _get(ref.get_object(), "/T") == name
    )
    widget = widget_ref.get_object()
    root = _get(writer.root, "/StructTreeRoot")
    if root is None:  # an untagged PDF: nothing to nest the field in
        return
    document_ref = _first_kid(root.raw_get("/K"))
    document = document_ref.get_object()
    key = _next_key(root)
    objr = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/OBJR"),
            generic.pdf_name("/Obj"): widget_ref,
            generic.pdf_name("/Pg"): widget.raw_get("/P"),
        }
    )
    form_ref = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/StructElem"),
                generic.pdf_name("/S"): generic.pdf_name("/Form"),
                generic.pdf_name("/P"): document_ref,
                generic.pdf_name("/Pg"): widget.raw_get("/P"),
                generic.pdf_name("/K"): objr,
                generic.pdf_name("/Alt"): generic.TextStringObject(description),
            }
        )
    )
    kids = _get(document, "/K")
    if isinstance(kids, generic.ArrayObject):
        kids.append(form_ref)
        writer.update_container(kids)  # the /Document, or the array if it is an object
    else:
        document[generic.pdf_name("/K")] = generic.ArrayObject(
            [*([document.raw_get("/K")] if kids is not None else []), form_ref]
        )
        writer.update_container(document)
    widget[generic.pdf_name("/StructParent")] = generic.NumberObject(key)
    writer.update_container(widget)
    _add_to_number_tree(writer, root, key, form_ref)
    root[generic.pdf_name("/ParentTreeNextKey")] = generic.NumberObject(key + 1)
    writer.update_container(root)


def _get(dictionary: Any, key: str, default: Any = None) -> Any:
    """Return dictionary's value at key, an indirect one resolved, or default.

    pyHanko's get() gives an indirect value as it is; indexing resolves it.
    """
    try:
        return dictionary[key]
    except KeyError:
        return default


def _first_kid(kids: Any) -> Any:
    """Return the reference of the structure tree root's first element (its /Document)."""
    value = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids
    if isinstance(value, generic.ArrayObject):
        return value.raw_get(0)
    return kids


def _keys(node: Any) -> list[int]:
    """Return every key of a number tree under node."""
    nums = _get(node, "/Nums", [])
    found = [int(nums[index]) for index in range(0, len(nums), 2)]
    kids = _get(node, "/Kids", [])
    for index in range(len(kids)):
        found += _keys(kids[index])
    return found


def _next_key(root: Any) -> int:
    """Return the first structure parent key no page or annotation of the file holds."""
    tree = _get(root, "/ParentTree")
    keys = _keys(tree) if tree is not None else []
    return max([*keys, int(_get(root, "/ParentTreeNextKey", 0)) - 1]) + 1


def _add_to_number_tree(writer: IncrementalPdfFileWriter, root: Any, key: int, value: Any) -> None:
    """Add (key, value) to the ParentTree; key is larger than every key it holds."""
    tree = _get(root, "/ParentTree")
    if tree is None:
        tree = generic.DictionaryObject({generic.pdf_name("/Nums"): generic.ArrayObject()})
        root[generic.pdf_name("/ParentTree")] = writer.add_object(tree)
        tree = root["/ParentTree"]
    if "/Kids" in tree:  # a leaf of its own at the end, the largest key
        leaf = generic.DictionaryObject(
            {
                generic.pdf_name("/Nums"): generic.ArrayObject([generic.NumberObject(key), value]),
                generic.pdf_name("/Limits"): generic.ArrayObject(
                    [generic.NumberObject(key), generic.NumberObject(key)]
                ),
            }
        )
        kids = tree["/Kids"]
        kids.append(writer.add_object(leaf))
        writer.update_container(kids)
    else:
        nums = tree["/Nums"]
        nums.extend([generic.NumberObject(key), value])
        writer.update_container(nums)
