"""Finish WeasyPrint's tagged PDF: artifacts, header scopes, list bodies, links, labels.

What WeasyPrint 70 leaves out is added while it writes the PDF, in its `finisher` hook,
on the objects it is about to serialise (pydyf's), so that nothing is parsed again:

- Running heads and feet. WeasyPrint tags the text of page-margin boxes as /Span
  content that no element of the structure tree reaches (PDF 1.7 has no Artifact
  structure type). PDF/UA-1 asks for such page furniture to be marked /Artifact, so
  every marked-content sequence the structure tree does not reach is rewritten as
  /Artifact and dropped from the ParentTree.
- Table header scope. WeasyPrint tags <th> as /TH with an /A << /O /Table >> attribute
  object but no /Scope. Each /TH gets /Scope /Column when it heads columns (inside
  /THead, or in a row of header cells only, such as a group label spanning the table)
  and /Scope /Row otherwise (a <th scope="row"> in the body).
- List item bodies. WeasyPrint puts the block content of an <li> (a Markdown paragraph,
  as in `<li><p>…</p></li>`) straight under /LI, beside its /Lbl; PDF/UA-1 admits only
  /Lbl and /LBody there. What stands under an /LI after its label goes into an /LBody
  (the one already there, or a new one).
- Link annotations. WeasyPrint gives every box inside a link its own annotation, so
  `<a><span>…</span></a>` (a contents line) makes annotations whose object references
  sit in a /Span. PDF/UA-1 wants each link annotation's reference in a /Link element:
  such references move up to the /Link around them, and the ParentTree follows. Every
  annotation gets the Print flag (/F 4), which PDF/A requires and checkers expect of
  PDF/UA: a printed page keeps what the screen shows.
- Page labels. The catalog gets /PageLabels that match the printed folios: a report's
  pages `CODE-1`, `CODE-2`, ... (styles/report.css prints its code and counter(page)),
  the volume's front matter's 1, 2, ... The volume replaces the labels of its parts with
  its own, the same (report/volume/catalog.py).
- Metadata. The XMP packet is stored unfiltered, and a PDF/A-3b file also claims
  PDF/UA-1 (report/render/xmp.py).

The structure elements nothing reaches any more are emptied (pydyf numbers objects by
their place, so they stay, as `<<>>`). WeasyPrint then writes the file with the /ID the
renderer gives it, so the same input gives the same bytes. Nothing parses the PDF again,
except for a release document's stamp (report/render/provenance.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pydyf
from weasyprint.document import Document

from report.render import folio_prefix
from report.render.xmp import finish_metadata

# Structure types that hold table rows, and the cell types of a row.
_ROW_GROUPS = ("/THead", "/TBody", "/TFoot")
_CELLS = ("/TH", "/TD")


def finisher(variant: str, code: str | None = None) -> Callable[[Document, pydyf.PDF], None]:
    """Return the finisher for weasyprint.Document.write_pdf of a PDF of that variant.

    code is a report's, whose folios label its pages; None labels them 1, 2, ...
    """
    return partial(finish_tags, variant=variant, code=code)


def finish_tags(
    _document: Document, pdf: pydyf.PDF, variant: str = "pdf/ua-1", code: str | None = None
) -> None:
    """Mark artifacts, scope header cells, fix list bodies and links, label the pages.

    A finisher for weasyprint.Document.write_pdf, which passes the document laid out and
    pdf, the objects about to be written; variant is the PDF variant being written, code
    the report's (None: the front matter's).
    """
    if "StructTreeRoot" in pdf.catalog:
        root = _deref(pdf, pdf.catalog["StructTreeRoot"])
        elements = list(walk_structure(pdf, root))
        mark_artifacts(pdf, root, elements)
        scope_table_headers(pdf, elements)
        wrap_list_bodies(pdf, elements)
        nest_link_annotations(pdf, root)
    print_annotations(pdf)
    label_pages(pdf, code)
    finish_metadata(pdf, variant)


def _deref(pdf: pydyf.PDF, value: Any) -> Any:
    """Return the object a reference (b"12 0 R") points to, or the value itself."""
    if isinstance(value, bytes) and value.endswith(b" R"):
        return pdf.objects[int(value.split()[0])]
    return value


def _kids(pdf: pydyf.PDF, element: Any) -> list[Any]:
    """Return an element's /K as a list of objects and MCIDs (ints)."""
    kids = element.get("K")
    if kids is None:
        return []
    kids = _deref(pdf, kids)
    items = kids if isinstance(kids, list) else [kids]
    return [_deref(pdf, item) for item in items]


def walk_structure(pdf: pydyf.PDF, root: Any) -> Iterator[tuple[pydyf.Dictionary, tuple[str, ...]]]:
    """Yield every structure element under root with its ancestors' types, root first."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(kid, ()) for kid in reversed(_kids(pdf, root))]
    seen: set[int] = set()
    while stack:
        node, ancestors = stack.pop()
        if not isinstance(node, dict) or "S" not in node or id(node) in seen:
            continue  # an MCID, a marked-content or object reference
        seen.add(id(node))
        yield node, ancestors
        below = (*ancestors, str(node["S"]))
        stack.extend((kid, below) for kid in reversed(_kids(pdf, node)))


# ---------------------------------------------------------------------------------------
# Artifacts


Elements = list[tuple[pydyf.Dictionary, tuple[str, ...]]]


def mark_artifacts(pdf: pydyf.PDF, root: pydyf.Dictionary, elements: Elements) -> None:
    """Turn tagged content that no structure element reaches into /Artifact content.

    elements are those the structure tree reaches (walk_structure).
    """
    reached = {id(element) for element, _ in elements}
    parent_tree = _deref(pdf, root.get("ParentTree"))
    nums = list(parent_tree.get("Nums", ())) if isinstance(parent_tree, dict) else []
    parents = {int(nums[i]): _deref(pdf, nums[i + 1]) for i in range(0, len(nums), 2)}
    for page_ref in pdf.page_references:
        page = _deref(pdf, page_ref)
        array = parents.get(int(page.get("StructParents", -1)))
        if not isinstance(array, list):
            continue
        unreached = {mcid for mcid, ref in enumerate(array) if id(_deref(pdf, ref)) not in reached}
        if not unreached:
            continue
        for mcid in unreached:
            _empty_branch(pdf, _deref(pdf, array[mcid]), reached)
            array[mcid] = "null"
        stream = _deref(pdf, page["Contents"])
        stream.stream = list(_as_artifacts(stream.stream, unreached))


def _empty_branch(pdf: pydyf.PDF, element: Any, reached: set[int]) -> None:
    """Empty an unreached element and its unreached ancestors, which nothing refers to now."""
    while isinstance(element, dict) and element and id(element) not in reached:
        parent = _deref(pdf, element.get("P"))
        element.clear()
        element = parent


def _as_artifacts(items: list[Any], mcids: set[int]) -> Iterator[Any]:
    """Yield content-stream items with each `/Tag <</MCID n>> BDC` of mcids as `/Artifact BMC`."""
    skip = 0
    for index, item in enumerate(items):
        if skip:
            skip -= 1
            continue
        following = items[index + 1 : index + 3]
        if (
            isinstance(item, str)
            and item.startswith("/")
            and len(following) == 2
            and isinstance(following[0], pydyf.Dictionary)
            and following[1] == b"BDC"
            and following[0].get("MCID") in mcids
        ):
            yield "/Artifact"
            yield b"BMC"
            skip = 2
            continue
        yield item


# ---------------------------------------------------------------------------------------
# Table header scope


def header_scope(ancestors: tuple[str, ...], row_cells: list[str]) -> str:
    """Return /Column or /Row for a /TH given its ancestors' types and its row's cell types.

    A header cell in /THead, or in a row of header cells only (a group label spanning
    the table), heads columns; any other header cell heads its row.
    """
    group = next((s for s in reversed(ancestors) if s in (*_ROW_GROUPS, "/Table")), None)
    if group == "/THead" or (row_cells and all(cell == "/TH" for cell in row_cells)):
        return "/Column"
    return "/Row"


def _set_scope(element: pydyf.Dictionary, scope: str) -> None:
    """Put /Scope in the element's /Table attribute object, keeping every other attribute."""
    attributes = element.get("A")
    if isinstance(attributes, dict):
        items, single = [attributes], True
    elif isinstance(attributes, list):
        items, single = list(attributes), False
    else:
        element["A"] = pydyf.Dictionary({"O": "/Table", "Scope": scope})
        return
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("O") == "/Table":
            if "Scope" not in item:
                # A copy: an attribute object may be shared by other cells.
                items[index] = pydyf.Dictionary({**item, "Scope": scope})
            break
    else:
        items.append(pydyf.Dictionary({"O": "/Table", "Scope": scope}))
    element["A"] = items[0] if single and len(items) == 1 else pydyf.Array(items)


def scope_table_headers(pdf: pydyf.PDF, elements: Elements) -> None:
    """Give every /TH element a /Table attribute object with /Scope /Column or /Row."""
    for element, ancestors in elements:
        if element["S"] != "/TH":
            continue
        row = _deref(pdf, element.get("P"))
        cells = (
            [
                str(kid["S"])
                for kid in _kids(pdf, row)
                if isinstance(kid, dict) and str(kid.get("S")) in _CELLS
            ]
            if isinstance(row, dict) and row.get("S") == "/TR"
            else []
        )
        _set_scope(element, header_scope(ancestors, cells))


# ---------------------------------------------------------------------------------------
# List item bodies


def wrap_list_bodies(pdf: pydyf.PDF, elements: Elements) -> None:
    """Put every structure element under an /LI, but its /Lbl, in an /LBody, in order.

    What follows an /LBody joins it; what follows a label, or opens the item, gets a new
    /LBody in its place.
    """
    for item, _ in elements:
        kids = item.get("K")
        if item.get("S") != "/LI" or not isinstance(kids, list):
            continue
        arranged, body = pydyf.Array(), None
        for reference in kids:
            kid = _deref(pdf, reference)
            kind = kid.get("S") if isinstance(kid, dict) else None
            if kind is None or kind == "/Lbl":  # not an element (left as it is), or a label
                body = None
            elif kind == "/LBody":
                body = kid
            else:
                if body is None:
                    body = pydyf.Dictionary(
                        {"Type": "/StructElem", "S": "/LBody", "K": pydyf.Array()}
                    )
                    body.update({"Pg": item["Pg"]} if "Pg" in item else {})
                    body["P"] = item.reference
                    pdf.add_object(body)
                    arranged.append(body.reference)
                body["K"].append(reference)
                kid["P"] = body.reference
                continue
            arranged.append(reference)
        item["K"] = arranged


# ---------------------------------------------------------------------------------------
# Link annotations


def _annotation_keys(pdf: pydyf.PDF, root: pydyf.Dictionary) -> Iterator[tuple[list[Any], int]]:
    """Yield (ParentTree /Nums, index) of every entry that maps an annotation's key."""
    parent_tree = _deref(pdf, root.get("ParentTree"))
    nums = parent_tree.get("Nums") if isinstance(parent_tree, dict) else None
    if not isinstance(nums, list):
        return
    for index in range(1, len(nums), 2):
        if not isinstance(_deref(pdf, nums[index]), list):  # a page's array of MCIDs
            yield nums, index


def _link_above(pdf: pydyf.PDF, element: Any) -> Any:
    """Return the nearest /Link element above element, or None."""
    element = _deref(pdf, element.get("P"))
    while isinstance(element, dict) and "S" in element:
        if element["S"] == "/Link":
            return element
        element = _deref(pdf, element.get("P"))
    return None


def nest_link_annotations(pdf: pydyf.PDF, root: pydyf.Dictionary) -> None:
    """Move each link annotation's object reference out of a non-/Link element into its /Link."""
    for nums, index in _annotation_keys(pdf, root):
        element = _deref(pdf, nums[index])
        if not isinstance(element, dict) or element.get("S") in (None, "/Link"):
            continue
        link = _link_above(pdf, element)
        kids = element.get("K")
        if link is None or not isinstance(kids, list):
            continue
        moved = [
            kid
            for kid in kids
            if isinstance(objr := _deref(pdf, kid), dict)
            and objr.get("Type") == "/OBJR"
            and _deref(pdf, objr.get("Obj")).get("Subtype") == "/Link"
        ]
        if not moved:
            continue
        element["K"] = pydyf.Array(kid for kid in kids if kid not in moved)
        link["K"].extend(moved)
        nums[index] = link.reference


def print_annotations(pdf: pydyf.PDF) -> None:
    """Give every annotation of every page the Print flag (/F 4), and no other."""
    for page_reference in pdf.page_references:
        for annotation in _deref(pdf, page_reference).get("Annots", ()):
            _deref(pdf, annotation)["F"] = 4


# ---------------------------------------------------------------------------------------
# Page labels


def label_pages(pdf: pydyf.PDF, code: str | None = None) -> None:
    """Label the pages as their folios print them: CODE-1, CODE-2, ...; or 1, 2, ... (None)."""
    style = pydyf.Dictionary({"S": "/D"})
    if code is not None:
        style["P"] = pydyf.String(folio_prefix(code))
    labels = pydyf.Dictionary({"Nums": pydyf.Array([0, style])})
    pdf.add_object(labels)
    pdf.catalog["PageLabels"] = labels.reference
