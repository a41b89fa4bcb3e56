"""The per-video options are the same wherever they are offered: `TalkOptions`, `say` flags, the API form."""

from __future__ import annotations

from dataclasses import fields

import pytest

from talking_head import TalkOptions, cli
from talking_head.cli import build_parser
from talking_head.errors import InputError
from talking_head.service.app import create_app
from talking_head.settings import Settings

# What a request may not set: the operator's choice (strict), SadTalker's framing and pose, how a recording
# is read, and the text timing kept for benchmarks.
NOT_IN_REQUESTS = {"strict", "sadtalker_preprocess", "yaw", "pitch", "roll", "audio_reading", "text_timing"}
NOT_ON_THE_CLI = {"text_timing"}


@pytest.fixture(scope="module")
def say_flags():
    parser = build_parser()
    say = parser._subparsers._group_actions[0].choices["say"]
    return {action.dest: action for action in say._actions}


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    schema = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"))).openapi()
    body = schema["paths"]["/v1/talks"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    return schema["components"]["schemas"][body["$ref"].split("/")[-1]]["properties"]


def _rejected(name, value) -> bool:
    try:
        TalkOptions(**{name: value}).validate()
    except InputError as exc:
        assert exc.field == name
        return True
    return False


def test_every_option_is_a_say_flag_with_the_same_default(say_flags):
    defaults = TalkOptions()
    for option in fields(TalkOptions):
        if option.name in NOT_ON_THE_CLI:
            assert option.name not in say_flags
            continue
        assert option.name in say_flags, option.name
        assert say_flags[option.name].default == getattr(defaults, option.name), option.name


def test_the_form_offers_the_request_options_with_the_same_defaults_bounds_and_choices(
    form, say_flags, tmp_path, capsys
):
    names = {option.name for option in fields(TalkOptions)}
    assert {"image", "audio", "text", "callback_url", "avatar"} <= set(form)  # what the request itself sends
    offered = set(form) - {"image", "audio", "text", "callback_url", "avatar"}
    assert offered == names - NOT_IN_REQUESTS
    defaults = TalkOptions()
    for name in offered:
        field = form[name]
        assert field.get("default") == getattr(defaults, name), name
        if "enum" in field and name != "voice":  # the voices are the server's (below)
            assert list(say_flags[name].choices) == field["enum"], name
            for choice in field["enum"]:
                assert not _rejected(name, choice)
            assert _rejected(name, "no-such-" + name)
        if "maximum" in field:
            low, high = field["minimum"], field["maximum"]
            step = 1 if field["type"] == "integer" else 0.01
            kind = int if field["type"] == "integer" else float
            assert not _rejected(name, kind(low)) and not _rejected(name, kind(high)), name
            assert _rejected(name, kind(low - step)) and _rejected(name, kind(high + step)), name
            flag = say_flags[name].option_strings[0]
            assert cli.main(["say", "Hi.", flag, str(kind(high + step)), "-o", str(tmp_path / "x.mp4")]) == 2
            assert f"{name} must be" in capsys.readouterr().err


def test_the_schema_states_the_rules_beyond_the_bounds(form):
    # size: 0 or 64 and up, and even: the schema says so, and the options check it
    assert form["size"]["anyOf"] == [{"const": 0}, {"minimum": 64, "multipleOf": 2}]
    assert not _rejected("size", 0) and not _rejected("size", 64)
    assert _rejected("size", 62) and _rejected("size", 101)
    # voice: the installed voices by name (the bundled one here), or empty for the default
    assert form["voice"]["enum"] == ["en_US-joe-medium", ""]


def test_the_live_start_message_offers_the_same_options_within_real_time_limits(form):
    from talking_head.service.live_protocol import LiveStart

    live = LiveStart.model_json_schema()["properties"]
    own = {"image", "api_key", "input", "sample_rate", "audio_codec", "avatar"}  # the stream's own, not video options
    assert own <= set(live)
    offered = set(live) - own
    assert offered == set(form) - {"image", "audio", "text", "callback_url", "avatar", "captions", "language"}
    defaults = TalkOptions()
    for name in offered:
        assert live[name].get("default") == getattr(defaults, name), name
        if "maximum" in live[name]:  # live may be narrower, never wider
            assert form[name]["minimum"] <= live[name]["minimum"] <= live[name]["maximum"] <= form[name]["maximum"]
        if "enum" in live[name]:
            assert set(live[name]["enum"]) <= set(form[name]["enum"])
