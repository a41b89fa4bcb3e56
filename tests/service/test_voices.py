"""`GET /v1/voices` and voice names in requests."""

from fastapi.testclient import TestClient

from talking_head.service.app import create_app
from talking_head.settings import Settings


def test_voices_lists_the_bundled_voice_and_the_voices_folder(voices_dir, tmp_path):
    # The voice list needs no job machinery: the app's lifespan (executor, store) is not started.
    app = create_app(Settings(voices_dir=voices_dir, data_dir=tmp_path))
    client = TestClient(app)
    response = client.get("/v1/voices")
    assert response.status_code == 200
    body = response.json()
    assert body["default"] == "en_US-joe-medium"
    by_name = {v["name"]: v for v in body["voices"]}
    assert by_name["en_US-joe-medium"]["bundled"] is True
    german = by_name["de_DE-joe-medium"]
    assert german == {
        "name": "de_DE-joe-medium",
        "language": "de_DE",
        "language_name": "German",
        "quality": "medium",
        "sample_rate": 22050,
        "speakers": [],
        "bundled": False,
    }
    assert "path" not in german, "server paths stay on the server"


def test_voices_needs_the_key_when_one_is_set(tmp_path):
    client = TestClient(create_app(Settings(data_dir=tmp_path, api_key="secret")))
    assert client.get("/v1/voices").status_code == 401
    assert client.get("/v1/voices", headers={"Authorization": "Bearer secret"}).status_code == 200
