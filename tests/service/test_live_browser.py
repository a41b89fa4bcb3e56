"""Live mode in a real browser: Debian's Chromium plays the stream through Media Source Extensions."""

from __future__ import annotations

# The same browser, phone screen and page as the rest of the page's tests; the click on
# "Speak live" is the user gesture that lets the video play with sound.
from .test_browser import page, pytestmark  # noqa: F401


def say_live(tab, first: str, then: str) -> None:
    """Speak `first` live at 256, then `then` into the same stream, then end it: the user's clicks."""
    tab.click("summary")
    tab.select_option("#size", "256")
    tab.fill("#live-text", first)
    tab.click("#live-say")
    tab.fill("#live-text", then)
    tab.click("#live-say")
    tab.click("#live-end")


def test_live_playback_starts_before_the_server_has_finished(page):  # noqa: F811 (the fixture)
    say_live(page, "Good morning. I am speaking live to you.", "And these words come a little later.")
    # Playing: the clock of the video element moves on while the stream is still being made.
    page.wait_for_function("() => document.querySelector('#live-video').currentTime > 0.5", timeout=90_000)
    at_playback = page.evaluate(
        "() => ({ended: window.liveState.ended, t: document.querySelector('#live-video').currentTime,"
        " made: Math.max(0, ...window.liveState.events.filter(e => e.type === 'progress').map(e => e.media_s))})"
    )
    assert not at_playback["ended"], "the stream had already ended when playback started"
    page.wait_for_function("() => window.liveState.ended", timeout=90_000)
    final = page.evaluate(
        "() => ({t: document.querySelector('#live-video').currentTime,"
        " made: window.liveState.events.filter(e => e.type === 'end')[0].media_s,"
        " error: document.querySelector('#live-video').error,"
        " width: document.querySelector('#live-video').videoWidth,"
        " shown: document.querySelector('#live-error').hidden,"
        " units: window.liveState.events.filter(e => e.type === 'unit').length})"
    )
    # More than a second of the stream was made after the browser had started showing it.
    assert final["made"] > at_playback["made"] + 1.0, (at_playback, final)
    assert final["error"] is None and final["width"] == 256 and final["shown"]
    assert final["units"] >= 3
    page.wait_for_function("() => document.querySelector('#live-video').currentTime > 3.0", timeout=30_000)
    assert page.locator("#live-caption").inner_text()


# A connection that takes its time to open, as on a slow network: the page's socket is a stand-in
# that opens the real one 1.5 s late and, like a real socket still connecting, refuses to send.
SLOW_SOCKET = """() => {
  const Real = window.WebSocket;
  window.WebSocket = function (url) {
    const slow = { binaryType: "blob", real: null };
    slow.send = (data) => {
      if (!slow.real || slow.real.readyState !== Real.OPEN)
        throw new DOMException("Still in CONNECTING state.", "InvalidStateError");
      slow.real.send(data);
    };
    setTimeout(() => {
      const real = (slow.real = new Real(url));
      real.binaryType = slow.binaryType;
      for (const name of ["onopen", "onmessage", "onclose", "onerror"]) real[name] = (e) => slow[name] && slow[name](e);
    }, 1500);
    return slow;
  };
  window.WebSocket.OPEN = Real.OPEN;
}"""


def test_words_said_while_the_connection_opens_are_all_spoken_in_order(page):  # noqa: F811 (the fixture)
    page.evaluate(SLOW_SOCKET)
    say_live(page, "Good morning.", "These words were typed before the connection was open.")
    page.wait_for_function("() => window.liveState.ended", timeout=90_000)
    said = page.evaluate("() => window.liveState.events.filter(e => e.type === 'unit').map(e => e.text).join(' ')")
    assert page.locator("#live-error").is_hidden(), page.locator("#live-error").inner_text()
    assert said.index("morning") < said.index("typed before the connection"), said
