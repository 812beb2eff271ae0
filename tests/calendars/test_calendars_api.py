"""Business-hours calendars through the API: CRUD, validation, and status across DST and
holidays."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import create_number

NY = "America/New_York"
WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)]


async def create_calendar(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Office", "timezone": "Europe/Istanbul", "weekday_windows": WEEKDAYS_9_TO_5}
    body.update(overrides)
    r = await api.post("/v1/voice/calendars", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def status(api: httpx.AsyncClient, calendar_id: str, at: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/calendars/{calendar_id}/status", params={"at": at})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_crud_and_shape(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(api, holidays=["2026-12-31", "2026-01-01", "2026-01-01"])
    assert cal["id"].startswith("cal_")
    assert cal["timezone"] == "Europe/Istanbul"
    assert cal["holidays"] == ["2026-01-01", "2026-12-31"]
    assert cal["weekday_windows"][0] == {"weekday": 1, "start": "09:00", "end": "17:00"}
    assert cal["created_at"].endswith("Z")

    r = await api.get(f"/v1/voice/calendars/{cal['id']}")
    assert r.json()["data"] == cal
    r = await api.put(f"/v1/voice/calendars/{cal['id']}", json={"name": "HQ"})
    assert r.status_code == 200
    updated = r.json()["data"]
    assert updated["name"] == "HQ"
    assert updated["weekday_windows"] == cal["weekday_windows"]  # not sent, kept
    r = await api.get("/v1/voice/calendars")
    assert [c["id"] for c in r.json()["data"]] == [cal["id"]]
    assert r.json()["meta"]["pagination"]["total"] == 1
    assert (await api.delete(f"/v1/voice/calendars/{cal['id']}")).status_code == 204
    assert (await api.get(f"/v1/voice/calendars/{cal['id']}")).status_code == 404


async def test_weekday_zero_is_sunday_and_windows_merge(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(
        api,
        weekday_windows=[
            {"weekday": 0, "start": "10:00", "end": "12:00"},
            {"weekday": 1, "start": "11:00", "end": "13:00"},
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 1, "start": "13:00", "end": "14:00"},  # touching: merged too
            {"weekday": 1, "start": "15:00", "end": "16:00"},
            {"weekday": 7, "start": "11:30", "end": "24:00"},
        ],
    )
    assert cal["weekday_windows"] == [
        {"weekday": 1, "start": "09:00", "end": "14:00"},
        {"weekday": 1, "start": "15:00", "end": "16:00"},
        {"weekday": 7, "start": "10:00", "end": "24:00"},
    ]


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        (
            {"weekday_windows": [{"weekday": 8, "start": "09:00", "end": "10:00"}]},
            "weekday_windows.0.weekday",
        ),
        (
            {"weekday_windows": [{"weekday": 1, "start": "9:00", "end": "10:00"}]},
            "weekday_windows.0.start",
        ),
        (
            {"weekday_windows": [{"weekday": 1, "start": "10:00", "end": "10:00"}]},
            "weekday_windows.0",
        ),
        (
            {"weekday_windows": [{"weekday": 1, "start": "22:00", "end": "02:00"}]},
            "weekday_windows.0",
        ),
        (
            {"weekday_windows": [{"weekday": 1, "start": "24:00", "end": "24:00"}]},
            "weekday_windows.0.start",
        ),
        (
            {"weekday_windows": [{"weekday": 1, "start": "09:00", "end": "25:00"}]},
            "weekday_windows.0.end",
        ),
        ({"weekday_windows": []}, "weekday_windows"),
        ({"holidays": ["2026-02-30"]}, "holidays.0"),
        ({"name": ""}, "name"),
    ],
)
async def test_validation_names_the_field(
    api: httpx.AsyncClient, overrides: dict[str, Any], param: str
) -> None:
    body = {"name": "Office", "timezone": NY, "weekday_windows": WEEKDAYS_9_TO_5, **overrides}
    r = await api.post("/v1/voice/calendars", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param
    assert (await api.get("/v1/voice/calendars")).json()["meta"]["pagination"]["total"] == 0


async def test_holiday_closes_the_day(api: httpx.AsyncClient) -> None:
    # Istanbul has no DST (UTC+3). 2026-03-09 is a Monday, declared a holiday.
    cal = await create_calendar(api, holidays=["2026-03-09"])
    sunday = await status(api, cal["id"], "2026-03-08T12:00:00Z")
    assert sunday["open"] is False
    # Monday is off, so the next opening is Tuesday 09:00 local.
    assert sunday["next_change_at"] == "2026-03-10T06:00:00Z"
    monday_noon = await status(api, cal["id"], "2026-03-09T09:00:00Z")
    assert monday_noon["open"] is False
    tuesday = await status(api, cal["id"], "2026-03-10T10:00:00Z")
    assert (tuesday["open"], tuesday["next_change_at"]) == (True, "2026-03-10T14:00:00Z")


async def test_status_defaults_to_now_and_accepts_offsets(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(api)  # the FakeClock starts on Sunday 2026-03-08 12:00Z
    r = await api.get(f"/v1/voice/calendars/{cal['id']}/status")
    data = r.json()["data"]
    assert data["at"] == "2026-03-08T12:00:00Z"
    assert data["open"] is False
    assert data["next_change_at"] == "2026-03-09T06:00:00Z"
    # 10:00 in Istanbul on a Monday, written with its offset.
    opened = await status(api, cal["id"], "2026-03-09T10:00:00+03:00")
    assert opened["open"] is True and opened["at"] == "2026-03-09T07:00:00Z"
    r = await api.get(f"/v1/voice/calendars/{cal['id']}/status", params={"at": "tomorrow"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "at"


async def test_spring_forward_day(api: httpx.AsyncClient) -> None:
    # New York, Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
    cal = await create_calendar(
        api,
        timezone=NY,
        weekday_windows=[{"weekday": 7, "start": "01:00", "end": "04:00"}],
    )
    before = await status(api, cal["id"], "2026-03-08T05:59:00Z")  # 00:59 EST
    assert (before["open"], before["next_change_at"]) == (False, "2026-03-08T06:00:00Z")
    during = await status(api, cal["id"], "2026-03-08T06:30:00Z")  # 01:30 EST
    # 04:00 EDT is 08:00Z: the window lasts two real hours on this day, not three.
    assert (during["open"], during["next_change_at"]) == (True, "2026-03-08T08:00:00Z")
    after_jump = await status(api, cal["id"], "2026-03-08T07:00:00Z")  # 03:00 EDT
    assert after_jump["open"] is True
    closed = await status(api, cal["id"], "2026-03-08T08:00:00Z")
    assert (closed["open"], closed["next_change_at"]) == (False, "2026-03-15T05:00:00Z")


async def test_spring_forward_window_inside_the_skipped_hour(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(
        api,
        timezone=NY,
        weekday_windows=[
            {"weekday": 7, "start": "02:30", "end": "05:00"},
        ],
    )
    # 01:59 EST: closed; the wall clock jumps from 02:00 to 03:00, past 02:30, at 07:00Z.
    s = await status(api, cal["id"], "2026-03-08T06:59:00Z")
    assert (s["open"], s["next_change_at"]) == (False, "2026-03-08T07:00:00Z")
    s = await status(api, cal["id"], "2026-03-08T07:00:00Z")
    assert (s["open"], s["next_change_at"]) == (True, "2026-03-08T09:00:00Z")


async def test_fall_back_day(api: httpx.AsyncClient) -> None:
    # New York, Sunday 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z).
    cal = await create_calendar(
        api,
        timezone=NY,
        weekday_windows=[{"weekday": 7, "start": "00:00", "end": "03:00"}],
    )
    s = await status(api, cal["id"], "2026-11-01T03:59:00Z")  # Saturday 23:59 EDT
    assert (s["open"], s["next_change_at"]) == (False, "2026-11-01T04:00:00Z")
    s = await status(api, cal["id"], "2026-11-01T05:30:00Z")  # 01:30 EDT, first time
    # 03:00 EST is 08:00Z: the window lasts four real hours on this day.
    assert (s["open"], s["next_change_at"]) == (True, "2026-11-01T08:00:00Z")
    s = await status(api, cal["id"], "2026-11-01T06:30:00Z")  # 01:30 EST, second time
    assert s["open"] is True


async def test_fall_back_repeated_hour_opens_twice(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(
        api,
        timezone=NY,
        weekday_windows=[{"weekday": 7, "start": "01:00", "end": "01:30"}],
    )
    first = await status(api, cal["id"], "2026-11-01T05:10:00Z")  # 01:10 EDT
    assert (first["open"], first["next_change_at"]) == (True, "2026-11-01T05:30:00Z")
    gap = await status(api, cal["id"], "2026-11-01T05:45:00Z")  # 01:45 EDT
    # The clock falls back to 01:00 (EST) at 06:00Z and the window opens again.
    assert (gap["open"], gap["next_change_at"]) == (False, "2026-11-01T06:00:00Z")
    second = await status(api, cal["id"], "2026-11-01T06:10:00Z")  # 01:10 EST
    assert (second["open"], second["next_change_at"]) == (True, "2026-11-01T06:30:00Z")


async def test_always_open_has_no_next_change(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(
        api,
        timezone=NY,
        weekday_windows=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(1, 8)],
    )
    # Across a DST change and midnights, nothing ever closes.
    s = await status(api, cal["id"], "2026-03-08T06:30:00Z")
    assert (s["open"], s["next_change_at"]) == (True, None)
    # A holiday a few days ahead is the next change.
    r = await api.put(f"/v1/voice/calendars/{cal['id']}", json={"holidays": ["2026-03-11"]})
    assert r.status_code == 200
    s = await status(api, cal["id"], "2026-03-08T06:30:00Z")
    assert (s["open"], s["next_change_at"]) == (True, "2026-03-11T04:00:00Z")


async def test_other_orgs_calendar_is_404(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    cal = await create_calendar(api)
    for method, path in [
        ("GET", f"/v1/voice/calendars/{cal['id']}"),
        ("GET", f"/v1/voice/calendars/{cal['id']}/status"),
        ("DELETE", f"/v1/voice/calendars/{cal['id']}"),
    ]:
        r = await other_api.request(method, path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "calendar_not_found"
    r = await other_api.put(f"/v1/voice/calendars/{cal['id']}", json={"name": "x"})
    assert r.status_code == 404
    assert (await other_api.get("/v1/voice/calendars")).json()["data"] == []


async def test_calendar_used_by_a_number_cannot_be_deleted(api: httpx.AsyncClient) -> None:
    cal = await create_calendar(api)
    number = await create_number(api)
    r = await api.put(
        f"/v1/voice/numbers/{number['id']}",
        json={"calendar_id": cal["id"], "off_hours_handler": {"type": "hangup"}},
    )
    assert r.status_code == 200, r.text
    r = await api.delete(f"/v1/voice/calendars/{cal['id']}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "calendar_in_use"
    assert r.json()["error"]["details"]["numbers"] == [number["number"]]
