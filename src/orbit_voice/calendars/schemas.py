from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator, model_validator

from orbit_voice.api.schemas import Input, Output, Timestamp

_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class WindowIn(Input):
    weekday: int = Field(
        ge=0, le=7, description="ISO-8601 weekday, 1=Mon..7=Sun (0 is also accepted as Sunday)"
    )
    start: str = Field(pattern=_HHMM, description="HH:MM, local time")
    end: str = Field(pattern=_HHMM, description="HH:MM, local time, after start (24:00 allowed)")

    @field_validator("start")
    @classmethod
    def _start_before_midnight(cls, value: str) -> str:
        if value == "24:00":
            raise ValueError("must be 00:00..23:59")
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> WindowIn:
        if self.start >= self.end:
            raise ValueError(
                "start must be before end (split a window past midnight into two windows)"
            )
        return self


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{value}' is not an IANA timezone (e.g. Europe/Istanbul)") from exc
    return value


class CalendarCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, description="IANA timezone")
    weekday_windows: list[WindowIn] = Field(min_length=1, max_length=200)
    holidays: list[date] = Field(
        default_factory=list, max_length=2000, description="YYYY-MM-DD dates that are off-hours"
    )

    _tz = field_validator("timezone")(_check_timezone)


class CalendarUpdate(Input):
    """Fields you send replace the stored ones; the others stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    weekday_windows: list[WindowIn] | None = Field(default=None, min_length=1, max_length=200)
    holidays: list[date] | None = Field(default=None, max_length=2000)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class WindowOut(Output):
    weekday: int
    start: str
    end: str


class CalendarOut(Output):
    id: str
    name: str
    timezone: str
    weekday_windows: list[WindowOut]
    holidays: list[str]
    created_at: Timestamp
    updated_at: Timestamp


class CalendarStatus(Output):
    calendar_id: str
    timezone: str
    at: Timestamp
    open: bool
    next_change_at: Timestamp | None = Field(
        description="When open flips next; null if it does not within a year"
    )
