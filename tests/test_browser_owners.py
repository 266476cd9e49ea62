"""Conversations per user, in a real browser (Debian's Chromium through Playwright) against `rag serve`: two
browsers never see each other's conversations; with API keys, the conversations are the key holder's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, free_port
from test_browser import CHROMIUM

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed (make test installs it); in CI this test always runs")

ASKED, OTHER = "澜州低空物流日均配送架次突破了多少？", "截至2034年9月，澜州低空物流企业数量超过多少家？"


def _serve(tmp_path: Path, small_corpus: Path, serve, extra: dict[str, str]) -> str:
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive", **extra}
    subprocess.run([str(BIN / "rag"), "ingest", str(small_corpus)], env={**os.environ, **env}, check=True,
                   capture_output=True)
    port = free_port()
    serve(["env", *[f"{k}={v}" for k, v in env.items()], str(BIN / "rag"), "serve", "--port", str(port)],
          f"http://127.0.0.1:{port}/readyz", timeout=120)
    return f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize("keys", [False, True], ids=["per-browser", "per-key"])
def test_one_user_never_sees_anothers_conversations(tmp_path: Path, small_corpus: Path, serve, keys: bool) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    url = _serve(tmp_path, small_corpus, serve, {"RAG_API_KEYS": "key-one,key-two"} if keys else {})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"])

        def user(key: str) -> Page:
            """A browser profile of its own (cookies, localStorage), logged in with `key` when keys are on."""
            page = browser.new_context().new_page()
            if keys:
                page.goto(url + "login")
                page.locator("input[name=key]").fill(key)
                page.locator("button[type=submit]").click()
            page.goto(url)
            expect(page.locator("#question textarea")).to_be_visible(timeout=30_000)
            page.wait_for_function("() => localStorage.getItem('rag-browser-id')")  # the page knows its browser
            return page

        def ask(page: Page, question: str, expected: str) -> None:
            page.locator("#question textarea").fill(question)
            page.locator("#send").click()
            expect(page.locator("#chat details.sources.cited").last).to_contain_text(expected, timeout=60_000)

        alice = user("key-one")
        ask(alice, ASKED, "4.7万架次")
        expect(alice.locator("#conversations label")).to_have_count(1)

        bob = user("key-two")
        bob.wait_for_timeout(1500)  # the page's load event has brought back whatever it would show
        expect(bob.locator("#conversations label")).to_have_count(0)
        expect(bob.locator("#chat .bot")).to_have_count(0)
        ask(bob, OTHER, "640家")
        expect(bob.locator("#conversations label")).to_have_count(1)
        expect(bob.locator("#conversations")).not_to_contain_text("日均配送架次")
        bob.locator("#rename-chat textarea").fill("鲍勃的对话")
        bob.locator("#rename-send").click()
        expect(bob.locator("#conversations label").first).to_have_text("鲍勃的对话", timeout=30_000)
        bob.locator("#delete-chat").click()
        expect(bob.locator("#conversations label")).to_have_count(0, timeout=30_000)

        alice.reload()  # Bob's renaming and deleting touched only Bob's conversation
        expect(alice.locator("#chat .bot").first).to_contain_text("4.7万架次", timeout=30_000)
        expect(alice.locator("#conversations label")).to_have_count(1)
        expect(alice.locator("#conversations label").first).to_contain_text("日均配送架次")
        if keys:  # the same key in another browser is the same user
            again = user("key-one")
            expect(again.locator("#conversations label")).to_have_count(1, timeout=30_000)
            expect(again.locator("#chat .bot").first).to_contain_text("4.7万架次")
        browser.close()
