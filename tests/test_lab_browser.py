"""``sgz lab`` in a real browser: JupyterLab on a workspace, the gallery listed, a notebook run from the UI,
the interface in Chinese without a news question, and nothing of Jupyter's English log on the console.

The command runs as a user would start it (a child process, stopped with SIGTERM as Ctrl+C would); the
test checks that the gallery was copied in and listed, that "Run All Cells" produces the notebook's key
output (the figures of ``sgzlib`` on the same demo database), and that no server or kernel process is
left afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import sgzlib as sgz
from sgzlib.dashboards.server import free_port
from sgzlib.demo import district as demo
from sgzlib.runtime import processes
from sgzlib.store import storage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120_000


def _start_lab(url: str, workspace: Path, port: int, log: Path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop(storage.ENV_VAR, None)
    out = log.open("w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "sgzlib.cli", "lab", "--db", url, "--port", str(port),
                             "--workspace", str(workspace), "--no-browser"], env=env, stdout=out,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8")
        m = re.search(r"在浏览器中打开：(\S+)", text)
        if m:
            return proc, m[1], out
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    processes.stop_tree(proc, 30, group=True)
    out.close()
    raise AssertionError(f"sgz lab did not start:\n{log.read_text(encoding='utf-8')}")


def test_sgz_lab_in_chromium(chromium, tmp_path, demo_ds, output_dir):
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    workspace = tmp_path / "工作台"
    log = output_dir / "lab-server.log"
    proc, address, out = _start_lab(url, workspace, free_port(), log)
    children = []
    try:
        assert address.startswith("http://127.0.0.1:")
        assert sorted(p.name for p in workspace.glob("*.ipynb")) == ["个案分析.ipynb", "小组分析.ipynb", "成效分析.ipynb",
                                                                      "指标追踪.ipynb"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT)
            try:
                page.goto(address)
                listing = page.locator(".jp-DirListing-content")
                for name in ("个案分析.ipynb", "小组分析.ipynb", "成效分析.ipynb", "指标追踪.ipynb"):
                    listing.get_by_text(name, exact=True).wait_for()
                listing.get_by_text("小组分析.ipynb", exact=True).dblclick()
                page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
                # The notebook's kernel is the registered sgz kernel, and it becomes idle.
                page.locator(".jp-NotebookPanel-toolbar").get_by_text("社工站工作台 (sgz)").wait_for()
                # "Run All Cells" before the kernel is connected moves through the cells without running them.
                page.locator("#jp-main-statusbar").get_by_text("社工站工作台 (sgz) | 空闲").wait_for()
                # JupyterLab speaks Chinese (the official language pack) and asks nothing about Jupyter news
                assert page.locator(".lm-MenuBar-itemLabel").all_inner_texts()[:4] == ["文件", "编辑", "查看", "运行"]
                assert not page.get_by_text("Jupyter 新闻").count() and not page.get_by_text("Jupyter news").count()
                page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^运行$")).click()
                page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^运行所有单元格$")).click()
                drop = sgz.Workbench(demo_ds).group_dropoff()  # the notebook's as_of is today, kept in the project year
                expected = f"共 {len(drop)} 个小组，其中 {int((drop['dropoff'] > 0).sum())} 个末节人数少于首节"
                page.locator(".jp-OutputArea-output", has_text=expected).wait_for(timeout=240_000)
                # The chart cells rendered with the plotly renderer (attached: cells out of view may be windowed).
                page.locator(".jp-NotebookPanel .js-plotly-plot").first.wait_for(state="attached")
                errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                assert not [t for t in errors.all_inner_texts() if "Error" in t or "Traceback" in t]
            finally:
                page.screenshot(path=str(output_dir / "lab_gallery.png"))
                browser.close()
        children = psutil.Process(proc.pid).children(recursive=True)
        assert any("jupyterlab" in " ".join(c.cmdline()) for c in children)
        assert any("ipykernel" in " ".join(c.cmdline()) for c in children)  # the notebook's kernel
        proc.send_signal(signal.SIGTERM)  # what Ctrl+C or a service manager does
        assert proc.wait(60) == 0
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [a.cmdline() for a in alive]
        console = log.read_text(encoding="utf-8")
        assert "JupyterLab 已停止" in console
        # the console has sgz's Chinese lines only: Jupyter's English log (and its DeprecationWarning) is in its file
        assert not re.search(r"\[[IWEDC] \d{4}-|Warning|LabApp|ServerApp", console), console
        assert demo.AS_OF  # the demo district was the data shown
    finally:
        # pass or fail, nothing of this test keeps running: the command, its server and every kernel
        children += processes.children(proc)
        processes.stop_tree(proc, 30, group=True)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        out.close()
