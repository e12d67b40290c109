"""The benchmark's targets, and the verdict on each figure measured against them."""

from __future__ import annotations

from dataclasses import dataclass, field

from measure import GIB

# Targets: (figure, N of the synthetic sources, or None for every N and both shapes) ->
# (comparison, limit, how to print the limit). The sparse sources have the targets of
# every N only; their other figures are printed against the synthetic ones'.
TARGETS = {
    ("full_ratio", 24): ("<=", 0.42, "<= 0.42"),
    ("full_ratio", 1000): ("<=", 0.40, "<= 0.40"),
    ("noop_ratio", 24): ("<=", 0.05, "<= 0.05"),
    ("noop_seconds", 24): ("<", 0.5, "< 0.5 s"),
    ("memory", 1000): ("<", 1 * GIB, "< 1 GiB"),
    ("volume_share", 1000): ("<", 0.15, "< 15%"),
    ("noop_seconds", 1000): ("<", 1.0, "< 1 s"),
    ("change_seconds", 1000): ("<", 6.0, "< 6 s"),
    ("worker_ratio", None): ("<=", 0.60, "<= 0.60"),
}


@dataclass
class Verdicts:
    """Every target checked in the run, for the closing summary."""

    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def verdict(
        self, figure: str, n: int, value: float | None, sparse: bool = False, label: str = ""
    ) -> str:
        """Return the target text for a figure at N, and record whether it was met.

        sparse: the sources are the sparse, real-shaped ones (only the targets of every N
        apply); label: the builder measured is another one ("before"), held to no target.
        """
        target = TARGETS.get((figure, None)) or (None if sparse else TARGETS.get((figure, n)))
        if label:
            return "(compared; the targets are this builder's)"
        if target is None:
            elsewhere = [(tn, text) for (f, tn), (_, _, text) in TARGETS.items() if f == figure]
            where = f"sparse N={n}" if sparse else f"N={n}"
            if elsewhere:
                return "(no target at {}; synthetic sources: {})".format(
                    where, ", ".join(f"{text} at N={tn}" for tn, text in elsewhere)
                )
            return "(no target)"
        op, limit, text = target
        name = f"{'sparse ' * sparse}N={n} {figure.replace('_', ' ')} {text}"
        if value is None:
            self.unknown.append(name)
            return f"(target {text}): not measured"
        ok = value <= limit if op == "<=" else value < limit
        (self.met if ok else self.missed).append(name)
        return f"(target {text}) {'ok' if ok else 'MISSED'}"

    def finish(self, sizes: list[int]) -> None:
        """Count the targets of sizes whose figure a failed step left unmeasured."""
        recorded = set(self.met + self.missed + self.unknown)
        for (figure, at), (_, _, text) in TARGETS.items():
            for n in sizes if at is None else [at]:
                name = f"N={n} {figure.replace('_', ' ')} {text}"
                if n in sizes and name not in recorded:
                    self.unknown.append(name)
