"""Paired statistics checked against published worked examples and second implementations written here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm, rankdata

from sgzlib.domain import stats

# Student's sleep data (Cushny & Peebles 1905, analysed by "Student" 1908; R's `sleep` data set):
# extra hours of sleep with drug 2 minus drug 1, for 10 patients. One zero (patient 5) and one tie (1.3, 1.3).
SLEEP = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4]
# Darwin's cross- vs self-fertilised corn, height differences in eighths of an inch, as given in
# Wilcoxon (1945) and in the scipy.stats.wilcoxon documentation: no ties, no zeros.
DARWIN = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]


# -- a second implementation of the Pratt signed-rank test, from the definitions -------------------

def brute_force_pratt_p(d) -> float:
    """Two-sided exact p by enumerating every sign assignment of the non-zero Pratt ranks."""
    d = np.asarray(d, dtype=float)
    ranks = rankdata(np.abs(d))  # zeros take part in the ranking (Pratt 1959)
    nonzero = ranks[d != 0]
    observed = ranks[d > 0].sum()
    sums = [sum(r for r, s in zip(nonzero, signs, strict=True) if s)
            for signs in itertools.product((0, 1), repeat=len(nonzero))]
    sums = np.array(sums)
    lower, upper = np.mean(sums <= observed + 1e-9), np.mean(sums >= observed - 1e-9)
    return min(1.0, 2 * min(lower, upper))


def cureton_normal_p(d) -> float:
    """Normal approximation of the Pratt statistic with zeros (Cureton 1967) and tie correction."""
    d = np.asarray(d, dtype=float)
    n, z0 = len(d), int((d == 0).sum())
    ranks = rankdata(np.abs(d))
    r_plus = ranks[d > 0].sum()
    mean = (n * (n + 1) - z0 * (z0 + 1)) / 4
    var = (n * (n + 1) * (2 * n + 1) - z0 * (z0 + 1) * (2 * z0 + 1)) / 24
    _, counts = np.unique(np.abs(d[d != 0]), return_counts=True)
    var -= ((counts ** 3 - counts).sum()) / 48
    return 2 * norm.sf(abs(r_plus - mean) / math.sqrt(var))


# -- paired t-test -------------------------------------------------------------------------------

def test_paired_t_reproduces_students_sleep_data():
    result = stats.paired_t(SLEEP)
    # R: t.test(extra ~ group, data = sleep, paired = TRUE) prints t = -4.0621, df = 9, p-value = 0.002833
    # (group 1 minus group 2; our differences are group 2 minus group 1, so the sign flips).
    assert result.t == pytest.approx(4.0621, abs=5e-5)
    assert result.df == 9
    assert result.p == pytest.approx(0.002833, abs=5e-7)
    # Second implementation: t = mean / (sd / sqrt(n)) = 1.58 / (1.229995 / sqrt(10)).
    d = np.array(SLEEP)
    assert result.t == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(len(d))))


@pytest.mark.parametrize("d", [[], [3.0], [2.0, 2.0, 2.0]])
def test_paired_t_not_computable(d):
    # fewer than 2 pairs, or no variation at all: no t statistic
    assert math.isnan(stats.paired_t(d).t)


# -- Wilcoxon signed-rank ------------------------------------------------------------------------

def test_wilcoxon_darwin_exact():
    result = stats.wilcoxon_signed_rank(DARWIN)
    assert result.method == "exact"
    # Negative ranks: |-48| is 10th, |-67| is 14th of 15 → R⁻ = 24, R⁺ = 120 − 24 = 96 (hand count).
    assert (result.r_minus, result.r_plus, result.w) == (24.0, 96.0, 24.0)
    # scipy documentation / stdlib-js README for this data: exact two-sided p = 0.041259765625 (= 1352/32768)
    assert result.p == pytest.approx(0.041259765625, abs=1e-12)
    assert result.p == pytest.approx(brute_force_pratt_p(DARWIN), abs=1e-12)


@pytest.mark.parametrize("d", [
    SLEEP,                                  # one zero, one tie
    [0, 0, 1, -1, 2, 2, 3, -3, 4],          # two zeros, three tied pairs
    [2, 2, 2, -2, 0, 5, 5, -1],             # a triple tie plus zero
    [1, 1, 1, 1],                           # all tied, all improved
    [-3, -3, 0, 0, 0, 1],                   # mostly unchanged
])
def test_wilcoxon_ties_and_zeros_exact_against_enumeration(d):
    result = stats.wilcoxon_signed_rank(d)
    assert result.method == "permutation"
    assert result.p == pytest.approx(brute_force_pratt_p(d), abs=1e-12)


def test_wilcoxon_sleep_data_hand_values():
    result = stats.wilcoxon_signed_rank(SLEEP)
    # Pratt ranks of |d|: the zero takes rank 1, the two 1.3's share (5+6)/2 = 5.5; all others positive.
    # R⁺ = 55 − 1 = 54, R⁻ = 0, R₀ = 1; exact p = 2 · (1/512) = 0.00390625 (only the all-positive and
    # the all-negative sign pattern are as extreme among 2⁹ patterns of the nine non-zero ranks).
    assert (result.r_plus, result.r_minus, result.r_zero, result.n_zero) == (54.0, 0.0, 1.0, 1)
    assert result.p == pytest.approx(2 / 512)


def test_wilcoxon_large_sample_normal_approximation_with_zeros_and_ties():
    rng = np.random.default_rng(7)
    d = rng.integers(-4, 7, size=stats.EXACT_MAX_N + 40).astype(float)  # many ties and zeros
    result = stats.wilcoxon_signed_rank(d)
    assert result.method == "normal"
    assert result.p == pytest.approx(cureton_normal_p(d), rel=1e-9)


def test_wilcoxon_all_zero_is_not_computable():
    result = stats.wilcoxon_signed_rank([0, 0, 0])
    assert math.isnan(result.p) and result.method == ""


# -- effect sizes ----------------------------------------------------------------------------------

def test_cohens_dz_equals_t_over_root_n():
    # Lakens (2013), Frontiers in Psychology 4:863, eq. for paired designs: d_z = t / sqrt(n).
    d = np.array(SLEEP)
    assert stats.cohens_dz(SLEEP) == pytest.approx(stats.paired_t(SLEEP).t / math.sqrt(10))
    # and from its definition: 1.58 / 1.229995 = 1.28456 (hand calculation)
    assert stats.cohens_dz(SLEEP) == pytest.approx(d.mean() / d.std(ddof=1))
    assert stats.cohens_dz(SLEEP) == pytest.approx(1.28456, abs=1e-5)


@pytest.mark.parametrize("d, expected", [
    # ranks of |d| with the zero included: 0→1, 1→2, 2→3, 3→4, 5→5; R⁺ = 4+3+5 = 12, R⁻ = 2, total 15
    ([3, -1, 2, 0, 5], (12 - 2) / 15),
    # no zeros: Kerby (2014) simple difference (R⁺ − R⁻)/ΣR; ranks 1..4, R⁺ = 1+3+4 = 8, R⁻ = 2 → 6/10
    ([1, -2, 3, 4], (8 - 2) / 10),
    ([1, 2, 3], 1.0),                       # everyone better
    ([-1, -2, -2], -1.0),                   # everyone worse
    ([0, 0], 0.0),                          # nobody changed
])
def test_rank_biserial(d, expected):
    assert stats.rank_biserial(d) == pytest.approx(expected)


def test_rank_biserial_with_zeros_equals_zsplit_convention():
    d = np.array([0, 0, 1, -1, 2, 2, 3, -3, 4], dtype=float)
    ranks = rankdata(np.abs(d))
    zero_half = ranks[d == 0].sum() / 2
    zsplit = ((ranks[d > 0].sum() + zero_half) - (ranks[d < 0].sum() + zero_half)) / ranks.sum()
    assert stats.rank_biserial(d) == pytest.approx(zsplit)


# -- reliable change -------------------------------------------------------------------------------

def test_se_difference_from_jacobson_truax_formula():
    # SD 7.5, r_xx .88: SE = 7.5·√.12 = 2.598; SE_diff = √2 · 2.598 = 3.674 (hand calculation)
    assert stats.se_difference(7.5, 0.88) == pytest.approx(3.6742, abs=1e-4)
    # a change of −14 on a higher-is-better measure: RCI = −14 / 3.674 = −3.81 → reliable deterioration
    rci = stats.reliable_change([-14.0], stats.se_difference(7.5, 0.88))[0]
    assert rci == pytest.approx(-3.8104, abs=1e-4)
    assert stats.rci_class(rci) == "恶化"


def test_reliable_change_textbook_example():
    # Wodrich, Appendix E "How to Calculate Reliable Change Indexes" (open textbook, University of Arizona):
    # Piers-Harris-2 total SEM 3.07 → SE_diff = √(2·3.07²) = 4.34, 1.96·4.34 = 8.51; a change of 35 − 24 = 11
    # exceeds 8.51 → reliable change. SEM = SD·√(1−r): SD 10.2333…, r .91 gives SEM 3.07.
    se_diff = stats.se_difference(3.07 / math.sqrt(1 - 0.91), 0.91)
    assert se_diff == pytest.approx(4.34, abs=0.005)
    assert stats.RCI_CRITICAL * se_diff == pytest.approx(8.51, abs=0.01)
    assert stats.rci_class(stats.reliable_change([11.0], se_diff)[0]) == "改善"


@pytest.mark.parametrize("rci, expected", [
    (1.96, "无可靠变化"), (1.9601, "改善"), (-1.96, "无可靠变化"), (-2.5, "恶化"), (0.0, "无可靠变化"),
    (math.nan, "无法计算"),
])
def test_rci_class_thresholds(rci, expected):
    assert stats.rci_class(rci) == expected


@pytest.mark.parametrize("sd, r", [(None, 0.8), (5.0, None), (0.0, 0.8), (5.0, 1.0)])
def test_rci_not_computable_without_reliability_or_sd(sd, r):
    se = stats.se_difference(sd, r)
    assert math.isnan(se)
    assert stats.rci_class(stats.reliable_change([10.0], se)[0]) == "无法计算"


# -- the summary record -----------------------------------------------------------------------------

def test_describe_notes_small_samples_and_method():
    out = stats.describe(SLEEP)
    assert out["n"] == 10
    assert out["mean_improvement"] == pytest.approx(1.58)   # 15.8 / 10
    assert out["median_improvement"] == pytest.approx(1.3)  # middle of sorted: (1.3 + 1.3) / 2
    assert "Pratt" in out["note"] and "1 人无变化" in out["note"]
    small = stats.describe([1, 2, 0])
    assert "样本量小（n=3<10）" in small["note"]
    assert "配对不足 2 对" in stats.describe([4])["note"]
