"""How times read in anything a person reads: slot buttons, messages, e-mails, refusals.

One place, so that the deadline in an eligibility message, the call in an e-mail and the slot on
a page (``common.js`` ``timeLabel``/``whenLabel`` write the same) never read differently.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def slot_label(start: datetime, zone: str) -> str:
    """``start`` as the requester reads it: ``"6:30 pm EDT"`` (the abbreviation of that instant).

    Same text as pendulum's ``"h:mm A zz"`` with the meridiem lowercased, computed with the
    standard library because it runs once per slot shown.
    """
    local = start.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    meridiem = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local.minute:02d} {meridiem} {local.tzname()}"


def moment_label(instant: datetime, zone: str) -> str:
    """``instant`` as every person-facing text writes a moment: ``"Mon 12/7/2026 8:15 am CST"``.

    One format for messages, e-mails and refusals, the same as the pages' ``whenLabel``, so a
    deadline in a message and a call on a card never read differently.
    """
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.month}/{local.day}/{local.year} {slot_label(instant, zone)}"
