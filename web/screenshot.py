"""Screenshot of the live web map mid-scenario, for the README (``docs/img/live-map.png``).

Starts the picture service on ``kleine-brogel-night`` (seed 0) in a thread, lets the run go until
the picture holds a hostile track, an alarm and a pending engagement proposal, pauses it (operator
token), opens the map as the commander in headless Debian Chromium (``/usr/bin/chromium``; never
downloads a browser), selects the proposal's target and saves the screenshot.

Run from the checkout: ``.venv/bin/python web/screenshot.py [OUT.png] [--speed X]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from dronewall.service.settings import ServiceSettings
from dronewall.service.testing import demo_tokens_file, serve_in_thread

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KLEINE_BROGEL = (51.168, 5.470)  # map centre (GK, sites.yaml), zoom 12.5


def _wait_for_picture(api: httpx.Client, timeout_s: float) -> dict[str, Any]:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        props = api.get("/proposals?state=pending").json()["proposals"]
        alerts = api.get("/alerts?state=active").json()["alerts"]
        tracks = api.get("/tracks").json()["tracks"]
        hostile = [t for t in tracks if t["identity"] == "hostile"]
        alarms = [a for a in alerts if a["level"] == "alarm"]
        if props and alarms and hostile:
            return dict(props[0])
        time.sleep(0.5)
    raise SystemExit(f"no pending proposal, alarm and hostile track within {timeout_s} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("out", nargs="?", type=Path, default=here.parent / "docs/img/live-map.png")
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()

    settings = ServiceSettings(
        scenario="kleine-brogel-night", speed=args.speed, seed=0, tokens=demo_tokens_file()
    )
    with serve_in_thread(settings) as url:
        api = httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": "Bearer operator-token"}
        )
        with api:
            proposal = _wait_for_picture(api, 600.0)
            api.post("/scenario/pause").raise_for_status()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            lat, lon = KLEINE_BROGEL
            page.goto(f"{url}/?token=commander-token&view={lat},{lon},12.5")
            page.wait_for_selector('#map[data-basemap="loaded"]')
            page.wait_for_selector('[data-testid="track"]')
            pid = proposal["proposal_id"]
            page.wait_for_selector(f'[data-testid="proposal-card"][data-proposal-id="{pid}"]')
            page.click(f'[data-proposal-id="{pid}"] .head')  # selects the target track
            page.fill(
                f'[data-proposal-id="{pid}"] [data-testid="proposal-reason"]',
                "Hostile quadcopter inside the alert ring, no-fire zones clear",
            )
            page.eval_on_selector(
                f'[data-testid="proposal-card"][data-proposal-id="{pid}"]',
                "e => e.scrollIntoView({block: 'start'})",
            )
            page.wait_for_timeout(1500)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
