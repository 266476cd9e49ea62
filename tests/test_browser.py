"""The chat page in a real browser: Debian's Chromium driven by Playwright against `rag serve`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, OUTLOOK, REPO, SLIDES, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed (make test installs it); in CI this test always runs")


def test_ask_a_question_and_see_a_numbered_source_card(tmp_path: Path, small_corpus: Path, serve) -> None:
    from playwright.sync_api import expect, sync_playwright

    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive"}
    port = free_port()
    ingest_env = {**os.environ, **env}
    subprocess.run([str(BIN / "rag"), "ingest", str(small_corpus)], env=ingest_env, check=True, capture_output=True)
    serve(["env", *[f"{k}={v}" for k, v in env.items()], str(BIN / "rag"), "serve", "--port", str(port)],
          f"http://127.0.0.1:{port}/readyz", timeout=120)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 1100},
                                permissions=["clipboard-read", "clipboard-write"])
        external: list[str] = []
        page.on("request", lambda request: external.append(request.url)
                if not request.url.startswith((f"http://127.0.0.1:{port}", "data:", "blob:")) else None)
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("() => localStorage.getItem('rag-browser-id')")  # the page knows its browser
        question = page.locator("#question textarea")
        expect(question).to_be_visible(timeout=30_000)
        page.wait_for_function("() => !document.querySelector('.eta-bar, .progress-text')", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "chat-empty.png"))  # for the README, once the page has loaded
        question.fill("澜州低空物流日均配送架次突破了多少？")
        page.locator("#send").click()
        answers = page.locator("#chat .bot")
        first = page.locator("#chat details.sources.cited").nth(0)
        card = first.locator(".source-card").first
        expect(card).to_be_visible(timeout=60_000)
        expect(card.locator(".source-title")).to_have_text("低空物流迈入规模化运营")  # the report, not its file
        expect(card.locator(".source-file")).to_have_text(SLIDES)
        expect(card.locator("mark")).to_contain_text("4.7万架次")
        expect(answers.nth(0)).to_contain_text("4.7万架次")
        first.locator("summary").click()  # collapsed; clicking the marker [1] opens it on its card
        expect(first).not_to_have_attribute("open", "")
        answers.nth(0).locator(".cite").first.click()
        expect(first).to_have_attribute("open", "")
        expect(first.locator(".source-card.focused")).to_have_class(re.compile(r"\bcard-1\b"))
        answers.nth(0).hover()  # its copy button copies the answer and its sources as text, not their markup
        page.locator("#chat button[aria-label='Copy message']").last.click()  # the latest message: the answer
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert "4.7万架次" in copied and "[1]" in copied and "<" not in copied, copied
        assert "\n\n[1] 低空物流迈入规模化运营" in copied, copied

        question.fill("截至2034年9月，澜州低空物流企业数量超过多少家？")
        page.locator("#send").click()
        second = page.locator("#chat details.sources.cited").nth(1)
        expect(second.locator(".source-card").first).to_be_visible(timeout=60_000)
        expect(second.locator(".source-title").first).to_have_text("澜州低空经济将进入加速期")
        expect(second.locator(".source-file").first).to_have_text(OUTLOOK)
        expect(second.locator("mark").first).to_contain_text("640")
        expect(page.locator("#chat details.sources.pending")).to_have_count(0)  # no answer left "being written"
        # the first answer still shows its own sources, beside it
        expect(first.locator(".source-title").first).to_have_text("低空物流迈入规模化运营")
        expect(first.locator("mark").first).to_contain_text("4.7万架次")
        expect(first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)

        page.locator("#chat button[aria-label='Like']").first.click()
        page.locator("#feedback-comment textarea").fill("来源卡片很清楚")
        page.locator("#feedback-send").click()
        feedback = tmp_path / "data" / "feedback.jsonl"
        expect(page.locator("#feedback-comment textarea")).to_have_value("", timeout=10_000)

        question.fill("Falcon-9模型是在哪一天发布的？")
        page.locator("#send").click()
        refusal = page.locator("#chat details.sources.refused .refusal-card")
        expect(refusal).to_be_visible(timeout=60_000)
        expect(refusal).to_contain_text("已检索：「Falcon-9模型是在哪一天发布的？」")
        page.screenshot(path=str(ARTIFACTS / "chat-refusal.png"), full_page=True)
        browser.close()
    assert external == [], f"the page reached outside the machine: {external[:5]}"
    entries = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    assert {e["kind"] for e in entries} == {"rating", "comment"}
    rating = next(e for e in entries if e["kind"] == "rating")
    assert rating["liked"] is True and "4.7万架次" in rating["answer"]
    assert next(e for e in entries if e["kind"] == "comment")["comment"] == "来源卡片很清楚"


def test_conversations_survive_a_reload_and_a_restart(tmp_path: Path, small_corpus: Path, serve) -> None:
    from playwright.sync_api import expect, sync_playwright

    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_GENERATOR": "extractive"}
    subprocess.run([str(BIN / "rag"), "ingest", str(small_corpus)], env={**os.environ, **env}, check=True,
                   capture_output=True)

    port = free_port()  # a restart serves the same address: the browser's id lives in that origin's storage

    def start() -> tuple[subprocess.Popen, str]:
        process = serve(["env", *[f"{k}={v}" for k, v in env.items()], str(BIN / "rag"), "serve", "--port",
                         str(port)], f"http://127.0.0.1:{port}/readyz", timeout=120)
        return process, f"http://127.0.0.1:{port}/"

    process, url = start()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        listed = page.locator("#conversations label")

        def ask(question: str, expected: str) -> None:
            page.locator("#question textarea").fill(question)
            page.locator("#send").click()
            expect(page.locator("#chat details.sources.cited").last).to_contain_text(expected, timeout=60_000)

        page.goto(url)
        page.wait_for_function("() => localStorage.getItem('rag-browser-id')")
        ask("澜州低空物流日均配送架次突破了多少？", "4.7万架次")
        expect(listed).to_have_count(1)
        expect(listed.first).to_contain_text("澜州低空物流日均配送架次")

        page.reload()  # the page comes back to the conversation, sources and all
        expect(page.locator("#chat details.sources.cited .source-title").first).to_have_text(
            "低空物流迈入规模化运营", timeout=30_000)
        expect(page.locator("#chat .bot").first).to_contain_text("4.7万架次")

        page.goto("about:blank")  # else the page's own reconnect-reload races the navigation below
        process.terminate()
        process.wait(timeout=30)
        _, url = start()
        page.goto(url)  # another server process, same data directory and address
        expect(listed).to_have_count(1, timeout=30_000)
        expect(page.locator("#chat .bot").first).to_contain_text("4.7万架次")

        page.locator("#new-chat").click()
        expect(page.locator("#chat .bot")).to_have_count(0)
        ask("截至2034年9月，澜州低空物流企业数量超过多少家？", "640家")
        expect(listed).to_have_count(2)
        page.locator("#rename-chat textarea").fill("企业数量")
        page.locator("#rename-send").click()
        expect(listed.first).to_have_text("企业数量", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "chat-conversations.png"), full_page=True)

        listed.filter(has_text="澜州低空物流日均配送架次").click()  # reopen the first one
        expect(page.locator("#chat .bot").first).to_contain_text("4.7万架次", timeout=30_000)
        expect(page.locator("#chat")).not_to_contain_text("640家")
        page.locator("#export-chat").click()
        with page.expect_download() as download:
            page.locator("#exported a").first.click(timeout=30_000)
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "4.7万架次" in exported and "[^1-1]" in exported and "[^1-1]: 低空物流迈入规模化运营" in exported
        page.locator("#delete-chat").click()
        expect(listed).to_have_count(1, timeout=30_000)
        expect(listed.first).to_have_text("企业数量")
        expect(page.locator("#chat .bot")).to_have_count(0)
        browser.close()


def test_a_conversation_with_a_follow_up_and_an_english_question_on_the_local_model(
        tmp_path: Path, small_corpus: Path, serve, small_model_path: Path) -> None:
    """Issue 10's conversation in a real browser, written by the real bundled 0.5B model: the found passages
    show while the answer is being written (the time goes to the test log), a follow-up and an English question get
    answers each with cards of their own."""
    import time

    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / small_model_path.name).symlink_to(small_model_path)
    verified = small_model_path.with_suffix(".verified")
    (data / "models" / verified.name).write_text(verified.read_text())
    env = {"RAG_DATA_DIR": str(data), "RAG_GENERATOR": "local", "RAG_LOCAL_MODEL": "qwen2.5-coder-0.5b",
           "RAG_MAX_ANSWER_TOKENS": "120", "RAG_LLM_CONTEXT_WINDOW": "2048"}
    subprocess.run([str(BIN / "rag"), "ingest", str(small_corpus)], env={**os.environ, **env}, check=True,
                   capture_output=True)
    port = free_port()
    serve(["env", *[f"{k}={v}" for k, v in env.items()], str(BIN / "rag"), "serve", "--port", str(port)],
          f"http://127.0.0.1:{port}/readyz", timeout=240)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("() => localStorage.getItem('rag-browser-id')")
        blocks = page.locator("#chat details.sources")
        answered = page.locator("#chat details.sources.cited, #chat details.sources.refused")

        def ask(question: str, turn: int, screenshot: str | None = None) -> float:
            page.locator("#question textarea").fill(question)
            sent = time.monotonic()
            page.locator("#send").click()
            expect(blocks.nth(turn).locator(".source-card").first).to_be_visible(timeout=60_000)
            found = time.monotonic() - sent
            if screenshot:  # the answer is still being written by the model: the found passages, marked so
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            expect(answered).to_have_count(turn + 1, timeout=180_000)
            return found

        timings = [ask("截至2034年9月，澜州低空物流市场规模超过多少亿元？", 0, "chat-answering.png"),
                   ask("企业数量呢？", 1),
                   ask("What share of the province's low-altitude deliveries does Lanzhou handle?", 2)]
        # no bound on these times: a busy CI machine took 25 s where an idle one takes 3 (the latency figures
        # are the benchmark's); the cards only have to show before the 60 s wait above gives up
        print(f"evidence visible after {', '.join(f'{t:.2f}' for t in timings)} s")
        bots = page.locator("#chat .bot")
        expect(bots).to_have_count(3)
        expect(bots.nth(0)).to_contain_text("57亿元")
        expect(bots.nth(1)).to_contain_text("640家")  # the follow-up borrows the first question's subject
        english = bots.nth(2).inner_text()
        assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", english), english  # answered (or refused) in English
        for turn in range(2):  # each answer keeps cards of its own, naming the report
            expect(blocks.nth(turn).locator(".source-title").first).to_have_text(re.compile("澜州|低空"))
        browser.close()
