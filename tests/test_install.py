"""The package as it is installed: the wheel built from this checkout, in a fresh venv outside the checkout.

The venv gets the wheel and its dependencies (pip, from the package index) and nothing of the checkout: the
commands run in a folder of their own, with no ``PYTHONPATH``, and with Jupyter folders of their own, so
the report kernel registered is the fresh venv's. There ``sgz demo`` builds the demo district, ``sgz report
station`` renders a station report to HTML from the notebook shipped inside the package, ``sgz dashboard``
serves the three dashboards shipped inside it, and ``sgz lab`` hands out the gallery shipped inside it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sgzlib.dashboards.server import free_port
from sgzlib.runtime import processes

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv outside the checkout with the wheel installed (not editable); its folder, env and db."""
    base = tmp_path_factory.mktemp("installed")
    assert ROOT not in base.parents
    # built from a copy: setuptools keeps build/ between builds, where a file since removed would linger
    source = base / "source"
    shutil.copytree(ROOT / "sgzlib", source / "sgzlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", base / "dist", source])
    wheel = next((base / "dist").glob("sgz-*.whl"))
    _run([sys.executable, "-m", "venv", base / "venv"])
    _run([base / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", wheel])  # no .pyc: CPU
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SGZ_", "JUPYTER", "IPYTHON", "PYTHON"))}
    env.update(JUPYTER_DATA_DIR=str(base / "jupyter" / "data"), JUPYTER_RUNTIME_DIR=str(base / "jupyter" / "rt"),
               IPYTHONDIR=str(base / "jupyter" / "ipython"), SGZ_DATABASE_URL=f"sqlite:///{base / 'sgz.db'}",
               PATH=f"{base / 'venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    work = base / "work"
    work.mkdir()
    yield {"base": base, "env": env, "work": work, "sgz": base / "venv" / "bin" / "sgz", "wheel": wheel}
    shutil.rmtree(base / "venv", ignore_errors=True)  # 700 MB; pytest keeps the last runs' folders


def test_the_wheel_holds_the_notebooks_and_data(venv):
    import zipfile

    names = set(zipfile.ZipFile(venv["wheel"]).namelist())
    for inside in ("sgzlib/reports/notebooks/station_supervision.ipynb", "sgzlib/reports/notebooks/gallery/个案分析.ipynb",
                   "sgzlib/dashboards/notebooks/progress.ipynb", "sgzlib/reports/templates/sgz/index.html.j2",
                   "sgzlib/catalogues/zhalainuoer-2026.yaml", "sgzlib/catalogues/sources/README.md",
                   "sgzlib/data/scales.yaml", "sgzlib/store/migrations/script.py.mako"):
        assert inside in names, inside
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sgzlib").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped - names == set()  # every file of the package, in the wheel


def test_report_station_renders_html_in_the_fresh_venv(venv):
    env, work = venv["env"], venv["work"]
    where = _run([venv["base"] / "venv" / "bin" / "python", "-c", "import sgzlib; print(sgzlib.__file__)"],
                 env=env, cwd=work).stdout.strip()
    assert Path(where).is_relative_to(venv["base"] / "venv"), where  # the installed package, not the checkout
    _run([venv["sgz"], "demo"], env=env, cwd=work)
    _run([venv["sgz"], "report", "station", "YL01", "--as-of", "2025-10-31", "--format", "ipynb,html",
          "--out", work / "out"], env=env, cwd=work)
    page = (work / "out" / "station" / "YL01_2025-10-31.html").read_text(encoding="utf-8")
    assert "东湖街道社会工作服务站督导报告" in page and "Plotly.newPlot" in page
    shared = re.findall(r'<script[^>]*\bsrc="([^"]+\.js)"', page)  # plotly.js, once, next to the report
    assert len(shared) == 1 and (work / "out" / "station" / shared[0]).stat().st_size > 1_000_000


def _serve(command, env, cwd, log: Path):
    """Start ``command``; the address it prints once it serves, and the process (stopped by the caller)."""
    out = log.open("w", encoding="utf-8")
    proc = subprocess.Popen([str(c) for c in command], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        found = re.search(r"在浏览器中打开[^：\n]*：(http[^\s（]+)", log.read_text(encoding="utf-8"))  # 带令牌 or not
        if found:
            return proc, found[1], out
        time.sleep(0.5)
    processes.stop_tree(proc, 30, group=True)
    out.close()
    raise AssertionError(log.read_text(encoding="utf-8"))


@pytest.mark.parametrize("command, stopped", [("dashboard", "看板已停止"), ("lab", "JupyterLab 已停止")])
def test_dashboard_and_lab_serve_from_the_fresh_venv(venv, command, stopped):
    env, work = venv["env"], venv["work"]
    if not (venv["base"] / "sgz.db").exists():
        _run([venv["sgz"], "demo"], env=env, cwd=work)
    # no preheated kernels: the test is about what the installed package serves, not about the pools
    args = ["--no-browser", "--workspace", work / "工作台"] if command == "lab" else ["--pool-size", "0"]
    log = venv["base"] / f"{command}.log"
    proc, url, out = _serve([venv["sgz"], command, "--port", free_port(), *args], env, work, log)
    try:
        assert processes.answers(url), url
        if command == "lab":
            assert sorted(p.name for p in (work / "工作台").glob("*.ipynb")) == [
                "个案分析.ipynb", "小组分析.ipynb", "成效分析.ipynb", "指标追踪.ipynb"]
        else:
            # the token in the address logs in with a cookie, which the redirect to the home page needs; each
            # home page and a board are served from the installed package (each titled by its notebook)
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            with opener.open(url, timeout=60) as resp:
                assert resp.url.endswith("/voila/render/home.ipynb") and "<title>社工站工作台</title>" in resp.read().decode()
            base = url.split("?")[0]
            with opener.open(f"{base}voila/render/progress.ipynb", timeout=120) as resp:
                assert "<title>项目进度看板</title>" in resp.read().decode("utf-8")
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        assert proc.wait(60) == 0
        assert stopped in log.read_text(encoding="utf-8")
    finally:
        processes.stop_tree(proc, 30, group=True)
        out.close()
