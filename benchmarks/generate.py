#!/usr/bin/env python3
"""Write N synthetic, schema-valid code sources for benchmarks.

    python benchmarks/generate.py N OUT_DIR [--seed S] [--sparse SHARE]

OUT_DIR/publication.yaml is a copy of sources/publication.yaml; OUT_DIR/codes/CODE.yaml
holds N codes (CPT 7xxxx and 9xxxx, some HCPCS G0xxx) with the variety real sources
have: full reports with summaries, descriptions, vignettes of a few paragraphs,
modifiers, related codes, diagnoses, payer coverage, RVU benchmarks by component
(so the chart appears) and references; partial ones; and sparse ones that hold little
more than a title (SHARE of them, 0.15 by default; a quarter partial, the rest full). The
same N, seed and share always give the same bytes. Any *.yaml already
in OUT_DIR/codes is removed first, so the folder holds exactly the N generated codes.

Every value is synthetic: the figures, payer texts and policy ids are made up for
load testing and say so in each file; they are not coverage or payment data.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
PUBLICATION = ROOT / "sources" / "publication.yaml"
WIDTH = 88


# ---- Families of codes: ranges and the vocabulary their text is drawn from ----------


@dataclass(frozen=True)
class Family:
    """A kind of service: where its codes lie and the words its reports use."""

    name: str
    system: str
    ranges: tuple[tuple[int, int], ...]
    weight: int
    services: tuple[str, ...]
    targets: tuple[str, ...]
    service_type: str
    sites: tuple[str, ...]
    personnel: tuple[str, ...]
    settings: tuple[str, ...]
    modifiers: tuple[str, ...]
    diagnoses: tuple[str, ...]
    pc_tc: str
    global_period: str
    split: bool  # professional (26) and technical (TC) components are billed apart
    purpose: str


FAMILIES = (
    Family(
        "radiology",
        "CPT",
        ((70010, 76499),),
        22,
        (
            "Radiologic examination",
            "Computed tomography",
            "Magnetic resonance imaging",
            "Fluoroscopic imaging",
            "Computed tomographic angiography",
        ),
        (
            "of the chest",
            "of the abdomen and pelvis",
            "of the lumbar spine",
            "of the cervical spine",
            "of the knee",
            "of the shoulder",
            "of the brain",
            "of the sinuses",
            "of the hip and pelvis",
            "of the upper extremity veins",
        ),
        "Diagnostic imaging with supervision and interpretation",
        (
            "Hospital radiology department",
            "Independent diagnostic testing facility",
            "Outpatient imaging center",
        ),
        (
            "Supervising radiologist (professional component)",
            "Radiologic technologist (technical component)",
            "Scheduling and prior-authorization staff",
        ),
        (
            "Hospital outpatient department",
            "Freestanding imaging center",
            "Emergency department, when urgent",
        ),
        ("26", "TC", "59", "76", "77", "XU"),
        ("R10.9", "M54.50", "R07.9", "R51.9", "J18.9", "N20.0", "K80.20", "M17.11", "R06.02"),
        "1",
        "XXX",
        True,
        "to confirm or exclude structural disease",
    ),
    Family(
        "ultrasound",
        "CPT",
        ((76506, 76999),),
        8,
        ("Ultrasound", "Duplex scan", "Ultrasound-guided evaluation"),
        (
            "of the abdomen, complete",
            "of the retroperitoneum",
            "of the pelvis, transvaginal",
            "of the scrotum and contents",
            "of the thyroid and soft tissues of the neck",
            "of the breast, unilateral",
        ),
        "Diagnostic ultrasound with real-time image documentation",
        ("Hospital ultrasound suite", "Physician office", "Outpatient imaging center"),
        (
            "Interpreting physician (professional component)",
            "Registered diagnostic medical sonographer (technical component)",
        ),
        ("Physician office", "Hospital outpatient department"),
        ("26", "TC", "52", "59", "RT", "LT"),
        ("R10.9", "R92.8", "N20.0", "K80.20", "E04.1", "N50.89"),
        "1",
        "XXX",
        True,
        "to characterize a finding without ionizing radiation",
    ),
    Family(
        "nuclear",
        "CPT",
        ((78012, 79999),),
        5,
        (
            "Myocardial perfusion imaging",
            "Bone scintigraphy",
            "Thyroid uptake study",
            "Hepatobiliary imaging",
            "Pulmonary ventilation and perfusion imaging",
        ),
        (
            "with single photon emission tomography",
            "whole body",
            "with pharmacologic stress",
            "including quantification",
            "with tomographic imaging",
        ),
        "Nuclear medicine diagnostic study",
        ("Hospital nuclear medicine department", "Cardiology practice with a camera"),
        (
            "Nuclear medicine physician or cardiologist (professional component)",
            "Nuclear medicine technologist (technical component)",
        ),
        ("Hospital outpatient department", "Physician office"),
        ("26", "TC", "59", "76"),
        ("R07.9", "I20.9", "I25.10", "C50.911", "E05.90", "K80.20"),
        "1",
        "XXX",
        True,
        "to show function as well as anatomy",
    ),
    Family(
        "evaluation",
        "CPT",
        ((99202, 99215), (99221, 99239), (99281, 99285)),
        14,
        (
            "Office or other outpatient visit",
            "Hospital inpatient or observation care",
            "Emergency department visit",
        ),
        (
            "for a new patient, straightforward decision making",
            "for an established patient, moderate decision making",
            "for an established patient, high decision making",
            "with a moderate level of medical decision making",
            "with a low level of medical decision making",
        ),
        "Evaluation and management",
        (
            "Physician office",
            "Hospital inpatient unit",
            "Emergency department",
            "Telehealth, where the payer allows it",
        ),
        ("Physician or qualified health care professional", "Medical assistant or nurse"),
        ("Physician office", "Hospital", "Patient's home, by telehealth"),
        ("25", "57", "95", "GT", "FS", "24"),
        ("I10", "E11.9", "E78.5", "J18.9", "F41.1", "M54.50", "R55", "Z00.00"),
        "0",
        "XXX",
        False,
        "to evaluate and manage a patient's problems",
    ),
    Family(
        "therapy",
        "CPT",
        ((97110, 97799),),
        8,
        (
            "Therapeutic exercise",
            "Neuromuscular reeducation",
            "Manual therapy techniques",
            "Gait training",
            "Therapeutic activities",
        ),
        (
            "each 15 minutes",
            "one or more regions, each 15 minutes",
            "direct one-on-one patient contact",
        ),
        "Physical medicine and rehabilitation, timed service",
        ("Outpatient therapy clinic", "Skilled nursing facility", "Patient's home"),
        ("Physical therapist", "Occupational therapist", "Therapy assistant under supervision"),
        ("Outpatient rehabilitation clinic", "Hospital outpatient department"),
        ("GP", "GO", "KX", "59", "CQ", "CO"),
        ("M17.11", "M54.50", "S82.201A", "G81.91", "I63.9", "M62.81"),
        "5",
        "XXX",
        False,
        "to restore function after injury or illness",
    ),
    Family(
        "cardiology",
        "CPT",
        ((93000, 93799),),
        9,
        (
            "Electrocardiogram",
            "Transthoracic echocardiography",
            "Ambulatory ECG monitoring",
            "Cardiovascular stress test",
            "Duplex scan of extracranial arteries",
        ),
        (
            "with interpretation and report",
            "complete, with spectral Doppler",
            "up to 48 hours",
            "with continuous monitoring",
            "bilateral study",
        ),
        "Noninvasive cardiovascular diagnostic study",
        ("Cardiology practice", "Hospital noninvasive laboratory", "Physician office"),
        ("Cardiologist (professional component)", "Cardiac sonographer or technician"),
        ("Physician office", "Hospital outpatient department"),
        ("26", "TC", "59", "76"),
        ("I48.91", "R07.9", "R55", "I10", "I25.10", "R00.2", "I50.9"),
        "1",
        "XXX",
        True,
        "to assess rhythm, structure or perfusion of the heart",
    ),
    Family(
        "psychiatry",
        "CPT",
        ((90785, 90899),),
        6,
        (
            "Psychotherapy",
            "Psychiatric diagnostic evaluation",
            "Family psychotherapy",
            "Psychotherapy for crisis",
        ),
        (
            "30 minutes with patient",
            "45 minutes with patient",
            "60 minutes with patient",
            "with medical services",
            "without the patient present",
        ),
        "Behavioral health service",
        ("Outpatient behavioral health clinic", "Physician office", "Telehealth"),
        ("Psychiatrist", "Licensed clinical social worker", "Clinical psychologist"),
        ("Outpatient clinic", "Patient's home, by telehealth"),
        ("95", "GT", "HO", "AH", "AJ"),
        ("F32.9", "F41.1", "F43.10", "F90.0", "F33.1"),
        "0",
        "XXX",
        False,
        "to treat a behavioral health condition",
    ),
    Family(
        "neurology",
        "CPT",
        ((95700, 95999),),
        4,
        (
            "Electroencephalogram",
            "Nerve conduction studies",
            "Needle electromyography",
            "Autonomic function testing",
        ),
        ("awake and drowsy", "5 to 6 studies", "one extremity", "with interpretation"),
        "Neurodiagnostic testing",
        ("Neurology practice", "Hospital neurodiagnostic laboratory"),
        ("Neurologist (professional component)", "Neurodiagnostic technologist"),
        ("Physician office", "Hospital outpatient department"),
        ("26", "TC", "59", "52"),
        ("G40.909", "G56.01", "R51.9", "G62.9", "R20.2"),
        "1",
        "XXX",
        True,
        "to locate and grade a neurological disorder",
    ),
    Family(
        "ophthalmology",
        "CPT",
        ((92002, 92499),),
        4,
        (
            "Ophthalmological services",
            "Visual field examination",
            "Scanning computerized ophthalmic diagnostic imaging",
            "Fundus photography",
        ),
        (
            "comprehensive, new patient",
            "intermediate, established patient",
            "unilateral or bilateral, with interpretation",
            "extended examination",
        ),
        "Ophthalmic examination or diagnostic test",
        ("Ophthalmology practice", "Optometry practice", "Ambulatory surgery center"),
        ("Ophthalmologist or optometrist", "Ophthalmic technician"),
        ("Physician office",),
        ("26", "TC", "RT", "LT", "50"),
        ("H40.10X0", "E11.9", "H35.30", "H25.9", "H52.4"),
        "1",
        "XXX",
        True,
        "to detect and follow eye disease",
    ),
    Family(
        "hcpcs",
        "HCPCS",
        ((8, 999),),
        20,
        (
            "Annual wellness visit",
            "Screening colonoscopy",
            "Chronic care management",
            "Screening mammography",
            "Intensive behavioral therapy for cardiovascular disease",
            "Administration of influenza virus vaccine",
            "Remote physiologic monitoring",
            "Alcohol misuse screening",
        ),
        (
            "initial visit",
            "subsequent visit",
            "first 20 minutes",
            "individual, 15 minutes",
            "for an individual at high risk",
            "per calendar month",
        ),
        "Medicare-specific service reported with a HCPCS Level II code",
        (
            "Physician office",
            "Rural health clinic",
            "Federally qualified health center",
            "Hospital outpatient department",
        ),
        (
            "Physician or qualified health care professional",
            "Clinical staff under general supervision",
        ),
        ("Physician office", "Patient's home, by telehealth"),
        ("25", "33", "95", "GT", "PT", "KX"),
        ("Z00.00", "Z12.11", "Z12.31", "Z13.6", "Z23", "Z71.41", "E11.9", "I10"),
        "9",
        "XXX",
        False,
        "to deliver a preventive or care management benefit",
    ),
)

DIAGNOSES = {
    "R10.9": "Unspecified abdominal pain",
    "M54.50": "Low back pain, unspecified",
    "R07.9": "Chest pain, unspecified",
    "R51.9": "Headache, unspecified",
    "J18.9": "Pneumonia, unspecified organism",
    "N20.0": "Calculus of kidney",
    "K80.20": "Calculus of gallbladder without cholecystitis without obstruction",
    "M17.11": "Unilateral primary osteoarthritis, right knee",
    "R06.02": "Shortness of breath",
    "R92.8": "Other abnormal and inconclusive findings on diagnostic imaging of breast",
    "E04.1": "Nontoxic single thyroid nodule",
    "N50.89": "Other specified disorders of the male genital organs",
    "I20.9": "Angina pectoris, unspecified",
    "I25.10": "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    "C50.911": "Malignant neoplasm of unspecified site of right female breast",
    "E05.90": "Thyrotoxicosis, unspecified without thyrotoxic crisis or storm",
    "I10": "Essential (primary) hypertension",
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E78.5": "Hyperlipidemia, unspecified",
    "F41.1": "Generalized anxiety disorder",
    "R55": "Syncope and collapse",
    "Z00.00": "Encounter for general adult medical examination without abnormal findings",
    "S82.201A": (
        "Unspecified fracture of shaft of right tibia, initial encounter for closed fracture"
    ),
    "G81.91": "Hemiplegia, unspecified affecting right dominant side",
    "I63.9": "Cerebral infarction, unspecified",
    "M62.81": "Muscle weakness (generalized)",
    "I48.91": "Unspecified atrial fibrillation",
    "R00.2": "Palpitations",
    "I50.9": "Heart failure, unspecified",
    "F32.9": "Major depressive disorder, single episode, unspecified",
    "F43.10": "Post-traumatic stress disorder, unspecified",
    "F90.0": "Attention-deficit hyperactivity disorder, predominantly inattentive type",
    "F33.1": "Major depressive disorder, recurrent, moderate",
    "G40.909": "Epilepsy, unspecified, not intractable, without status epilepticus",
    "G56.01": "Carpal tunnel syndrome, right upper limb",
    "G62.9": "Polyneuropathy, unspecified",
    "R20.2": "Paresthesia of skin",
    "H40.10X0": "Unspecified open-angle glaucoma, stage unspecified",
    "H35.30": "Unspecified macular degeneration",
    "H25.9": "Unspecified age-related cataract",
    "H52.4": "Presbyopia",
    "Z12.11": "Encounter for screening for malignant neoplasm of colon",
    "Z12.31": "Encounter for screening mammogram for malignant neoplasm of breast",
    "Z13.6": "Encounter for screening for cardiovascular disorders",
    "Z23": "Encounter for immunization",
    "Z71.41": "Alcohol abuse counseling and surveillance of alcoholic",
}

MODIFIERS = {
    "26": (
        "Professional component",
        "Use when billing only the physician's supervision and interpretation.",
    ),
    "TC": (
        "Technical component",
        "Use when billing only the equipment, supplies and technical staff, without the "
        "physician's interpretation.",
    ),
    "59": (
        "Distinct procedural service",
        "Use when the service is separate from another one on the same day and no more "
        "specific X modifier applies.",
    ),
    "XU": (
        "Unusual non-overlapping service",
        "Use when the service does not overlap the usual components of the main service.",
    ),
    "76": (
        "Repeat procedure by the same physician",
        "Use when the same physician repeats the study on the same day for a documented reason.",
    ),
    "77": (
        "Repeat procedure by another physician",
        "Use when a different physician repeats the study on the same day.",
    ),
    "52": (
        "Reduced services",
        "Use when part of the service was not performed, at the physician's election.",
    ),
    "RT": ("Right side", "Use to identify a procedure performed on the right side of the body."),
    "LT": ("Left side", "Use to identify a procedure performed on the left side of the body."),
    "50": (
        "Bilateral procedure",
        "Use when the service is performed on both sides in one session.",
    ),
    "25": (
        "Significant, separately identifiable evaluation and management service",
        "Use when an E/M service beyond the usual pre-service work is documented on the same day.",
    ),
    "57": (
        "Decision for surgery",
        "Use on the E/M visit at which the decision for major surgery is made.",
    ),
    "95": (
        "Synchronous telemedicine service",
        "Use when the service is delivered by real-time audio and video, where the payer "
        "allows it.",
    ),
    "GT": (
        "Interactive audio and video telecommunication",
        "Use for telehealth claims to payers that still require GT instead of 95.",
    ),
    "FS": (
        "Split or shared visit",
        "Use when a physician and a non-physician practitioner in the same group share the visit.",
    ),
    "24": (
        "Unrelated E/M service during a postoperative period",
        "Use when the visit is unrelated to the surgery whose global period is running.",
    ),
    "GP": (
        "Services under a physical therapy plan of care",
        "Use on every line delivered under a physical therapy plan of care.",
    ),
    "GO": (
        "Services under an occupational therapy plan of care",
        "Use on every line delivered under an occupational therapy plan of care.",
    ),
    "KX": (
        "Requirements in the medical policy have been met",
        "Use when documentation supports medical necessity above the payer's threshold.",
    ),
    "CQ": (
        "Services furnished in whole or in part by a physical therapist assistant",
        "Use when a PTA furnished more than 10% of the service, as Medicare requires.",
    ),
    "CO": (
        "Services furnished in whole or in part by an occupational therapy assistant",
        "Use when an OTA furnished more than 10% of the service.",
    ),
    "HO": (
        "Master's degree level",
        "Use where a state Medicaid plan asks for the clinician's level.",
    ),
    "AH": (
        "Clinical psychologist",
        "Use where the payer asks to identify services by a clinical psychologist.",
    ),
    "AJ": (
        "Clinical social worker",
        "Use where the payer asks to identify services by a clinical social worker.",
    ),
    "33": (
        "Preventive service",
        "Use to waive cost sharing for a preventive service the plan covers in full.",
    ),
    "PT": (
        "Colorectal cancer screening converted to a diagnostic or therapeutic service",
        "Use when a screening test turns diagnostic, so that cost sharing follows the rules "
        "for screening.",
    ),
}

PAYER_PHRASES = (
    "covers the service when it is medically necessary and documented in the record",
    "covers the service under its clinical policy, with frequency limits per year",
    "expects the ordering clinician's indication to be stated on the claim",
    "reviews claims above the usual frequency against its clinical guidelines",
    "covers the service for members whose plan includes the benefit",
    "applies site-of-service rules that may favor outpatient settings",
)
PRIOR_AUTH = (
    "Required for outpatient settings; not required in the emergency department.",
    "Not required for most plans.",
    "Required when performed more than once in 12 months.",
    "Varies by plan; check the member's benefits.",
    "Required through the payer's radiology benefit manager.",
)
REFERENCES = (
    (
        "CMS Physician Fee Schedule look-up tool",
        "https://www.cms.gov/medicare/physician-fee-schedule/search",
    ),
    ("AMA: CPT overview and code approval", "https://www.ama-assn.org/practice-management/cpt"),
    (
        "CMS HCPCS Level II coding",
        "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system",
    ),
    (
        "ICD-10-CM official guidelines for coding and reporting",
        "https://www.cms.gov/medicare/coding-billing/icd-10-codes",
    ),
    (
        "National Correct Coding Initiative edits",
        "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits",
    ),
    ("Medicare Coverage Database", "https://www.cms.gov/medicare-coverage-database/search.aspx"),
)
CONSIDERATIONS = (
    "Document the indication in the order and in the report; payers deny claims whose "
    "diagnosis does not support the service.",
    "Check the National Correct Coding Initiative edits before billing this code with "
    "another service on the same day.",
    "When the professional and technical components are billed by different entities, "
    "each bills its own component with modifier 26 or TC, never the global code.",
    "Report the service once per encounter unless the payer's policy allows units.",
    "Telehealth rules differ by payer and by date of service; confirm the place of service "
    "code and modifier before submitting the claim.",
    "Preventive services may be billed with a problem-oriented service on the same day "
    "when both are documented; append modifier 25 to the problem-oriented visit.",
    "Frequency limits apply: a claim that exceeds them needs documentation of a change "
    "in the patient's condition.",
    "Keep the signed report, the images or tracings and the order for the retention "
    "period the payer's contract sets.",
)
RELATIONSHIPS = (
    "A related service in the same family, reported separately when both are performed "
    "and documented.",
    "An alternative to this code when the descriptor's conditions are not met; do not report both.",
    "Often performed at the same encounter; check the payer's bundling edits before billing both.",
)
SOURCE = "Synthetic benchmark figures (benchmarks/generate.py, seed {seed}); not payment data"


# ---- Text ------------------------------------------------------------------------------


def q(text: str) -> str:
    """Quote a YAML string: JSON double-quoted strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)


def article(number: int) -> str:
    """Return the indefinite article for a number as spoken: "an 11", "a 12"."""
    return "an" if number in (8, 11, 18) or 80 <= number <= 89 else "a"


def num(value: float) -> str:
    """Write a float so YAML reads a float, never an integer."""
    return f"{value:.2f}"


def block(key: str, paragraphs: list[str], indent: int) -> list[str]:
    """Write Markdown paragraphs as a literal block scalar under key."""
    pad = " " * (indent + 2)
    lines = [f"{' ' * indent}{key}: |"]
    for index, paragraph in enumerate(paragraphs):
        if index:
            lines.append("")
        lines += textwrap.wrap(
            paragraph,
            WIDTH - len(pad),
            initial_indent=pad,
            subsequent_indent=pad,
            break_on_hyphens=False,
        )
    return lines


def folded(prefix: str, text: str, indent: int) -> list[str]:
    """Write a long plain string as a folded scalar (>-), as authors do."""
    pad = " " * (indent + 2)
    return [
        f"{prefix} >-",
        *textwrap.wrap(
            text,
            WIDTH - len(pad),
            initial_indent=pad,
            subsequent_indent=pad,
            break_on_hyphens=False,
        ),
    ]


T = TypeVar("T")


class Writer:
    """Draw one code's source text from a family's vocabulary."""

    def __init__(self, rng: random.Random, payers: list[tuple[str, str]], seed: int):
        self.rng = rng
        self.payers = payers
        self.seed = seed

    def pick(self, items: Sequence[T]) -> T:
        """Return one of items."""
        return self.rng.choice(items)

    def sample(self, items: Iterable[T], k: int) -> list[T]:
        """Return k of items (all of them if fewer), in random order."""
        pool = list(items)
        return self.rng.sample(pool, min(k, len(pool)))

    def summary(self, code: str, family: Family, title: str) -> list[str]:
        """Return the paragraphs of a summary."""
        names = [name for _, name in self.payers]
        payer_names = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f", and {names[-1]}"
        paras = [
            f"{family.system} code {code} represents {title[0].lower() + title[1:]}. Clinicians "
            f"use it {family.purpose}, and the result often decides the next step of care. "
            f"The service is reported as *{family.service_type.lower()}*.",
            f"Key payers typically relevant to coverage and reimbursement include {payer_names}. "
            "Readers can expect a concise overview of the clinical purpose and typical "
            "settings for the service, common payer coverage considerations, and the role "
            "of the code within the patient's care pathway.",
        ]
        if self.rng.random() < 0.6:
            paras.append(
                "The report is intended for a national audience and focuses on practical "
                "information about code use, payer applicability and clinical relevance "
                "rather than jurisdiction-specific rules. Figures shown are synthetic and "
                "serve to exercise the publication's layout."
            )
        return paras

    def description(self, code: str, family: Family, title: str) -> list[str]:
        """Return the paragraphs of an overview's description."""
        paras = [
            f"{family.system} code {code} describes {title[0].lower() + title[1:]}. "
            f"It is performed {family.purpose}; the record must show the indication, "
            "the work performed and the clinician's findings."
        ]
        if self.rng.random() < 0.5:
            paras.append(
                "The code is reported once per session unless its descriptor "
                "states a unit of time. Related services performed at the same "
                "encounter are reported with their own codes, subject to the "
                "payer's bundling edits."
            )
        return paras

    def vignette(self, family: Family) -> list[str]:
        """Return the paragraphs of a clinical vignette."""
        age = self.rng.randint(19, 88)
        sex = self.pick(("male", "female"))
        months = self.rng.randint(2, 24)
        dx = DIAGNOSES[self.pick(family.diagnoses)].lower()
        setting = self.pick(family.settings).split(",")[0].lower()
        paras = [
            f"{article(age).capitalize()} {age}-year-old {sex} with {article(months)} "
            f"{months}-month history suggestive of {dx} is referred for evaluation. The "
            "ordering clinician documents the history, a focused examination and the "
            f"question the service must answer, and schedules it in the {setting}.",
            f"On the day of service the {self.pick(family.personnel).split(' (')[0].lower()} "
            "confirms the order, the patient's identity and any contraindications, explains "
            "the procedure and obtains consent where it is needed. The service is then "
            "performed as the descriptor requires, with each step recorded in the chart.",
        ]
        later = (
            "The interpreting clinician reviews the results the same day and compares them "
            "with prior studies where available. A signed report states the findings, an "
            "impression and any recommendation for follow-up.",
            "When the findings are urgent the clinician calls the ordering practitioner "
            "directly and documents the call, its time and the person reached.",
            "Typical personnel include the supervising clinician for the professional work and "
            "trained staff for the technical work; in smaller practices one clinician may "
            "perform both.",
            "Follow-up depends on the result: a normal study usually closes the question, while "
            "an abnormal one leads to referral, treatment or a further study within weeks.",
        )
        paras.extend(self.pick(later) for _ in range(self.rng.randint(0, 2)))
        return paras

    def benchmarks(self, family: Family, sparse: bool) -> list[list[str]]:
        """Return the benchmark entries, each as its YAML lines; a sparse source has fewer."""
        source = SOURCE.format(seed=self.seed)
        rows: list[tuple[str, float, str, str]] = []
        work = round(self.rng.uniform(0.15, 3.8), 2)
        pe = round(self.rng.uniform(0.2, 4.5), 2)
        mp = round(self.rng.uniform(0.01, 0.35), 2)
        if sparse:
            rows.append(("Work RVU", work, "RVU", "global"))
        elif family.split:
            pro_pe = round(pe * self.rng.uniform(0.05, 0.2), 2)
            pro_mp = round(max(mp * 0.6, 0.01), 2)
            tc_mp = round(max(mp - pro_mp, 0.01), 2)
            tc_pe = round(pe - pro_pe, 2)
            rows += [
                ("Work RVU", work, "RVU", "global"),
                ("Non-facility practice expense RVU", pe, "RVU", "global"),
                ("Malpractice RVU", mp, "RVU", "global"),
                ("Total non-facility RVU", round(work + pe + mp, 2), "RVU", "global"),
                ("Work RVU", work, "RVU", "26"),
                ("Practice expense RVU", pro_pe, "RVU", "26"),
                ("Malpractice RVU", pro_mp, "RVU", "26"),
                ("Total RVU", round(work + pro_pe + pro_mp, 2), "RVU", "26"),
                ("Work RVU", 0.0, "RVU", "TC"),
                ("Practice expense RVU", tc_pe, "RVU", "TC"),
                ("Malpractice RVU", tc_mp, "RVU", "TC"),
                ("Total RVU", round(tc_pe + tc_mp, 2), "RVU", "TC"),
            ]
        else:
            rows += [
                ("Work RVU", work, "RVU", "global"),
                ("Non-facility practice expense RVU", pe, "RVU", "global"),
                ("Malpractice RVU", mp, "RVU", "global"),
                ("Total non-facility RVU", round(work + pe + mp, 2), "RVU", "global"),
            ]
        if not sparse and self.rng.random() < 0.7:
            rows.append(("Conversion factor", 33.41, "USD", "global"))
        entries = []
        for label, value, unit, component in rows:
            entry = [f"  - label: {q(label)}", f"    value: {num(value)}", f"    unit: {unit}"]
            if component != "global" or self.rng.random() < 0.5:
                entry.append(f"    component: {q(component)}")
            entry += [f"    source: {q(source)}", "    as_of: 2026-01-01"]
            entries.append(entry)
        return entries

    def payer_entries(self) -> list[str]:
        """Return the YAML lines of the payers mapping: some of the key payers."""
        lines = ["payers:"]
        chosen = sorted(self.sample(range(len(self.payers)), self.rng.randint(1, len(self.payers))))
        for index in chosen:
            payer_id, name = self.payers[index]
            if self.rng.random() < 0.08:
                lines.append(f"  {payer_id}: null")
                continue
            lines.append(f"  {payer_id}:")
            text = [f"{name} {self.pick(PAYER_PHRASES)}."]
            if self.rng.random() < 0.5:
                outcome = self.pick(("denied", "pended for records", "returned"))
                text.append(
                    f"Claims that lack documentation are {outcome}; appeals follow "
                    "the plan's usual process."
                )
            lines += block("coverage", [" ".join(text)], 4)
            if self.rng.random() < 0.7:
                lines.append(f"    prior_authorization: {q(self.pick(PRIOR_AUTH))}")
            if self.rng.random() < 0.5:
                number = self.rng.randint(100, 9999)
                lines += [
                    "    policies:",
                    f"      - title: {q(f'{name} clinical policy (synthetic) {number}')}",
                    f"        id: {q(f'SYN-{number:04d}')}",
                ]
                if self.rng.random() < 0.6:
                    url = f"https://example.org/policies/{payer_id}/syn-{number:04d}"
                    lines.append(f"        url: {q(url)}")
        return lines


def code_numbers(rng: random.Random, n: int) -> list[tuple[str, Family]]:
    """Draw n distinct codes across the families, in proportion to their weights."""
    weights = [f.weight for f in FAMILIES]
    chosen: dict[str, Family] = {}
    capacity = sum(hi - lo + 1 for f in FAMILIES for lo, hi in f.ranges)
    if n > capacity:
        raise SystemExit(f"at most {capacity} codes can be generated")
    while len(chosen) < n:
        family = rng.choices(FAMILIES, weights)[0]
        lo, hi = rng.choice(family.ranges)
        number = rng.randint(lo, hi)
        code = f"G{number:04d}" if family.system == "HCPCS" else f"{number:05d}"
        chosen.setdefault(code, family)
    return sorted(chosen.items())


def title_of(rng: random.Random, family: Family) -> str:
    """Return a made-up title: one of the family's services and one of its targets."""
    return f"{rng.choice(family.services)} {rng.choice(family.targets)}"


def code_source(
    code: str, family: Family, writer: Writer, all_codes: list[tuple[str, Family]], kind: str
) -> str:
    """Write one code's YAML: kind is full, partial or sparse."""
    rng = writer.rng
    title = title_of(rng, family)
    full = kind == "full"
    sparse = kind == "sparse"
    has = (lambda _p: True) if full else (lambda p: rng.random() < p)
    lines = [
        f"# {family.system} {code}: synthetic {kind} source for benchmarks "
        f"(benchmarks/generate.py, seed {writer.seed}).",
        "# Every text and figure is made up: not coverage, coding or payment advice.",
        f"code: {q(code)}",
        f"system: {family.system}",
        f"title: {q(title)}",
        "",
    ]
    if sparse:
        if rng.random() < 0.6:
            lines += ["indicators:", f"  global_period: {q(family.global_period)}", ""]
        if rng.random() < 0.5:
            entries = writer.benchmarks(family, True)
            lines += ["benchmarks:", *(line for entry in entries for line in entry), ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    if has(0.8):
        lines += [*block("summary", writer.summary(code, family, title), 0), ""]
    if has(0.7):
        lines.append("overview:")
        lines += block("description", writer.description(code, family, title), 2)
        lines.append(f"  service_type: {q(family.service_type)}")
        if has(0.7):
            lines.append("  sites_of_service:")
            sites = writer.sample(family.sites, rng.randint(1, len(family.sites)))
            lines += [f"    - {q(site)}" for site in sites]
        lines.append("")
    if has(0.7):
        lines += ["indicators:"]
        if rng.random() < 0.5:
            lines.append('  status: "A"')
        lines += [f"  global_period: {q(family.global_period)}", f"  pc_tc: {q(family.pc_tc)}", ""]
    if has(0.6):
        lines.append("clinical_context:")
        lines += block("vignette", writer.vignette(family), 2)
        lines.append("  personnel:")
        lines += [f"    - {q(p)}" for p in family.personnel]
        if has(0.7):
            lines.append("  settings:")
            settings = writer.sample(family.settings, rng.randint(1, len(family.settings)))
            lines += [f"    - {q(setting)}" for setting in settings]
        lines.append("")
    if has(0.6):
        mods = list(family.modifiers[:2]) if family.split else []
        mods += [m for m in writer.sample(family.modifiers, rng.randint(1, 3)) if m not in mods]
        lines.append("modifiers:")
        for mod in mods:
            description, when = MODIFIERS[mod]
            lines += [f"  - code: {q(mod)}", f"    description: {q(description)}"]
            lines += folded("    when_to_use:", when, 4)
        lines.append("")
    if has(0.6):
        others = [c for c, _ in all_codes if c != code]
        siblings = [c for c, f in all_codes if f is family and c != code] or others
        if siblings:
            lines.append("related_codes:")
            for other in writer.sample(siblings, rng.randint(1, 3)):
                system = "HCPCS" if other.startswith("G") else "CPT"
                lines += [f"  - code: {q(other)}", f"    system: {system}"]
                lines += folded("    relationship:", rng.choice(RELATIONSHIPS), 4)
            lines.append("")
    if has(0.7):
        lines.append("diagnoses:")
        for dx in writer.sample(family.diagnoses, rng.randint(2, 5)):
            lines += [f"  - code: {q(dx)}", f"    description: {q(DIAGNOSES[dx])}"]
        lines.append("")
    if has(0.7):
        lines.append("coding_considerations:")
        for text in writer.sample(CONSIDERATIONS, rng.randint(1, 4)):
            lines += folded("  -", text, 2)
        lines.append("")
    if has(0.75):
        lines += [*writer.payer_entries(), ""]
    if has(0.85):
        entries = writer.benchmarks(family, False)
        lines += ["benchmarks:", *(line for entry in entries for line in entry), ""]
    if has(0.6):
        lines.append("references:")
        for ref_title, url in writer.sample(REFERENCES, rng.randint(1, 4)):
            lines.append(f"  - title: {q(ref_title)}")
            if rng.random() < 0.8:
                lines.append(f"    url: {q(url)}")
            if rng.random() < 0.6:
                lines.append(f"    accessed: 2026-09-{rng.randint(1, 30):02d}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def payers_of(publication: Path) -> list[tuple[str, str]]:
    """Read the publication's key payers (id, name), in order."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(publication.read_text(encoding="utf-8"))
    return [(p["id"], p["name"]) for p in data["payers"]]


def generate(
    n: int, out: Path, seed: int = 1, publication: Path = PUBLICATION, sparse: float = 0.15
) -> list[str]:
    """Write publication.yaml and n code sources into out; return the codes.

    sparse is the share of sparse sources; a quarter of them all are partial, the rest full.
    """
    rng = random.Random(seed)
    codes_dir = out / "codes"
    codes_dir.mkdir(parents=True, exist_ok=True)
    for stale in sorted(codes_dir.glob("*.yaml")):
        stale.unlink()
    shutil.copyfile(publication, out / "publication.yaml")
    writer = Writer(rng, payers_of(publication), seed)
    codes = code_numbers(rng, n)
    for code, family in codes:
        roll = rng.random()
        kind = "sparse" if roll < sparse else "partial" if roll < sparse + 0.25 else "full"
        text = code_source(code, family, writer, codes, kind)
        (codes_dir / f"{code}.yaml").write_text(text, encoding="utf-8")
    return [code for code, _ in codes]


def main(argv: list[str] | None = None) -> int:
    """Write the sources the command line asks for; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of code sources to write")
    parser.add_argument("out", type=Path, help="sources folder to write (publication.yaml, codes/)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--sparse", type=float, default=0.15, help="share of sparse sources (default 0.15)"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    if not 0 <= args.sparse <= 1:
        parser.error("SHARE must be between 0 and 1")
    codes = generate(args.n, args.out, args.seed, sparse=args.sparse)
    print(f"wrote {len(codes)} code sources and publication.yaml to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
