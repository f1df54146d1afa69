# Django's French three-letter months are ambiguous ("Jui" for juin, "Jul" for juillet):
# the abbreviations of the French press (« juin », « juil. », « sept. ») read unambiguously.
DATE_FORMAT = "j F Y"  # 5 mars 2026
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j N Y"  # 5 mars 2026, 12 juil. 2026
SHORT_DATETIME_FORMAT = "j N Y H:i"
