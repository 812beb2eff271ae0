"""Supervisor listen / whisper / barge over real SIP, through the monitoring API: the
customer, the agent and the supervisor are test phones playing their own tones, and each
phase of the call is measured on every phone (who hears whom)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from sip_support import (
    ABSENT,
    PRESENT,
    call_phone,
    carrier_trunk,
    live_api,
    measure,
    needs_sipp,
    phones,
    point_trunk,
    sip_app,
    tones_heard,
    until,
    wait_call_event,
    wait_status,
    write_tone,
)
from sip_support import TestPhone as Phone

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

CUSTOMER, AGENT, SUPERVISOR, OUR_SIDE = 440, 700, 1300, 1000  # Hz
SUPERVISOR_NUMBER = "+14155550900"


async def _monitor(
    api: httpx.AsyncClient, call_id: str, mode: str, supervisor: Phone
) -> dict[str, Any]:
    r = await api.post(f"/v1/voice/calls/{call_id}/{mode}", json={"supervisor": SUPERVISOR_NUMBER})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    assert (data["call_id"], data["supervisor"], data["mode"]) == (
        call_id,
        SUPERVISOR_NUMBER,
        mode,
    )
    return data


async def _dial_supervisor(
    api: httpx.AsyncClient, call_id: str, mode: str, supervisor: Phone
) -> str:
    """The first monitoring verb dials the supervisor; the audio is routed on answer."""
    await point_trunk(api, supervisor)
    data = await _monitor(api, call_id, mode, supervisor)
    assert data["status"] == "dialing"
    leg = str(data["supervisor_call_id"])
    await supervisor.wait_event(event="state", state="CONFIRMED")
    await wait_call_event(api, call_id, "call.monitor.connected")
    sup = await wait_status(api, leg, "in_progress")
    assert (sup["parent_call_id"], sup["leg_role"]) == (call_id, "supervisor")
    return leg


async def test_listen_whisper_barge_with_an_agent_leg(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    customer, agent, supervisor = phones(CUSTOMER), phones(AGENT), phones(SUPERVISOR)
    await carrier_trunk(live_api, customer.port)
    call_id = await call_phone(live_api, sip_app, customer)
    # The agent's phone is the call's other side: a leg transferred to it.
    await point_trunk(live_api, agent)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550100"})
    assert r.status_code == 200, r.text
    await wait_call_event(live_api, call_id, "call.transferred")
    await agent.wait_event(event="state", state="CONFIRMED")

    sup_leg = await _dial_supervisor(live_api, call_id, "listen", supervisor)
    everyone = (customer, agent, supervisor)
    phases = {"listen": await measure(*everyone, name="listen")}
    # The same supervisor switches modes without being dialled again.
    for mode in ("whisper", "barge"):
        data = await _monitor(live_api, call_id, mode, supervisor)
        assert (data["supervisor_call_id"], data["status"]) == (sup_leg, "active")
        phases[mode] = await measure(*everyone, name=mode)

    r = await live_api.post(f"/v1/voice/calls/{call_id}/unlisten")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] in ("active", "ended")
    await supervisor.wait_event(event="state", state="DISCONNECTED")
    assert (await wait_status(live_api, sup_leg, "completed"))["end_reason"] == "unlisten"
    after = await measure(customer, agent, name="after")
    assert (await wait_status(live_api, call_id, "in_progress"))["status"] == "in_progress"

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    for phone in everyone:
        await phone.quit()

    def heard(path: Path) -> dict[float, float]:
        return tones_heard(path, CUSTOMER, AGENT, SUPERVISOR, OUR_SIDE)

    def check(paths: list[Path], hears_supervisor: tuple[bool, bool]) -> None:
        cust, agt, sup = (heard(p) for p in paths)
        # Customer and agent always hear each other; the supervisor always hears both.
        assert cust[AGENT] > PRESENT and agt[CUSTOMER] > PRESENT, (cust, agt)
        assert sup[CUSTOMER] > PRESENT and sup[AGENT] > PRESENT, sup
        for side, hears in zip((cust, agt), hears_supervisor, strict=True):
            if hears:
                assert side[SUPERVISOR] > PRESENT, side
            else:
                assert side[SUPERVISOR] < ABSENT, side

    check(phases["listen"], (False, False))  # listen: nobody hears the supervisor
    check(phases["whisper"], (False, True))  # whisper: only the agent does
    check(phases["barge"], (True, True))  # barge: everyone hears everyone
    cust, agt = heard(after[0]), heard(after[1])
    assert cust[AGENT] > PRESENT and agt[CUSTOMER] > PRESENT
    assert cust[SUPERVISOR] < ABSENT and agt[SUPERVISOR] < ABSENT


async def test_whisper_and_barge_when_our_side_is_the_agent(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    """An AI agent (our side of the call) is whispered to: the customer hears nothing of it."""
    customer, supervisor = phones(CUSTOMER), phones(SUPERVISOR)
    await carrier_trunk(live_api, customer.port)
    call_id = await call_phone(
        live_api, sip_app, customer, write_tone(tmp_path / "ours.wav", OUR_SIDE)
    )
    await _dial_supervisor(live_api, call_id, "whisper", supervisor)
    whisper = await measure(customer, supervisor, name="whisper")
    await _monitor(live_api, call_id, "barge", supervisor)
    barge = await measure(customer, supervisor, name="barge")
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await until(lambda: _true(supervisor.saw(event="state", state="DISCONNECTED")))
    await customer.quit(), await supervisor.quit()

    for paths, customer_hears_supervisor in ((whisper, False), (barge, True)):
        cust = tones_heard(paths[0], OUR_SIDE, SUPERVISOR)
        sup = tones_heard(paths[1], CUSTOMER, OUR_SIDE)
        assert cust[OUR_SIDE] > PRESENT, cust
        assert sup[CUSTOMER] > PRESENT and sup[OUR_SIDE] > PRESENT, sup
        if customer_hears_supervisor:
            assert cust[SUPERVISOR] > PRESENT, cust
        else:
            assert cust[SUPERVISOR] < ABSENT, cust


async def _true(value: bool) -> bool:
    return value
