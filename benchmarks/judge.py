"""How every benchmark judges its figures: one line per figure with its goal and 达到 / 未达到, and an exit code.

    judge = Judge()
    judge.at_most("全量评估耗时", seconds, 6.0, "秒")
    judge.at_least("首次读取", per_second, 50, "张/秒", digits=0)
    judge.agrees("引擎与 DuckDB 参照逐行核对", differences, compared=len(ref.rows))
    judge.finish()          # prints the verdict; exits 1 when any figure missed its goal

A figure without a goal is printed with ``judge.note``. ``python -m benchmarks`` runs each benchmark in a
process of its own and exits non-zero when any of them did.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

REACHED, MISSED = "达到", "未达到"


@dataclass
class Judge:
    """The figures of one benchmark run and which of them missed their goals."""

    missed: list[str] = field(default_factory=list)
    judged: int = 0

    def _line(self, what: str, shown: str, goal: str, ok: bool, extra: str = "") -> bool:
        self.judged += 1
        if not ok:
            self.missed.append(what)
        print(f"  {what}：{shown}（目标 {goal}）{REACHED if ok else MISSED}{extra}", flush=True)
        return ok

    def at_most(self, what: str, value: float, goal: float, unit: str = "秒", digits: int = 2, extra: str = "") -> bool:
        """``value`` must not exceed ``goal`` (times, memory, ratios)."""
        return self._line(what, f"{value:.{digits}f} {unit}".rstrip(), f"≤{goal:g} {unit}".rstrip(),
                          value <= goal, extra)

    def at_least(self, what: str, value: float, goal: float, unit: str = "", digits: int = 2, extra: str = "") -> bool:
        """``value`` must reach ``goal`` (throughput, recall)."""
        return self._line(what, f"{value:.{digits}f} {unit}".rstrip(), f"≥{goal:g} {unit}".rstrip(),
                          value >= goal, extra)

    def agrees(self, what: str, differences: list[str], compared: int, shown: int = 5) -> bool:
        """A result checked against its reference: every one of ``compared`` values must agree."""
        ok = not differences and compared > 0
        text = (f"{compared:,} 个值全部一致" if ok else
                f"{compared:,} 个值中 {len(differences):,} 处不一致" if differences else "没有可核对的值")
        extra = "".join(f"\n    {d}" for d in differences[:shown])
        if len(differences) > shown:
            extra += f"\n    ……另有 {len(differences) - shown:,} 处"
        return self._line(what, text, "全部一致", ok, extra)

    def note(self, text: str) -> None:
        """A figure printed for information, with no goal."""
        print(f"  {text}", flush=True)

    def verdict(self) -> str:
        if not self.judged:
            return "结论：没有可判定的数字"
        if self.missed:
            return f"结论：{len(self.missed)} 项未达到目标（{'、'.join(self.missed)}）"
        return f"结论：{self.judged} 项全部达到目标"

    def finish(self) -> None:
        """Print the verdict; exit 1 when a figure missed its goal."""
        print(self.verdict(), flush=True)
        if self.missed:
            sys.exit(1)
