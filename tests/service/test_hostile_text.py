"""A corpus of hostile texts, each through the CLI and through the API (`/v1/talks` and `/generate`).

Every case gets its documented answer: a video (decoded here, frame by frame),
or a refusal naming the text (exit 2 with one `error:` line; HTTP 4xx with
``field: text``, or a `/v1/talks` job that failed with that error). Never a
traceback, exit 1, a 5xx, an `internal_error` job, a hang or a partial file.
`pytest -s` prints the table of cases x answers at the end.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .support import check_mp4, record_status, wait_done

VIDEO = "video"
# Small and short: the answers are what is tested here, not the pictures.
CLI_OPTIONS = ["--engine", "still", "--size", "64", "--fps", "10", "--captions", "none"]
FORM = {"engine": "still", "size": "64", "fps": "10", "captions": "none"}
OVER_LIMIT = "word " * 1100  # over the CLI's 5000 characters and the server's 60

# name: (text, answer): VIDEO, or what the refusal's message says (a regular expression)
CORPUS = {
    "numbers": ("Pi is 3.14, price 12.50, 50% of 10-20.", VIDEO),  # four-character decimals crashed
    "money, date, time": ("$5 or 12,50 € on 2024-03-15 at 10:45 pm.", VIDEO),
    "NUL and controls": ("Hello\x00 world\x07\x1b[0m.", VIDEO),
    "lone surrogates": ("Hello \udcff world \udcfe.", VIDEO),  # bytes that are not UTF-8, as Python reads argv
    "SSML": ('<speak>Hello <break time="1s"/> world</speak>', VIDEO),
    "SSML malformed": ('<speak>Hello <break time="1s"> world', VIDEO),
    "emoji, RTL, long word": ("Hi 😀 مرحبا " + "x" * 45, VIDEO),
    "entity bomb": ('<!DOCTYPE x [<!ENTITY a "aaaa">]><speak>&a;&a;&a;</speak>', "nothing to say"),
    "only punctuation": ("?!... ---", "nothing to say"),
    "only emoji": ("😀🎉", "nothing to say"),
    "only markup": ('<speak><break time="2s"/></speak>', "nothing to say"),
    "empty": ("", "text is empty|give the words to speak"),
    "whitespace": (" \n\t ", "text is empty|give the words to speak"),
    "over the limit": (OVER_LIMIT, "over the limit"),
}
# Where the API answers otherwise: a form field that is not UTF-8 is refused (400 naming it), not guessed at.
API_ANSWERS = {"lone surrogates": "not UTF-8"}
# The break is heard: "Hello world" alone lasts under a second.
MIN_DURATION_S = {"SSML": 1.5}
ANSWERS: dict[str, dict[str, str]] = {name: {} for name in CORPUS}


def _wire(text: str) -> bytes:
    """The text as a terminal or a client sends it: UTF-8, lone surrogates as the bytes they stood for."""
    return text.encode("utf-8", "surrogateescape")


def _say(text: str, folder: Path) -> subprocess.CompletedProcess:
    out = folder / "out.mp4"
    # A NUL cannot be an argument: that text comes on standard input.
    args, stdin = ([b"-"], _wire(text)) if "\x00" in text else ([_wire(text)], b"")
    return subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"talking_head.cli",
            b"say",
            *args,
            b"-o",
            bytes(out),
            *[o.encode() for o in CLI_OPTIONS],
        ],
        input=stdin,
        capture_output=True,
        timeout=300,
        cwd=folder,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_answers(tmp_path_factory):
    """Every case through `talking-head say`, two at a time."""
    folders = {name: tmp_path_factory.mktemp("say") for name in CORPUS}
    with ThreadPoolExecutor(2) as pool:
        runs = {name: pool.submit(_say, text, folders[name]) for name, (text, _) in CORPUS.items()}
        return {name: (run.result(), folders[name]) for name, run in runs.items()}


def _fields(text: str) -> dict:
    # Raw bytes as the form field: what a client sends, even when it is not valid UTF-8.
    return {"text": (None, _wire(text))} | {k: (None, v.encode()) for k, v in FORM.items()}


@pytest.fixture(scope="module")
def api(open_server):
    with httpx.Client(base_url=open_server.url, timeout=300, event_hooks={"response": [record_status]}) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    width = max(map(len, CORPUS))
    print(f"\n{'case':<{width}} | {'CLI':<24} | {'/v1/talks':<36} | /generate")
    for name, answers in ANSWERS.items():
        print(
            f"{name:<{width}} | {answers.get('cli', '-'):<24} | {answers.get('talks', '-'):<36} | "
            f"{answers.get('generate', '-')}"
        )


def _assert_refusal_names_the_text(response: httpx.Response, message: str) -> dict:
    assert message != VIDEO, (response.status_code, response.text[:300])
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error["field"] == "text" and re.search(message, error["message"]), error
    return error


@pytest.mark.parametrize("name", CORPUS)
def test_cli(name, cli_answers):
    proc, folder = cli_answers[name]
    _, answer = CORPUS[name]
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    ANSWERS[name]["cli"] = f"exit {proc.returncode}"
    out = folder / "out.mp4"
    if answer == VIDEO:
        assert proc.returncode == 0, stderr
        check_mp4(out.read_bytes(), MIN_DURATION_S.get(name, 0.2))
    else:
        lines = stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert re.search(answer, lines[0]), stderr
        assert not out.exists()
    assert [p.name for p in folder.iterdir() if p.name != "out.mp4"] == []  # nothing partial beside it


@pytest.mark.parametrize("name", CORPUS)
def test_talks_api(name, api):
    text, answer = CORPUS[name][0], API_ANSWERS.get(name, CORPUS[name][1])
    response = api.post("/v1/talks", files=_fields(text))
    if response.status_code != 202:
        error = _assert_refusal_names_the_text(response, answer)
        ANSWERS[name]["talks"] = f"{response.status_code} {error['code']} (text)"
        return
    record = wait_done(api, response.json()["id"], timeout_s=180)
    error = record.get("error") or {}
    ANSWERS[name]["talks"] = record["status"] + (f" {error.get('code')} ({error.get('field')})" if error else "")
    if answer == VIDEO:
        assert record["status"] == "done", record
        check_mp4(api.get(f"/v1/talks/{record['id']}/video").content, MIN_DURATION_S.get(name, 0.2))
    else:
        assert record["status"] == "failed" and error["field"] == "text" and re.search(answer, error["message"]), record


@pytest.mark.parametrize("name", CORPUS)
def test_generate(name, api):
    text, answer = CORPUS[name][0], API_ANSWERS.get(name, CORPUS[name][1])
    response = api.post("/generate", files=_fields(text))
    if answer == VIDEO:
        assert response.status_code == 200, response.text[:300]
        ANSWERS[name]["generate"] = "200"
        check_mp4(api.get(f"/v1/talks/{response.json()['id']}/video").content, MIN_DURATION_S.get(name, 0.2))
    else:
        error = _assert_refusal_names_the_text(response, answer)
        ANSWERS[name]["generate"] = f"{response.status_code} {error['code']} (text)"
