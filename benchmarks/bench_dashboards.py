"""Dashboard speed in headless Chromium: first render from a preheated kernel, and a filter change.

Goals (issue 7): first render ≤ 3 s with preheated kernels (a plain Voila page started a kernel per
visit and took 6–8 s here), a filter change ≤ 1 s. Measured for the demo district and for a
100-station district (the demo copied, ``bench_reports.big_district``).

First render: from the start of navigation to the last change of the page once every panel is drawn
(a MutationObserver keeps the time of the last DOM change; the page must then stay still for 1 s).
Filter change: from choosing the option to the last DOM change it caused. Each dashboard is measured
on a server of its own (started and preheated first), so every visit gets a preheated kernel and no
other page or pool refill competes for the cores.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sgzlib import demo, storage
from sgzlib.dashboards.server import DashboardServer, free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
GOAL_FIRST, GOAL_CHANGE = 3.0, 1.0
# The last DOM change, in ms since navigation start, for every page.
WATCH = """
window.__sgzLast = 0;
new MutationObserver(() => { window.__sgzLast = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
# (dashboard, the figures that must be drawn, [(filter, option text to pick), ...])
PLAN = {
    "cases": (2, [("station", "（YL04）"), ("station", "（YL02）")]),
    "progress": (3, [("domain", None), ("station", None)]),
    "outcomes": (2, [("station", "（YL01）"), ("work", "个案")]),
}


def settle(page, quiet_ms: int = 1000, timeout_s: float = 60) -> float:
    """Wait until the page has not changed for ``quiet_ms``; return the time of its last change (ms)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last, now = page.evaluate("[window.__sgzLast, performance.now()]")
        if now - last >= quiet_ms:
            return last
        page.wait_for_timeout(100)
    raise TimeoutError("页面在限定时间内没有稳定下来")


def pick(page, control: str, key: str | None) -> None:
    if control == "work":
        page.locator(".sgz-filter-work button", has_text=key).click()
        return
    select = page.locator(f".sgz-filter-{control} select")
    labels = select.locator("option").all_inner_texts()
    current = select.evaluate("s => s.options[s.selectedIndex].text")
    label = next(t for t in labels if (key in t if key else t != current))
    select.select_option(label=label)


def measure(browser, server: DashboardServer, name: str) -> tuple[float, list[float]]:
    figures, changes = PLAN[name]
    context = browser.new_context(viewport={"width": 1360, "height": 1600})
    page = context.new_page()
    page.add_init_script(WATCH)
    page.goto(server.page_url(name), wait_until="commit", timeout=120_000)
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {figures}", timeout=120_000)
    first = settle(page) / 1000
    times = []
    for control, key in changes:
        start = page.evaluate("performance.now()")
        pick(page, control, key)
        page.wait_for_function(f"window.__sgzLast > {start}", timeout=60_000)
        times.append((settle(page) - start) / 1000)
    context.close()
    return first, times


def run(label: str, ds) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        engine = storage.connect(url)
        storage.write_dataset(engine, ds)
        engine.dispose()
        print(f"{label}：写入数据库 {time.perf_counter() - started:.1f} 秒", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name in PLAN:
                server = DashboardServer(url, port=free_port(), as_of=demo.AS_OF.isoformat(),
                                         log_path=Path(tmp) / f"voila-{name}.log", fill_delay=600)
                started = time.perf_counter()
                with server:
                    server.wait_preheated(timeout=600)
                    ready = time.perf_counter() - started
                    first, changes = measure(browser, server, name)
                    flag = "达标" if first <= GOAL_FIRST else "未达标"
                    change_text = "、".join(f"{t:.2f}" for t in changes)
                    slow = "达标" if max(changes) <= GOAL_CHANGE else "未达标"
                print(f"  {label} {name}：服务启动并预热 {ready:.0f} 秒；首次渲染 {first:.2f} 秒（目标 ≤{GOAL_FIRST:g}，"
                      f"{flag}）；筛选变更 {change_text} 秒（目标 ≤{GOAL_CHANGE:g}，{slow}）", flush=True)
            browser.close()


def main() -> None:
    if not Path(CHROMIUM).exists():
        print("未安装 /usr/bin/chromium，跳过看板基准测试")
        return
    print(f"系统负载（1 分钟）{os.getloadavg()[0]:.1f}", flush=True)
    run("示范区（7 个站）", demo.build())
    from .bench_reports import big_district

    run("100 个站的区", big_district(100))


if __name__ == "__main__":
    main()
