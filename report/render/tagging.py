"""Finish WeasyPrint's tagged PDF: artifacts, table header scopes and page labels.

One pikepdf pass after WeasyPrint, for what WeasyPrint 70 leaves out:

- Running heads and feet. WeasyPrint tags the text of page-margin boxes as /Span
  content that no element of the structure tree reaches (PDF 1.7 has no Artifact
  structure type). PDF/UA-1 asks for such page furniture to be marked /Artifact, so
  every marked-content sequence the structure tree does not reach is rewritten as
  /Artifact and dropped from the ParentTree.
- Table header scope. WeasyPrint tags <th> as /TH with an /A << /O /Table >> attribute
  object but no /Scope. Each /TH gets /Scope /Column when it heads columns (inside
  /THead, or in a row of header cells only, such as a group label spanning the table)
  and /Scope /Row otherwise (a <th scope="row"> in the body).
- Page labels. The catalog gets /PageLabels with decimal labels that match the printed
  `Page N of M`: styles/report.css prints counter(page), which runs from 1 on the first
  page (the volume's cover too) and is never reset.

The pass saves with a deterministic /ID, so the same input gives the same bytes. It
leaves the XMP metadata, the document information, the output intents and the PDF
version as WeasyPrint wrote them, so a PDF/A file stays PDF/A.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf

from report.render.provenance import Stamp, apply_stamp

# Structure types that hold table rows, and the cell types of a row.
_ROW_GROUPS = ("/THead", "/TBody", "/TFoot")
_CELLS = ("/TH", "/TD")


def finish_pdf(data: bytes, stamp: Stamp | None = None) -> bytes:
    """Return the PDF with furniture as artifacts, header cells scoped and pages labelled.

    With a stamp (a release document), also its version and embedded sources.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" in pdf.Root:
            mark_artifacts(pdf)
            scope_table_headers(pdf)
        label_pages(pdf)
        if stamp is not None:
            apply_stamp(pdf, stamp)
        out = io.BytesIO()
        # fix_metadata_version=False: pikepdf would otherwise re-serialize the XMP packet.
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                 fix_metadata_version=False)
        return out.getvalue()


# ---------------------------------------------------------------------------------------
# Artifacts


def _reachable(pdf: pikepdf.Pdf) -> set[tuple[tuple[int, int], int]]:
    """Return (page object id, MCID) for every content item the structure tree reaches."""
    found: set[tuple[tuple[int, int], int]] = set()
    stack: list[tuple[pikepdf.Object, pikepdf.Object | None]] = [
        (pdf.Root.StructTreeRoot, None)]
    seen: set[tuple[int, int]] = set()
    while stack:
        node, page = stack.pop()
        if isinstance(node, int):
            if page is not None:
                found.add((page.objgen, int(node)))
            continue
        if isinstance(node, pikepdf.Array):
            stack.extend((child, page) for child in node)
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        page = node.get("/Pg", page)
        if node.get("/Type") == "/MCR" or "/MCID" in node:
            found.add((page.objgen, int(node.MCID)))
            continue
        if "/K" in node:
            stack.append((node.K, page))
    return found


def mark_artifacts(pdf: pikepdf.Pdf) -> None:
    """Turn tagged content that no structure element reaches into /Artifact content."""
    reachable = _reachable(pdf)
    parent_tree = pdf.Root.StructTreeRoot.get("/ParentTree")
    nums = parent_tree.Nums if parent_tree is not None and "/Nums" in parent_tree else []
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for page in pdf.pages:
        obj = page.obj
        instructions = pikepdf.parse_content_stream(page)
        changed = False
        for index, (operands, operator) in enumerate(instructions):
            if str(operator) != "BDC" or len(operands) != 2:
                continue
            props = operands[1]
            if not isinstance(props, pikepdf.Dictionary) or "/MCID" not in props:
                continue
            mcid = int(props.MCID)
            if (obj.objgen, mcid) in reachable:
                continue
            instructions[index] = pikepdf.ContentStreamInstruction(
                [pikepdf.Name.Artifact], pikepdf.Operator("BMC"))
            changed = True
            array = parents.get(int(obj.get("/StructParents", -1)))
            if isinstance(array, pikepdf.Array) and mcid < len(array):
                array[mcid] = pikepdf.Object.parse(b"null")
        if changed:
            obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


# ---------------------------------------------------------------------------------------
# Table header scope


def _elements(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, tuple[str, ...]]]:
    """Yield every structure element with the structure types of its ancestors, root first."""
    stack: list[tuple[pikepdf.Object, tuple[str, ...]]] = [
        (pdf.Root.StructTreeRoot.get("/K", pikepdf.Array()), ())]
    seen: set[tuple[int, int]] = set()
    while stack:
        node, ancestors = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend((child, ancestors) for child in reversed(list(node)))
            continue
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            continue  # an MCID, a marked-content or object reference
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        yield node, ancestors
        if "/K" in node:
            stack.append((node.K, (*ancestors, str(node.S))))


def _cells(row: pikepdf.Object) -> list[str]:
    """Return the structure types of a /TR element's cells, in order."""
    kids = row.get("/K") if isinstance(row, pikepdf.Dictionary) else None
    if isinstance(kids, pikepdf.Dictionary):
        kids = [kids]
    return [str(kid.S) for kid in kids or ()
            if isinstance(kid, pikepdf.Dictionary) and str(kid.get("/S")) in _CELLS]


def header_scope(ancestors: tuple[str, ...], row_cells: list[str]) -> str:
    """Return /Column or /Row for a /TH given its ancestors' types and its row's cell types.

    A header cell in /THead, or in a row of header cells only (a group label spanning
    the table), heads columns; any other header cell heads its row.
    """
    group = next((s for s in reversed(ancestors) if s in (*_ROW_GROUPS, "/Table")), None)
    if group == "/THead" or (row_cells and all(cell == "/TH" for cell in row_cells)):
        return "/Column"
    return "/Row"


def _set_scope(element: pikepdf.Dictionary, scope: str) -> None:
    """Put /Scope in the element's /Table attribute object, keeping every other attribute."""
    attributes = element.get("/A")
    if isinstance(attributes, pikepdf.Dictionary):
        attributes = pikepdf.Array([attributes])
        single = True
    elif isinstance(attributes, pikepdf.Array):
        single = False
    else:
        element.A = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name(scope))
        return
    for index, item in enumerate(attributes):
        if isinstance(item, pikepdf.Dictionary) and item.get("/O") == "/Table":
            if "/Scope" not in item:
                # A direct copy: an indirect attribute object may be shared by other cells.
                table = pikepdf.Dictionary({key: value for key, value in item.items()})
                table.Scope = pikepdf.Name(scope)
                attributes[index] = table
            break
    else:
        attributes.append(pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name(scope)))
    element.A = attributes[0] if single and len(attributes) == 1 else attributes


def scope_table_headers(pdf: pikepdf.Pdf) -> None:
    """Give every /TH element a /Table attribute object with /Scope /Column or /Row."""
    for element, ancestors in _elements(pdf):
        if element.S != "/TH":
            continue
        row = element.get("/P")
        cells = _cells(row) if isinstance(row, pikepdf.Dictionary) and row.get("/S") == "/TR" \
            else []
        _set_scope(element, header_scope(ancestors, cells))


# ---------------------------------------------------------------------------------------
# Page labels


def label_pages(pdf: pikepdf.Pdf) -> None:
    """Label the pages 1, 2, 3, ... in decimal, as `Page N of M` prints them."""
    pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(
        Nums=pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.D)])))
