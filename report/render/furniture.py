"""Mark running heads and feet as artifacts in a tagged PDF.

WeasyPrint 70 tags the text of page-margin boxes as /Span content that no element of
the structure tree reaches (PDF 1.7 has no Artifact structure type). PDF/UA-1 asks for
such page furniture to be marked /Artifact, so this pass rewrites every marked-content
sequence the structure tree does not reach and drops it from the ParentTree.
"""

from __future__ import annotations

import io

import pikepdf


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


def mark_furniture(data: bytes) -> bytes:
    """Return the PDF with unreachable tagged content turned into /Artifact content."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            return data
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
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()
