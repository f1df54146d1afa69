"""The acknowledgement (ACK) of a received message, built with python-hl7's containers.

MSH with sender and receiver swapped, MSH-9 "ACK^<trigger>^ACK", the version of the message,
a new control ID; MSA-1 the code (AA, AE, AR), MSA-2 the control ID acknowledged, MSA-3 a
summary; one ERR segment per problem. ERR-2 (location), ERR-3 (HL7 table 0357 code), ERR-4
(severity) and ERR-8 (message for people) are v2.5 fields; for 2.3 and 2.4, ERR-1 carries the
location and the code.
"""

from __future__ import annotations

import uuid

import hl7
from django.utils import timezone

from .parse import ERROR_CODE_TEXT, Header, Problem

APPLICATION = "TDM-TRACKER"
DEFAULT_VERSION = "2.5.1"


def build_ack(
    *, code: str, text: str, problems: list[Problem], header: Header | None = None
) -> str:
    """The ACK text, segments joined by \\r (no trailing \\r)."""
    ack = hl7.parse("MSH|^~\\&|\rMSA|")
    msh, msa = ack.segment("MSH"), ack.segment("MSA")
    version = (header.version if header else "") or DEFAULT_VERSION
    trigger = (header.message_type.partition("^")[2] if header else "") or ""
    values = {
        3: (header.receiving_application if header else "") or APPLICATION,
        4: header.receiving_facility if header else "",
        5: header.sending_application if header else "",
        6: header.sending_facility if header else "",
        7: timezone.localtime().strftime("%Y%m%d%H%M%S%z"),
        10: uuid.uuid4().hex[:20].upper(),
        11: "P",
        12: version,
    }
    for position, value in values.items():
        msh.assign_field(_escape(ack, value), position)
    for number, part in enumerate(("ACK", _escape(ack, trigger), "ACK") if trigger else ("ACK",)):
        msh.assign_field(part, 9, 1, number + 1)
    msa.assign_field(code, 1)
    msa.assign_field(_escape(ack, header.control_id if header else ""), 2)
    msa.assign_field(_escape(ack, text), 3)
    modern = version not in ("2.3", "2.3.1", "2.4")
    for problem in problems:
        ack.append(_error_segment(ack, problem, modern=modern))
    return str(ack).rstrip("\r")


def _error_segment(ack: hl7.Message, problem: Problem, *, modern: bool) -> hl7.Segment:
    segment = ack.create_segment([ack.create_field(["ERR"])])
    location = problem.location
    code_text = ERROR_CODE_TEXT.get(problem.code, "")
    if modern:
        if location is not None:
            parts = [location.segment, str(location.sequence)]
            if location.field:
                parts += [str(location.field), "1"]
            for number, part in enumerate(parts):
                segment.assign_field(part, 2, 1, number + 1)
        for number, part in enumerate((problem.code, code_text, "HL70357")):
            segment.assign_field(part, 3, 1, number + 1)
        segment.assign_field("E", 4)
        segment.assign_field(_escape(ack, problem.text), 8)
    else:
        # 2.3/2.4 ERR-1 (ELD): segment ^ sequence ^ field ^ code&text&table.
        parts = (
            [location.segment, str(location.sequence), str(location.field or "")]
            if location
            else ["", "", ""]
        )
        for number, part in enumerate(parts):
            segment.assign_field(part, 1, 1, number + 1)
        segment.assign_field(
            f"{problem.code}{ack.separators[4]}{code_text}{ack.separators[4]}HL70357", 1, 1, 4
        )
    return segment


def _escape(message: hl7.Message, text: str) -> str:
    """Escape the separators (HL7 2.10.4); other characters go as UTF-8. (The library's
    escape turns every non-ASCII character into one \\Xhh\\ byte, wrong past U+00FF.)"""
    esc = message.esc
    names = {
        esc: "E",
        message.separators[1]: "F",
        message.separators[2]: "R",
        message.separators[3]: "S",
        message.separators[4]: "T",
    }
    flat = " ".join(text.split("\n")).replace("\r", " ")
    return "".join(f"{esc}{names[c]}{esc}" if c in names else c for c in flat)
