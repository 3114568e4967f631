"""Dashboard speed in headless Chromium: first render from a preheated kernel, and a filter change.

Goals (issue 14): first render with preheated kernels ≤ 2 s on the demo district and ≤ 3 s on a
100-station district (the demo copied, ``bench_reports.big_district``), worst board; a filter change
≤ 0.5 s at 100 stations; the resident memory of the dashboard server with its kernels ≤ 1 GB after
20 visits whose tabs were closed again.

First render: from the start of navigation to the last change of the page once every panel is drawn
(a MutationObserver keeps the time of the last DOM change; the page must then stay still for 1 s).
Filter change: from choosing the option to the last DOM change it caused. One server preheats
``ROUNDS`` kernels per dashboard and refills none while the visits run, so every visit gets a preheated
kernel and no pool refill competes for the cores; the boards are visited in turn, ``ROUNDS`` times each,
one page at a time in a fresh browser context (nothing cached), and the median of each board is judged
(this 2-core machine's speed varies by half from one minute to the next, so one visit says little).

Memory: one server as ``sgz dashboard`` starts it (default pool, kernel cap, culling and refill delay)
on the 100-station district; 20 visits, the three boards in turn, each tab closed once its page is
drawn; then the memory of the server and every process under it, summed, right after the last close
and once the kernels of the closed pages are gone (culled or ended by the page's shutdown beacon): PSS
(each shared page divided among the processes mapping it: what the family takes from the machine; the
goal is judged on it) and RSS (shared pages counted in each process, an upper bound).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sgzlib.dashboards.server import DashboardServer, free_port
from sgzlib.demo import district as demo
from sgzlib.store import storage

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
GOAL_FIRST = {"demo": 2.0, "big": 3.0}
GOAL_CHANGE = {"demo": None, "big": 0.5}
GOAL_MEMORY_MB = 1024
VISITS = 20
ROUNDS = 3  # visits per board for the timings; the median is judged
BUSY_WORDS = "暂时没有空闲的内核"  # the page a visit gets when every kernel is taken (voila_main.BUSY)
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


def family_memory_mb(server: DashboardServer) -> tuple[float, float, int]:
    """RSS and PSS of the server and every process under it (MB, summed), and how many kernels run.

    RSS counts the pages shared between processes (the libraries every kernel maps: numpy, pandas,
    Arrow, Python) once per process, so its sum is an upper bound; PSS divides each shared page among the
    processes that map it, so its sum is the memory the family takes from the machine.
    """
    import psutil

    root = psutil.Process(server.process.pid)
    rss = pss = 0
    kernels = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
            rss, pss = rss + info.rss, pss + info.pss
            kernels += "ipykernel_launcher" in " ".join(proc.cmdline())
        except psutil.NoSuchProcess:
            continue
    return rss / 2**20, pss / 2**20, kernels


def memory(browser, url: str, folder: Path, label: str) -> None:
    """``VISITS`` visits and closes on a server with ``sgz dashboard``'s defaults; RSS after, and after culling."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    server = DashboardServer(url, port=free_port(), as_of=demo.AS_OF.isoformat(), log_path=folder / "voila-mem.log")
    with server:
        server.wait_preheated(timeout=600)
        idle, idle_pss, pooled = family_memory_mb(server)
        names = list(PLAN)
        busy = unrendered = 0
        started = time.perf_counter()
        for k in range(VISITS):
            name = names[k % len(names)]
            context = browser.new_context(viewport={"width": 1360, "height": 1600})
            page = context.new_page()
            page.goto(server.page_url(name), wait_until="commit", timeout=300_000)
            try:
                page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {PLAN[name][0]}"
                                       f" || (document.body && document.body.innerText.includes({BUSY_WORDS!r}))", timeout=300_000)
                busy += page.evaluate(f"document.body.innerText.includes({BUSY_WORDS!r})")
            except PlaywrightTimeout:
                unrendered += 1
            page.close(run_before_unload=True)
            context.close()
        took = time.perf_counter() - started
        after, after_pss, kernels = family_memory_mb(server)
        deadline = time.monotonic() + server_cull_seconds() + 90
        while time.monotonic() < deadline and kernels != pooled:  # closed pages' kernels gone, the pools refilled
            time.sleep(5)
            _, _, kernels = family_memory_mb(server)
        settled, settled_pss, kernels_left = family_memory_mb(server)
        waited = server_cull_seconds() + 90 - max(0.0, deadline - time.monotonic())
        flag = "达标" if after_pss <= GOAL_MEMORY_MB else "未达标"
        print(f"  {label} 内存（服务与全部内核之和，PSS / RSS）：预热后 {idle_pss:.0f} / {idle:.0f} MB（{pooled} 个内核）；"
              f"{VISITS} 次访问并关闭（{took:.0f} 秒）后立即 {after_pss:.0f} / {after:.0f} MB（{kernels} 个内核；"
              f"目标 PSS ≤{GOAL_MEMORY_MB} MB，{flag}）；再过 {waited:.0f} 秒 {settled_pss:.0f} / {settled:.0f} MB"
              f"（{kernels_left} 个内核）；{busy} 次访问得到“内核已满”页，{unrendered} 次 300 秒内未画完；"
              f"负载 {os.getloadavg()[0]:.1f}", flush=True)


def server_cull_seconds() -> int:
    from sgzlib.dashboards.server import DEFAULT_CULL_SECONDS

    return DEFAULT_CULL_SECONDS


def server_cpu(server: DashboardServer) -> float:
    """CPU seconds the server and its processes (kernels, ended ones included) have used so far."""
    import psutil

    root = psutil.Process(server.process.pid)
    used = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            used += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            continue
    return used


def run(label: str, ds, size: str, timing: bool = True, with_memory: bool = False) -> None:
    import statistics

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
            if timing:
                server = DashboardServer(url, port=free_port(), as_of=demo.AS_OF.isoformat(), pool_size=ROUNDS,
                                         max_kernels=len(PLAN) * ROUNDS + 1, log_path=Path(tmp) / "voila.log",
                                         fill_delay=3600)
                started = time.perf_counter()
                firsts = {name: [] for name in PLAN}
                changes = {name: [] for name in PLAN}
                with server:
                    server.wait_preheated(timeout=1800)
                    ready = time.perf_counter() - started
                    print(f"  {label}：服务启动并预热 {len(PLAN) * ROUNDS} 个内核 {ready:.0f} 秒", flush=True)
                    cpu = server_cpu(server)
                    for _ in range(ROUNDS):
                        for name in PLAN:
                            first, times = measure(browser, server, name)
                            firsts[name].append(first)
                            changes[name].extend(times)
                    cpu = (server_cpu(server) - cpu) / (ROUNDS * len(PLAN))
                goal_first, goal_change = GOAL_FIRST[size], GOAL_CHANGE[size]
                for name in PLAN:
                    first = statistics.median(firsts[name])
                    change = statistics.median(changes[name])
                    flag = "达标" if first <= goal_first else "未达标"
                    slow = "" if goal_change is None else \
                        f"（目标 ≤{goal_change:g}，{'达标' if change <= goal_change else '未达标'}）"
                    print(f"  {label} {name}：首次渲染中位数 {first:.2f} 秒（目标 ≤{goal_first:g}，{flag}；"
                          f"各次 {'、'.join(f'{t:.2f}' for t in firsts[name])}）；筛选变更中位数 {change:.2f} 秒{slow}"
                          f"（各次 {'、'.join(f'{t:.2f}' for t in changes[name])}）", flush=True)
                print(f"  {label}：每次访问服务与内核平均用 CPU {cpu:.1f} 秒；负载 {os.getloadavg()[0]:.1f}", flush=True)
            if with_memory:
                memory(browser, url, Path(tmp), label)
            browser.close()


def main() -> None:
    if not Path(CHROMIUM).exists():
        print("未安装 /usr/bin/chromium，跳过看板基准测试")
        return
    print(f"系统负载（1 分钟）{os.getloadavg()[0]:.1f}", flush=True)
    # SGZ_BENCH_DASHBOARDS=demo,big,memory (default all): the demo's timings, 100 stations' timings, the memory
    only = os.environ.get("SGZ_BENCH_DASHBOARDS", "demo,big,memory").split(",")
    if "demo" in only:
        run("示范区（7 个站）", demo.build(), "demo")
    if "big" in only or "memory" in only:
        from .bench_reports import big_district

        run("100 个站的区", big_district(100), "big", timing="big" in only, with_memory="memory" in only)


if __name__ == "__main__":
    main()
