"""Where PocketSphinx cannot be installed (CPython 3.14), a recording still gets lip sync.

The video is made in a process that cannot import pocketsphinx, then measured
here (the evaluator's alignment and transcript need the recogniser).
"""

import json

from recordings import with_pauses
from without_packages import run_without

from talking_head.evaluate.report import evaluate

MAKE = """
import json, sys
from talking_head.pipeline import TalkOptions, talk
from talking_head.speech import align
assert not align.RECOGNISER
result = talk(audio=sys.argv[1], text=sys.argv[2], output=sys.argv[3], options=TalkOptions(size=256))
assert "pocketsphinx" not in sys.modules
print(json.dumps({"alignment": result.alignment}))
"""


def test_recording_lip_sync_without_pocketsphinx(human_speech, tmp_path):
    recording, transcript = min(human_speech, key=lambda item: item[0].stat().st_size)
    wav = with_pauses(recording, tmp_path / "paused.wav")
    video = tmp_path / "sound.mp4"
    done = run_without({"pocketsphinx"}, MAKE, args=(str(wav), transcript, str(video)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["alignment"] == "sound"
    report = evaluate(video)
    lipsync, mouth = report["lipsync"], report["mouth"]
    assert lipsync["best_r"] >= 0.6 and abs(lipsync["best_lag_frames"]) <= 1, lipsync
    assert mouth["open_silence"] <= 0.5 * mouth["open_speech"], mouth
