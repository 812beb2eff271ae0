"""The E-model gives the textbook numbers (ITU-T G.107 / G.113 values)."""

from __future__ import annotations

import pytest

from orbit_voice.quality import emodel


@pytest.mark.parametrize(
    ("r", "mos"), [(93.2, 4.41), (90, 4.34), (80, 4.02), (70, 3.60), (60, 3.10), (50, 2.58)]
)
def test_mos_from_r_matches_g107(r: float, mos: float) -> None:
    assert round(emodel.mos_from_r(r), 2) == mos


def test_mos_is_bounded() -> None:
    assert emodel.mos_from_r(-5) == 1.0 and emodel.mos_from_r(120) == 4.5


def test_clean_g711_is_r_93_2_and_g729_loses_its_ie() -> None:
    assert emodel.r_factor("PCMU", 0, 0) == pytest.approx(93.2)
    assert emodel.r_factor("G729", 0, 0) == pytest.approx(82.2)
    assert round(emodel.mos_from_r(emodel.r_factor("G729", 0, 0)), 1) == 4.1


def test_delay_impairment_knee_at_177_ms() -> None:
    assert emodel.delay_impairment(150) == pytest.approx(3.6)
    assert emodel.delay_impairment(177.3) == pytest.approx(0.024 * 177.3)
    assert emodel.delay_impairment(300) == pytest.approx(0.024 * 300 + 0.11 * (300 - 177.3))


def test_known_loss_and_delay() -> None:
    # G.711 with PLC (Bpl 25.1) at 2 % random loss: Ie_eff = 95·2/27.1 = 7.01
    assert emodel.equipment_impairment(emodel.codec_params("PCMA"), 2) == pytest.approx(
        7.011, abs=1e-3
    )
    # 1 % loss and 150 ms one-way: R = 93.2 - 3.6 - 3.64 = 85.96 → MOS 4.23
    r = emodel.r_factor("PCMU", 1, 150)
    assert r == pytest.approx(85.96, abs=0.01)
    assert round(emodel.mos_from_r(r), 2) == 4.23
    # 5 % loss on G.729 (Bpl 19) and 200 ms: R = 93.2 - 7.30 - (11 + 84·5/24) = 57.4 → MOS 2.96
    r = emodel.r_factor("G729", 5, 200)
    assert r == pytest.approx(57.40, abs=0.01)
    assert round(emodel.mos_from_r(r), 2) == 2.96


def test_one_way_delay_counts_half_the_rtt_and_the_jitter_buffer() -> None:
    assert emodel.one_way_delay_ms(100, 5) == 50 + 20  # the buffer never goes below 20 ms
    assert emodel.one_way_delay_ms(100, 30) == 50 + 60


def test_vaqi() -> None:
    assert emodel.vaqi(4.5, 0, 0, False) == 100.0
    assert emodel.vaqi(4.41, 10, 0, False) == 97.4
    assert emodel.vaqi(4.41, 60, 2, False) == 97.4 - 20 - 10
    assert emodel.vaqi(4.41, 0, 0, True) == 0.0
