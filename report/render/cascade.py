"""Share computed styles across the documents one renderer lays out.

WeasyPrint computes a style for every element and pseudo-element of each document it lays
out, and shares a computed style between the elements of one document that have the same
parent style and the same matched rules. Reports of one publication are laid out with the
same stylesheet objects (report/render/pdf.py's Renderer), so most of their elements end
up with styles another report already computed. SharedStyles keeps them across documents:
an element whose parent style and cascaded declarations are those of an element seen
before gets that element's computed style, with every property it already computed.

The key of a style is its parent style (an object kept alive in the cache, so its identity
is stable), its pseudo-element and, for each cascaded property, the declared value and its
weight. Values declared by the stylesheets are the same objects in every document and are
keyed by identity; values WeasyPrint makes from an element's attributes (lang, id, an SVG's
width) are new in every document and are keyed by their text. Page and margin-box styles
are not shared. A report's bytes do not depend on what was laid out before it
(tests/test_cascade.py); the sample and three large generated reports lay out in 11-16 %
less CPU time (benchmarks/layout.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import weasyprint.css
from weasyprint.css import AnonymousStyle, StyleFor

MAX_STYLES = 50_000  # styles kept before the cache starts again; a report holds about 600
# Weights of the declarations WeasyPrint makes from an element's attributes, per document.
ATTRIBUTE_SPECIFICITIES = ((0, 0, 0), (1, 0, 0))

ANCHOR = "<an anchor>"  # what the key holds for an element's anchor, whatever its name
CANONICAL = "_shared_style"  # attribute of a style copied for its anchor: the style shared

Key = tuple[int, str | None, bool, frozenset[tuple[str, object, str]]]


class SharedStyles:
    """Computed styles by parent style and cascaded declarations, across documents."""

    def __init__(self) -> None:
        # key -> (computed style, the objects the key names by identity, kept alive)
        self.styles: dict[Key, tuple[Any, tuple[object, ...]]] = {}
        self.held: set[int] = set()  # identities of the styles in styles
        self.style_for = sharing_style_for(self)

    def holds(self, style: object) -> bool:
        """Return whether style is shared: one kept here, or an anonymous style of one."""
        while isinstance(style, AnonymousStyle):
            style = style.parent_style
        return id(style) in self.held

    def key(self, parent_style: object, pseudo: str | None, root: bool, cascaded: Any) -> Key:
        """Return the key of a style from its parent style and cascaded declarations.

        An anchor (an element's id) is keyed by its presence alone: elements that differ
        only in their ids share one style, each with its own anchor (own_anchor).
        """
        return (
            id(getattr(parent_style, CANONICAL, parent_style)),
            pseudo,
            root,
            frozenset(
                (
                    name,
                    ANCHOR
                    if name == "anchor"
                    else repr(value)
                    if tuple(weight[2]) in ATTRIBUTE_SPECIFICITIES
                    else id(value),
                    repr(weight),
                )
                for name, (value, weight) in cascaded.items()
            ),
        )

    def remember(self, key: Key, style: Any, parent_style: object, cascaded: Any) -> None:
        """Keep style under key, with every object the key names by identity."""
        if len(self.styles) >= MAX_STYLES:
            self.styles.clear()
            self.held.clear()
        self.held.add(id(style))
        alive = (parent_style, *(value for value, _ in cascaded.values()))
        self.styles[key] = (style, alive)


def sharing_style_for(shared: SharedStyles) -> type[StyleFor]:
    """Return a WeasyPrint StyleFor that takes element styles from shared, or adds them."""

    class SharingStyleFor(StyleFor):  # type: ignore[misc]  # WeasyPrint has no type information
        """WeasyPrint's styles of one document, shared with the documents before it."""

        def set_computed_styles(
            self,
            element: Any,
            parent: Any,
            root: Any = None,
            pseudo_type: str | None = None,
            base_url: str | None = None,
            target_collector: Any = None,
        ) -> None:
            """Set the computed style of an element, shared when one like it was seen."""
            if not hasattr(element, "tag"):  # a page or margin box: not shared
                super().set_computed_styles(
                    element, parent, root, pseudo_type, base_url, target_collector
                )
                return
            cascaded = self.get_cascaded_styles().get((element, pseudo_type), {})
            computed = self.get_computed_styles()
            parent_style = None if parent is None else computed[parent, None]
            is_root = element == root and pseudo_type is None
            key = shared.key(parent_style, pseudo_type, is_root, cascaded)
            found = shared.styles.get(key)
            if found is None:
                super().set_computed_styles(
                    element, parent, root, pseudo_type, base_url, target_collector
                )
                shared.remember(key, computed[element, pseudo_type], parent_style, cascaded)
                return
            style = found[0]
            if "anchor" in cascaded:
                style = own_anchor(style, cascaded)
            computed[element, pseudo_type] = style
            if target_collector and style["anchor"]:
                target_collector.collect_anchor(style["anchor"])

    return SharingStyleFor


def own_anchor(style: Any, cascaded: Any) -> Any:
    """Return a copy of a shared style with the anchor of the element cascaded is of.

    The copy names the shared style, so that the element's children are keyed as the
    children of any element with that style, and its anonymous boxes (its text) take the
    shared style's anonymous style: an anchor is not inherited, and no other property is
    computed from it.
    """
    copy = style.copy()
    copy.cascaded = cascaded
    copy.pop("anchor", None)
    copy["anchor"]  # computed again, from this element's own declaration
    setattr(copy, CANONICAL, getattr(style, CANONICAL, style))
    copy.__dict__["anonymous_style"] = style.anonymous_style  # its text boxes' style, shared
    return copy


@contextmanager
def shared_styles(shared: SharedStyles) -> Iterator[None]:
    """Lay documents out with styles shared through shared, in the body."""
    original = weasyprint.css.StyleFor
    weasyprint.css.StyleFor = shared.style_for
    try:
        yield
    finally:
        weasyprint.css.StyleFor = original
