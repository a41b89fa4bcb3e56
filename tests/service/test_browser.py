"""The web page in a real browser: Debian's Chromium driven by Playwright, on a phone-sized screen."""

from __future__ import annotations

import pytest

from .support import browser_page, needs_chromium, png, wait_for_video

pytestmark = needs_chromium


@pytest.fixture
def page(open_server):
    with browser_page(open_server.url + "/") as page:
        yield page


def test_photo_and_text_to_video(page, face_png, tmp_path):
    # The default face is shown before anything is chosen.
    assert page.locator("#preview").evaluate("img => img.complete && img.naturalWidth > 0")
    photo = tmp_path / "portrait.png"
    photo.write_bytes(face_png)
    page.set_input_files("#image", str(photo))
    assert page.locator("#photo-note").inner_text() == "portrait.png"
    page.fill("#text", "Good morning! This is a test of the web page.")
    page.click("summary")
    page.select_option("#size", "256")
    page.click("#generate")

    wait_for_video(page, 120_000)
    state = page.evaluate(
        "() => { const v = document.querySelector('#video');"
        " return {ready: v.readyState, duration: v.duration, error: v.error, width: v.videoWidth,"
        " src: v.currentSrc, tracks: v.textTracks.length,"
        " overflow: document.documentElement.scrollWidth > window.innerWidth}; }"
    )
    assert state["ready"] >= 2 and state["duration"] > 0 and state["error"] is None
    assert state["width"] == 256
    assert state["tracks"] == 1
    assert not state["overflow"], "the page must fit a phone screen without sideways scrolling"
    assert page.locator("#error").is_hidden()
    download = page.locator("#download-video")
    assert download.get_attribute("href") == state["src"]
    assert page.locator("#download-captions").get_attribute("href").endswith("/captions")
    # Show a frame from the middle, fully loaded (no buffering spinner over the face).
    page.evaluate(
        "() => new Promise(done => { const v = document.querySelector('#video');"
        " v.addEventListener('seeked', () => done(), {once: true}); v.currentTime = v.duration / 2; })"
    )
    page.wait_for_function(
        "() => { const v = document.querySelector('#video');"
        " return v.readyState >= 3 && v.networkState !== HTMLMediaElement.NETWORK_LOADING; }"
    )
    page.wait_for_timeout(3000)  # the controls' loading spinner fades out
    shot = tmp_path / "talking-head-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_errors_are_shown_in_plain_words(page, tmp_path):
    not_a_photo = tmp_path / "holiday.png"
    not_a_photo.write_bytes(b"this is a text file, not a picture")
    page.set_input_files("#image", str(not_a_photo))
    page.click("#generate")
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("Photo: ")
    assert "JPEG, PNG or WebP" in error.inner_text()

    # A photo without a face fails in the worker; the page says so.
    blank = tmp_path / "wall.png"
    blank.write_bytes(png(300, 300))
    page.set_input_files("#image", str(blank))
    page.click("#generate")
    page.wait_for_function("() => document.querySelector('#error').innerText.includes('no face')", timeout=60_000)
    assert page.locator("#result").is_hidden()

    # Nothing to say: caught before anything is sent.
    page.fill("#text", "   ")
    page.click("#generate")
    page.wait_for_function("() => document.querySelector('#error').innerText === 'Type the words to speak.'")


@pytest.mark.parametrize(
    "route, rendered",
    [
        ("/docs", ".swagger-ui .info .title"),  # Swagger UI drew the API's title from /openapi.json
        ("/redoc", "h1"),  # and so did ReDoc
    ],
)
def test_api_docs_work_offline(page, open_server, route, rendered):
    """Every request the docs page makes goes to this server; anything else is refused, as offline."""
    from urllib.parse import urlsplit

    elsewhere = []

    def only_ours(request_route):
        if urlsplit(request_route.request.url).netloc == urlsplit(open_server.url).netloc:
            request_route.continue_()
        else:
            elsewhere.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", only_ours)
    page.goto(open_server.url + route)
    page.wait_for_selector(rendered)
    assert "talking-head" in page.locator(rendered).first.inner_text()
    if route == "/docs":
        page.wait_for_selector("#operations-talks-submit_talk_v1_talks_post")  # the operations are listed
    else:
        page.wait_for_selector("text=Queue a video")
    assert elsewhere == [], f"the page reached outside this server: {elsewhere}"


def test_voice_picker_offers_the_installed_voices(page):
    page.click("summary")
    page.wait_for_function("() => document.querySelectorAll('#voice option').length >= 2")
    options = page.locator("#voice option").evaluate_all("os => os.map(o => [o.value, o.textContent, o.selected])")
    assert ["", "en_US-joe-medium (English)", True] in options
    assert ["de_DE-joe-medium", "de_DE-joe-medium (German)", False] in options
