"""The app in a real browser: ``python -m model.app.server`` on localhost, driven in headless
Chromium (Debian's ``/usr/bin/chromium``, through Playwright).

Steps: open the page; see month 0 and the map and charts; press Step three times and see the
month counter reach 3 and the map and charts change; set the first US troop level of the
schedule to 0 and see the run restart; step three months again and see charts that differ from
the first run's; open the Replicates & ensembles tab and choose a small ensemble; open the Batch
tab. A screenshot is saved at every stage (in the
test's temporary folder, and also in ``$STABSIM_SCREENSHOTS`` if set). No request may leave
the machine: every URL the page asks for is checked, and the server's assets come from the
local ``solara-assets`` package (a missing one would fail, not go to a CDN).

Skips only if Chromium, Playwright or the app's packages are missing (CI installs them all).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytest.importorskip("solara")
pytest.importorskip("solara_assets")
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (.ci/run installs it)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The app's server on a free port, with its runs in a temporary folder."""
    runs = tmp_path_factory.mktemp("app-runs")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STABSIM_APP_RUNS": str(runs)}
    log = (runs / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "model.app.server", "--port", str(port)],
        cwd=runs,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("the app's server did not start: " + (runs / "server.log").read_text())
    yield url, runs
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _images(page) -> list[str]:
    return page.locator("img").evaluate_all("els => els.map(e => e.src)")


def _wait_changed(page, before: list[str], timeout: float = 20.0) -> list[str]:
    """Wait until the page's images differ from ``before`` in both the map and the charts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _images(page)
        if len(now) >= 2 and now[0] != before[0] and now[1] != before[1]:
            return now
        time.sleep(0.2)
    raise AssertionError("the map and the charts did not change")


def test_the_app_steps_a_run_and_a_lever_changes_it(server, tmp_path: Path) -> None:
    url, runs = server
    shots = [tmp_path]
    if os.environ.get("STABSIM_SCREENSHOTS"):
        shots.append(Path(os.environ["STABSIM_SCREENSHOTS"]))
        shots[-1].mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def note(request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("http", "ws")) and host not in ("127.0.0.1", "localhost"):
            outside.append(request.url)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1500, "height": 1900},
        )
        page = browser.new_page()
        page.on("request", note)

        def shot(name: str) -> None:
            for folder in shots:
                page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

        try:
            page.goto(url)
            page.get_by_text("Month 0 of 120").wait_for(timeout=45_000)
            page.wait_for_function("document.querySelectorAll('img').length >= 2")
            first = _images(page)
            shot("1-start")

            step = page.get_by_role("button", name="Step")
            for k in (1, 2, 3):
                step.click()
                page.get_by_text(f"Month {k} of 120").wait_for(timeout=20_000)
            stepped = _wait_changed(page, first)
            shot("2-three-months")

            troops = page.get_by_label("troops").first
            troops.fill("0")
            troops.press("Enter")
            page.get_by_text("Month 0 of 120").wait_for(timeout=20_000)
            reset = _images(page)
            for k in (1, 2, 3):
                step.click()
                page.get_by_text(f"Month {k} of 120").wait_for(timeout=20_000)
            changed = _wait_changed(page, reset)
            assert changed[1] != stepped[1], "a different lever should give different charts"
            shot("3-no-troops-three-months")

            page.get_by_role("tab", name="Replicates").click()
            page.get_by_text("replicates per scenario").first.wait_for(timeout=10_000)
            shot("4-replicates-tab")
            page.get_by_role("button", name="small ensemble").click()
            page.get_by_label("parameter draws D").wait_for(timeout=10_000)
            assert page.get_by_label("parameter draws D").input_value() == "8"
            page.get_by_text("replicates per draw R").first.wait_for(timeout=10_000)
            page.get_by_text("the registry's uncertain parameters").first.wait_for(timeout=10_000)
            shot("5-ensemble-choice")
            page.get_by_role("tab", name="Batch").click()
            page.get_by_text("batch folder").first.wait_for(timeout=10_000)
        finally:
            browser.close()
    assert outside == [], f"the page asked for addresses off this machine: {outside[:5]}"
    log = (runs / "server.log").read_text(errors="replace")
    assert "Could not load URL" not in log, "an asset was missing from solara-assets"
    shown = ("1-start", "2-three-months", "3-no-troops-three-months", "4-replicates-tab")
    for name in (*shown, "5-ensemble-choice"):
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000
