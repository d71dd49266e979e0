"""The demo data set: fictional reviewers and cases that exercise every rule of the default policy.

Why the data look the way they do:

- **Everything is fictional.** Physician and member names are invented, e-mail addresses are
  at ``example.org`` (RFC 2606), member IDs and plans are made up. No real PHI, ever.
- **Dates are relative to ``now``.** A demo loaded today or next July must show the same
  picture, so every instant of a case is ``now`` ± whole days or hours (``now`` floored to
  the minute, in UTC) and dates of service are ``now``'s date ± days. Pre-decision cases carry
  an explicit ``hold_due_at`` (``now`` + N days) so their window does not depend on which
  weekday the demo starts; a few deliberately leave it out to show the policy's defaults
  (2 business days commercial, 45 days ``pending_info``, 72 hours urgent), with a receipt only
  hours old so that they stay open on any weekday. Dates of birth are fixed: they are what the
  provider types in.
- **Bookable at any hour of any weekday.** Open is not enough: every eligible case's window
  holds a slot of a qualified reviewer after the minimum notice, also when the demo starts on
  a Friday evening or a weekend. A window counted in calendar time must therefore reach the
  next Monday's working hours: holds are at least three days, and the urgent cases (72 hours
  from receipt, even with a later hold) were received two hours ago — received the evening
  before, they would close on Sunday with nothing to book.
- **One case per behaviour.** Each row of ``_CASES`` states what the default policy should
  answer for it (``DEMO_INTENTS``): every level of review (pre-decision, reconsideration,
  appeal, consultative-only), every way to fall through to consultative-only (window closed,
  appeal filed but not delegated, post-decision options not delegated, service rendered,
  retrospective review, Medicare), the state overrides (TX tier 1 and TX licence, IL any US
  licence for pre-decision, LA/MS reconsideration on request, NY/MO within one business day
  with the original reviewer preferred) and the refusals (approved, withdrawn, additional
  information received, window closed, missing determination date). The test suite
  evaluates them all under the default policy for several ``now`` values.
- **Reviewers cover the cases.** Every (member state, skill) a case uses has at least two
  active reviewers licensed there who hold the skill (in Texas at tier 1, as the Texas rule
  requires), so an appeal, which excludes the determining physician, still finds someone.
  Reviewers sit in five US zones (Eastern, Central, Mountain, Arizona's Phoenix with no DST,
  Pacific), most work Monday–Friday, some part-time or mornings only, a few into the evening
  (the seeds show 6:15–6:45 pm EDT slots) and two have a Saturday block. Skills carry tiers:
  a reviewer's own specialty at 1, neighbouring ones at 2 or 3, so the availability screen
  has "1st Priority by Skill" and lower groups. Two reviewers are inactive (on leave).
- ``A100019``/``A100020`` are one member's two spine cases with the same skill and
  reconsideration level, for a multi-case request (``MULTI_CASE_PAIR``).
- ``p2p_completed`` is never set: it is derived from stored bookings, not pushed by the UM
  system, so a demo case claiming it would lose it on the way into the database.

All functions here are pure: no database, no I/O, no clock (``now`` is passed in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from p2p_scheduler.config import Settings
from p2p_scheduler.domain.model import (
    CaseSnapshot,
    CaseStatus,
    LineOfBusiness,
    Member,
    ReviewerProfile,
    Urgency,
    Weekday,
    WorkingHours,
)
from p2p_scheduler.domain.npi import check_digit
from p2p_scheduler.identity import demo_issuer

#: A case eligible for a reconsideration (Texas, MSK spine), for the README's curl walk-through.
WALKTHROUGH_CASE: tuple[str, date] = ("A100001", date(1962, 4, 17))
#: A denied Medicare case: consultative-only (Medicare has no reconsideration).
WALKTHROUGH_CONSULTATIVE_CASE: tuple[str, date] = ("A100004", date(1949, 11, 30))
#: A Texas MSK spine reviewer who can take the walk-through case: the demo's reviewer day view.
DAY_VIEW_REVIEWER = "rev-001"
#: The demo's sign-ins (SPEC §10): the front desk of one practice and the day view's reviewer.
DEMO_PRACTICE = "demo-clinic"
DEMO_PRACTICE_NAME = "Demo Clinic"
DEMO_TOKEN_HOURS = 8
#: the demo's UM operations lead (role ``ops``, SPEC §12): the reports page's sign-in
DEMO_OPS_NAME = "Jordan Ellis, UM operations"


@dataclass(frozen=True, slots=True)
class DemoTokens:
    practice: str
    reviewer: str
    ops: str


def demo_tokens(settings: Settings, now: datetime) -> DemoTokens:
    """Short-lived tokens of the demo issuer for one practice's front desk, one reviewer and
    one UM operations lead (the reports page)."""
    issuer = demo_issuer(settings)
    if issuer is None:
        raise RuntimeError("the demo issuer needs P2P_DEMO_TOKEN_KEY (serve --demo sets it)")
    lifetime = timedelta(hours=DEMO_TOKEN_HOURS)
    practice = issuer.mint(
        {
            "sub": "frontdesk@demo-clinic.example.org",
            "p2p_role": "provider",
            "provider_org": DEMO_PRACTICE,
            "name": f"Front desk, {DEMO_PRACTICE_NAME}",
            "email": "frontdesk@demo-clinic.example.org",
        },
        now=now,
        lifetime=lifetime,
    )
    reviewer = issuer.mint(
        {
            "sub": f"{DAY_VIEW_REVIEWER}@demo-plan.example.org",
            "p2p_role": "reviewer",
            "reviewer_id": DAY_VIEW_REVIEWER,
            "name": "Daniel Okafor, MD",
        },
        now=now,
        lifetime=lifetime,
    )
    ops = issuer.mint(
        {
            "sub": "um-ops@demo-plan.example.org",
            "p2p_role": "ops",
            "name": DEMO_OPS_NAME,
            "email": "um-ops@demo-plan.example.org",
        },
        now=now,
        lifetime=lifetime,
    )
    return DemoTokens(practice=practice, reviewer=reviewer, ops=ops)


#: Two cases of one member, same skill and level: a multi-case request (dates of birth equal).
MULTI_CASE_PAIR: tuple[tuple[str, date], tuple[str, date]] = (
    ("A100019", date(1970, 8, 25)),
    ("A100020", date(1970, 8, 25)),
)

#: Provider-facing case type label for each reviewer skill code.
CASE_TYPES: dict[str, str] = {
    "msk_spine": "MSK Spine Surgery",
    "pain_management": "Interventional Pain Management",
    "radiology": "Advanced Imaging",
    "cardiology": "Cardiology",
    "oncology": "Medical Oncology",
    "radiation_oncology": "Radiation Therapy",
    "gastroenterology": "Gastroenterology",
    "sleep": "Sleep Management",
}

# fmt: off
# id, name, credentials, zone, skills (code:priority), licensed states, weekly hours, daily cap
_REVIEWERS: tuple[tuple[str, str, str, str, str, str, str, int], ...] = (
    ("rev-001", "Daniel Okafor", "MD", "America/Chicago", "msk_spine:1 pain_management:2", "TX LA MS", "mon-fri 08:00-16:30", 8),
    ("rev-002", "Priya Raman", "MD", "America/Chicago", "msk_spine:1 radiology:3", "TX IL LA FL", "mon,wed 09:00-19:00; tue,thu 09:00-17:00", 6),
    ("rev-003", "Thomas Delacroix", "DO", "America/New_York", "msk_spine:1 pain_management:2", "FL GA NY PA", "mon-fri 12:00-19:00", 8),
    ("rev-004", "Helen Marquez", "MD", "America/Phoenix", "msk_spine:1 pain_management:2", "AZ CA TX NM", "mon-fri 07:00-15:00; sat 08:00-12:00", 10),
    ("rev-005", "Marcus Bell", "DO", "America/Chicago", "pain_management:1 msk_spine:2", "TX MO IL", "mon-fri 09:00-17:00", 8),
    ("rev-006", "Sofia Lindqvist", "MD", "America/Denver", "pain_management:1 msk_spine:2", "AZ CO TX MO GA", "mon,wed,fri 08:00-16:00", 6),
    ("rev-007", "Gregory Nakamura", "MD", "America/Los_Angeles", "radiology:1 cardiology:3", "CA WA AZ NY", "mon-fri 08:00-17:00", 10),
    ("rev-008", "Angela Brooks", "MD", "America/Chicago", "radiology:1 msk_spine:3", "TX MS LA IL", "mon-fri 07:30-15:30", 10),
    ("rev-009", "Rajesh Iyer", "MD", "America/New_York", "radiology:1", "NY PA GA FL NJ", "mon-fri 10:00-18:30", 10),
    ("rev-010", "Catherine Doyle", "DO", "America/Chicago", "radiology:1", "TX MS IL MO", "tue-fri 08:00-16:00; sat 09:00-13:00", 6),
    ("rev-011", "Benjamin Hartley", "MD", "America/New_York", "cardiology:1 radiology:2", "NY PA GA FL", "mon-fri 08:00-16:00", 8),
    ("rev-012", "Nadia Haddad", "MD", "America/Chicago", "cardiology:1 radiology:2 sleep:3", "TX MS IL LA", "mon-thu 09:00-17:00; fri 09:00-13:00", 8),
    ("rev-013", "Kevin O'Brien", "DO", "America/Los_Angeles", "cardiology:1 radiology:2 sleep:3", "CA WA AZ PA", "mon-fri 06:30-14:30", 7),
    ("rev-014", "Samuel Adeyemi", "MD", "America/Chicago", "cardiology:1", "TX IL MO MS GA", "mon-fri 13:00-20:00", 6),
    ("rev-015", "Eleanor Kowalski", "MD", "America/New_York", "oncology:1 radiation_oncology:2", "NY PA NJ WA", "mon-fri 09:00-17:00", 8),
    ("rev-016", "Victor Mendes", "MD", "America/Chicago", "oncology:1 radiation_oncology:2 gastroenterology:3", "IL MO NY PA LA", "mon,tue,thu 08:00-16:00", 5),
    ("rev-017", "Grace Tanaka", "MD", "America/Los_Angeles", "radiation_oncology:1 oncology:2", "CA WA IL FL", "mon-fri 07:00-15:30", 8),
    ("rev-018", "Jerome Fontenot", "MD", "America/Chicago", "radiation_oncology:1 oncology:2", "LA MS TX FL PA", "mon-fri 08:00-17:00", 6),
    ("rev-019", "Monica Sandoval", "MD", "America/Denver", "gastroenterology:1 oncology:3", "AZ CO WA IL NM", "mon-fri 08:00-16:00", 8),
    ("rev-020", "Philip Ashworth", "DO", "America/New_York", "gastroenterology:1", "NY PA FL IL", "mon-fri 09:00-17:00; sat 09:00-12:00", 8),
    ("rev-021", "Irene Castellanos", "MD", "America/Phoenix", "gastroenterology:1", "AZ CA WA NM", "tue-fri 07:00-15:00", 6),
    ("rev-022", "Wendell Price", "MD", "America/Chicago", "sleep:1 cardiology:3", "IL MO TX", "mon-fri 10:00-18:00", 8),
    ("rev-023", "Yuki Morimoto", "DO", "America/Los_Angeles", "sleep:1", "CA WA OR", "mon-thu 12:00-20:00", 6),
    ("rev-024", "Olivia Brennan", "MD", "America/New_York", "sleep:1 cardiology:3", "MO IL NY PA", "mon-fri 08:00-12:00", 4),
    ("rev-025", "Robert Lindgren", "MD", "America/Denver", "msk_spine:1 radiology:3", "TX CO AZ", "mon-fri 08:00-16:00", 8),
    ("rev-026", "Frances Adebayo", "MD", "America/New_York", "radiology:1", "NY NJ PA", "mon-fri 09:00-17:00", 8),
)
# fmt: on

#: What each reviewer practises: the booking, invite and e-mails disclose it (SPEC §11).
_SPECIALTIES: dict[str, str] = {
    "rev-001": "Orthopaedic spine surgery",
    "rev-002": "Neurosurgery",
    "rev-003": "Orthopaedic surgery",
    "rev-004": "Physical medicine and rehabilitation",
    "rev-005": "Pain medicine",
    "rev-006": "Anesthesiology, pain medicine",
    "rev-007": "Diagnostic radiology",
    "rev-008": "Musculoskeletal radiology",
    "rev-009": "Diagnostic radiology",
    "rev-010": "Neuroradiology",
    "rev-011": "Cardiology",
    "rev-012": "Cardiology",
    "rev-013": "Internal medicine",
    "rev-014": "Interventional cardiology",
    "rev-015": "Medical oncology",
    "rev-016": "Hematology and oncology",
    "rev-017": "Radiation oncology",
    "rev-018": "Radiation oncology",
    "rev-019": "Gastroenterology",
    "rev-020": "Gastroenterology",
    "rev-021": "Gastroenterology",
    "rev-022": "Sleep medicine",
    "rev-023": "Sleep medicine",
    "rev-024": "Pulmonology, sleep medicine",
    "rev-025": "Orthopaedic surgery",
    "rev-026": "Diagnostic radiology",
}
#: Reviewers who have not disclosed an NPI (it is optional): the pages show them without one.
_NO_NPI = frozenset({"rev-003", "rev-010"})


def demo_npi(reviewer_id: str) -> str | None:
    """A clearly fake NPI that passes the check digit: ``99900`` + the reviewer's number
    (issued NPIs begin with 1 or 2, so none of these belongs to anyone)."""
    if reviewer_id in _NO_NPI:
        return None
    first_nine = f"99900{int(reviewer_id.removeprefix('rev-')):04d}"
    return first_nine + str(check_digit(first_nine))


#: On leave: kept in the data so that availability shows they are skipped.
_INACTIVE = frozenset({"rev-025", "rev-026"})

#: Plan key → (health plan name, line of business). A member's plan fixes the case's LOB.
_PLANS: dict[str, tuple[str, LineOfBusiness]] = {
    "lonestar": ("Lone Star Health Partners", LineOfBusiness.COMMERCIAL),
    "lonestar-mcr": ("Lone Star Medicare Advantage", LineOfBusiness.MEDICARE),
    "tx-mcd": ("Texas CommunityCare Medicaid", LineOfBusiness.MEDICAID),
    "prairie": ("Prairie State Health Plan", LineOfBusiness.COMMERCIAL),
    "il-mcd": ("Illinois FamilyFirst Medicaid", LineOfBusiness.MEDICAID),
    "bayou": ("Bayou Health Alliance", LineOfBusiness.COMMERCIAL),
    "la-mcd": ("Louisiana Healthy Families Medicaid", LineOfBusiness.MEDICAID),
    "magnolia": ("Magnolia State Health", LineOfBusiness.COMMERCIAL),
    "magnolia-mcr": ("Magnolia Medicare Advantage", LineOfBusiness.MEDICARE),
    "empire": ("Empire Harbor Health", LineOfBusiness.COMMERCIAL),
    "empire-mcr": ("Empire Medicare Advantage", LineOfBusiness.MEDICARE),
    "ny-mcd": ("New York Community Medicaid", LineOfBusiness.MEDICAID),
    "gateway": ("Gateway Health Cooperative", LineOfBusiness.COMMERCIAL),
    "mo-mcd": ("Show-Me Medicaid Partners", LineOfBusiness.MEDICAID),
    "sunshine": ("Sunshine Coastal Health", LineOfBusiness.COMMERCIAL),
    "sunshine-mcr": ("Sunshine Medicare Advantage", LineOfBusiness.MEDICARE),
    "golden": ("Golden Coast Health", LineOfBusiness.COMMERCIAL),
    "golden-mcr": ("Golden Coast Medicare Advantage", LineOfBusiness.MEDICARE),
    "desert": ("Desert Sky Health", LineOfBusiness.COMMERCIAL),
    "az-mcd": ("Arizona Canyon Medicaid", LineOfBusiness.MEDICAID),
    "keystone": ("Keystone Family Health", LineOfBusiness.COMMERCIAL),
    "keystone-mcr": ("Keystone Medicare Advantage", LineOfBusiness.MEDICARE),
    "peach": ("Peach State Health Plan", LineOfBusiness.COMMERCIAL),
    "ga-mcd": ("Georgia Peach Medicaid", LineOfBusiness.MEDICAID),
    "cascade": ("Cascade Mutual Health", LineOfBusiness.COMMERCIAL),
    "wa-mcd": ("Evergreen Apple Medicaid", LineOfBusiness.MEDICAID),
}

# fmt: off
# key, name, date of birth, state, plan key
_MEMBERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("vega", "Marisol Vega", "1962-04-17", "TX", "lonestar"),
    ("boone", "Curtis Boone", "1958-09-02", "TX", "lonestar"),
    ("jefferson", "Latoya Jefferson", "1987-01-23", "TX", "tx-mcd"),
    ("whitfield", "Harold Whitfield", "1949-11-30", "TX", "lonestar-mcr"),
    ("ramirez", "Ernesto Ramirez", "1971-06-14", "TX", "lonestar"),
    ("castillo", "Brenda Castillo", "1980-06-03", "TX", "lonestar"),
    ("nowak", "Dorota Nowak", "1966-03-08", "IL", "prairie"),
    ("hughes", "Terrence Hughes", "1955-12-19", "IL", "prairie"),
    ("carter", "Aaliyah Carter", "1993-07-27", "IL", "il-mcd"),
    ("lindsey", "Gerald Lindsey", "1960-05-05", "IL", "prairie"),
    ("zhou", "Mei-Ling Zhou", "1979-10-11", "IL", "prairie"),
    ("thibodeaux", "Renee Thibodeaux", "1968-02-14", "LA", "bayou"),
    ("batiste", "Jamal Batiste", "1982-08-30", "LA", "la-mcd"),
    ("pickens", "Ruby Pickens", "1959-04-03", "MS", "magnolia"),
    ("tate", "Clarence Tate", "1946-09-21", "MS", "magnolia-mcr"),
    ("goldberg", "Samuel Goldberg", "1964-01-29", "NY", "empire"),
    ("cruz", "Yesenia Cruz", "1990-11-02", "NY", "ny-mcd"),
    ("doherty", "Patrick Doherty", "1975-07-19", "NY", "empire"),
    ("coleman", "Beatrice Coleman", "1944-03-15", "NY", "empire-mcr"),
    ("fields", "Darnell Fields", "1985-06-09", "MO", "mo-mcd"),
    ("hoffmann", "Linda Hoffmann", "1957-12-01", "MO", "gateway"),
    ("ortiz", "Carmen Ortiz", "1970-08-25", "FL", "sunshine"),
    ("simmons", "Walter Simmons", "1941-10-17", "FL", "sunshine-mcr"),
    ("watanabe", "Kenji Watanabe", "1963-02-20", "CA", "golden"),
    ("rahman", "Fatima Rahman", "1988-05-31", "CA", "golden"),
    ("reyes", "Dolores Reyes", "1950-07-07", "CA", "golden-mcr"),
    ("jensen", "Tyler Jensen", "1978-04-12", "AZ", "desert"),
    ("begay", "Rosalind Begay", "1983-09-18", "AZ", "az-mcd"),
    ("kessler", "Brandon Kessler", "1969-11-23", "AZ", "desert"),
    ("kowalczyk", "Margaret Kowalczyk", "1952-06-28", "PA", "keystone"),
    ("russo", "Anthony Russo", "1961-01-09", "PA", "keystone"),
    ("marsh", "Eugene Marsh", "1945-08-04", "PA", "keystone-mcr"),
    ("holloway", "Denise Holloway", "1974-03-22", "GA", "peach"),
    ("greene", "Marcus Greene", "1992-12-12", "GA", "ga-mcd"),
    ("whitaker", "Hannah Whitaker", "1984-10-05", "GA", "peach"),
    ("nilsen", "Soren Nilsen", "1967-05-16", "WA", "cascade"),
    ("kahale", "Leilani Kahale", "1976-02-27", "WA", "cascade"),
    ("petrenko", "Oksana Petrenko", "1989-09-09", "WA", "wa-mcd"),
)

# What the default policy answers (a level of review, or the refusal reason) and the facts.
# Facts: recv/hold/info/det/appeal = received_at, hold_due_at, additional_info_received_at,
# determination_at, appeal_filed_at as now ± Nd / Nh; dos = date of service, now's date ± Nd;
# by=<reviewer> determined_by; flags urgent, retro, no_post (post-decision options not
# delegated), no_appeals (appeals not delegated). A decided case without recv was received
# two days before its determination.
# number, member, skill, status, intent, facts
_CASES: tuple[tuple[str, str, str, str, str, str], ...] = (
    # Texas: tier-1 reviewers with a Texas licence only, at every level.
    ("A100001", "vega", "msk_spine", "denied", "reconsideration", "det-2d dos+21d by=rev-001"),
    ("A100002", "boone", "msk_spine", "in_review", "pre_decision", "recv-1d hold+9d dos+30d"),
    ("A100003", "jefferson", "radiology", "pending_info", "pre_decision", "recv-6d hold+14d"),
    ("A100004", "whitfield", "cardiology", "denied", "consultative_only", "det-4d by=rev-012"),
    ("A100005", "ramirez", "pain_management", "denied", "appeal", "det-12d appeal-5d by=rev-005"),
    ("A100037", "castillo", "radiology", "withdrawn", "status_withdrawn", "recv-3d"),
    # Illinois: any US licence for pre-decision.
    ("A100006", "nowak", "radiology", "in_review", "pre_decision", "recv-1d hold+8d dos+14d"),
    ("A100007", "hughes", "oncology", "in_review", "pre_decision", "recv-2h hold+3d urgent"),
    ("A100008", "carter", "sleep", "denied", "reconsideration", "det-3d dos+25d by=rev-022"),
    ("A100009", "lindsey", "gastroenterology", "approved", "status_approved", "recv-6d det-2d"),
    ("A100039", "zhou", "cardiology", "denied", "missing_determination_at", "recv-5d"),
    # Louisiana and Mississippi: reconsideration on request, even when not delegated.
    ("A100010", "thibodeaux", "msk_spine", "denied", "reconsideration", "det-4d dos+30d no_post"),
    ("A100011", "batiste", "radiation_oncology", "denied", "reconsideration", "det-2d dos+16d"),
    ("A100012", "pickens", "cardiology", "denied", "reconsideration", "det-3d no_post by=rev-012"),
    ("A100013", "tate", "radiology", "denied", "consultative_only", "det-6d by=rev-008"),
    # New York and Missouri: within one business day, the determining physician preferred.
    ("A100014", "goldberg", "oncology", "denied", "reconsideration", "det-1d dos+28d by=rev-015"),
    ("A100015", "cruz", "gastroenterology", "partially_approved", "reconsideration", "det-2d by=rev-020"),
    ("A100016", "doherty", "radiology", "withdrawn", "status_withdrawn", "recv-4d"),
    ("A100038", "coleman", "oncology", "in_review", "pre_decision", "recv-2h urgent"),
    ("A100017", "fields", "sleep", "denied", "reconsideration", "det-1d dos+20d by=rev-022"),
    ("A100018", "hoffmann", "pain_management", "denied", "consultative_only", "det-20d by=rev-005"),
    # Florida: the multi-case pair, and a Medicare pre-decision with a short hold.
    ("A100019", "ortiz", "msk_spine", "denied", "reconsideration", "det-2d dos+18d by=rev-003"),
    ("A100020", "ortiz", "msk_spine", "denied", "reconsideration", "det-3d dos+18d by=rev-003"),
    ("A100021", "simmons", "radiation_oncology", "pending_info", "pre_decision", "recv-20h hold+3d"),
    # California.
    ("A100022", "watanabe", "cardiology", "denied", "consultative_only", "det-16d dos+10d by=rev-013"),
    ("A100023", "rahman", "radiology", "pending_info", "blocked_additional_info_received", "recv-5d hold+20d info-3h"),
    ("A100024", "reyes", "sleep", "denied", "consultative_only", "det-5d by=rev-023"),
    # Arizona.
    ("A100025", "jensen", "msk_spine", "denied", "consultative_only", "det-3d retro by=rev-004"),
    ("A100026", "begay", "gastroenterology", "denied", "window_closed", "det-45d by=rev-021"),
    ("A100027", "kessler", "pain_management", "in_review", "window_closed", "recv-4d hold-1d"),
    # Pennsylvania.
    ("A100028", "kowalczyk", "radiation_oncology", "denied", "consultative_only", "det-10d dos-2d by=rev-018"),
    ("A100029", "russo", "oncology", "partially_approved", "reconsideration", "det-6d dos+12d by=rev-016"),
    ("A100030", "marsh", "cardiology", "denied", "consultative_only", "det-9d appeal-2d by=rev-011"),
    # Georgia: the default windows (45-day hold from receipt, 2 business days in review).
    ("A100031", "holloway", "cardiology", "denied", "consultative_only", "det-15d appeal-3d no_appeals by=rev-014"),
    ("A100032", "greene", "msk_spine", "pending_info", "pre_decision", "recv-4d"),
    ("A100033", "whitaker", "radiology", "in_review", "pre_decision", "recv-2h dos+21d"),
    # Washington.
    ("A100034", "nilsen", "gastroenterology", "denied", "consultative_only", "det-1d no_post by=rev-019"),
    ("A100035", "kahale", "sleep", "partially_approved", "appeal", "det-8d appeal-1d by=rev-023"),
    ("A100036", "petrenko", "radiation_oncology", "approved", "status_approved", "recv-3d det-1d"),
)
# fmt: on

#: Case number → what the default policy answers: a level of review, or the refusal reason.
DEMO_INTENTS: dict[str, str] = {row[0]: row[4] for row in _CASES}

_FACT = re.compile(r"^(recv|hold|info|det|appeal|dos)([+-]\d+)([dh])$")
_FLAGS = frozenset({"urgent", "retro", "no_post", "no_appeals"})
_INSTANTS = {
    "recv": "received_at",
    "hold": "hold_due_at",
    "info": "additional_info_received_at",
    "det": "determination_at",
    "appeal": "appeal_filed_at",
}
_WEEK = list(Weekday)
_HOURS = re.compile(
    r"^([a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*) (\d\d:\d\d)-(\d\d:\d\d)$"
)


def _working_hours(spec: str) -> tuple[WorkingHours, ...]:
    """``"mon-fri 09:00-17:00; sat 08:00-12:00"`` → one block per weekday."""
    blocks: list[WorkingHours] = []
    for part in spec.split(";"):
        match = _HOURS.match(part.strip())
        if match is None:
            raise ValueError(f"bad working hours {part!r}")
        days, start, end = match.groups()
        for item in days.split(","):
            first, _, last = item.partition("-")
            lo, hi = _WEEK.index(Weekday(first)), _WEEK.index(Weekday(last or first))
            blocks.extend(WorkingHours(day, start, end) for day in _WEEK[lo : hi + 1])
    return tuple(blocks)


def _email(name: str) -> str:
    return ".".join(re.sub(r"[^a-z]", "", word) for word in name.lower().split()) + "@example.org"


def demo_reviewers() -> list[ReviewerProfile]:
    """The demo reviewers (medical directors), in id order."""
    return [
        ReviewerProfile(
            reviewer_id=reviewer_id,
            name=name,
            credentials=credentials,
            specialty=_SPECIALTIES[reviewer_id],
            npi=demo_npi(reviewer_id),
            email=_email(name),
            time_zone=zone,
            skills={code: int(tier) for code, tier in (s.split(":") for s in skills.split())},
            licensed_states=frozenset(states.split()),
            working_hours=_working_hours(hours),
            max_consults_per_day=cap,
            active=reviewer_id not in _INACTIVE,
        )
        for reviewer_id, name, credentials, zone, skills, states, hours, cap in _REVIEWERS
    ]


_Members = dict[str, tuple[Member, LineOfBusiness]]


def _members() -> _Members:
    members: _Members = {}
    for index, (key, name, dob, state, plan) in enumerate(_MEMBERS):
        plan_name, lob = _PLANS[plan]
        member_id = f"M{(40_000_000 + 7_919 * 131 * (index + 1)) % 100_000_000:08d}"
        members[key] = (Member(name, date.fromisoformat(dob), state, member_id, plan_name), lob)
    return members


def _case(
    row: tuple[str, str, str, str, str, str], base: datetime, members: _Members
) -> CaseSnapshot:
    number, member_key, skill, status, _intent, facts = row
    member, lob = members[member_key]
    values: dict[str, object] = {}
    flags: set[str] = set()
    for token in facts.split():
        if token.startswith("by="):
            values["determined_by"] = token.removeprefix("by=")
            continue
        if token in _FLAGS:
            flags.add(token)
            continue
        match = _FACT.match(token)
        if match is None:
            raise ValueError(f"case {number}: bad fact {token!r}")
        name, amount, unit = match.groups()
        shift = timedelta(days=int(amount)) if unit == "d" else timedelta(hours=int(amount))
        if name == "dos":
            values["date_of_service"] = (base + shift).date()
        else:
            values[_INSTANTS[name]] = base + shift
    if "received_at" not in values and "determination_at" in values:
        values["received_at"] = values["determination_at"] - timedelta(days=2)  # type: ignore[operator]
    return CaseSnapshot(
        case_number=number,
        member=member,
        line_of_business=lob,
        case_type=CASE_TYPES[skill],
        skill=skill,
        status=CaseStatus(status),
        urgency=Urgency.URGENT if "urgent" in flags else Urgency.STANDARD,
        post_decision_delegated="no_post" not in flags,
        appeals_delegated="no_appeals" not in flags,
        retrospective="retro" in flags,
        **values,  # type: ignore[arg-type]
    )


def demo_cases(now: datetime) -> list[CaseSnapshot]:
    """The demo cases with every instant relative to ``now`` (aware), on whole UTC minutes."""
    if now.tzinfo is None:
        raise ValueError("demo_cases needs an aware datetime for now")
    base = now.astimezone(UTC).replace(second=0, microsecond=0)
    members = _members()
    return sorted((_case(row, base, members) for row in _CASES), key=lambda c: c.case_number)
