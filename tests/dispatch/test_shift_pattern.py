"""The shift typed in one spreadsheet cell (docs/imports.md, Engineers): what it accepts,
what it refuses in words, and that every shift written back reads as the same shift."""

from __future__ import annotations

from datetime import time
from itertools import combinations

import pytest

from backend.dispatch.shifts import Shift, format_pattern, parse_pattern


@pytest.mark.parametrize(
    ("cell", "days", "start", "end", "canonical"),
    [
        ("Mon-Fri 08:00-17:00 Europe/Berlin", (0, 1, 2, 3, 4), time(8), time(17), None),
        ("fri-MON 22:00-06:00 UTC", (0, 4, 5, 6), time(22), time(6), "Mon,Fri-Sun 22:00-06:00 UTC"),
        ("Mon,Wed,Fri 7:30-16:00 Asia/Shanghai", (0, 2, 4), time(7, 30), time(16), None),
        ("Mon-Wed,Sat 09:00-13:00 UTC", (0, 1, 2, 5), time(9), time(13), None),
        ("Sun 00:00-00:00 UTC", (6,), time(0), time(0), None),
    ],
)
def test_accepted_cells(cell, days, start, end, canonical):
    shift = parse_pattern(cell)
    assert (shift.days, shift.start, shift.end) == (days, start, end)
    expected = canonical or cell.replace("7:30", "07:30")
    assert format_pattern(shift) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Mon-Fri 08:00-17:00", "is not a shift; write days HH:MM-HH:MM zone"),
        ("Xyz 08:00-17:00 UTC", "'Xyz' is not a weekday (Mon, Tue, ... Sun)"),
        ("Mon-Tue-Wed 08:00-17:00 UTC", "'Mon-Tue-Wed' is not a weekday range (e.g. Mon-Fri)"),
        ("Mon 08:00 UTC", "'08:00' is not a span of hours (e.g. 08:00-17:00)"),
        ("Mon 08:00-24:30 UTC", "'24:30' is not a time of day (HH:MM, 00:00 to 23:59)"),
        ("Mon 08:00-17:00 Mars/Base", "unknown time zone 'Mars/Base'"),
    ],
)
def test_refused_cells_say_why(cell, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_pattern(cell)


def test_every_set_of_days_reads_back_as_itself():
    for n in range(1, 8):
        for days in combinations(range(7), n):
            shift = Shift("Europe/Berlin", days, time(22, 15), time(6, 45))
            assert parse_pattern(format_pattern(shift)) == shift
