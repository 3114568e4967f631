"""The benchmarks' common judge: each figure with its goal and 达到 / 未达到, exit 1 when one is missed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks.judge import Judge


def test_figures_within_their_goals_pass(capsys):
    judge = Judge()
    assert judge.at_most("评估耗时", 5.4, 6.0, "秒", 1)
    assert judge.at_least("召回率", 0.95, 0.95, "", 3)  # the goal itself is reached
    assert judge.agrees("逐行核对", [], 12)
    judge.note("再次导入：3.0 秒")
    judge.finish()  # no exit
    out = capsys.readouterr().out.splitlines()
    assert out == ["  评估耗时：5.4 秒（目标 ≤6 秒）达到", "  召回率：0.950（目标 ≥0.95）达到",
                   "  逐行核对：12 个值全部一致（目标 全部一致）达到", "  再次导入：3.0 秒", "结论：3 项全部达到目标"]


def test_a_missed_goal_or_a_difference_exits_1(capsys):
    judge = Judge()
    judge.at_most("评估耗时", 6.01, 6.0, "秒")
    judge.agrees("逐行核对", [f"差异 {i}" for i in range(7)], 100)
    with pytest.raises(SystemExit) as stop:
        judge.finish()
    assert stop.value.code == 1
    out = capsys.readouterr().out
    assert "  评估耗时：6.01 秒（目标 ≤6 秒）未达到" in out
    assert "100 个值中 7 处不一致（目标 全部一致）未达到\n    差异 0\n" in out and "……另有 2 处" in out
    assert out.rstrip().endswith("结论：2 项未达到目标（评估耗时、逐行核对）")


def test_nothing_compared_is_not_agreement():
    judge = Judge()
    assert not judge.agrees("逐行核对", [], 0)
    assert judge.missed == ["逐行核对"]


def test_make_bench_exits_non_zero_when_one_benchmark_misses(tmp_path):
    """``python -m benchmarks`` runs each benchmark in its own process and exits 1 when one of them did."""
    package = tmp_path / "benchmarks"
    package.mkdir()
    for name in ("__init__.py", "__main__.py", "judge.py"):
        source = Path(__file__).resolve().parent.parent / "benchmarks" / name
        package.joinpath(name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    for name, value in (("bench_fast", 1.0), ("bench_slow", 9.0)):
        package.joinpath(f"{name}.py").write_text(textwrap.dedent(f"""
            from .judge import Judge

            def main():
                judge = Judge()
                judge.at_most("耗时", {value}, 5.0)
                judge.finish()
            """), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "benchmarks"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "耗时：1.00 秒（目标 ≤5 秒）达到" in run.stdout and "耗时：9.00 秒（目标 ≤5 秒）未达到" in run.stdout
    assert "基准结论：1 项未达到目标或出错：slow（退出码 1）" in run.stdout
    fast = subprocess.run([sys.executable, "-m", "benchmarks", "fast"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert fast.returncode == 0 and "1 项全部达到目标" in fast.stdout
