"""The characterization reproduces the published MBM and Mitchell figures (Saadat et al.,
IEEE TCAD 2018), and the comparison is tight enough to catch a wrong constant."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.characterize import characterize
from pymodel.core.corners import corner_magnitudes

# (bits, bias %, mean |rel| %, peak %): the paper's figures, fraction bits kept.
PUBLISHED_MBM = [(8, 0.05, 2.69, 7.81), (16, -0.09, 2.58, 7.81)]
TOLERANCE_PP = 0.05


def assert_matches_published(stats, bias, mred, peak):
    assert abs(stats.bias_pct - bias) <= TOLERANCE_PP, stats
    assert abs(stats.mred_pct - mred) <= TOLERANCE_PP, stats
    assert round(stats.peak_pct, 2) == peak, stats


@pytest.mark.parametrize("bits,bias,mred,peak", PUBLISHED_MBM)
def test_mbm_reproduces_published_figures(bits, bias, mred, peak):
    assert_matches_published(characterize(MulConfig("mbm", bits, frac_out=True)), bias, mred, peak)


def test_mitchell_reproduces_published_figures():
    stats = characterize(MulConfig("mitchell", 8, frac_out=True))
    assert round(stats.peak_pct, 1) == -11.1
    assert abs(stats.bias_pct - -3.8) < 0.1
    assert stats.bias_pct == -stats.mred_pct  # always under


def test_exact_has_no_error():
    stats = characterize(MulConfig("exact", 8))
    assert (stats.bias_pct, stats.mred_pct, stats.peak_pct, stats.nmed, stats.error_rate_pct, stats.wce) == (0,) * 6


class _OffByOneCorrection(MulConfig):
    @property
    def correction(self) -> int:
        return super().correction + 1


def test_published_comparison_catches_a_one_lsb_wrong_constant():
    with pytest.raises(AssertionError):
        assert_matches_published(characterize(_OffByOneCorrection("mbm", 8, frac_out=True)), 0.05, 2.69, 7.81)


def test_pair_sets():
    small = characterize(MulConfig("mbm", 10))
    assert small.exhaustive and small.pairs == 2**20 and small.seed is None
    big = characterize(MulConfig("mbm", 12), samples=1000, seed=7)
    assert not big.exhaustive and big.pairs == 1000 + len(corner_magnitudes(12)) ** 2 and big.seed == 7
    assert characterize(MulConfig("mbm", 12), samples=1000, seed=7) == big


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pymodel", *args], capture_output=True, text=True)


def test_cli_json_has_the_documented_keys():
    out = run_cli("characterize", "--mult", "mbm", "--bits", "8", "--frac-out", "--json")
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    for key in ("bias_pct", "mred_pct", "peak_pct", "nmed", "error_rate_pct", "wce", "pairs", "exhaustive",
                "mae_pct", "wce_pct", "mre_pct", "ep_pct", "wcre_pct", "mse"):
        assert key in stats
    assert stats["pairs"] == 65536 and stats["exhaustive"] is True


def test_cli_text_output():
    out = run_cli("characterize", "--mult", "mitchell", "--bits", "6")
    assert out.returncode == 0 and "peak relative error" in out.stdout and "exhaustive" in out.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--bits", "17"], "error: bits=17 is out of range: allowed 4..16"),
        (["--bits", "8", "--trunc", "2"], "error: trunc=2 is out of range for bits=8: allowed 0..0 (t <= N-8)"),
        (["--mult", "booth"], "error: unknown multiplier 'booth': allowed mbm, mitchell, exact"),
    ],
)
def test_cli_bad_input_is_one_line(args, message):
    out = run_cli("characterize", *args)
    assert out.returncode == 2
    assert out.stderr.strip() == message
    assert "Traceback" not in out.stderr


def test_a_builtin_multipliers_table_characterizes_like_its_config():
    from pymodel.core.table import ProductTable

    cfg = MulConfig("mbm", 8, frac_out=True)
    got, want = characterize(ProductTable.from_config(cfg)), characterize(cfg)
    for key in ("bias_pct", "mred_pct", "peak_pct", "nmed", "error_rate_pct", "wce", "pairs", "mae_pct",
                "wce_pct", "mre_pct", "ep_pct", "wcre_pct", "mse"):
        assert getattr(got, key) == pytest.approx(getattr(want, key), rel=1e-12), key
    assert want.encoding == "unsigned" and got.sha256 is not None and want.sha256 is None


def test_one_wrong_entry_hand_computed():
    """Exact 8-bit table with P(0, 5) = 3: one pair in 65536 is wrong, by 3, where the exact
    product is 0: MRE ignores it, WCRE counts it as 100 % (EvoApproxLib's rule)."""
    import numpy as np

    from pymodel.core.table import ProductTable

    ops = np.arange(256)
    values = ops[:, None] * ops[None, :]
    values[0, 5] = 3
    s = characterize(ProductTable(values, "unsigned"))
    assert s.ep_pct == pytest.approx(100 / 65536) and s.mre_pct == 0 and s.wcre_pct == 100
    assert s.mae_pct == pytest.approx(3 / 65536 / 65536 * 100) and s.wce_pct == pytest.approx(3 / 65536 * 100)
    assert s.mse == pytest.approx(9 / 65536) and s.wce == 3
    values[1, 1] = 4  # now 1 x 1 = 4: relative error 300 %
    assert characterize(ProductTable(values, "unsigned")).wcre_pct == 300


def test_signed_config_is_its_sign_magnitude_table():
    s = characterize(MulConfig("mbm", 6), signed=True)
    assert s.encoding == "signmag" and s.pairs == 127 * 127 and s.exhaustive
    u = characterize(MulConfig("mbm", 6))
    assert s.mred_pct == pytest.approx(u.mred_pct, rel=1e-12)  # |relative error| is sign-symmetric
    assert s.wce == u.wce
