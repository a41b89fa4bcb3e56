"""`talking-head eval VIDEO`: measure a finished video and print the numbers."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import InputError
from .frozen import STRIP_FRAMES, STRIP_STEP_S


def add_eval_command(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="measure a video: lip sync, mouth, blinks, head motion, background, identity, intelligibility",
        description="Decode an MP4 and measure it: stream facts; lip sync (mouth opening against the audio "
        "envelope, Pearson r and best lag); mouth opening in speech and silence; lips closing on p/b/m "
        "(with --text); blinks a minute; head motion and jitter; background PSNR away from the head; "
        "identity of the upper face; PocketSphinx transcript and word error rate. "
        "See docs/quality.md for how each number is computed and its target.",
        epilog="examples:\n  talking-head eval hello.mp4\n"
        '  talking-head eval hello.mp4 --source me.jpg --text "Hello there!" --json\n'
        "  talking-head eval hello.mp4 --sheet hello.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("video", help="the MP4 to measure")
    p.add_argument(
        "--source",
        metavar="IMAGE",
        help="the photo the video was made from: reference for background and identity "
        "(default: the first frame with a face)",
    )
    p.add_argument(
        "--clip",
        metavar="CLIP",
        help="the clip the video dubs (say --video): PSNR outside the lower face, each frame against the clip's",
    )
    p.add_argument("--text", help="what is said: enables p/b/m closure and word error rate ('-' reads standard input)")
    p.add_argument("--json", action="store_true", help="print the whole report as one JSON object on standard output")
    p.add_argument("--sheet", metavar="OUT.png", help="write a contact sheet: 12 frames and the mouth/sound curves")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    p.set_defaults(run=_run)


def _run(args) -> int:
    from .report import evaluate

    text = sys.stdin.read() if args.text == "-" else args.text
    if args.sheet is not None and not args.sheet.lower().endswith(".png"):
        raise InputError(f"the sheet must be a .png file, got {args.sheet}", field="sheet")
    report = evaluate(args.video, source=args.source, text=text, sheet=args.sheet)
    if args.clip is not None:
        from .untouched import untouched_psnr

        report["untouched"] = untouched_psnr(args.video, args.clip)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0


def _num(value, spec: str = ".3f", unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def format_report(report: dict) -> str:
    """The report as a few readable lines."""
    s, v, a = report["streams"], report["streams"]["video"], report["streams"]["audio"]
    sync, mouth, head, asr = report["lipsync"], report["mouth"], report["head"], report["asr"]
    audio = f"{a['codec']} {a['sample_rate']} Hz" if a else "no audio"
    lines = [
        f"{report['video']}",
        (
            f"  streams      {v['codec']} {v['pixel_format']} {v['width']}x{v['height']} {v['fps']:g} fps, "
            f"{s['decoded_frames']} frames; {audio}; moov before mdat: {s['moov_before_mdat']}; "
            f"audio-video gap {_num(s['av_gap_s'], '+.3f', ' s')}"
        ),
        f"  face found   {report['face_found_share']:.0%} of frames, inter-ocular {report['iod_px']:.1f} px",
        (
            f"  lip sync     r {_num(sync['r'])} at lag 0; best r {_num(sync['best_r'])} at lag "
            f"{_num(sync['best_lag_frames'], 'd')} frames (+ = mouth late)"
        ),
        (
            f"  mouth        open {_num(mouth['open_speech'])} in speech, {_num(mouth['open_silence'])} in silence "
            f"({_num(mouth['silence_s'], '.1f', ' s')}), {_num(mouth['open_photo'])} in the photo (inter-ocular units); "
            f"amplitude {_num(mouth.get('amplitude'))}"
        ),
        (
            f"  p/b/m        lips closed at {_num(mouth['bilabial_closure_rate'], '.0%')} "
            f"({_num(mouth['bilabials_closed'], 'd')} of {_num(mouth['bilabials_counted'], 'd')})"
        ),
        f"  blinks       {_num(report['blinks_per_min'], '.1f')} a minute ({report['blinks']}), "
        f"the median one {_num(report.get('blink_s'), '.2f', ' s')}",
        (
            f"  head         motion {_num(head['motion_iod'], '.4f')}, roll std {_num(head['roll_std_deg'], '.2f', ' deg')}, "
            f"jitter {_num(head['jitter_iod'], '.4f')} (inter-ocular units); yaw std "
            f"{_num(head.get('yaw_std_deg'), '.2f', ' deg')}, pitch std {_num(head.get('pitch_std_deg'), '.2f', ' deg')}"
        ),
        (
            f"  expression   brow motion {_num(report.get('brow_motion_iod'), '.4f')}, gaze motion "
            f"{_num(report.get('gaze_motion_iod'), '.4f')} (inter-ocular units), mouth width "
            f"{_num(report.get('mouth_width_motion'), '.3f')}, eye opening "
            f"{_num(report.get('eye_opening_motion'), '.3f')} (std over its median); lip closures "
            f"{_num(mouth.get('closures_per_s'), '.2f')} a second of speech; pixels unchanged across "
            f"{STRIP_FRAMES} frames {STRIP_STEP_S:g} s apart: {_num(report.get('unchanged_share'), '.1%')}"
        ),
        (
            f"  background   {_num(report['background_psnr_db'], '.2f', ' dB')} PSNR against the "
            f"{report['background']['reference']}, away from the head; edge streaks {_num(report.get('edge_streaks'), '.2%')} "
            "of the frame"
        ),
        (
            f"  identity     {_num(report['identity'])} upper-face correlation with the "
            f"{report['identity_detail']['reference']}"
        ),
        f"  asr          WER {_num(asr['wer'], '.0%')}: {asr['text'] if asr['text'] is not None else 'n/a'}",
    ]
    if report.get("untouched"):
        kept = report["untouched"]
        lines.append(
            f"  untouched    {_num(kept['psnr_db'], '.2f', ' dB')} PSNR against the clip outside the lower face "
            f"(worst frame {_num(kept['worst_db'], '.2f', ' dB')}, {kept['frames']} frames)"
        )
    if report.get("sheet"):
        lines.append(f"  sheet        {report['sheet']}")
    return "\n".join(lines)
