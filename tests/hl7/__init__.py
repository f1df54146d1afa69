"""Sample HL7 v2 messages shaped like real laboratory and hospital feeds (no real PHI).

Each is written one segment per line for reading; `message()` joins them with \\r as HL7
wants. Demo Rheumatology's MRNs carry the assigning authority "demo-rheum" (its code).
"""


def message(text: str) -> str:
    return "\r".join(line.strip() for line in text.strip().splitlines())


# v2.5.1, one order, tacrolimus trough of 12 ng/mL (above the 6–8 target) for patient A.
TROUGH_HIGH = message(r"""
MSH|^~\&|LIS|CHU-LAB|TDM|DEMO|20250115093000||ORU^R01^ORU_R01|LAB-0001|P|2.5.1|||AL|NE
PID|1||DR-1001^^^demo-rheum^MR||DURAND^ALICE||19900517|F
OBR|1|ORD-1|FIL-1|77348-1^Tacrolimus^LN|||20250115083000
OBX|1|NM|77348-1^Tacrolimus [Mass/volume] in Blood^LN||12|ng/mL|6-8|H|||F|||20250115083000
""")

# v2.3, two orders: creatinine in mg/dL (mapped LOINC 2160-0), potassium, a censored trough
# (SN "<^2.0"), escaped characters in an NTE, and a lab code mapped nowhere.
PANEL_V23 = message(r"""
MSH|^~\&|LIS|CHU-LAB|TDM|DEMO|200501150930||ORU^R01|LAB-0002|P|2.3
PID|1||DR-1001^^^demo-rheum||Durand^Alice||19900517|F
OBR|1|ORD-2||KIDNEY^Kidney panel^L|||202501150800+0100
OBX|1|NM|2160-0^Creatinine [Mass/volume] in Serum or Plasma^LN||1.2|mg/dL|0.5-1.1|H|||F
NTE|1||Sample slightly haemolysed \T\ lipaemic\.br\Repeat advised \F\ if K high
OBX|2|NM|2823-3^Potassium^LN||4.1|mmol/L|3.5-5.1|N|||F
OBR|2|ORD-3||TAC^Tacrolimus^L|||202501150800+0100
OBX|1|SN|77348-1^Tacrolimus^LN||<^2.0|ug/L||L|||F
OBX|2|NM|ZZ999^Mystery test^L||3.3|mg/L||N|||F
""")

UNKNOWN_PATIENT = message(r"""
MSH|^~\&|LIS|CHU-LAB|TDM|DEMO|20250115093000||ORU^R01^ORU_R01|LAB-0003|P|2.5.1
PID|1||DR-9999^^^demo-rheum^MR||NOBODY^NEMO||19700101|M
OBR|1|ORD-4||77348-1^Tacrolimus^LN|||20250115083000
OBX|1|SN|77348-1^Tacrolimus^LN||<^2.0|ng/mL||L|||F
""")


def trough(control_id: str, value: str, status: str, *, at: str = "20250116083000") -> str:
    """A one-trough message for patient A with the given OBX-5 and OBX-11."""
    return message(rf"""
MSH|^~\&|LIS|CHU-LAB|TDM|DEMO|20250116093000||ORU^R01^ORU_R01|{control_id}|P|2.5.1
PID|1||DR-1001^^^demo-rheum^MR||DURAND^ALICE||19900517|F
OBR|1|ORD-9||77348-1^Tacrolimus^LN|||{at}
OBX|1|NM|77348-1^Tacrolimus^LN||{value}|ng/mL|||||{status}
""")


def adt(event: str, control_id: str, *, pid: str) -> str:
    return message(rf"""
MSH|^~\&|PAS|CHU|TDM|DEMO|20250115093000||ADT^{event}^ADT_A01|{control_id}|P|2.5.1
EVN|{event}|20250115093000
{pid}
PV1|1|O
""")
