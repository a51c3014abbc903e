"""The French calendar the planning follows: public holidays (the `holidays` package),
school holidays by zone (`vacances-scolaires-france`), working days and school years."""
import logging
from datetime import date, timedelta
from functools import cache

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

log = logging.getLogger(__name__)
SCHOOL_YEAR_FIRST_MONTH = 9  # a school year runs from September to August


@cache
def public_holidays(year):
    return holidays.France(years=year, language="fr")


def public_holiday_name(day):
    return public_holidays(day.year).get(day)


def is_public_holiday(day):
    return day in public_holidays(day.year)


@cache
def _school_holidays():
    return SchoolHolidayDates()


def is_school_holiday(day, zone):
    """Days of the school holidays of a zone (A, B or C)."""
    try:
        return bool(_school_holidays().is_holiday_for_zone(day, zone))
    except UnsupportedYearException:
        _warn_no_data(day.year)
        return False


@cache
def _warn_no_data(year):
    log.warning("no school holiday data for %s yet (vacances-scolaires-france): its days "
                "count as school days until the package is updated", year)


def school_holidays_known_until():
    """The last day the school holiday data covers (the package ships a few years)."""
    return max(_school_holidays().data)


def school_years_without_holiday_data(years):
    """Those school years whose holidays the package does not know yet: the planning
    would count their holidays as school days."""
    known_until = school_holidays_known_until()
    return sorted(year for year in set(years) if school_year_bounds(year)[1] > known_until)


def school_holiday_name(day, zone):
    if not is_school_holiday(day, zone):
        return None
    return _school_holidays().data[day]["nom_vacances"]


def is_working_day(day):
    return day.isoweekday() <= 5 and not is_public_holiday(day)


def working_days_before(day, count):
    """The date `count` working days before `day` (Saturdays, Sundays and public
    holidays do not count). With count=2, a Monday gives the Thursday before."""
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


# The days the portal deals with at all: a date outside is a slip of the keyboard or a
# forged form, and would overflow date arithmetic.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2199, 12, 31)


def is_requestable(day):
    return FIRST_DAY <= day <= LAST_DAY


def school_year_of(day):
    """The school year a date belongs to, named by its first calendar year (2026 for
    2026-2027)."""
    return day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def school_year_bounds(start_year):
    return date(start_year, SCHOOL_YEAR_FIRST_MONTH, 1), date(start_year + 1, 8, 31)


def school_year_label(start_year):
    return f"{start_year}-{start_year + 1}"


def days_between(first, last):
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


def is_school_day(day, zone):
    """A day children are at school: a working day outside the zone's school holidays."""
    return is_working_day(day) and not is_school_holiday(day, zone)


def first_school_day(first, last, zone):
    """The first school day from first to last; in a range without one (summer, a
    holiday week) its first working day, else first itself."""
    days = list(days_between(first, last))
    return (next((d for d in days if is_school_day(d, zone)), None)
            or next((d for d in days if is_working_day(d)), first))


# The planning shows this many years either side of today: a date further off is a
# typing error, and date arithmetic near year 1 or 9999 overflows.
CALENDAR_YEARS = 5


def calendar_window(today):
    """The first and last days the planning accepts."""
    return (today.replace(year=today.year - CALENDAR_YEARS, month=1, day=1),
            today.replace(year=today.year + CALENDAR_YEARS, month=12, day=31))
