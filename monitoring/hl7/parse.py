"""HL7 v2.x messages (versions 2.3 to 2.5.1) → typed dataclasses, with python-hl7.

Only reading: what the message says, field by field, with escape sequences decoded. What it
means for our data (which patient, which analyte, which unit) is decided in
services/hl7.py. Positions in errors follow HL7: "OBX-5" is field 5 of an OBX segment, and
`sequence` counts the segments of that type in the message (the third OBX is sequence 3).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zoneinfo
from dataclasses import dataclass, field

import hl7
from django.conf import settings
from django.utils.translation import gettext as _
from hl7.util import unescape as hl7_unescape

SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
RESULT_TYPES = ("ORU^R01",)
PATIENT_TYPES = ("ADT^A04", "ADT^A08", "ADT^A31")

# HL7 table 0357, message error condition codes, as used in ERR segments.
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
APPLICATION_ERROR = "207"
SEGMENT_SEQUENCE_ERROR = "100"

ERROR_CODE_TEXT = {
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    TABLE_VALUE_NOT_FOUND: "Table value not found",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_VERSION: "Unsupported version id",
    UNKNOWN_KEY: "Unknown key identifier",
    DUPLICATE_KEY: "Duplicate key identifier",
    APPLICATION_ERROR: "Application internal error",
}


@dataclass(frozen=True)
class Location:
    """Where a problem is: segment, its sequence among segments of that type, field."""

    segment: str
    sequence: int = 1
    field: int | None = None

    def __str__(self) -> str:
        return f"{self.segment}-{self.field}" if self.field else self.segment


@dataclass
class Problem:
    """One line of an ACK's errors: where, the HL7 error code, and a message for people."""

    location: Location | None
    code: str
    text: str


class Hl7ReadError(Exception):
    """The message cannot be read or is not one we accept (answered AR)."""

    def __init__(self, problem: Problem, header: Header | None = None):
        super().__init__(problem.text)
        self.problem = problem
        self.header = header


@dataclass(frozen=True)
class Header:
    """MSH as sent. `message_type` is "ORU^R01" whatever the version spells after it."""

    control_id: str
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_type: str
    version: str


@dataclass(frozen=True)
class PatientIdentifier:
    """One repetition of PID-3 (CX): MRN ^^^ assigning authority."""

    mrn: str
    authority: str


@dataclass
class PatientData:
    """PID as sent; `date_of_birth` is None when PID-7 is missing or unreadable."""

    identifiers: list[PatientIdentifier]
    family_name: str
    given_name: str
    date_of_birth: dt.date | None
    date_of_birth_text: str
    sex: str

    @property
    def first_identifier(self) -> PatientIdentifier:
        return self.identifiers[0] if self.identifiers else PatientIdentifier("", "")


@dataclass
class Observation:
    """One OBX, with the NTE comments that follow it."""

    sequence: int  # the nth OBX of the message
    value_type: str  # OBX-2: NM, SN, ST, TX, CE...
    codes: list[tuple[str, str]]  # OBX-3 (code, coding system): identifier, then alternative
    code_text: str
    value: str  # OBX-5 as text; SN "<^2.0" reads "<2.0"
    value_components: list[str]  # OBX-5 components, for SN
    units: str  # OBX-6.1
    reference_range: str  # OBX-7
    abnormal_flags: str  # OBX-8, repetitions joined by "~"
    status: str  # OBX-11
    observed_at: dt.datetime | None  # OBX-14, else the OBR-7 of its order
    observed_at_text: str
    comments: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.codes[0][0] if self.codes else ""

    @property
    def code_system(self) -> str:
        return self.codes[0][1] if self.codes else ""


@dataclass
class Order:
    """One OBR and its observations; `comments` are the NTEs right after the OBR."""

    sequence: int
    observed_at: dt.datetime | None
    comments: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


@dataclass
class Hl7Message:
    header: Header
    patient: PatientData | None
    orders: list[Order]
    parsed: hl7.Message
    # Field-level problems found while reading (a time that is not a time...).
    problems: list[Problem] = field(default_factory=list)


def normalise(text: str) -> str:
    """Segments end with \\r in HL7; files and HTTP clients often send \\n or \\r\\n."""
    return text.replace("\r\n", "\r").replace("\n", "\r").strip()


def split_messages(text: str) -> list[str]:
    """The messages of a file: FHS/BHS batch envelope or consecutive MSH messages."""
    return [message for message in hl7.split_file(normalise(text)) if message.strip()]


def read_header(text: str) -> tuple[hl7.Message, Header]:
    """Parse the message and read MSH; raises Hl7ReadError when there is no usable MSH."""
    text = normalise(text)
    if not text.startswith("MSH") or len(text) < 8:
        raise Hl7ReadError(
            Problem(
                Location("MSH"),
                SEGMENT_SEQUENCE_ERROR,
                _("This is not an HL7 v2 message: it does not start with an MSH segment."),
            )
        )
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except Exception as error:  # python-hl7 raises several kinds for malformed text
        raise Hl7ReadError(
            Problem(
                Location("MSH"),
                SEGMENT_SEQUENCE_ERROR,
                _("The message cannot be read as HL7 v2 (%(error)s).") % {"error": error},
            )
        ) from error
    header = Header(
        control_id=_value(msh, 10),
        sending_application=_value(msh, 3),
        sending_facility=_value(msh, 4),
        receiving_application=_value(msh, 5),
        receiving_facility=_value(msh, 6),
        message_type="^".join(part for part in (_value(msh, 9), _value(msh, 9, 2)) if part),
        version=_value(msh, 12),
    )
    return message, header


def parse_message(text: str) -> Hl7Message:
    """Read an ORU^R01 or ADT^A04/A08/A31 message; raises Hl7ReadError (answered AR) for
    anything that is not one of them in a supported version, or lacks MSH-10."""
    message, header = read_header(text)
    if not header.control_id:
        raise Hl7ReadError(
            Problem(
                Location("MSH", 1, 10),
                REQUIRED_FIELD_MISSING,
                _("MSH-10 (message control ID) is missing."),
            ),
            header,
        )
    if header.version not in SUPPORTED_VERSIONS:
        raise Hl7ReadError(
            Problem(
                Location("MSH", 1, 12),
                UNSUPPORTED_VERSION,
                _("HL7 version “%(version)s” is not supported (2.3 to 2.5.1 are).")
                % {"version": header.version},
            ),
            header,
        )
    if header.message_type not in RESULT_TYPES + PATIENT_TYPES:
        raise Hl7ReadError(
            Problem(
                Location("MSH", 1, 9),
                UNSUPPORTED_MESSAGE_TYPE,
                _("Message type “%(type)s” is not accepted (ORU^R01, ADT^A04, A08, A31 are).")
                % {"type": header.message_type},
            ),
            header,
        )
    result = Hl7Message(header=header, patient=None, orders=[], parsed=message)
    counts: dict[str, int] = {}
    order: Order | None = None
    last_observation: Observation | None = None
    for segment in message:
        name = str(segment[0])
        counts[name] = counts.get(name, 0) + 1
        sequence = counts[name]
        if name == "PID" and result.patient is None:
            result.patient = _read_patient(segment, result.problems)
        elif name == "OBR":
            order = Order(
                sequence=sequence,
                observed_at=_read_time(segment, 7, sequence, result.problems),
            )
            result.orders.append(order)
            last_observation = None
        elif name == "OBX":
            if order is None:  # tolerated: an OBX before any OBR gets an order of its own
                order = Order(sequence=0, observed_at=None)
                result.orders.append(order)
            last_observation = _read_observation(segment, sequence, order, result.problems)
            order.observations.append(last_observation)
        elif name == "NTE":
            text = _value(segment, 3)
            if text:
                if last_observation is not None:
                    last_observation.comments.append(text)
                elif order is not None:
                    order.comments.append(text)
    return result


def _read_patient(segment: hl7.Segment, problems: list[Problem]) -> PatientData:
    identifiers = [
        PatientIdentifier(
            mrn=_value(segment, 3, 1, repeat), authority=_value(segment, 3, 4, repeat)
        )
        for repeat in range(1, _repeats(segment, 3) + 1)
    ]
    birth_text = _value(segment, 7)
    try:
        birth = hl7.parse_datetime(birth_text).date() if birth_text else None
    except (ValueError, TypeError):
        birth = None
    return PatientData(
        identifiers=[i for i in identifiers if i.mrn],
        family_name=_value(segment, 5, 1),
        given_name=_value(segment, 5, 2),
        date_of_birth=birth,
        date_of_birth_text=birth_text,
        sex=_value(segment, 8).upper(),
    )


def _read_observation(
    segment: hl7.Segment, sequence: int, order: Order, problems: list[Problem]
) -> Observation:
    value_type = _value(segment, 2).upper()
    components = _components(segment, 5)
    # SN "<^2.0" reads "<2.0", so parse_lab_value reads it in the unmatched queue; a ratio or
    # a range keeps its separator ("1:128", "2-5").
    value = "".join(components) if value_type == "SN" else _value(segment, 5)
    codes = [(_value(segment, 3, 1), _value(segment, 3, 3))]
    if _value(segment, 3, 4):
        codes.append((_value(segment, 3, 4), _value(segment, 3, 6)))
    observed_text = _value(segment, 14)
    observed_at = _read_time(segment, 14, sequence, problems) if observed_text else None
    return Observation(
        sequence=sequence,
        value_type=value_type,
        codes=codes,
        code_text=_value(segment, 3, 2) or _value(segment, 3, 5),
        value=value.strip(),
        value_components=components,
        units=_value(segment, 6, 1),
        reference_range=_value(segment, 7),
        abnormal_flags="~".join(
            flag
            for flag in (_value(segment, 8, 1, r) for r in range(1, _repeats(segment, 8) + 1))
            if flag
        ),
        status=_value(segment, 11).upper(),
        observed_at=observed_at or order.observed_at,
        observed_at_text=observed_text or "",
    )


def _read_time(
    segment: hl7.Segment, position: int, sequence: int, problems: list[Problem]
) -> dt.datetime | None:
    text = _value(segment, position)
    if not text:
        return None
    try:
        return parse_hl7_time(text)
    except ValueError:
        problems.append(
            Problem(
                Location(str(segment[0]), sequence, position),
                DATA_TYPE_ERROR,
                _("“%(text)s” is not an HL7 date and time (e.g. 20261120083000).") % {"text": text},
            )
        )
        return None


def parse_hl7_time(text: str) -> dt.datetime:
    """HL7 TS/DTM: 20261120083000, 202611200830, with an optional +0100 offset; a time
    without offset is in settings.TIME_ZONE. A date alone is refused: a sample needs a time.
    Raises ValueError."""
    text = text.strip()
    digits = re.match(r"\d*", text).group()
    if len(digits) < 12:
        raise ValueError(text)
    value = hl7.parse_datetime(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return value.astimezone(dt.UTC)


# Field access -------------------------------------------------------------------------------


def _value(segment: hl7.Segment, position: int, component: int = 1, repeat: int = 1) -> str:
    """The unescaped text of a field component ("" when absent)."""
    return unescape(segment, _raw(segment, position, repeat, component)).strip()


def _raw(segment: hl7.Segment, position: int, *indices: int) -> str:
    """The text at field `position`, repetition, component (1-based) as the library parsed
    it. python-hl7 nests a container only where a separator was found, so a plain string
    may be reached early: it answers only for the first repetition/component."""
    if position >= len(segment):
        return ""
    node = segment(position)
    if str(segment[0]) in ("MSH", "BHS", "FHS") and position <= 2:
        return str(node)  # the separators themselves, never escaped
    for index in indices:
        if isinstance(node, str):
            return node if index == 1 else ""
        if index > len(node):
            return ""
        node = node(index)
    while not isinstance(node, str):
        if not len(node):
            return ""
        node = node(1)
    return node


def _repeats(segment: hl7.Segment, position: int) -> int:
    if position >= len(segment):
        return 0
    found = segment(position)
    # A field holds repetitions only when "~" was found in it.
    if isinstance(found, hl7.Field) and found and isinstance(found[0], hl7.Repetition):
        return len(found)
    return 1


def _components(segment: hl7.Segment, position: int) -> list[str]:
    """The unescaped components of the first repetition of a field."""
    if position >= len(segment):
        return []
    found = segment(position)
    repetition = found(1) if isinstance(found, hl7.Field) and found else found
    if not isinstance(repetition, hl7.Repetition):
        return [_value(segment, position)]
    return [_value(segment, position, number) for number in range(1, len(repetition) + 1)]


def unescape(segment: hl7.Segment, text: str) -> str:
    """Decode HL7 escape sequences with the library's unescape (what Message.unescape runs).

    \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ are the separators, \\.br\\ a new line. The library reads
    \\Xhh..\\ as one character per byte; labs send UTF-8 bytes (\\XC3A9\\ is "é"), so hex
    sequences are decoded here and handed to the library's unescape as its application map."""
    if segment.esc not in text:
        return text
    esc = re.escape(segment.esc)
    hex_map = {}
    for digits in re.findall(esc + r"X([0-9A-Fa-f]+)" + esc, text):
        if len(digits) % 2:
            continue  # not whole bytes: the library drops it
        data = bytes.fromhex(digits)
        try:
            hex_map["X" + digits] = data.decode("utf-8")
        except UnicodeDecodeError:
            hex_map["X" + digits] = data.decode("latin-1")
    with warnings.catch_warnings():
        # The library logs with the deprecated Logger.warn for sequences it cannot decode.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            decoded = hl7_unescape(segment, text, app_map=hex_map)
        except Exception:  # an odd sequence: keep the text as sent rather than lose it
            return text
    return decoded.replace("\r", "\n")
