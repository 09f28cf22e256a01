"""Occurrences in the question's own zone: DST both ways, monthly and weekly rules, until/count.

Questions go through the real parser (questions.parse_question), so `until` and `count` are
folded into the rule exactly as `listener sync` does it.
"""

from datetime import datetime, timedelta, timezone

import pytest

from conftest import write_question
from listener.questions import parse_question
from listener.recurrence import occurrences, to_utc
from zoneinfo import ZoneInfo

UTC = timezone.utc


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def question(tmp_path, **fields):
    fields.setdefault("text", "How are we doing? ({date})")
    return parse_question(write_question(tmp_path, "q", **fields))


def local_times(found, zone):
    return [t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for t in found]


@pytest.mark.parametrize("zone, spring_day, fall_day", [
    ("Europe/Berlin", "2026-03-29", "2026-10-25"),
    ("America/New_York", "2026-03-08", "2026-11-01"),
])
def test_daily_0900_stays_0900_across_both_transitions(tmp_path, zone, spring_day, fall_day):
    q = question(tmp_path, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0", starts="2026-01-01T00:00", time_zone=zone)
    for day in (spring_day, fall_day):
        found = occurrences(q, utc(day + "T00:00") - timedelta(days=2), utc(day + "T00:00") + timedelta(days=2))
        locals_ = local_times(found, zone)
        assert len(found) == 4 and all(t.endswith(" 09:00") for t in locals_), locals_
        # the UTC time shifts by an hour across the transition, the local one does not
        assert len({t.strftime("%H:%M") for t in found}) == 2


def test_berlin_offsets_before_and_after():
    berlin = ZoneInfo("Europe/Berlin")
    assert to_utc(datetime(2026, 3, 28, 9, 0), berlin) == utc("2026-03-28T08:00")
    assert to_utc(datetime(2026, 3, 30, 9, 0), berlin) == utc("2026-03-30T07:00")
    assert to_utc(datetime(2026, 10, 26, 9, 0), berlin) == utc("2026-10-26T08:00")


@pytest.mark.parametrize("zone, day, expected_utc", [
    ("Europe/Berlin", "2026-03-29", "2026-03-29T01:30"),     # 02:30 does not exist -> 03:30 CEST
    ("America/New_York", "2026-03-08", "2026-03-08T07:30"),  # 02:30 does not exist -> 03:30 EDT
])
def test_spring_forward_gap_moves_forward(tmp_path, zone, day, expected_utc):
    q = question(tmp_path, rrule="FREQ=DAILY;BYHOUR=2;BYMINUTE=30", starts="2026-01-01T00:00", time_zone=zone)
    found = occurrences(q, utc(day + "T00:00"), utc(day + "T23:59"))
    assert found == [utc(expected_utc)]
    assert local_times(found, zone) == [day + " 03:30"]
    # the day before and after: 02:30 as usual, exactly one a day
    around = occurrences(q, utc(day + "T00:00") - timedelta(days=1), utc(day + "T00:00") + timedelta(days=2))
    assert [t[-5:] for t in local_times(around, zone)] == ["02:30", "03:30", "02:30"]


def test_one_off_in_the_gap_moves_forward(tmp_path):
    q = question(tmp_path, at="2026-03-29T02:30", time_zone="Europe/Berlin")
    assert occurrences(q, utc("2026-03-01T00:00"), utc("2026-04-01T00:00")) == [utc("2026-03-29T01:30")]


@pytest.mark.parametrize("zone, day, local, first_utc", [
    ("America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30"),  # 01:30 EDT, not 01:30 EST
    ("Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30"),     # 02:30 CEST, not 02:30 CET
])
def test_fall_back_ambiguous_time_happens_once_at_first_instance(tmp_path, zone, day, local, first_utc):
    hour, minute = local.split(":")
    q = question(tmp_path, rrule=f"FREQ=DAILY;BYHOUR={int(hour)};BYMINUTE={int(minute)}",
                 starts="2026-01-01T00:00", time_zone=zone)
    found = occurrences(q, utc(day + "T00:00"), utc(day + "T23:59"))
    assert found == [utc(first_utc)]


def test_fall_back_hourly_rule_has_no_duplicates(tmp_path):
    q = question(tmp_path, rrule="FREQ=HOURLY;BYMINUTE=30", starts="2026-11-01T00:00", until="2026-11-01T03:00",
                 time_zone="America/New_York", channels=["reddit"])  # X: at most one a day
    found = occurrences(q, utc("2026-10-31T00:00"), utc("2026-11-02T00:00"))
    # local 00:30, 01:30 (once), 02:30: three occurrences, in order, all distinct
    assert local_times(found, "America/New_York") == ["2026-11-01 00:30", "2026-11-01 01:30", "2026-11-01 02:30"]
    assert found == sorted(set(found))


def test_monthly_first_monday(tmp_path):
    q = question(tmp_path, rrule="FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0", starts="2026-01-01T00:00",
                 time_zone="Europe/Berlin")
    found = occurrences(q, utc("2026-01-01T00:00"), utc("2027-01-01T00:00"))
    days = [t[:10] for t in local_times(found, "Europe/Berlin")]
    assert days == ["2026-01-05", "2026-02-02", "2026-03-02", "2026-04-06", "2026-05-04", "2026-06-01",
                    "2026-07-06", "2026-08-03", "2026-09-07", "2026-10-05", "2026-11-02", "2026-12-07"]
    assert all(t.endswith("09:00") for t in local_times(found, "Europe/Berlin"))
    assert found[2] == utc("2026-03-02T08:00") and found[3] == utc("2026-04-06T07:00")  # CET then CEST


def test_weekly_rule_with_two_days(tmp_path):
    q = question(tmp_path, rrule="FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=17;BYMINUTE=15", starts="2026-06-01T00:00",
                 time_zone="America/New_York")
    found = occurrences(q, utc("2026-06-01T00:00"), utc("2026-06-15T00:00"))
    assert local_times(found, "America/New_York") == [
        "2026-06-02 17:15", "2026-06-04 17:15", "2026-06-09 17:15", "2026-06-11 17:15"]
    assert found[0] == utc("2026-06-02T21:15")


def test_until_is_inclusive_local_time(tmp_path):
    q = question(tmp_path, rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", starts="2026-06-01T00:00",
                 until="2026-06-15T09:00", time_zone="Europe/Berlin")
    found = occurrences(q, utc("2026-01-01T00:00"), utc("2027-01-01T00:00"))
    assert local_times(found, "Europe/Berlin") == ["2026-06-01 09:00", "2026-06-08 09:00", "2026-06-15 09:00"]


def test_count_counts_from_starts_not_from_the_window(tmp_path):
    q = question(tmp_path, rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", starts="2026-06-01T00:00",
                 count=3, time_zone="Europe/Berlin")
    assert len(occurrences(q, utc("2026-01-01T00:00"), utc("2027-01-01T00:00"))) == 3
    # a window that starts after the second occurrence sees only the third
    assert local_times(occurrences(q, utc("2026-06-10T00:00"), utc("2027-01-01T00:00")), "Europe/Berlin") == \
        ["2026-06-15 09:00"]


def test_window_bounds_are_half_open(tmp_path):
    q = question(tmp_path, at="2026-12-01T09:00", time_zone="UTC")
    assert occurrences(q, utc("2026-12-01T09:00"), utc("2026-12-01T09:01")) == [utc("2026-12-01T09:00")]
    assert occurrences(q, utc("2026-11-01T00:00"), utc("2026-12-01T09:00")) == []
