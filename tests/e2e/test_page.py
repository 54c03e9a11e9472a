"""The web page at `/`, driven in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, through Selenium): a key entered once, a prompt, the progress card to
the worker's image, a reload that brings the job back, a cancel from the card."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from easel_devtools.harness import API_KEY, EaselSystem
from easel_devtools.standins import Behaviour
from easel_gateway.catalog import CATALOG as GATEWAY

pytestmark = pytest.mark.e2e
WAIT = 30.0
# Headless as root, on a machine with no way out: no sandbox, no GPU, and none of the
# background connections Chromium otherwise makes to Google at every start.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Records every state the card shows, in order: the test reads them after the job ends.
RECORD_STATES = """
window.states = [];
new MutationObserver(() => {
  const state = document.getElementById("card").dataset.state;
  if (state && window.states.at(-1) !== state) window.states.push(state);
}).observe(document.getElementById("card"), {attributes: true});
"""
# The sha256 of the job's image as the page fetches it, with the key it keeps. (The blob:
# URL it shows cannot be fetched again: the page's CSP allows connections to itself only.)
IMAGE_SHA256 = """
const done = arguments[arguments.length - 1];
const key = localStorage.getItem("easel.key");
fetch(`/v1/jobs/${arguments[0]}/image`, {headers: {Authorization: `Bearer ${key}`}})
  .then((response) => response.arrayBuffer())
  .then((bytes) => crypto.subtle.digest("SHA-256", bytes))
  .then((digest) => done(Array.from(new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0")).join("")))
  .catch((error) => done(`failed: ${error}`));
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(
            "no chromium or chromedriver on PATH: `just setup` installs Debian's chromium "
            "and chromium-driver (devtools/install-tools.sh), which needs root or sudo"
        )
    options = Options()
    options.binary_location = chromium
    profile: Path = tmp_path_factory.mktemp("chromium")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def page(system: EaselSystem, browser: WebDriver) -> WebDriver:
    """The page, opened afresh with no key stored."""
    browser.get(f"{system.api_url}/")
    browser.execute_script("localStorage.clear()")
    browser.get(f"{system.api_url}/")
    return browser


@pytest.fixture
def api(system: EaselSystem) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=system.api_url, headers=headers, timeout=30) as client:
        yield client


def until(browser: WebDriver, script: str, seconds: float = WAIT) -> Any:
    """The first truthy value of a script run in the page, within `seconds`."""
    return WebDriverWait(browser, seconds, poll_frequency=0.05).until(
        lambda b: b.execute_script(f"return {script}"), message=f"never true: {script}"
    )


def shown(browser: WebDriver, element: str) -> bool:
    return bool(browser.execute_script(f'return !document.getElementById("{element}").hidden'))


def text(browser: WebDriver, element: str) -> str:
    return str(browser.execute_script(f'return document.getElementById("{element}").textContent'))


def sign_in(browser: WebDriver, key: str = API_KEY) -> None:
    until(browser, '!document.getElementById("key-form").hidden')  # once its texts came
    assert not shown(browser, "app")
    browser.find_element("id", "key").send_keys(key)
    browser.find_element("id", "key-save").click()


def ask(browser: WebDriver, model: str, prompt: str) -> str:
    """Submits a prompt; the job's id, once the page put it in its URL."""
    until(browser, f'document.querySelector("#model option[value={model}]")')
    browser.find_element("css selector", f"#model option[value={model}]").click()
    browser.find_element("id", "prompt").send_keys(prompt)
    browser.find_element("id", "generate").click()
    return str(until(browser, 'new URLSearchParams(location.search).get("job")'))


def state(browser: WebDriver) -> str | None:
    found = browser.execute_script('return document.getElementById("card").dataset.state')
    return None if found is None else str(found)


def test_a_person_enters_a_key_once_and_watches_their_job_to_its_image(
    system: EaselSystem, page: WebDriver
) -> None:
    sign_in(page)
    until(page, "!document.getElementById('app').hidden")
    models = page.execute_script(
        'return Array.from(document.querySelectorAll("#model option"), (o) => o.value)'
    )
    assert models == ["flux", "sdxl"]
    page.execute_script(RECORD_STATES)
    job_id = ask(page, "flux", "a lighthouse in fog")
    assert job_id.startswith("api_")
    until(page, 'document.getElementById("card").dataset.state === "succeeded"')
    until(page, 'document.getElementById("image").naturalWidth > 0')
    assert text(page, "stage") == "Done"
    assert page.execute_script('return document.getElementById("bar").value') == 100
    assert "golden hour" in text(page, "revised")  # the prompt the model saw
    states = page.execute_script("return window.states")
    order = ["queued", "enhancing", "waiting", "generating", "succeeded"]
    assert states == sorted(states, key=order.index), states  # forward only
    assert states[-1] == "succeeded"
    assert page.execute_script('return document.getElementById("image").src').startswith("blob:")
    digest = page.execute_async_script(IMAGE_SHA256, job_id)
    assert digest in {j.sha256 for j in system.flux.jobs if "a lighthouse in fog" in j.prompt}

    page.refresh()  # the key is kept, and the URL brings the same job back
    until(page, 'document.getElementById("image").naturalWidth > 0')
    assert not shown(page, "key-form")
    assert page.execute_script('return document.getElementById("card").dataset.job') == job_id
    assert text(page, "prompt-shown") == "a lighthouse in fog"
    assert not shown(page, "cancel")


def test_the_page_speaks_the_browsers_language_right_to_left_in_persian(
    system: EaselSystem, browser: WebDriver
) -> None:
    # A browser set to Persian first (navigator.languages, as Chromium's setting makes it).
    added = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "Object.defineProperty(navigator, 'languages', {get: () => ['fa-IR', 'en']})"},
    )
    try:
        browser.get(f"{system.api_url}/")
        browser.execute_script("localStorage.clear()")
        browser.get(f"{system.api_url}/")
        sign_in(browser)
        fa = GATEWAY.for_language("fa")
        assert browser.execute_script("return document.documentElement.dir") == "rtl"
        assert browser.execute_script("return document.documentElement.lang") == "fa"
        assert text(browser, "generate") == fa("page-generate")
        ask(browser, "flux", "a lighthouse in fog")
        until(browser, 'document.getElementById("card").dataset.state === "succeeded"')
        assert text(browser, "stage") == fa("page-stage-succeeded")
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
        )


def test_a_waiting_job_shows_its_place_and_is_cancelled_from_its_card(
    system: EaselSystem, page: WebDriver, api: httpx.Client
) -> None:
    # FLUX's one slot is held by a slow render, so the page's job waits first in line.
    system.flux.script([Behaviour(delay=WAIT)])
    made = api.post("/v1/jobs", json={"model": "flux", "prompt": "a slow mill"})
    blocker = made.json()["id"]
    deadline = time.monotonic() + WAIT
    while api.get(f"/v1/jobs/{blocker}").json()["state"] != "generating":
        assert time.monotonic() < deadline, "the slow render never started"
        time.sleep(0.1)  # polling the API as a client would
    try:
        sign_in(page)
        job_id = ask(page, "flux", "a kite over dunes")
        until(page, 'document.getElementById("where").textContent.includes("Next in line")')
        assert state(page) == "waiting"
        assert text(page, "stage") == "Waiting in line"
        assert shown(page, "cancel")
        page.find_element("id", "cancel").click()
        until(page, 'document.getElementById("card").dataset.state === "cancelled"')
        assert not shown(page, "cancel")
        assert api.get(f"/v1/jobs/{job_id}").json()["state"] == "cancelled"
    finally:
        api.delete(f"/v1/jobs/{blocker}")
    assert not any("a kite over dunes" in j.prompt for j in system.flux.jobs)


def test_a_refused_key_is_asked_for_again(page: WebDriver) -> None:
    sign_in(page, "easel_not-a-key")
    until(page, '!document.getElementById("error").hidden')
    assert text(page, "error") == "That key was refused."
    assert shown(page, "key-form")
    assert not shown(page, "app")
    assert page.execute_script('return localStorage.getItem("easel.key")') is None


def test_another_keys_job_in_the_url_is_not_shown(system: EaselSystem, page: WebDriver) -> None:
    sign_in(page)
    until(page, "!document.getElementById('app').hidden")
    page.get(f"{system.api_url}/?job=api_{'0' * 32}")
    until(page, '!document.getElementById("error").hidden')
    assert text(page, "error") == "No such job for this key."
    assert shown(page, "card")
    assert state(page) is None


def test_the_page_and_its_files_are_served_under_a_strict_policy(system: EaselSystem) -> None:
    index = httpx.get(f"{system.api_url}/", timeout=10)
    assert index.status_code == 200
    assert index.headers["Content-Type"].startswith("text/html")
    policy = index.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    script = httpx.get(f"{system.api_url}/page/page.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert httpx.get(f"{system.api_url}/page/index.html.bak", timeout=10).status_code == 404
