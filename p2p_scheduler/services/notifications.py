"""What a booking change announces, written to the outbox inside the change's transaction.

Emails (iMIP, RFC 6047) go to the requesting provider and to the reviewer when a booking is
scheduled, rescheduled or cancelled: a ``multipart/mixed`` message whose
``multipart/alternative`` holds text, HTML and the ``text/calendar`` invite (plus the same
invite as an ``invite.ics`` attachment, which some clients prefer). Each recipient's copy
shows times in their own zone. A reschedule to another reviewer sends the previous reviewer
a CANCEL of the same event. A completed booking sends the provider one e-mail with the
outcome and what happens next in the policy's words (SPEC §14), text and HTML without an
invite; an admin's correction to another outcome sends one more, marked corrected.
Webhooks (SPEC §9) go out for every change.

Reminders (SPEC §11) are planned here too, in the same transaction: one e-mail to each of
the provider and the reviewer and one ``booking.reminder`` webhook per portal for every lead
still to come, as outbox rows not due before ``start - lead``. Every change re-plans them
(a move drops the old ones, a cancel or an outcome drops them all), so the outbox's
lease-and-fence claim is all it takes for each to go out once across any number of workers.

Minimum necessary PHI (SPEC §5): nothing here ever reads the member's name, date of birth or
member ID; the invite, the email and the webhook carry case numbers, level of review, the
provider's name and call-back details only; never the reviewer's outcome notes either.
"""

from __future__ import annotations

import html
import itertools
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from p2p_scheduler.config import ServiceSettings
from p2p_scheduler.db import outbox_store, repo
from p2p_scheduler.db.engine import Session
from p2p_scheduler.db.outbox_store import Message
from p2p_scheduler.domain import invites
from p2p_scheduler.domain.booking_document import (
    BookedCaseOut,
    BookingOut,
    ContactOut,
    Links,
    OutcomeOut,
    ReviewerRef,
)
from p2p_scheduler.domain.bookings import BookingView
from p2p_scheduler.domain.enums import BookingStatus, Outcome
from p2p_scheduler.domain.links import Purpose, Signer
from p2p_scheduler.domain.model import LevelOfReview, ReviewerProfile
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.domain.reminders import Lead, planned
from p2p_scheduler.domain.time_text import moment_label

#: The part after "@" in every event UID: booking ids are UUIDs, so UIDs are unique
#: without naming a host (which could change and duplicate everyone's events).
UID_DOMAIN = "p2p-scheduler"
#: Changes that reach calendars; the others (completed, no-show) are webhooks only.
EMAILED = {
    "scheduled": "Scheduled",
    "rescheduled": "Updated",
    "updated": "Updated",
    "cancelled": "Cancelled",
}
#: The outcome e-mails (SPEC §14): to the provider only, no invite (the call is over; a
#: REQUEST would put a past event back in calendars). ``corrected``: an admin changed it.
OUTCOME_SUBJECTS = {"completed": "P2P outcome", "corrected": "Corrected P2P outcome"}
REMINDER = "booking.reminder"
#: changes that set a new time (or a first one): reminders planned for the old one go
MOVES = frozenset({"scheduled", "rescheduled"})


@dataclass(frozen=True, slots=True)
class BookingLinks:
    invite_ics: str
    #: None once the booking is cancelled: the cancel revoked the manage link for good
    manage: str | None


@dataclass(frozen=True, slots=True)
class Notifier:
    """Everything a booking change needs to write its notifications; built once from settings.

    A webhook's ``data`` is ``booking_document`` below, the same document the API answers.
    """

    policy: Policy
    signer: Signer
    base_url: str
    organizer_email: str
    webhook_urls: tuple[str, ...] = ()
    reminder_leads: tuple[Lead, ...] = ()

    @classmethod
    def from_settings(cls, settings: ServiceSettings, policy: Policy) -> Notifier:
        return cls(
            policy=policy,
            signer=Signer(settings.secret_key.get_secret_value()),
            base_url=settings.public_base_url,
            organizer_email=settings.organizer_email,
            webhook_urls=tuple(str(url) for url in settings.webhook_urls),
            reminder_leads=settings.reminder_leads,
        )

    # ---- links -------------------------------------------------------------------------------

    def links(self, booking: BookingView, now: datetime) -> BookingLinks:
        """Fresh signed links at the booking's current link versions. A cancelled booking
        has no manage link (SPEC §9: the cancel revoked it for good, and no later answer,
        webhook or e-mail may hand out a working one); its invite link still serves the
        CANCEL."""
        invite = self.signer.issue(Purpose.INVITE, booking.id, booking.invite_link_version, now)
        manage = None
        if booking.status != BookingStatus.CANCELLED:
            token = self.signer.issue(Purpose.MANAGE, booking.id, booking.manage_link_version, now)
            manage = f"{self.base_url}/v1/bookings/{booking.id}?token={token}"
        return BookingLinks(
            invite_ics=f"{self.base_url}/v1/bookings/{booking.id}/invite.ics?token={invite}",
            manage=manage,
        )

    def feed_url(self, reviewer_id: str, version: int, now: datetime) -> str:
        token = self.signer.issue(Purpose.FEED, reviewer_id, version, now)
        return f"{self.base_url}/v1/calendars/reviewers/{reviewer_id}.ics?token={token}"

    # ---- announcing a change -----------------------------------------------------------------

    def announce(
        self,
        session: Session,
        view: BookingView,
        event: str,
        *,
        now: datetime,
        previous_reviewer_id: str | None = None,
        note: str = "",
        corrected: bool = False,
    ) -> None:
        """Write the change's emails and webhooks to the outbox, in ``session``'s transaction.
        ``note`` is one line the e-mails give under their heading (why the change);
        ``corrected``: a completed booking's outcome was recorded again with another code."""
        links = self.links(view, now)
        event_id = str(uuid.uuid4())
        event_type = f"booking.{event}"
        messages: list[Message] = []
        if self.webhook_urls:
            payload = json.dumps(
                {
                    "id": event_id,
                    "type": event_type,
                    "created_at": now.isoformat(),
                    "data": booking_payload(
                        view, links, self.policy.level_labels, self.policy.outcome_labels
                    ),
                },
                separators=(",", ":"),
            )
            messages += [
                Message("webhook", event_id, event_type, view.id, url, payload)
                for url in self.webhook_urls
            ]
        if event in EMAILED and view.start is not None and view.end is not None:
            messages += self._emails(session, view, links, event, event_id, now, note=note)
            reviewer_id = view.reviewer.reviewer_id if view.reviewer else None
            if previous_reviewer_id and previous_reviewer_id != reviewer_id:
                messages += self._emails(
                    session,
                    view,
                    links,
                    "cancelled",
                    event_id,
                    now,
                    reviewer_only=previous_reviewer_id,
                )
        if event == "completed" and view.start is not None and view.end is not None:
            messages.append(self._outcome_email(session, view, links, event_id, now, corrected))
        messages += self._replan_reminders(session, view, event, links, now)
        outbox_store.add(session, messages, now=now)

    # ---- reminders ---------------------------------------------------------------------------

    def _replan_reminders(
        self, session: Session, view: BookingView, event: str, links: BookingLinks, now: datetime
    ) -> list[Message]:
        """Drop the booking's unsent reminders and plan them afresh from the booking as it now
        is. After a move, every unsent one goes (even one already due: it names the old
        time) and leads already passed are skipped. After another change to a scheduled
        call (a new level of review, a flag), only those still to come are re-written with
        the new details; one already due still goes out. Nothing once the call is off."""
        scheduled = view.status == BookingStatus.SCHEDULED and view.start is not None
        moved = event in MOVES or not scheduled
        outbox_store.drop_unsent(session, view.id, REMINDER, planned_after=None if moved else now)
        if not scheduled or not self.reminder_leads:
            return []
        assert view.start is not None and view.end is not None
        reviewer = repo.get_reviewer(session, view.reviewer.reviewer_id) if view.reviewer else None
        messages: list[Message] = []
        for lead in planned(self.reminder_leads, view.start, now):
            if not moved and lead.due(view.start) <= now:
                continue  # its reminder, if unsent, was kept
            messages += self._reminders(view, reviewer, links, lead, now)
        return messages

    def _reminders(
        self,
        view: BookingView,
        reviewer: ReviewerProfile | None,
        links: BookingLinks,
        lead: Lead,
        now: datetime,
    ) -> list[Message]:
        """One lead's reminders: the provider's and the reviewer's e-mails (each in their own
        zone, the manage link for the provider only) and a webhook to each portal."""
        assert view.start is not None
        due = lead.due(view.start)
        event_id = str(uuid.uuid4())
        messages: list[Message] = []
        if self.webhook_urls:
            payload = json.dumps(
                {
                    "id": event_id,
                    "type": REMINDER,
                    "created_at": due.isoformat(),
                    "lead": lead.iso,
                    "data": booking_payload(
                        view, links, self.policy.level_labels, self.policy.outcome_labels
                    ),
                },
                separators=(",", ":"),
            )
            messages += [
                Message("webhook", event_id, REMINDER, view.id, url, payload, due_at=due)
                for url in self.webhook_urls
            ]
        recipients = [(view.contact.email, view.time_zone, links.manage or "")]
        if reviewer is not None:
            recipients.append((reviewer.email, reviewer.time_zone, ""))
        calendar_event = self.invite_event(
            view, reviewer, cancelled=False, invite_url=links.invite_ics
        )
        for address, zone, manage_url in recipients:
            recipe = EmailRecipe(
                event=calendar_event,
                change="reminder",
                method="",
                to=address,
                time_zone=zone,
                invite_url=links.invite_ics,
                manage_url=manage_url,
                organizer_email=self.organizer_email,
                written_at=due,
                lead=lead.words(),
            )
            messages.append(
                Message("email", event_id, REMINDER, view.id, address, recipe.to_json(), due)
            )
        return messages

    def _outcome_email(
        self,
        session: Session,
        view: BookingView,
        links: BookingLinks,
        event_id: str,
        now: datetime,
        corrected: bool,
    ) -> Message:
        """The provider's one e-mail about the outcome: its label and what happens next in
        the policy's words; never the reviewer's notes."""
        reviewer = repo.get_reviewer(session, view.reviewer.reviewer_id) if view.reviewer else None
        assert view.outcome is not None  # announced as completed: the outcome is recorded
        wording = self.policy.outcomes[Outcome(view.outcome)]
        address = view.contact.email
        recipe = EmailRecipe(
            event=self.invite_event(view, reviewer, cancelled=False),
            change="corrected" if corrected else "completed",
            method="",
            to=address,
            time_zone=view.time_zone,
            invite_url="",
            manage_url=links.manage or "",
            organizer_email=self.organizer_email,
            written_at=now,
            outcome_label=wording.label,
            next_steps=wording.next_steps,
        )
        return Message("email", event_id, "booking.completed", view.id, address, recipe.to_json())

    def _emails(
        self,
        session: Session,
        view: BookingView,
        links: BookingLinks,
        event: str,
        event_id: str,
        now: datetime,
        *,
        reviewer_only: str | None = None,
        note: str = "",
    ) -> list[Message]:
        reviewer_id = reviewer_only or (view.reviewer.reviewer_id if view.reviewer else None)
        reviewer = repo.get_reviewer(session, reviewer_id) if reviewer_id else None
        calendar_event = self.invite_event(
            view, reviewer, cancelled=event == "cancelled", invite_url=links.invite_ics
        )
        recipients: list[tuple[str, str, bool]] = []  # (address, zone, gets the manage link)
        if reviewer_only is None:
            recipients.append((view.contact.email, view.time_zone, True))
        if reviewer is not None:
            recipients.append((reviewer.email, reviewer.time_zone, False))
        method = "CANCEL" if event == "cancelled" else "REQUEST"
        return [
            Message(
                "email",
                event_id,
                f"booking.{event}",
                view.id,
                address,
                EmailRecipe(
                    event=calendar_event,
                    change=event,
                    method=method,
                    to=address,
                    time_zone=zone,
                    invite_url=links.invite_ics,
                    manage_url=(links.manage or "") if manage else "",
                    organizer_email=self.organizer_email,
                    written_at=now,
                    note=note,
                ).to_json(),
            )
            for address, zone, manage in recipients
        ]

    def invite_event(
        self,
        view: BookingView,
        reviewer: ReviewerProfile | None,
        *,
        cancelled: bool,
        invite_url: str = "",
    ) -> invites.InviteEvent:
        """The booking as calendars see it: no member name, DOB or member ID (SPEC §5)."""
        assert view.start is not None and view.end is not None
        return invites.InviteEvent(
            booking_id=view.id,
            sequence=view.sequence,
            cancelled=cancelled,
            start=view.start,
            end=view.end,
            case_numbers=tuple(case.case_number for case in view.cases),
            levels_of_review=tuple(
                self.policy.label(LevelOfReview(case.level_of_review)) for case in view.cases
            ),
            provider_name=view.contact.provider_name,
            provider_email=view.contact.email,
            phone=view.contact.phone,
            phone_ext=view.contact.phone_ext,
            alt_phone=view.contact.alt_phone,
            alt_phone_ext=view.contact.alt_phone_ext,
            contact_name=view.contact.contact_name,
            instructions=view.contact.instructions,
            reviewer_name=reviewer.name if reviewer else "",
            reviewer_credentials=reviewer.credentials if reviewer else "",
            reviewer_specialty=reviewer.specialty if reviewer else "",
            reviewer_email=reviewer.email if reviewer else "",
            invite_url=invite_url,
        )


def booking_document(
    view: BookingView,
    links: BookingLinks | None,
    labels: Mapping[str, str],
    outcome_labels: Mapping[str, str] | None = None,
) -> BookingOut:
    """The one document of a booking (SPEC §7): ``GET /v1/bookings/{id}`` answers it and a
    webhook's ``data`` is its JSON. Built here, not by the API, so that a worker or a CLI run
    that never loads the API writes the same webhooks. ``links`` None: without the
    provider's links (what a reviewer sees); ``labels`` are the policy's level-of-review
    wording, ``outcome_labels`` its outcome wording (the code itself when not given)."""
    contact, zone = view.contact, ZoneInfo(view.time_zone)
    return BookingOut(
        id=view.id,
        status=view.status,
        start=view.start.astimezone(zone) if view.start else None,
        end=view.end.astimezone(zone) if view.end else None,
        time_zone=view.time_zone,
        sequence=view.sequence,
        duration_minutes=view.duration_minutes,
        valid_until=view.valid_until,
        reviewer=None
        if view.reviewer is None
        else ReviewerRef(
            reviewer_id=view.reviewer.reviewer_id,
            name=view.reviewer.name,
            credentials=view.reviewer.credentials,
            specialty=view.reviewer.specialty,
            npi=view.reviewer.npi,
            licensed_states=list(view.reviewer.licensed_states),
        ),
        cases=[
            BookedCaseOut(
                case_number=case.case_number,
                level_of_review=case.level_of_review,
                valid_until=case.valid_until,
                level_of_review_label=labels.get(case.level_of_review),
            )
            for case in view.cases
        ],
        contact=ContactOut(
            provider_name=contact.provider_name,
            provider_role=contact.provider_role,
            contact_name=contact.contact_name,
            contact_location=contact.contact_location,
            phone=contact.phone,
            phone_ext=contact.phone_ext,
            alt_phone=contact.alt_phone,
            alt_phone_ext=contact.alt_phone_ext,
            email=contact.email,
            instructions=contact.instructions,
        ),
        links=Links(invite_ics=links.invite_ics, manage=links.manage) if links else Links(),
        created_at=view.created_at,
        attention=view.attention,
        provider_org=view.provider_org,
        outcome=_outcome(view, outcome_labels or {}),
    )


def _outcome(view: BookingView, labels: Mapping[str, str]) -> OutcomeOut | None:
    if view.outcome is None or view.outcome_recorded_at is None:
        return None
    return OutcomeOut(
        code=Outcome(view.outcome),
        label=labels.get(view.outcome, view.outcome),
        recorded_at=view.outcome_recorded_at.astimezone(UTC),
    )


def booking_payload(
    view: BookingView,
    links: BookingLinks,
    labels: Mapping[str, str],
    outcome_labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A webhook's ``data``: the booking document, as JSON values."""
    return booking_document(view, links, labels, outcome_labels).model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class EmailRecipe:
    """An email as the outbox keeps it: everything needed to render it, fixed at the time of
    the change (SEQUENCE, times, links). Rendering (the invite, MIME) happens at delivery, in
    the worker, so that a booking request does not pay for it."""

    event: invites.InviteEvent
    change: str  # scheduled | rescheduled | updated | cancelled | completed | corrected
    method: str  # REQUEST | CANCEL; empty for an outcome e-mail (no invite)
    to: str
    time_zone: str  # the recipient's: their copy shows their local time
    invite_url: str
    manage_url: str  # empty: not offered to this recipient
    organizer_email: str
    written_at: datetime
    #: why the change, in plain words, under the heading (e.g. the case was approved)
    note: str = ""
    #: an outcome e-mail's label and what happens next (empty for the others; absent from
    #: recipes written before outcome e-mails existed)
    outcome_label: str = ""
    next_steps: str = ""
    #: a reminder's lead in words ("24 hours"); empty for the others
    lead: str = ""

    def to_json(self) -> str:
        fields = {name: getattr(self, name) for name in self.__slots__}
        if not self.lead:
            del fields["lead"]  # readable by workers older than reminders (a rolling upgrade)
        fields["event"] = {name: getattr(self.event, name) for name in self.event.__slots__}
        return json.dumps(fields, default=_encode, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> EmailRecipe:
        raw = json.loads(text)
        event = raw.pop("event")
        for name in ("start", "end"):
            event[name] = datetime.fromisoformat(event[name])
        for name in ("case_numbers", "levels_of_review"):
            event[name] = tuple(event[name])
        raw["written_at"] = datetime.fromisoformat(raw["written_at"])
        return cls(event=invites.InviteEvent(**event), **raw)


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def render_email(recipe: EmailRecipe) -> EmailMessage:
    """The iMIP message (RFC 6047) for one recipient; an outcome e-mail is text and HTML
    only."""
    if recipe.change in OUTCOME_SUBJECTS:
        return _outcome_message(recipe)
    if recipe.change == "reminder":
        return _reminder_message(recipe)
    event = recipe.event
    calendar = invites.invite(
        event,
        method=recipe.method,  # type: ignore[arg-type]
        organizer_email=recipe.organizer_email,
        uid_domain=UID_DOMAIN,
        time_zone=recipe.time_zone,
        dtstamp=recipe.written_at,
    )
    subject = f"{EMAILED[recipe.change]}: {invites.summary(event)}"
    message = _text_and_html(recipe, subject, _body_lines(recipe))
    # As bytes, base64: a text part would have its CRLF line ends (RFC 5545) rewritten.
    message.add_alternative(
        calendar,
        maintype="text",
        subtype="calendar",
        params={"method": recipe.method, "charset": "UTF-8"},
        cte="base64",
    )
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    return message


def _text_and_html(recipe: EmailRecipe, subject: str, lines: list[_Line]) -> EmailMessage:
    """The headers every e-mail carries and its body as text and as HTML (the same lines)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = f"P2P Scheduler <{recipe.organizer_email}>"
    message["To"] = recipe.to
    message["Date"] = format_datetime(recipe.written_at)
    message["Message-ID"] = make_msgid(domain=UID_DOMAIN)
    message.set_content("\n".join(line.plain() for line in lines) + "\n")
    message.add_alternative(_html(lines), subtype="html")
    return message


def _outcome_message(recipe: EmailRecipe) -> EmailMessage:
    cases = invites.summary(recipe.event).removeprefix("P2P: ")
    subject = f"{OUTCOME_SUBJECTS[recipe.change]}: {cases} \N{EM DASH} {recipe.outcome_label}"
    return _text_and_html(recipe, subject, _outcome_lines(recipe))


def _reminder_message(recipe: EmailRecipe) -> EmailMessage:
    """A reminder: text and HTML, no invite (the calendar already holds the event; a second
    REQUEST would only make clients ask again)."""
    subject = f"Reminder: {invites.summary(recipe.event)} at {_at(recipe)}"
    return _text_and_html(recipe, subject, _body_lines(recipe))


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of an e-mail body. Only ``link`` (the service's own URLs) is ever made
    clickable; everything else, including what a caller typed, is text (SPEC §9)."""

    text: str
    link: str = ""
    quoted: bool = False  # a line of the caller's instructions, "> " included

    def plain(self) -> str:
        return f"{self.text}: {self.link}" if self.link else self.text

    def html(self) -> str:
        text = html.escape(self.text)
        if self.link:
            url = html.escape(self.link)
            return f'<p>{text}: <a href="{url}">{url}</a></p>'
        if self.quoted:
            return f"<p>{html.escape(self.text.removeprefix('>').removeprefix(' '))}</p>"
        return f"<p>{text}</p>" if self.text else ""


def _body_lines(recipe: EmailRecipe) -> list[_Line]:
    """Heading, the call's details, the service's links, then the caller's instructions quoted
    last, so that no typed line can stand above or pass for one of the real links."""
    event = recipe.event
    heading = {
        "scheduled": "Your peer-to-peer consultation is scheduled.",
        "rescheduled": "Your peer-to-peer consultation has moved.",
        "updated": "The details of your peer-to-peer consultation have changed.",
        "cancelled": "This peer-to-peer consultation has been cancelled.",
        "reminder": f"Reminder: your peer-to-peer consultation is in {recipe.lead}.",
    }[recipe.change]
    texts = [heading, *([recipe.note] if recipe.note else []), "", f"When: {_when(recipe)}"]
    texts.append(f"Case: {invites.summary(event).removeprefix('P2P: ')}")
    if event.reviewer_name:
        texts.append(f"Reviewer: {invites.reviewer_disclosure(event)}")
    texts.append(f"Provider: {event.provider_name}")
    phone = event.phone + (f" ext. {event.phone_ext}" if event.phone_ext else "")
    texts.append(f"The reviewer will call: {phone}")
    lines = [_Line(text) for text in texts]
    lines += [_Line(""), _Line("Add to your calendar", recipe.invite_url)]
    if recipe.manage_url and recipe.change != "cancelled":
        lines.append(_Line("Reschedule or cancel", recipe.manage_url))
    quoted = invites.quoted_instructions(event.instructions)
    if quoted:
        heading, *typed = quoted
        lines += [_Line(""), _Line(heading)] + [_Line(text, quoted=True) for text in typed]
    return lines


def _outcome_lines(recipe: EmailRecipe) -> list[_Line]:
    """The outcome, the call it concerns, then what happens next; no member data and no
    reviewer's notes (SPEC §14)."""
    event = recipe.event
    heading = {
        "completed": "The outcome of your peer-to-peer consultation has been recorded.",
        "corrected": "The outcome recorded for your peer-to-peer consultation has been corrected.",
    }[recipe.change]
    texts = [heading, "", f"Outcome: {recipe.outcome_label}", f"Call: {_when(recipe)}"]
    texts.append(f"Case: {invites.summary(event).removeprefix('P2P: ')}")
    if event.reviewer_name:
        texts.append(f"Reviewer: {invites.reviewer_disclosure(event)}")
    texts.append(f"Provider: {event.provider_name}")
    texts += ["", "What happens next:", recipe.next_steps]
    lines = [_Line(text) for text in texts]
    if recipe.manage_url:
        lines += [_Line(""), _Line("View this P2P request", recipe.manage_url)]
    return lines


def _at(recipe: EmailRecipe) -> str:
    """The call's date and time in the recipient's zone."""
    return moment_label(recipe.event.start, recipe.time_zone)


def _when(recipe: EmailRecipe) -> str:
    """The call's date, time and length in the recipient's zone."""
    event = recipe.event
    return f"{_at(recipe)} ({(event.end - event.start).seconds // 60} minutes)"


def _html(lines: list[_Line]) -> str:
    parts = []
    for quoted, group in itertools.groupby(lines, key=lambda line: line.quoted):
        items = "".join(line.html() for line in group)
        parts.append(f"<blockquote>{items}</blockquote>" if quoted else items)
    return f'<!doctype html><html lang="en"><body>{"".join(parts)}</body></html>'
