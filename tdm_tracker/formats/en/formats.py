# Dates as the clinic reads them in English: day first, never the US month-first order.
DATE_FORMAT = "j F Y"  # 5 March 2026
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d M Y"  # 05 Mar 2026
SHORT_DATETIME_FORMAT = "d M Y H:i"
