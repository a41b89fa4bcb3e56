"""The HTTP API against a real Uvicorn server, once per executor (local pool and Celery)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from .support import CORS_ORIGIN, WEBHOOK_SECRET, check_mp4, free_port, png, wait_done

SHORT = "Hello there, nice to meet you."


def submit(client: httpx.Client, face_png: bytes | None = None, **fields) -> httpx.Response:
    files = {"image": ("me.png", face_png, "image/png")} if face_png else None
    data = {"size": "128", **{k: str(v) for k, v in fields.items()}}
    return client.post("/v1/talks", data=data, files=files)


def test_health_ready_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert set(ready.json()["checks"]) == {"storage", "queue", "workers"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    schema = client.get("/openapi.json").json()
    for path in ("/v1/talks", "/v1/talks/{id}", "/v1/talks/{id}/video", "/v1/talks/{id}/captions", "/generate"):
        assert path in schema["paths"], path
    # Typed models, not bare dicts.
    for model in ("TalkJob", "TalkAccepted", "GenerateResponse", "ErrorResponse", "TalkResultRecord"):
        assert model in schema["components"]["schemas"], model
    form = schema["components"]["schemas"][
        schema["paths"]["/v1/talks"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].split(
            "/"
        )[-1]
    ]
    assert {"image", "audio", "text", "engine", "fps", "size", "callback_url"} <= set(form["properties"])


def test_submit_poll_fetch_delete(service, client, face_png):
    response = submit(client, face_png, text=SHORT)
    assert response.status_code == 202
    accepted = response.json()
    job_id = accepted["id"]
    assert response.headers["location"] == accepted["url"] == f"{service.server.url}/v1/talks/{job_id}"
    seen = []
    record = wait_done(client, job_id, seen=seen)
    assert record["status"] == "done", record
    assert record["progress"] == 100 and record["error"] is None
    progress = [p for _, p in seen]
    assert progress == sorted(progress), "progress never goes back"
    result = record["result"]
    for key in ("engine", "fallback", "fallback_reason", "timings", "duration_s"):
        assert key in result
    assert result["width"] == result["height"] == 128
    assert record["video_url"] == accepted["video_url"] and record["video_url"].startswith(service.server.url)

    # The links work without the API key header: they carry their own token, as a <video src> needs.
    with httpx.Client(event_hooks=client.event_hooks) as browser:
        video = browser.get(record["video_url"])
        captions = browser.get(record["captions_url"])
        bare = browser.get(record["video_url"].split("?")[0])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.headers["accept-ranges"] == "bytes"
    duration = check_mp4(video.content)
    assert abs(duration - result["duration_s"]) < 0.2
    assert captions.status_code == 200 and captions.headers["content-type"].startswith("text/vtt")
    assert captions.text.startswith("WEBVTT") and "hello" in captions.text.lower()
    assert bare.status_code == 401

    # Seeking: a byte range comes back as 206 with exactly those bytes.
    part = client.get(f"/v1/talks/{job_id}/video", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(video.content)}"
    assert part.content == video.content[100:1100]
    beyond = client.get(f"/v1/talks/{job_id}/video", headers={"Range": f"bytes={len(video.content) + 10}-"})
    assert beyond.status_code == 416

    folder = service.server.results / job_id
    assert (folder / "talk.mp4").is_file()
    assert client.delete(f"/v1/talks/{job_id}").status_code == 204
    assert not folder.exists()
    for path in (f"/v1/talks/{job_id}", f"/v1/talks/{job_id}/video", f"/v1/talks/{job_id}/captions"):
        assert client.get(path).status_code == 404
    assert client.delete(f"/v1/talks/{job_id}").status_code == 404


def test_recorded_speech(client, human_speech):
    wav, transcript = min(human_speech, key=lambda item: item[0].stat().st_size)
    response = client.post(
        "/v1/talks",
        data={"size": "128", "text": transcript, "captions": "srt"},
        files={"audio": ("talk.wav", wav.read_bytes(), "audio/wav")},
    )
    assert response.status_code == 202, response.text
    record = wait_done(client, response.json()["id"])
    assert record["status"] == "done", record
    import av

    with av.open(str(wav)) as source:
        spoken = source.duration / 1e6
    assert abs(record["result"]["duration_s"] - spoken) < 0.2
    captions = client.get(record["captions_url"])
    assert captions.headers["content-type"].startswith("application/x-subrip")
    assert captions.text.lstrip().startswith("1\n")


def test_api_key_required(service, face_png):
    with service.server.client(auth=False) as anonymous:
        some_id = "0" * 32
        assert anonymous.post("/v1/talks", data={"text": SHORT}).status_code == 401
        assert anonymous.post("/generate", data={"text": SHORT}).status_code == 401
        assert anonymous.get(f"/v1/talks/{some_id}").status_code == 401
        assert anonymous.delete(f"/v1/talks/{some_id}").status_code == 401
        assert anonymous.get(f"/v1/talks/{some_id}/video").status_code == 401
        assert anonymous.get(f"/v1/talks/{some_id}/captions").status_code == 401
        wrong = anonymous.get(f"/v1/talks/{some_id}", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert wrong.json()["error"]["code"] == "unauthorized"
        # Open to all: liveness, readiness, the page and the docs.
        for path in ("/healthz", "/readyz", "/", "/docs", "/openapi.json"):
            assert anonymous.get(path).status_code == 200, path


def test_unknown_jobs_are_404(client):
    for job_id in ("0" * 32, "not-a-job", "..%2F..%2Fetc%2Fpasswd", "A" * 32):
        for suffix in ("", "/video", "/captions"):
            response = client.get(f"/v1/talks/{job_id}{suffix}")
            assert response.status_code == 404, (job_id, suffix, response.text)
            assert response.json()["error"]["code"] == "not_found"
        assert client.delete(f"/v1/talks/{job_id}").status_code == 404


def test_failed_job_reports_its_error(client):
    """A photo without a face passes the upload checks and fails in the worker: a failed job, 409 for its files."""
    blank = png(400, 400)
    response = client.post(
        "/v1/talks", data={"text": SHORT, "size": "128"}, files={"image": ("blank.png", blank, "image/png")}
    )
    assert response.status_code == 202
    record = wait_done(client, response.json()["id"])
    assert record["status"] == "failed"
    assert record["error"]["code"] == "invalid_input"
    assert record["error"]["field"] == "image"
    assert "face" in record["error"]["message"]
    assert record["video_url"] is None and record["result"] is None
    for suffix in ("/video", "/captions"):
        response = client.get(f"/v1/talks/{record['id']}{suffix}")
        assert response.status_code == 409
        assert "failed" in response.json()["error"]["message"]


def test_a_refused_generate_keeps_nothing(service, client):
    """No face: 422 at once, and neither the job (whose id the caller never learns) nor the upload is kept."""
    folders_before, jobs_before = set(service.server.results.iterdir()), _listed_ids(client)
    response = client.post(
        "/generate", data={"text": SHORT, "size": "128"}, files={"image": ("blank.png", png(400, 400), "image/png")}
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "image", response.text
    assert _listed_ids(client) == jobs_before, "no job left behind"
    assert set(service.server.results.iterdir()) == folders_before, "no upload left behind"


def test_a_form_field_that_is_not_utf8_is_400_naming_it(service, client):
    jobs_before = _listed_ids(client)
    for route in ("/v1/talks", "/generate"):
        response = client.post(route, files={"text": (None, "caf\xe9 ol\xe9".encode("latin-1")), "size": (None, "64")})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["field"] == "text" and "UTF-8" in error["message"]
    # The same words in UTF-8 pass (the request is refused for its size, a field checked after the text).
    utf8 = client.post("/v1/talks", files={"text": (None, "café olé".encode()), "size": (None, "99999")})
    assert utf8.status_code == 422 and utf8.json()["error"]["field"] == "size", utf8.text
    assert _listed_ids(client) == jobs_before


def test_files_are_409_until_done(client, face_png):
    long_text = "This one takes a little while to make, so that the video is asked for before it exists. " * 2
    response = submit(client, face_png, text=long_text, size=256)
    job_id = response.json()["id"]
    early = client.get(f"/v1/talks/{job_id}/video")
    status = client.get(f"/v1/talks/{job_id}").json()["status"]
    # Asked while queued or running: the job cannot have finished before its own record said so.
    if status in ("queued", "running"):
        assert early.status_code == 409 and "not ready" in early.json()["error"]["message"]
    assert wait_done(client, job_id)["status"] == "done"
    assert client.get(f"/v1/talks/{job_id}/video").status_code == 200
    assert early.status_code in (409, 200)


@pytest.mark.parametrize(
    "fields,files,status,field",
    [
        ({}, None, 422, "text"),
        ({"text": "   "}, None, 422, "text"),
        ({"text": "x" * 301}, None, 422, "text"),
        ({"text": SHORT, "fps": "0"}, None, 422, "fps"),
        ({"text": SHORT, "fps": "fast"}, None, 422, "fps"),
        ({"text": SHORT, "size": "101"}, None, 422, "size"),
        ({"text": SHORT, "engine": "magic"}, None, 422, "engine"),
        ({"text": SHORT, "voice": "../../etc/passwd"}, None, 422, "voice"),
        ({"text": SHORT, "captions": "ass"}, None, 422, "captions"),
        ({"text": SHORT, "expression_scale": "9"}, None, 422, "expression_scale"),
        ({"text": SHORT, "callback_url": "ftp://example.org/hook"}, None, 422, "callback_url"),
        ({"text": SHORT}, {"image": ("x.png", b"this is not an image", "image/png")}, 415, "image"),
        ({"text": SHORT}, {"audio": ("x.wav", b"RIFF....not really a wav", "audio/wav")}, 415, "audio"),
        ({"text": SHORT}, {"image": ("tiny.png", png(10, 10), "image/png")}, 422, "image"),
        ({"text": SHORT}, {"image": ("bomb.png", png(5000, 5000), "image/png")}, 413, "image"),
        ({"text": SHORT}, {"image": ("big.bin", b"\0" * 1_200_000, "image/png")}, 413, "image"),
    ],
)
def test_bad_input_names_the_field(service, client, fields, files, status, field):
    before = set(service.server.results.iterdir()) if service.server.results.exists() else set()
    # /generate takes the same fields, except the callback (it answers synchronously).
    routes = ("/v1/talks",) if "callback_url" in fields else ("/v1/talks", "/generate")
    for route in routes:
        response = client.post(route, data={"size": "128", **fields}, files=files)
        assert response.status_code == status, (route, response.text)
        error = response.json()["error"]
        assert error["field"] == field, error
        assert len(error["message"]) > 10
    after = set(service.server.results.iterdir()) if service.server.results.exists() else set()
    assert after == before, "a refused request left files behind"


def test_audio_limits(client, human_speech):
    wav, _ = max(human_speech, key=lambda item: item[0].stat().st_size)  # 7 s, over the 5 s limit
    response = client.post("/v1/talks", files={"audio": ("long.wav", wav.read_bytes(), "audio/wav")})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "audio" and "5 s" in response.json()["error"]["message"]


def test_whole_request_too_large(client):
    # Over twice the per-file limit plus the form allowance: refused before the body is read.
    response = client.post(
        "/v1/talks",
        data={"text": SHORT},
        files={"image": ("a.png", b"\0" * 2_000_000), "audio": ("b.wav", b"\0" * 1_100_000)},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_generate_original_contract(service, client, face_png):
    response = client.post(
        "/generate", data={"text": SHORT, "size": "128"}, files={"image": ("me.png", face_png, "image/png")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["video_url"].startswith(service.server.url + "/v1/talks/")
    for key in ("engine", "fallback", "fallback_reason"):
        assert key in body
    check_mp4(httpx.get(body["video_url"]).content)


def test_generate_falls_back_when_an_engine_cannot_run(client):
    """SadTalker has no checkpoints on this server: the request still gets a video, and the reason."""
    response = client.post("/generate", data={"text": SHORT, "size": "128", "engine": "sadtalker"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fallback"] is True
    assert body["engine"] in ("builtin", "still")
    assert body["fallback_reason"].startswith("sadtalker")
    check_mp4(httpx.get(body["video_url"]).content)


class _Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that fails its first `failures` calls."""

    calls: list
    failures: int

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.calls.append((dict(self.headers), body))
        self.send_response(500 if len(self.calls) <= self.failures else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"calls": [], "failures": 2})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def _wait_for(predicate, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_webhook_signed_and_retried(client, face_png, receiver):
    url, handler = receiver
    response = submit(client, face_png, text=SHORT, callback_url=url)
    job_id = response.json()["id"]
    record = _wait_for(lambda: (r := client.get(f"/v1/talks/{job_id}").json())["webhook"] and r)
    assert record["status"] == "done"
    assert record["webhook"] == {"delivered": True, "attempts": 3, "status_code": 200, "error": None}
    assert len(handler.calls) == 3, "two failures, then delivered"
    headers, body = handler.calls[-1]
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Talking-Head-Signature"] == expected
    payload = json.loads(body)
    assert payload["id"] == job_id and payload["status"] == "done"
    assert payload["result"] == record["result"] and payload["video_url"] == record["video_url"]


def test_failing_webhook_never_fails_the_job(client, face_png):
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    job_id = submit(client, face_png, text=SHORT, callback_url=dead).json()["id"]
    record = _wait_for(lambda: (r := client.get(f"/v1/talks/{job_id}").json())["webhook"] and r)
    assert record["status"] == "done"
    assert record["webhook"]["delivered"] is False and record["webhook"]["attempts"] == 3
    assert client.get(record["video_url"]).status_code == 200


def test_page_and_default_face(client, face_png):
    page = client.get("/")
    assert page.status_code == 200 and "<video" in page.text
    assert client.get("/default-face.png").content == face_png
    assert client.get("/static/app.js").status_code == 200


def test_cors_allows_only_configured_origins(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = client.options("/v1/talks", headers={"Origin": CORS_ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = client.options("/v1/talks", headers={"Origin": "https://evil.example.net", **preflight})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = client.get("/healthz", headers={"Origin": CORS_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == CORS_ORIGIN


def _multipart(boundary: str, face_png: bytes, cut_at: int | None = None, close: bool = True) -> bytes:
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n{SHORT}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="size"\r\n\r\n128\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="me.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    body += face_png[:cut_at]
    if cut_at is None and close:
        body += f"\r\n--{boundary}--\r\n".encode()
    return body


def _listed_ids(client: httpx.Client) -> list[str]:
    return [item["id"] for item in client.get("/v1/talks", params={"limit": 100}).json()["items"]]


def test_cut_off_upload_is_400_and_never_runs(service, client, face_png):
    boundary = "talkingheadtestboundary7"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    folders_before = set(service.server.results.iterdir())
    jobs_before = _listed_ids(client)
    for body in (
        _multipart(boundary, face_png, cut_at=len(face_png) // 2),  # cut in the middle of the photo
        _multipart(boundary, face_png, close=False),
    ):  # whole photo, no closing boundary
        response = client.post("/v1/talks", content=body, headers=headers)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "bad_request" and "closing boundary" in error["message"]
        assert client.post("/generate", content=body, headers=headers).status_code == 400
    no_boundary = client.post(
        "/v1/talks", content=_multipart(boundary, face_png), headers={"Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400 and no_boundary.json()["error"]["code"] == "bad_request"
    assert _listed_ids(client) == jobs_before, "no job was made"
    assert set(service.server.results.iterdir()) == folders_before, "nothing was stored"
    # The same body, whole, is accepted: the refusals above were about the cut alone.
    whole = client.post("/v1/talks", content=_multipart(boundary, face_png), headers=headers)
    assert whole.status_code == 202, whole.text
    assert client.delete(f"/v1/talks/{whole.json()['id']}").status_code == 204


def test_listing_is_newest_first_paged_and_per_caller(service, client):
    from .support import OTHER_KEY

    mine = submit(client, text=SHORT, captions="none").json()["id"]
    with httpx.Client(
        base_url=service.server.url,
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
        event_hooks=client.event_hooks,
        timeout=60,
    ) as other:
        theirs = submit(other, text=SHORT, captions="none").json()["id"]
        assert _listed_ids(other) == [theirs]
        assert other.get(f"/v1/talks/{mine}").status_code == 404, "another caller's job is not theirs to see"
    everything = client.get("/v1/talks", params={"limit": 100}).json()["items"]
    assert everything[0]["id"] == mine and theirs not in [item["id"] for item in everything]
    created = [item["created_at"] for item in everything]
    assert created == sorted(created, reverse=True)
    paged, cursor = [], None
    while True:
        page = client.get("/v1/talks", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        paged += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [item["id"] for item in everything]
    bad = client.get("/v1/talks", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"
    assert client.get("/v1/talks", params={"limit": 0}).status_code == 422
    assert httpx.get(service.server.url + "/v1/talks").status_code == 401


def test_docs_pages_reference_only_this_server(client):
    import re

    for route in ("/docs", "/redoc"):
        page = client.get(route)
        assert "default-src 'self'" in page.headers["content-security-policy"]
        html = page.text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?'([^']+)'""", html)
        urls = [a or b for a, b in urls]
        assert urls, html
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), f"{route} loads {url} from elsewhere"
            assert client.get(url).status_code == 200, url
