"""Sample files for trying the laboratory interfaces on the demo (issue #6).

`seed_demo` writes them to demo-files/; the README shows how to send them. Sample times are
relative to `now`, so the files are never in the future and always recent. The patients are
the demo's (DR-1001 Alice Durand, DR-1002 Bruno Lefèvre) and one the demo does not know
(DR-1099), whose results wait in the unmatched-results queue.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

HL7_FILENAME = "lab-results.hl7"
CSV_FILENAME = "resultats-labo.csv"


def _ts(moment: dt.datetime) -> str:
    """An HL7 timestamp with its UTC offset: 20261124075200+0100."""
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z")


def _draw_time(now: dt.datetime, days_ago: int, hour: int, minute: int) -> dt.datetime:
    day = timezone.localtime(now) - dt.timedelta(days=days_ago)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def hl7_batch(now: dt.datetime) -> str:
    """Three ORU^R01 messages, one segment per line (as files usually are):
    1. v2.5.1, Alice: a tacrolimus trough with a comment (NTE, escaped characters);
    2. v2.3, Bruno: creatinine in mg/dL (LOINC 2160-0) and a blood count, two OBR groups;
    3. v2.5.1, an MRN the demo does not know: a censored trough (SN "<^2.0")."""
    sent = _ts(now)
    alice = _draw_time(now, 1, 7, 52)
    bruno = _draw_time(now, 2, 8, 14)
    unknown = _draw_time(now, 1, 9, 3)
    messages = [
        [
            f"MSH|^~\\&|LAB|CHU-DEMO|TDM|demo-rheum|{sent}||ORU^R01^ORU_R01|DEMO-{alice:%y%m%d}-1|P|2.5.1",
            "PID|1||DR-1001^^^demo-rheum^MR||Durand^Alice||19910412|F",
            f"OBR|1|ORD-1001|LAB-1001|77348-1^Tacrolimus trough^LN|||{_ts(alice)}",
            f"OBX|1|NM|77348-1^Tacrolimus trough^LN||7.4|ng/mL|5.0-15.0|N|||F|||{_ts(alice)}",
            "NTE|1||Drawn 12 h after the evening dose \\T\\ before the morning dose",
        ],
        [
            f"MSH|^~\\&|LAB|CHU-DEMO|TDM|demo-rheum|{sent}||ORU^R01|DEMO-{bruno:%y%m%d}-2|P|2.3",
            "PID|1||DR-1002^^^demo-rheum||Lefèvre^Bruno||19840903|M",
            f"OBR|1|ORD-1002|LAB-1002|CHEM^Chemistry^L|||{_ts(bruno)}",
            "OBX|1|NM|2160-0^Creat SerPl-mCnc^LN||1.3|mg/dL|0.7-1.3||||F",
            f"OBR|2|ORD-1003|LAB-1003|CBC^Blood count^L|||{_ts(bruno)}",
            "OBX|1|NM|6690-2^Leukocytes^LN||5.8|10*9/L|4.0-10.0||||F",
            "OBX|2|NM|751-8^Neutrophils^LN||3.9|10*9/L|1.8-7.5||||F",
            "OBX|3|NM|731-0^Lymphocytes^LN||1.1|G/L|1.0-4.0||||F",
            "OBX|4|NM|777-3^Platelets^LN||212|10*9/L|150-400||||F",
            "OBX|5|NM|718-7^Hemoglobin^LN||13.6|g/dL|13.0-17.0||||F",
        ],
        [
            f"MSH|^~\\&|LAB|CHU-DEMO|TDM|demo-rheum|{sent}||ORU^R01^ORU_R01|DEMO-{unknown:%y%m%d}-3|P|2.5.1",
            "PID|1||DR-1099^^^demo-rheum^MR||Bernard^Emma||19950218|F",
            f"OBR|1|ORD-1099|LAB-1099|77348-1^Tacrolimus trough^LN|||{_ts(unknown)}",
            f"OBX|1|SN|77348-1^Tacrolimus trough^LN||<^2.0|ng/mL|||L|||F|||{_ts(unknown)}",
        ],
    ]
    return "\n".join("\n".join(segments) for segments in messages) + "\n"


def french_csv(now: dt.datetime) -> bytes:
    """A CSV as a French spreadsheet saves it: UTF-8 with BOM, ";" between cells, "," as the
    decimal mark. A trough with its last dose, a potassium and a uric acid."""
    trough = _draw_time(now, 3, 8, 6)
    dose = trough - dt.timedelta(hours=12, minutes=10)
    other = _draw_time(now, 3, 8, 7)
    rows = [
        "mrn;loinc;value;unit;collected_at;last_dose_at;comment",
        f"DR-1001;77348-1;6,9;ng/mL;{trough:%Y-%m-%d %H:%M};{dose:%Y-%m-%d %H:%M};Contrôle mensuel",
        f"DR-1001;2823-3;4,3;mmol/L;{other:%Y-%m-%d %H:%M};;",
        f"DR-1002;3084-1;6,1;mg/dL;{other:%Y-%m-%d %H:%M};;Uricémie",
    ]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")
