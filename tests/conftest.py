"""Suite-wide hooks.

CI provides PostgreSQL and Chromium (``.ci/run``) and sets ``DRONEWALL_REQUIRE_SERVICES=1``: there a
test that would skip because one of them is missing fails instead, so that the store tests on
PostgreSQL and the browser tests always run in CI. On a developer machine without them, those tests
skip and say why.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

_SERVICE_WORDS = ("postgresql", "chromium", "playwright")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped or os.environ.get("DRONEWALL_REQUIRE_SERVICES") != "1":
        return
    longrepr = report.longrepr
    reason = str(longrepr[-1]) if isinstance(longrepr, tuple) else str(longrepr)
    if any(word in reason.lower() for word in _SERVICE_WORDS):
        report.outcome = "failed"
        report.longrepr = f"required service missing in CI (DRONEWALL_REQUIRE_SERVICES=1): {reason}"
