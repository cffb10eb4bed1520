"""Page tests: headless Chromium (the system one, no browser download)."""

from __future__ import annotations

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's package: `make test` installs it


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright (no browser download: the system one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield b
        finally:
            b.close()
