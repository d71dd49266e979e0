"""``Appointment.comment`` → the rest of a ``/v1`` booking contact (SPEC §13), as ``$book``
reads it: the labelled lines ``appointment_from_booking`` writes, read back exactly."""

from __future__ import annotations

from api.fhir.operations import comment_fields


def test_every_label_the_booking_writes_is_read_back() -> None:
    comment = (
        "Contact person: Sam Front-Desk\n"
        "Location: Keystone Spine Clinic, Suite 4\n"
        "Phone extension: 123\n"
        "Alternate phone extension: 45\n"
        "Instructions: Ask for Dr. Orderly;\n"
        "call the alternate number after 4 pm."
    )
    assert comment_fields(comment) == {
        "contact_name": "Sam Front-Desk",
        "contact_location": "Keystone Spine Clinic, Suite 4",
        "phone_ext": "123",
        "alt_phone_ext": "45",
        "instructions": "Ask for Dr. Orderly;\ncall the alternate number after 4 pm.",
    }


def test_labels_in_any_case_and_unlabelled_text_as_instructions() -> None:
    assert comment_fields("LOCATION:  Suite 9 \nplease call after 2 pm") == {
        "contact_location": "Suite 9",
        "instructions": "please call after 2 pm",
    }
    assert comment_fields("") == {}
