"""The fast date and number formatting of the chart pages writes exactly what Django writes."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.formats import date_format, number_format

from monitoring.charts.base import _local_number, datetime_formatter

PARIS = ZoneInfo("Europe/Paris")
# One time in every month, at hours and minutes with and without a leading zero.
TIMES = [
    dt.datetime(2026, month, month * 2, month, month * 4, tzinfo=PARIS) for month in range(1, 13)
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "fmt", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "j M Y H:i"]
)
def test_dates_read_as_django_writes_them_in_every_month(language, fmt):
    with translation.override(language):
        formatted = datetime_formatter(fmt)
        assert [formatted(t) for t in TIMES] == [date_format(t, fmt) for t in TIMES]


def test_a_format_with_weekday_names_falls_back_to_django():
    with translation.override("fr"):
        assert datetime_formatter("l j F Y")(TIMES[6]) == date_format(TIMES[6], "l j F Y")


def test_french_short_dates_use_the_unambiguous_month_abbreviations():
    with translation.override("fr"):
        assert datetime_formatter("SHORT_DATETIME_FORMAT")(TIMES[6]) == "14 juil. 2026 07:28"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_numbers_read_as_django_writes_them(language):
    with translation.override(language):
        for value in ["7.1", "0.05", "12", "1234.5", "-3.25"]:
            assert _local_number(Decimal(value)) == number_format(Decimal(value))


def test_numbers_follow_a_changed_thousands_setting(settings):
    with translation.override("en"):
        assert _local_number(Decimal("1234.5")) == "1234.5"
        settings.USE_THOUSAND_SEPARATOR = True
        assert _local_number(Decimal("1234.5")) == "1,234.5"
