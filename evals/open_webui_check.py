"""Open WebUI, pointed at our `/v1` as an OpenAI connection, asked one question in a real Chromium.

Why: the API claims OpenAI compatibility; the most common front end people put on such an API is Open WebUI,
so this check drives it end to end (its model list from `GET /v1/models`, a streamed answer from
`POST /v1/chat/completions`) and keeps a screenshot for the README. It is too heavy for `make test`
(Open WebUI is a 7 GB install with torch), so it is run by hand:

    nice -n 19 .venv/bin/python evals/open_webui_check.py --open-webui ../owui-venv/bin/open-webui

By default it starts both servers itself on loopback (`rag serve --no-ui` on the data directory given, with the
extractive generator, and Open WebUI with a throw-away data directory, offline, without login) and stops them at
the end. `--rag-url` and/or `--webui-url` use servers already running instead (an Open WebUI started elsewhere
must already have our `/v1` as its OpenAI connection). Exit status 0 when the answer appeared with a citation
marker, 1 otherwise, 2 when Open WebUI or Chromium is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Written for this check from report 003 (not taken from any question set); the reports say "超400家".
QUESTION = "报告里说，国家级人工智能专精特新“小巨人”企业有多少家？"
EXPECTED = "400"
INSTALL_HINT = ("install it in its own virtualenv, outside the repo:\n"
                "  python3.11 -m venv ../owui-venv && ../owui-venv/bin/pip install open-webui==0.12.4\n"
                "then pass --open-webui ../owui-venv/bin/open-webui")

# Open WebUI offline: no model downloads, no update check, no telemetry, no login, no Ollama, and none of the
# side requests (title, tags, follow-ups, query generation) that it would otherwise send to our model as
# questions: each would cost a full retrieval and, with the local model, hold it for seconds.
WEBUI_ENV = {
    "OFFLINE_MODE": "true", "HF_HUB_OFFLINE": "1", "USE_SLIM_DOCKER": "true",
    "BYPASS_EMBEDDING_AND_RETRIEVAL": "true", "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
    "ENABLE_VERSION_UPDATE_CHECK": "false", "ANONYMIZED_TELEMETRY": "false", "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true", "WEBUI_AUTH": "False", "ENABLE_OLLAMA_API": "False",
    "ENABLE_TITLE_GENERATION": "False", "ENABLE_TAGS_GENERATION": "False", "ENABLE_FOLLOW_UP_GENERATION": "False",
    "ENABLE_SEARCH_QUERY_GENERATION": "False", "ENABLE_RETRIEVAL_QUERY_GENERATION": "False",
    "ENABLE_AUTOCOMPLETE_GENERATION": "False", "OPENAI_API_KEY": "unused",
}


def say(message: str) -> None:
    """Progress on stderr, flushed, so a slow step is visible while it runs."""
    print(f"[open-webui-check {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> float:
    """Poll `url` until it answers 200; returns the seconds it took. Fails early if the process died."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise SystemExit(f"error: the server for {url} exited with status {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise SystemExit(f"error: {url} did not answer within {timeout:.0f} s" + (f" (log: {log})" if log else ""))


def start(stack: ExitStack, command: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    """Start a server with its output in `log`; the stack stops it (SIGTERM, then SIGKILL) on the way out."""
    handle = stack.enter_context(log.open("wb"))
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    return process


def start_rag(stack: ExitStack, args: argparse.Namespace, work: Path) -> str:
    """`rag serve --no-ui` on loopback, building the index first when the data directory has none."""
    rag = Path(sys.executable).parent / "rag"  # the environment this check runs in: the project's .venv
    if not rag.exists():
        raise SystemExit(f"error: no `rag` beside {sys.executable}: run this check with the project's .venv/bin/python")
    env = {"RAG_DATA_DIR": str(args.data_dir.resolve()), "RAG_GENERATOR": args.generator}
    if not (args.data_dir / "index").exists():
        say(f"no index in {args.data_dir}: ingesting data/reports (about a minute)")
        subprocess.run([str(rag), "ingest", str(REPO / "data" / "reports")], env={**os.environ, **env}, check=True,
                       cwd=REPO)
    say(f"starting rag serve on 127.0.0.1:{args.rag_port} (generator {args.generator}, data {args.data_dir})")
    log = work / "rag-serve.log"
    process = start(stack, [str(rag), "serve", "--no-ui", "--port", str(args.rag_port)], env, log, REPO)
    url = f"http://127.0.0.1:{args.rag_port}"
    say(f"rag serve ready in {wait_http(url + '/readyz', 180, process, log):.1f} s")
    return url


def find_webui(given: str | None) -> str:
    """The open-webui executable, or exit 2 saying how to install it: checked before anything is started."""
    binary = given or shutil.which("open-webui")
    if not binary or not Path(binary).exists():
        say(f"error: Open WebUI is not installed (looked for {binary or 'open-webui on PATH'}); {INSTALL_HINT}")
        raise SystemExit(2)
    return binary


def start_webui(stack: ExitStack, binary: str, args: argparse.Namespace, work: Path, rag_url: str) -> str:
    """Open WebUI with a fresh data directory whose one OpenAI connection is our `/v1`."""
    data = work / "open-webui-data"
    data.mkdir()
    env = {**WEBUI_ENV, "DATA_DIR": str(data), "OPENAI_API_BASE_URL": f"{rag_url}/v1",
           "WEBUI_SECRET_KEY": os.urandom(16).hex()}
    say(f"starting Open WebUI ({binary}) on 127.0.0.1:{args.webui_port}; the first start migrates its database")
    log = work / "open-webui.log"
    process = start(stack, [binary, "serve", "--host", "127.0.0.1", "--port", str(args.webui_port)], env, log, data)
    url = f"http://127.0.0.1:{args.webui_port}"
    say(f"Open WebUI ready in {wait_http(url + '/health', 300, process, log):.1f} s (log: {log})")
    return url


def model_id(rag_url: str, wanted: str | None) -> str:
    """The model to pick in Open WebUI: the one asked for, else the first our `/v1/models` lists."""
    with urllib.request.urlopen(f"{rag_url}/v1/models", timeout=10) as response:
        ids = [m["id"] for m in json.load(response)["data"]]
    say(f"our /v1/models lists {ids}")
    if wanted and wanted not in ids:
        raise SystemExit(f"error: model {wanted!r} is not among {ids}")
    return wanted or ids[0]


def ask_in_browser(webui_url: str, model: str, screenshot: Path) -> str:
    """Chromium opens Open WebUI with our model, asks QUESTION, waits for the streamed answer; returns its text."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        say("error: playwright is not installed in this environment (it comes with the dev extra: make test)")
        raise SystemExit(2) from None
    if not Path(CHROMIUM).exists():
        say("error: Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
        raise SystemExit(2)
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")) else None)
        say(f"browser: opening {webui_url}/?model={model}")
        page.goto(f"{webui_url}/?model={model}")
        box = page.locator("#chat-input")
        expect(box).to_be_visible(timeout=60_000)
        try:  # the release notes are shown once to a new user, over the page
            page.get_by_text("Okay, Let's Go!").click(timeout=8_000)
        except PlaywrightError:
            say("browser: no 'What's New' dialog to dismiss")
        picker = page.get_by_role("button", name=f"Selected model: {model}", exact=True)  # Open WebUI's model picker
        expect(picker).to_be_visible(timeout=30_000)
        say(f"browser: model {model!r} is selected; asking {QUESTION}")
        box.click()
        page.keyboard.type(QUESTION)
        started = time.monotonic()
        page.locator("#send-message-button").click()
        answer = page.locator(".chat-assistant #response-content-container").last
        expect(answer).to_contain_text(EXPECTED, timeout=120_000)
        done = page.get_by_role("button", name="Regenerate").last  # shown once the stream has ended
        expect(done).to_be_visible(timeout=60_000)
        say(f"browser: answer streamed in {time.monotonic() - started:.1f} s")
        text = answer.inner_text()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
        browser.close()
    if outside:
        say(f"note: the page tried to reach outside the machine: {sorted(set(outside))[:5]}")
    return text


def main(argv: list[str] | None = None) -> int:
    """Start what is not given, ask in the browser, check the answer and its marker, keep the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open-webui", help="the open-webui executable (default: the one on PATH)")
    parser.add_argument("--data-dir", type=Path, default=Settings().data_dir,
                        help="RAG_DATA_DIR for rag serve; ingested from data/reports when it has no index")
    parser.add_argument("--generator", default="extractive", help="RAG_GENERATOR for rag serve (default extractive)")
    parser.add_argument("--rag-port", type=int, default=7871)
    parser.add_argument("--webui-port", type=int, default=8089)
    parser.add_argument("--rag-url", help="use this running rag serve (e.g. http://127.0.0.1:7860) instead")
    parser.add_argument("--webui-url", help="use this running Open WebUI (already connected to our /v1) instead")
    parser.add_argument("--model", help="model id to select (default: the first of /v1/models)")
    parser.add_argument("--screenshot", type=Path, default=REPO / "docs" / "screenshots" / "open-webui.png")
    args = parser.parse_args(argv)
    binary = None if args.webui_url else find_webui(args.open_webui)
    work = Path(tempfile.mkdtemp(prefix="open-webui-check-"))  # servers' logs; removed only on success
    with ExitStack() as stack:
        rag_url = args.rag_url.rstrip("/") if args.rag_url else start_rag(stack, args, work)
        model = model_id(rag_url, args.model)
        webui_url = start_webui(stack, binary, args, work, rag_url) if binary else args.webui_url.rstrip("/")
        try:
            text = ask_in_browser(webui_url, model, args.screenshot)
        except AssertionError as error:  # an expectation of the page failed: say which, and where the logs are
            say(f"FAILED in the browser: {str(error).splitlines()[0]}; servers' logs in {work}")
            return 1
    say(f"answer: {text[:300]!r}")
    if EXPECTED not in text or "[1]" not in text:
        say(f"FAILED: the answer lacks {EXPECTED!r} or the citation marker [1]; servers' logs in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    say(f"OK: Open WebUI showed our cited answer; screenshot in {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
