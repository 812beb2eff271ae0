"""The ITU-T G.107 E-model, simplified for VoIP, and the VAQI score built on it.

    R   = 93.2 - Id - Ie_eff                                    (Ro - Is = 93.2, A = 0)
    Id  = 0.024·d + 0.11·(d - 177.3)·H(d - 177.3)                d = one-way delay in ms
    d   = RTT/2 + jitter buffer,  jitter buffer = max(20 ms, 2 x jitter)
    Ie_eff = Ie + (95 - Ie) · Ppl / (Ppl + Bpl)                  random loss (BurstR = 1)
    MOS = 1                                    if R ≤ 0
          1 + 0.035·R + 7·10⁻⁶·R·(R - 60)·(100 - R)   if 0 < R < 100
          4.5                                  if R ≥ 100

Codec Ie/Bpl values are ITU-T G.113 Appendix I's (G.711 with packet loss concealment).

    VAQI = clamp(100·(MOS - 1)/3.5 - J - G, 0, 100), 0 with one-way audio
    J = min(20, 0.5·max(0, jitter - 20 ms))      jitter the buffer absorbs still costs
    G = min(30, 5·audio_gaps)                    each audible dropout costs 5 points
"""

from __future__ import annotations

from dataclasses import dataclass

R0 = 93.2
MIN_JITTER_BUFFER_MS = 20.0


@dataclass(frozen=True)
class Codec:
    ie: float  # equipment impairment at zero loss
    bpl: float  # packet-loss robustness


CODECS: dict[str, Codec] = {
    "PCMU": Codec(0.0, 25.1),
    "PCMA": Codec(0.0, 25.1),
    "G711": Codec(0.0, 25.1),
    # Wideband codecs scored on the narrowband scale, as G.711 (conservative).
    "G722": Codec(0.0, 25.1),
    "OPUS": Codec(0.0, 25.1),
    "G729": Codec(11.0, 19.0),
    "G729A": Codec(11.0, 19.0),
    "G723": Codec(15.0, 16.1),
    "GSM": Codec(20.0, 10.0),
    "ILBC": Codec(11.0, 32.0),
    "AMR": Codec(5.0, 10.0),
}


def codec_params(name: str) -> Codec:
    key = name.upper().split("/", 1)[0].replace("-", "").replace(".", "")
    return CODECS.get(key, CODECS["PCMU"])


def jitter_buffer_ms(jitter_ms: float) -> float:
    return max(MIN_JITTER_BUFFER_MS, 2.0 * max(0.0, jitter_ms))


def one_way_delay_ms(rtt_ms: float, jitter_ms: float) -> float:
    return max(0.0, rtt_ms) / 2.0 + jitter_buffer_ms(jitter_ms)


def delay_impairment(d_ms: float) -> float:
    d = max(0.0, d_ms)
    return 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)


def equipment_impairment(codec: Codec, loss_pct: float) -> float:
    ppl = min(100.0, max(0.0, loss_pct))
    return codec.ie + (95.0 - codec.ie) * ppl / (ppl + codec.bpl)


def r_factor(codec: str, loss_pct: float, one_way_delay: float) -> float:
    return (
        R0 - delay_impairment(one_way_delay) - equipment_impairment(codec_params(codec), loss_pct)
    )


def mos_from_r(r: float) -> float:
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)


def vaqi(mos: float, jitter_ms: float, audio_gaps: int, one_way_audio: bool) -> float:
    if one_way_audio:
        return 0.0
    score = 100.0 * (mos - 1.0) / 3.5
    score -= min(20.0, 0.5 * max(0.0, jitter_ms - 20.0))
    score -= min(30.0, 5.0 * max(0, audio_gaps))
    return round(min(100.0, max(0.0, score)), 1)


@dataclass(frozen=True)
class Assessment:
    r_factor: float
    mos: float
    vaqi: float


def assess(
    *,
    codec: str,
    jitter_ms: float,
    loss_pct: float,
    rtt_ms: float,
    audio_gaps: int = 0,
    one_way_audio: bool = False,
) -> Assessment:
    r = r_factor(codec, loss_pct, one_way_delay_ms(rtt_ms, jitter_ms))
    mos = mos_from_r(r)
    return Assessment(
        r_factor=round(r, 2),
        mos=round(mos, 2),
        vaqi=vaqi(mos, jitter_ms, audio_gaps, one_way_audio),
    )
