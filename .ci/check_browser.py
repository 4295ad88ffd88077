"""Open every page of the rendered book in headless Chromium, offline, and fail on what a reader
would see broken.

For each HTML page (all of `_build/html` except `_static/`, `_sources/`, `_images/`, ...):

- a console error, an uncaught exception, a failed request (404, missing file) or any request to
  a non-local host (the browser resolves no host names, so a CDN can never answer);
- an image that did not load (`naturalWidth == 0`);
- unrendered math: `$$`, `\\(`, `\\[` or `$...\\cmd...$` left in the page text outside code,
  a page whose `.math` elements MathJax did not typeset, or a TeX error MathJax drew in red;
- an error output cell (traceback / error output classes of myst-nb and Jupyter);
- a chapter (a page with a `.py` source) without download buttons for its `.py` and `.ipynb`;

and the search page must list results for `--search-term`. One screenshot per page is saved
under `_build/screenshots/<page>.png` (for example `_build/screenshots/notebooks/01_task.png`).

Pages are served from a local http.server on 127.0.0.1 (a free port); `--file` opens them as
`file://` URLs instead, the way a reader opens `_build/html/index.html` from disk. There, every
page passes but the search page: Chromium refuses `fetch()` of `file://` URLs, so Sphinx's search
lists the matching pages without their text summaries and logs one console error per result.

The browser is Debian's `/usr/bin/chromium`, driven through the Chrome DevTools Protocol over
`--remote-debugging-pipe` (null-separated JSON on file descriptors 3 and 4), so the check needs
the Python standard library only.

    python .ci/check_browser.py [_build/html] [--screenshots DIR] [--file]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    # Offline by construction: no host name resolves, so a page that needs a CDN fails here
    # even on a machine with a network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
)
VIEWPORT = (1280, 900)
# A full-page screenshot of a long chapter is cut at this height (pixels).
MAX_SCREENSHOT_HEIGHT = 8000
# Folders of a Sphinx build that hold assets, not pages.
ASSET_DIRS = ("_static", "_sources", "_images", "_downloads", "_sphinx_design_static", "reports")
LOCAL_SCHEMES = ("file", "data", "blob", "about", "devtools", "chrome")

# Run in the page after its load event: waits for MathJax's first typesetting and for every
# image, then reports what a reader would see broken. Returns a JSON-able object.
INSPECT_PAGE_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const report = {};
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    try {
      await Promise.race([mj.startup.promise, sleep(20000)]);
      report.mathjax = "loaded";
    } catch (error) {
      report.mathjax = "failed: " + error;
    }
  } else {
    report.mathjax = mj ? "configured, script not loaded" : "absent";
  }
  const images = Array.from(document.images);
  for (const img of images) if (img.loading === "lazy") img.loading = "eager";
  await Promise.all(images.map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener("load", resolve);
    img.addEventListener("error", resolve);
    setTimeout(resolve, 10000);
  })));
  report.images = images.length;
  report.brokenImages = images
    .filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute("src"));
  // Raw TeX left in the text: outside code, scripts and MathJax's own output.
  const skip = "script, style, noscript, pre, code, kbd, samp, textarea, .highlight, "
    + ".cell_input, mjx-container, mjx-assistive-mml";
  const patterns = [/\$\$/, /\\\(/, /\\\[/, /\$[^$\s][^$]*?\\[A-Za-z]+[^$]*?\$/];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  report.rawMath = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent;
    if (patterns.some((pattern) => pattern.test(text))) {
      report.rawMath.push(text.trim().slice(0, 120));
    }
  }
  const mathElements = Array.from(document.querySelectorAll(".math"));
  report.math = mathElements.length;
  report.mathUnrendered = mathElements
    .filter((el) => !el.querySelector("mjx-container") && !el.closest("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 120));
  report.mathErrors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((el) => (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 120));
  const errorSelector = ".output.traceback, .output.error, .output_error, "
    + ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']";
  const errorOutputs = Array.from(document.querySelectorAll(errorSelector));
  for (const output of document.querySelectorAll(".cell_output, .output_area")) {
    const known = errorOutputs.some((el) => output.contains(el) || el.contains(output));
    if (!known && output.textContent.includes("Traceback (most recent call last)")) {
      errorOutputs.push(output);
    }
  }
  report.errorOutputs = errorOutputs
    .map((el) => el.textContent.trim().split("\n").slice(-1)[0].slice(0, 160));
  report.downloads = Array.from(document.querySelectorAll(".dropdown-download-buttons a[href]"))
    .map((a) => a.href);
  report.height = Math.ceil(Math.max(
    document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));
  report.title = document.title;
  return report;
})()
"""

# The search page of Sphinx fills #search-results asynchronously from searchindex.js.
SEARCH_RESULTS_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let waited = 0; waited < 15000; waited += 100) {
    const summary = document.querySelector("#search-results .search-summary");
    if (summary && summary.textContent.trim() && !/^Preparing/.test(summary.textContent.trim())) {
      break;
    }
    await sleep(100);
  }
  await sleep(300);  // the last result items are appended every 5 ms
  return {
    results: document.querySelectorAll("#search-results ul.search li").length,
    summary: (document.querySelector("#search-results .search-summary") || {}).textContent || "",
  };
})()
"""


class BrowserError(RuntimeError):
    """Chromium could not be started or stopped answering."""


class CdpError(RuntimeError):
    """A DevTools Protocol command returned an error."""


class Browser:
    """Headless Chromium driven over the DevTools Protocol on a pipe (`--remote-debugging-pipe`).

    Messages are JSON objects separated by a NUL byte: Chromium reads commands on its file
    descriptor 3 and writes replies and events on descriptor 4. Events are kept in `events`
    until the caller clears them.
    """

    def __init__(self, chromium: str = CHROMIUM, flags: tuple[str, ...] = CHROMIUM_FLAGS) -> None:
        self._profile = tempfile.mkdtemp(prefix="check-browser-profile-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        child_ends = (to_browser_read, from_browser_write)

        def wire_pipes() -> None:  # in the child, between fork and exec
            # Copies at 10 and above first, so that neither end is overwritten by the other.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in child_ends]
            os.dup2(high[0], 3)  # dup2 makes 3 and 4 inheritable
            os.dup2(high[1], 4)

        command = [chromium, *flags, f"--user-data-dir={self._profile}", "about:blank"]
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                close_fds=False,  # our own descriptors are non-inheritable (PEP 446)
                preexec_fn=wire_pipes,
            )
        except OSError as error:
            raise BrowserError(f"cannot start {chromium}: {error}") from error
        finally:
            for fd in child_ends:
                os.close(fd)
        self._buffer = bytearray()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session_id: str | None = None
        target = self.send("Target.createTarget", {"url": "about:blank"}, timeout=30)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        self.session_id = attached["sessionId"]

    # -- protocol ------------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or None when none arrives before `deadline`."""
        while (end := self._buffer.find(b"\0")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the DevTools pipe; its log:\n{self.log()}")
            self._buffer += chunk
        message = json.loads(self._buffer[:end])
        del self._buffer[: end + 1]
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> Any:
        """Send one command to the attached page (or the browser before attaching); its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session_id is not None:
            message["sessionId"] = self.session_id
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply is None:
                raise BrowserError(f"no answer to {method} within {timeout} s")
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for_event(self, method: str, timeout: float) -> dict[str, Any] | None:
        """Wait until an event named `method` has arrived (kept in `events`); it or None."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    return event
            message = self._read_message(deadline)
            if message is None:
                return None
            if "method" in message:
                self.events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect events for `seconds` (late console errors, late requests)."""
        deadline = time.monotonic() + seconds
        while (message := self._read_message(deadline)) is not None:
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str, timeout: float = 60) -> Any:
        """Evaluate a JavaScript expression (a promise is awaited); its JSON value."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"page script failed: {text}")
        return result["result"].get("value")

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._to_browser)  # Chromium exits when its command pipe closes
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._from_browser)
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)


@contextlib.contextmanager
def open_browser(chromium: str = CHROMIUM) -> Iterator[Browser]:
    browser = Browser(chromium)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable")
        set_window_size(browser, *VIEWPORT)
        yield browser
    finally:
        browser.close()


# -- pages -------------------------------------------------------------------------------------
@dataclass
class PageReport:
    """What the check found on one page."""

    page: str  # relative to the HTML root, e.g. "notebooks/01_task.html"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What INSPECT_PAGE_JS measured: images, math (formula count), mathjax, brokenImages, ...
    stats: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None
    seconds: float = 0.0


def find_pages(html_dir: Path) -> list[Path]:
    """Every .html file of the build, asset folders excluded: [relative paths], sorted."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        relative = path.relative_to(html_dir)
        if relative.parts[0] in ASSET_DIRS or relative.parts[0].startswith("."):
            continue
        pages.append(relative)
    return pages


REDIRECT = re.compile(r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', re.I)


def redirect_target(page: Path) -> str | None:
    """The target of a `<meta http-equiv="refresh">` page (Jupyter Book's index.html), or None."""
    match = REDIRECT.search(page.read_text(encoding="utf-8", errors="replace")[:4000])
    return match.group(1) if match else None


def problems_from_events(events: list[dict[str, Any]], base_url: str) -> list[str]:
    """Console errors, uncaught exceptions, failed and non-local requests among CDP events."""
    problems = []
    local_host = urlsplit(base_url).netloc
    request_urls = {
        event["params"]["requestId"]: event["params"]["request"]["url"]
        for event in events
        if event["method"] == "Network.requestWillBeSent"
    }
    for event in events:
        method, params = event["method"], event.get("params", {})
        if _is_automatic_favicon(params, request_urls):
            continue
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])
            )
            problems.append(f"console error: {text[:300]}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            problems.append(f"uncaught exception: {text[:300]}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            problems.append(f"console error: {entry.get('text', '')[:300]} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            parts = urlsplit(url)
            if parts.scheme not in LOCAL_SCHEMES and parts.netloc != local_host:
                problems.append(f"request to a non-local URL (needs a network): {url[:200]}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = request_urls.get(params.get("requestId"), "?")
            problems.append(f"failed to load {url[:200]}: {params.get('errorText')}")
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            if response.get("status", 0) >= 400:
                problems.append(f"HTTP {response['status']} for {response.get('url', '')[:200]}")
    # Chromium logs a failed load both as a network event and as a console entry: keep one each.
    return list(dict.fromkeys(problems))


def _is_automatic_favicon(params: dict[str, Any], request_urls: dict[str, str]) -> bool:
    """The browser asks every http origin for /favicon.ico by itself; a book without one is fine."""
    urls = (
        params.get("request", {}).get("url"),
        params.get("response", {}).get("url"),
        params.get("entry", {}).get("url"),
        request_urls.get(params.get("requestId", "")),
    )
    return any(url and urlsplit(url).path == "/favicon.ico" for url in urls)


def problems_from_report(report: dict[str, Any]) -> list[str]:
    """What INSPECT_PAGE_JS found in the page itself."""
    problems = [f"image did not load: {src}" for src in report["brokenImages"]]
    problems += [f"unrendered math in the text: {text!r}" for text in report["rawMath"]]
    if report["math"] and report["mathjax"] != "loaded":
        problems.append(f"{report['math']} formulas but MathJax is {report['mathjax']}")
    problems += [f"formula not typeset: {text!r}" for text in report["mathUnrendered"][:5]]
    problems += [f"TeX error in a formula: {text!r}" for text in report["mathErrors"]]
    problems += [f"error output cell: {text!r}" for text in report["errorOutputs"]]
    return problems


def download_problems(html_dir: Path, page: Path, downloads: list[str], base_url: str) -> list[str]:
    """A chapter written as a `.py` script must offer its `.py` and its `.ipynb`, both present.

    downloads: the absolute URLs of the page's download menu.
    """
    source = html_dir / "_sources" / page.with_suffix(".py")
    if not source.is_file():
        return []
    problems = []
    for suffix in (".py", ".ipynb"):
        links = [url for url in downloads if urlsplit(url).path.endswith(suffix)]
        if not links:
            problems.append(f"no {suffix} download button")
        for url in links:
            relative = unquote(urlsplit(url).path).removeprefix(unquote(urlsplit(base_url).path))
            if not (html_dir / relative).is_file():
                problems.append(f"the {suffix} download {url} is missing from the build")
    return problems


def screenshot_path(screenshots: Path, page: Path) -> Path:
    """_build/screenshots/<page>.png, mirroring the HTML tree (notebooks/01_task.png)."""
    return screenshots / page.with_suffix(".png")


def set_window_size(browser: Browser, width: int, height: int) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def save_screenshot(browser: Browser, height: int, target: Path) -> None:
    """The whole page (up to MAX_SCREENSHOT_HEIGHT) as a PNG, as seen in a window that tall.

    A window as tall as the page, rather than `captureBeyondViewport`, which draws the theme's
    sticky sidebars shifted on long pages.
    """
    width, viewport_height = VIEWPORT
    window_height = max(viewport_height, min(height, MAX_SCREENSHOT_HEIGHT))
    set_window_size(browser, width, window_height)
    try:
        shot = browser.send("Page.captureScreenshot", {"format": "png"})
    finally:
        set_window_size(browser, width, viewport_height)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))


def check_page(
    browser: Browser,
    html_dir: Path,
    page: Path,
    base_url: str,
    screenshots: Path | None,
    search_term: str,
) -> PageReport:
    """Open one page, inspect it, screenshot it."""
    started = time.monotonic()
    report = PageReport(page.as_posix())
    target = redirect_target(html_dir / page)
    if target is not None:
        resolved = (html_dir / page).parent / target.split("#")[0].split("?")[0]
        if not resolved.is_file():
            report.problems.append(f"redirects to {target}, which does not exist")
        report.notes.append(f"redirect to {target}")
        return report
    url = base_url + quote(page.as_posix())
    if page.name == "search.html" and search_term:
        url += "?q=" + quote(search_term)
    browser.events.clear()
    navigation = browser.send("Page.navigate", {"url": url})
    if navigation.get("errorText"):
        report.problems.append(f"cannot open {url}: {navigation['errorText']}")
        return report
    if browser.wait_for_event("Page.loadEventFired", timeout=60) is None:
        report.problems.append("the page did not finish loading within 60 s")
    inspected = browser.evaluate(INSPECT_PAGE_JS)
    report.stats = inspected
    report.problems += problems_from_report(inspected)
    report.problems += download_problems(html_dir, page, inspected["downloads"], base_url)
    if page.name == "search.html" and search_term:
        search = browser.evaluate(SEARCH_RESULTS_JS)
        if search["results"] == 0:
            report.problems.append(
                f"search for {search_term!r} found nothing: {search['summary'].strip()!r}"
            )
        report.notes.append(f"search {search_term!r}: {search['results']} results")
    browser.drain(0.3)
    report.problems += problems_from_events(browser.events, base_url)
    report.notes.append(
        f"{inspected['images']} images, {inspected['math']} formulas "
        f"(MathJax {inspected['mathjax']})"
    )
    if screenshots is not None:
        report.screenshot = screenshot_path(screenshots, page)
        save_screenshot(browser, inspected["height"], report.screenshot)
    report.seconds = time.monotonic() - started
    return report


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextlib.contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve `html_dir` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def check_site(
    html_dir: Path,
    screenshots: Path | None = None,
    *,
    use_server: bool = True,
    search_term: str = "network",
    chromium: str = CHROMIUM,
    browser: Browser | None = None,
) -> list[PageReport]:
    """Check every page of `html_dir`; one report per page. A new browser unless one is given."""
    html_dir = html_dir.resolve()
    pages = find_pages(html_dir)
    if screenshots is not None and screenshots.exists():
        shutil.rmtree(screenshots)  # no screenshot of a page that no longer exists
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(serve(html_dir)) if use_server else html_dir.as_uri() + "/"
        if browser is None:
            browser = stack.enter_context(open_browser(chromium))
        return [
            check_page(browser, html_dir, page, base_url, screenshots, search_term)
            for page in pages
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default="_build/html", type=Path)
    parser.add_argument(
        "--screenshots", type=Path, help="default: screenshots/ beside the HTML folder"
    )
    parser.add_argument(
        "--file", action="store_true", help="open file:// URLs instead of serving on 127.0.0.1"
    )
    parser.add_argument("--search-term", default="network", help="'' skips the search check")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    if not (args.html_dir / "index.html").is_file():
        print(f"ERROR: {args.html_dir}/index.html is missing: build the book first (make book)")
        return 1
    if shutil.which(args.chromium) is None:
        print(f"ERROR: {args.chromium} not found: apt-get install -y chromium")
        return 1
    screenshots = args.screenshots or args.html_dir.resolve().parent / "screenshots"
    started = time.monotonic()
    reports = check_site(
        args.html_dir,
        screenshots,
        use_server=not args.file,
        search_term=args.search_term,
        chromium=args.chromium,
    )
    failed = [report for report in reports if report.problems]
    for report in reports:
        status = "FAIL" if report.problems else "ok  "
        print(f"{status} {report.page:50s} {report.seconds:5.1f} s  {'; '.join(report.notes)}")
        for problem in report.problems:
            print(f"     ERROR: {problem}")
    shots = sum(report.screenshot is not None for report in reports)
    print(
        f"browser check: {len(reports)} pages, {len(failed)} failed, {shots} screenshots in "
        f"{screenshots}, {time.monotonic() - started:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
