"""Quality records of real (simulated) calls: per-leg MOS/VAQI from the network profile,
rollups per trunk and carrier, worst calls, and the per-call matrix."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import create_call, create_number
from orbit_voice.kit.clock import FakeClock
from orbit_voice.quality import emodel
from orbit_voice.quality.service import record_stats_event


async def finished_call(
    api: httpx.AsyncClient, clock: FakeClock, network: dict[str, Any] | None = None, **extra: Any
) -> str:
    call = await create_call(api, **extra)
    await clock.advance(2)
    if network is not None:
        r = await api.post(f"/v1/voice/simulator/calls/{call['id']}/network", json=network)
        assert r.status_code == 200, r.text
    await clock.advance(10)
    assert (await api.post(f"/v1/voice/calls/{call['id']}/hangup")).status_code == 200
    return str(call["id"])


async def test_network_profile_scores_each_leg(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    clean = await finished_call(api, clock)
    lossy = await finished_call(
        api, clock, {"codec": "G729", "packet_loss_pct": 5, "jitter_ms": 40, "rtt_ms": 300}
    )
    one_way = await finished_call(api, clock, {"one_way_audio": "outbound"})

    r = await api.get("/v1/voice/vaqi", params={"call_id": clean})
    [row] = r.json()["data"]
    # d = 40/2 + 20 ms buffer: Id = 0.96 → R = 92.24
    assert (row["r_factor"], row["mos"], row["vaqi"], row["codec"]) == (92.24, 4.39, 96.9, "PCMU")
    assert [leg["leg"] for leg in row["legs"]] == ["inbound", "outbound"]
    assert all(leg["final"] for leg in row["legs"])

    [row] = (await api.get("/v1/voice/vaqi", params={"call_id": lossy})).json()["data"]
    # d = 300/2 + 2·40 = 230 ms: Id = 11.33; Ie_eff = 11 + 84·5/24 = 28.5 → R = 53.38
    assert row["r_factor"] == 53.38 and row["mos"] == 2.75
    # VAQI: 100·(MOS - 1)/3.5 less 0.5 per ms of jitter over 20
    expected = emodel.assess(codec="G729", jitter_ms=40, loss_pct=5, rtt_ms=300)
    assert row["vaqi"] == expected.vaqi == 40.1
    assert (row["packet_loss_pct"], row["jitter_ms"], row["rtt_ms"]) == (5.0, 40.0, 300.0)

    [row] = (await api.get("/v1/voice/vaqi", params={"call_id": one_way})).json()["data"]
    assert row["one_way_audio"] is True and row["vaqi"] == 0.0
    legs = {leg["leg"]: leg for leg in row["legs"]}
    assert legs["outbound"]["one_way_audio"] and not legs["inbound"]["one_way_audio"]

    page = (await api.get("/v1/voice/vaqi")).json()
    assert [c["call_id"] for c in page["data"]] == [one_way, lossy, clean]  # newest first
    assert page["meta"]["pagination"]["total"] == 3

    worst = (await api.get("/v1/voice/quality/worst-calls", params={"limit": 2})).json()["data"]
    assert [c["call_id"] for c in worst] == [one_way, lossy]
    by_loss = (await api.get("/v1/voice/quality/worst-calls", params={"by": "packet_loss"})).json()
    assert by_loss["data"][0]["call_id"] == lossy
    by_jitter = (await api.get("/v1/voice/quality/worst-calls", params={"by": "jitter"})).json()
    assert by_jitter["data"][0]["call_id"] == lossy


async def test_aggregates_per_trunk_and_carrier(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await api.post(
        "/v1/voice/sip-trunks",
        json={"name": "Main", "termination_uri": "sip:carrier.example.com", "carrier": "Acme Tel"},
    )
    assert r.status_code == 201, r.text
    trunk_id = r.json()["data"]["id"]
    await create_number(api)  # no trunk of its own: calls use the org's default trunk
    await finished_call(api, clock)
    await finished_call(api, clock, {"packet_loss_pct": 10, "jitter_ms": 80})

    [agg] = (await api.get("/v1/voice/quality/aggregates")).json()["data"]
    assert (agg["trunk_id"], agg["trunk_name"], agg["carrier"]) == (trunk_id, "Main", "Acme Tel")
    assert agg["calls"] == 2
    assert agg["p95_jitter_ms"] == 80.0
    assert agg["packet_loss_pct"] == 5.0
    assert agg["period_start"] == "2026-03-08T00:00:00Z"
    assert agg["period_end"] == "2026-03-09T00:00:00Z"
    assert 1 < agg["avg_mos"] < 4.41

    [carrier] = (await api.get("/v1/voice/quality/carriers")).json()["data"]
    assert carrier["carrier"] == "Acme Tel" and carrier["trunk_ids"] == [trunk_id]
    assert carrier["calls"] == 2

    hourly = (await api.get("/v1/voice/quality/aggregates", params={"period": "hour"})).json()
    assert hourly["data"][0]["period_start"] == "2026-03-08T12:00:00Z"
    assert (await other_api.get("/v1/voice/quality/aggregates")).json()["data"] == []
    assert (await other_api.get("/v1/voice/vaqi")).json()["data"] == []
    r = await api.get(
        "/v1/voice/quality/aggregates",
        params={"from": "2026-03-09T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "from"


async def test_rtcp_stats_events_become_quality_rows(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    """The SIP engine's ``stats`` media events (cumulative RTCP counters) feed the same rows."""
    await create_number(api)
    call = await create_call(api)
    await clock.advance(2)
    sample: dict[str, Any] = {
        "codec": "PCMA",
        "rtt_ms": 80.0,
        "inbound": {"jitter_ms": 4, "max_jitter_ms": 9, "packet_loss_pct": 1, "packets": 250},
        "outbound": {"jitter_ms": 3, "max_jitter_ms": 5, "packet_loss_pct": 0, "packets": 250},
        "final": False,
    }
    async with app.state.sessionmaker() as session:
        from orbit_voice.calls.models import Call

        row = await session.get(Call, call["id"])
        await record_stats_event(session, row, sample, clock.now())
        # Five seconds on, nothing more arrived inbound: an audio gap.
        await clock.advance(5)
        stalled = {**sample, "outbound": {**sample["outbound"], "packets": 500}}
        await record_stats_event(session, row, stalled, clock.now())
        await session.commit()
    [matrix] = (await api.get("/v1/voice/vaqi", params={"call_id": call["id"]})).json()["data"]
    legs = {leg["leg"]: leg for leg in matrix["legs"]}
    assert legs["inbound"]["audio_gaps"] == 1 and legs["outbound"]["audio_gaps"] == 0
    assert legs["inbound"]["max_jitter_ms"] == 9 and legs["inbound"]["samples"] == 2
    assert legs["inbound"]["codec"] == "PCMA" and legs["inbound"]["final"] is False
    assert matrix["audio_gaps"] == 1
