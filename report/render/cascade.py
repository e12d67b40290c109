"""Share the cascade and computed styles across the documents one renderer lays out.

WeasyPrint computes a style for every element and pseudo-element of each document it lays
out, and shares a computed style between the elements of one document that have the same
parent style and the same matched rules. Reports of one publication are laid out with the
same stylesheet objects (report/render/pdf.py's Renderer), so most of their elements match
the rules an element of another report matched, and end up with a style another report
already computed. SharedStyles keeps both across documents:

- the cascade: the declarations that win for an element, by property, are a function of
  the rules it matches (in order) alone; they are worked out once per list of rules and
  kept (an element's own declarations, from its style, lang and id attributes, are then
  laid over them as WeasyPrint would);
- the computed style: an element whose parent style, rules and own declarations are those
  of an element seen before gets that element's computed style, with every property it
  already computed.

The key of a computed style is its parent style (an object kept alive in the cache, so its
identity is stable), its pseudo-element, the cascade of its rules (kept alive likewise)
and its own declarations by text. An anchor (an element's id) is keyed by its presence
alone: elements that differ only in their ids share one style, each with its own anchor.
Page and margin-box styles are not shared. A report's bytes do not depend on what was
laid out before it (tests/test_cascade.py).

SharingStyleFor.__init__ is WeasyPrint 70.0's StyleFor.__init__ (pinned exactly) with the
cascade of each element's rules taken from SharedStyles instead of worked out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from math import inf
from typing import Any

import weasyprint.css
from weasyprint.css import (
    PROGRESS_LOGGER,
    AnonymousStyle,
    StyleFor,
    declaration_precedence,
    find_style_attributes,
    preprocess_declarations,
)

MAX_STYLES = 50_000  # styles kept before the cache starts again; a report holds about 600
MAX_CASCADES = 20_000  # lists of rules kept likewise; a publication's reports match ~1,000

ANCHOR = "<an anchor>"  # what the key holds for an element's anchor, whatever its name
CANONICAL = "_shared_style"  # attribute of a style copied for its anchor: the style shared
NO_OWN: frozenset[tuple[str, str, str]] = frozenset()  # the key of no own declarations
NO_RULES: dict[str, Any] = {}  # the cascade of an element that matches no rule

Cascade = dict[str, tuple[Any, Any]]  # property name -> (declared value, weight)
Key = tuple[int, str | None, bool, int, frozenset[tuple[str, str, str]]]


class SharedStyles:
    """Cascades by list of rules, and computed styles by parent and cascade, across documents."""

    def __init__(self) -> None:
        # key -> (computed style, the objects the key names by identity, kept alive)
        self.styles: dict[Key, tuple[Any, tuple[object, ...]]] = {}
        self.held: set[int] = set()  # identities of the styles in styles
        # rules matched -> (cascade by pseudo-element, the declarations named, kept alive)
        self.cascades: dict[tuple[object, ...], tuple[dict[str | None, Cascade], list[Any]]] = {}
        self.style_for = sharing_style_for(self)

    def holds(self, style: object) -> bool:
        """Return whether style is shared: one kept here, or an anonymous style of one."""
        while isinstance(style, AnonymousStyle):
            style = style.parent_style
        return id(style) in self.held

    def cascade(
        self, rules: list[tuple[str, Any, str | None, Any, float]]
    ) -> dict[str | None, Cascade]:
        """Return the winning declarations of rules, by pseudo-element, as WeasyPrint orders them.

        rules: each matched rule's origin, specificity, pseudo-element, declarations and
        layer order, in the order WeasyPrint applies them.
        """
        signature = tuple(
            (origin, specificity, pseudo, id(declarations), layer)
            for origin, specificity, pseudo, declarations, layer in rules
        )
        found = self.cascades.get(signature)
        if found is not None:
            return found[0]
        cascades: dict[str | None, Cascade] = {}
        for origin, specificity, pseudo, declarations, layer in rules:
            style = cascades.setdefault(pseudo, {})
            for name, values, importance in declarations:
                weight = (declaration_precedence(origin, importance), layer, specificity)
                declare(style, name, values, weight)
        if len(self.cascades) >= MAX_CASCADES:
            self.cascades.clear()
        self.cascades[signature] = (cascades, [rule[3] for rule in rules])
        return cascades

    def key(
        self,
        parent_style: object,
        pseudo: str | None,
        root: bool,
        rules: Cascade,
        own: frozenset[tuple[str, str, str]],
    ) -> Key:
        """Return the key of a style: its parent style, the cascade of its rules, its own."""
        return (id(getattr(parent_style, CANONICAL, parent_style)), pseudo, root, id(rules), own)

    def remember(self, key: Key, style: Any, parent_style: object, rules: Cascade) -> None:
        """Keep style under key, with every object the key names by identity."""
        if len(self.styles) >= MAX_STYLES:
            self.styles.clear()
            self.held.clear()
        self.held.add(id(style))
        self.styles[key] = (style, (parent_style, rules))


def declare(style: Cascade, name: str, values: Any, weight: Any) -> None:
    """Set a property's declared value in a cascade if its weight wins; a tie goes to it."""
    old = style.get(name)
    if old is None or old[1] <= weight:
        style[name] = values, weight


def own_key(own: Cascade) -> frozenset[tuple[str, str, str]]:
    """Return the key of an element's own declarations: by text, an anchor by presence."""
    return frozenset(
        (name, ANCHOR if name == "anchor" else repr(value), repr(weight))
        for name, (value, weight) in own.items()
    )


def sharing_style_for(shared: SharedStyles) -> type[StyleFor]:
    """Return a WeasyPrint StyleFor that takes cascades and element styles from shared."""

    class SharingStyleFor(StyleFor):  # type: ignore[misc]  # WeasyPrint has no type information
        """WeasyPrint's styles of one document, shared with the documents before it."""

        def __init__(
            self,
            html: Any,
            sheets: Any,
            presentational_hints: bool,
            font_config: Any,
            target_collector: Any,
        ) -> None:
            """Cascade and compute every element's style, as WeasyPrint 70.0 does."""
            cascaded_styles: dict[tuple[Any, str | None], Cascade] = {}
            computed_styles: dict[tuple[Any, str | None], Any] = {}
            self._cascaded_styles = cascaded_styles
            self._computed_styles = computed_styles
            self.initial_page_sizes = {"box": None, "area": None}
            self._sheets = sheets
            self.font_config = font_config
            # (element, pseudo-element) -> (the cascade of its rules, its own declarations)
            self._keys: dict[tuple[Any, str | None], tuple[Cascade, Any]] = {}
            PROGRESS_LOGGER.info("Step 3 - Applying CSS")

            elements_declarations = {}
            for specificity, element, declarations, base_url in find_style_attributes(
                html.etree_element, presentational_hints, html.base_url
            ):
                style = cascaded_styles.setdefault((element, None), {})
                elements_declarations[element] = tuple(declarations)
                for name, values, importance in preprocess_declarations(base_url, declarations):
                    weight = (declaration_precedence("author", importance), inf, specificity)
                    declare(style, name, values, weight)

            # Elements in tree order, so that parents have computed styles before children.
            computed_cache: dict[tuple[object, ...], Any] = {}
            for element in html.wrapper_element.iter_subtree():
                etree_element = element.etree_element
                parent = element.parent.etree_element if element.parent else None
                parent_id = id(computed_styles[parent, None]) if element.parent else None
                selectors_keys = []
                rules = []
                for sheet, origin, sheet_specificity in sheets:
                    for selector in sheet.matcher.match(element):
                        specificity, _, pseudo_type, (declarations, layer) = selector
                        layer_order = inf if layer is None else sheet.layers.index(layer)
                        selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                        specificity = sheet_specificity or specificity
                        rules.append((origin, specificity, pseudo_type, declarations, layer_order))
                self._cascade(etree_element, shared.cascade(rules))

                # Store computed styles.
                key = (parent_id, elements_declarations.get(etree_element), tuple(selectors_keys))
                if key in computed_cache:
                    computed_styles[etree_element, None] = computed_cache[key]
                else:
                    self.set_computed_styles(
                        etree_element,
                        root=html.etree_element,
                        parent=parent,
                        base_url=html.base_url,
                        target_collector=target_collector,
                    )
                    computed_cache[key] = computed_styles[etree_element, None]

            # Then pseudo-elements, which inherit from their element, in any order.
            for element, pseudo_type in cascaded_styles:
                if pseudo_type:
                    self.set_computed_styles(
                        element,
                        pseudo_type=pseudo_type,
                        root=html.etree_element,
                        parent=element,
                        base_url=html.base_url,
                        target_collector=target_collector,
                    )
            self._cascaded_styles.clear()

        def _cascade(self, element: Any, cascades: dict[str | None, Cascade]) -> None:
            """Set an element's cascaded styles: its rules', its own declarations over them."""
            cascaded_styles = self._cascaded_styles
            own = cascaded_styles.get((element, None))  # from its attributes, if any
            if own is not None:
                self._keys[element, None] = (cascades.get(None, NO_RULES), own_key(own))
            for pseudo_type, rules in cascades.items():
                if pseudo_type is None and own is not None:
                    for name, (values, weight) in rules.items():
                        declare(own, name, values, weight)
                else:
                    cascaded_styles[element, pseudo_type] = rules
                    self._keys[element, pseudo_type] = (rules, NO_OWN)

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
            rules, own = self._keys.get((element, pseudo_type), (NO_RULES, NO_OWN))
            computed = self.get_computed_styles()
            parent_style = None if parent is None else computed[parent, None]
            is_root = element == root and pseudo_type is None
            key = shared.key(parent_style, pseudo_type, is_root, rules, own)
            found = shared.styles.get(key)
            if found is None:
                super().set_computed_styles(
                    element, parent, root, pseudo_type, base_url, target_collector
                )
                shared.remember(key, computed[element, pseudo_type], parent_style, rules)
                return
            style = found[0]
            cascaded = self.get_cascaded_styles().get((element, pseudo_type), {})
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
