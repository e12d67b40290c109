"""What the fee schedule's indicator values mean, in the words of CMS's PFS file documentation."""

from __future__ import annotations

# Every status code of the Medicare Physician Fee Schedule Database: those of the relative
# value file's documentation (Q since 2013, for the therapy functional reporting G-codes),
# and L, which the Medicare Claims Processing Manual (chapter 12) gives local codes.
STATUS = {
    "A": "active code, paid separately under the physician fee schedule",
    "B": "payment always bundled into another service",
    "C": "carriers price the code",
    "D": "deleted code",
    "E": "excluded from the physician fee schedule by regulation",
    "F": "deleted code, no grace period",
    "G": "not valid for Medicare; another code is used",
    "H": "deleted modifier",
    "I": "not valid for Medicare purposes; another code is used, with no grace period",
    "J": "anesthesia service",
    "L": "local code; the Medicare contractor sets its relative values",
    "M": "measurement code, for reporting only",
    "N": "non-covered service",
    "P": "bundled or excluded code",
    "Q": "therapy functional information code, for required reporting only",
    "R": "restricted coverage",
    "T": "injection, paid only when no other service is paid",
    "X": "statutory exclusion",
}
GLOBAL_PERIOD = {
    "000": "procedure with related services on the day of the procedure only",
    "010": "minor procedure with a 10-day postoperative period",
    "090": "major surgery with a 1-day preoperative and 90-day postoperative period",
    "MMM": "maternity code; the usual global period does not apply",
    "XXX": "the global surgery concept does not apply",
    "YYY": "the payer sets the global period",
    "ZZZ": "add-on code, within the global period of another service",
}
PC_TC = {
    "0": "physician service; the PC/TC split does not apply",
    "1": "diagnostic test or radiology service with professional (26) and technical (TC) "
    "components",
    "2": "professional component only",
    "3": "technical component only",
    "4": "global test only",
    "5": "incident-to service",
    "6": "laboratory physician interpretation",
    "7": "physical therapy service",
    "8": "physician interpretation",
    "9": "the PC/TC concept does not apply",
}
MEANINGS = {"status": STATUS, "global_period": GLOBAL_PERIOD, "pc_tc": PC_TC}
# Statuses under which the fee schedule itself sets a national payment from the RVUs.
PAID_UNDER_THE_SCHEDULE = ("A", "R", "T")


def meaning(indicator: str, value: str) -> str | None:
    """Return what an indicator value means, or None for a value CMS does not define."""
    return MEANINGS[indicator].get(value)


# Why the fee schedule gives no national figures for a component with this status, and
# what a reader does instead: printed in the Benchmarks table in the component's place.
NO_FIGURES = {
    "B": "Medicare pays for this service only as part of another service, never on its own.",
    "C": "Medicare Administrative Contractors (MACs) price this code claim by claim: ask the "
    "MAC that processes the claim for the amount.",
    "D": "The code has been deleted; bill the code that replaced it.",
    "E": "Excluded from the fee schedule by regulation: it is not paid under this schedule.",
    "F": "The code has been deleted, with no grace period; bill the code that replaced it.",
    "G": "Not valid for Medicare: Medicare uses another code for this service.",
    "H": "The modifier has been deleted; bill the code without it.",
    "I": "Not valid for Medicare purposes: Medicare uses another code for this service.",
    "J": "Anesthesia services are paid from anesthesia base units and time, not from these "
    "relative values.",
    "L": "A local code: the Medicare Administrative Contractor (MAC) sets its relative "
    "values; ask the MAC.",
    "M": "A measurement code, reported for quality programs only: Medicare pays nothing for it.",
    "N": "Medicare does not cover this service.",
    "P": "Bundled or excluded: Medicare makes no separate payment for it.",
    "Q": "Reported for therapy functional information only: Medicare pays nothing for it.",
    "X": "Excluded from Medicare by law (a statutory exclusion): Medicare does not pay it.",
}


def no_figures_reason(status: str) -> str:
    """Return why a component with this status has no national figures, and what to do."""
    return NO_FIGURES.get(
        status, f"The fee schedule gives no national figures for status {status}."
    )
