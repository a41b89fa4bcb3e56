"""Contact sheet: evenly spaced frames, with mouth opening and sound envelope plotted under them.

A person looking at one PNG should see at once whether the mouth opens where
the sound is loud, rests in the pauses, and whether the face stays itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigurationError

SHEET_FRAMES = 12
COLUMNS = 4
THUMB_PX = 256  # thumbnails are at most this wide
DPI = 100
ZOOM_S = 10.0  # long videos also get their first seconds plotted, where syllables are visible


def pick_frames(n_frames: int, count: int = SHEET_FRAMES) -> list[int]:
    """`count` frame indices spread evenly from the first frame to the last."""
    if n_frames <= 0:
        return []
    return sorted(set(np.linspace(0, n_frames - 1, min(count, n_frames)).round().astype(int).tolist()))


def _curves(ax, times, opening, env, silence, bilabials, marks, span) -> None:
    """Mouth opening (red, left axis) and audio envelope (blue, right axis) over `span` (t0, t1) seconds."""
    if silence is not None and len(silence):
        ax.fill_between(times, 0, 1, where=silence, transform=ax.get_xaxis_transform(), color="0.9", step="post")
    ax.plot(times, opening, color="tab:red", lw=1.2)
    ax.set_ylabel("mouth opening", color="tab:red", fontsize=8)
    # From zero, so a still mouth draws a flat line rather than magnified tracker noise.
    peak = np.nanmax(opening) if np.isfinite(opening).any() else 0.0
    ax.set_ylim(0, max(0.1, 1.15 * peak))
    ax.set_xlabel("time (s)", fontsize=8)
    ax.tick_params(labelsize=7)
    for t in marks:
        ax.axvline(t, color="0.6", lw=0.6, ls=":")
    for t, closed in bilabials or []:
        if span[0] <= t <= span[1]:
            ax.plot(
                [t],
                [0],
                marker="|",
                ms=10,
                color="tab:green" if closed else "black",
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
    if env is not None:
        ax2 = ax.twinx()
        ax2.plot(times, env, color="tab:blue", lw=0.9, alpha=0.8)
        ax2.set_ylabel("audio RMS", color="tab:blue", fontsize=8)
        ax2.set_ylim(0, max(1e-6, 1.15 * float(np.max(env))))
        ax2.tick_params(labelsize=7)
    ax.set_xlim(*span)


def write_sheet(
    path: str | Path,
    thumbnails: list[tuple[int, float, np.ndarray]],
    times: np.ndarray,
    opening: np.ndarray,
    env: np.ndarray | None,
    silence: np.ndarray | None = None,
    bilabials: list[tuple[float, bool]] | None = None,
    title: str = "",
) -> Path:
    """Write the sheet PNG: `thumbnails` are (frame index, time s, RGB frame); curves are per frame.

    Videos longer than `2 * ZOOM_S` get a second plot of their first `ZOOM_S`
    seconds, where single syllables can still be told apart.
    """
    try:
        import matplotlib
    except ImportError:
        raise ConfigurationError(
            'contact sheets need matplotlib, which a default install leaves out: pip install "talking-head[eval]"'
        ) from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = max(1, -(-len(thumbnails) // COLUMNS))
    aspect = thumbnails[0][2].shape[0] / thumbnails[0][2].shape[1] if thumbnails else 1.0
    thumb_w = THUMB_PX / DPI
    t0, t1 = (float(times[0]), float(times[-1])) if len(times) else (0.0, 1.0)
    spans = [(t0, t1)] + ([(t0, t0 + ZOOM_S)] if t1 - t0 > 2 * ZOOM_S else [])
    plot_h = 2.2
    fig = plt.figure(figsize=(COLUMNS * thumb_w, rows * thumb_w * aspect + len(spans) * (plot_h + 0.4) + 0.4), dpi=DPI)
    grid = fig.add_gridspec(
        rows + len(spans),
        COLUMNS,
        height_ratios=[thumb_w * aspect] * rows + [plot_h] * len(spans),
        hspace=0.3,
        wspace=0.03,
        left=0.06,
        right=0.94,
        top=0.93,
        bottom=0.06,
    )
    for k, (index, t, frame) in enumerate(thumbnails):
        ax = fig.add_subplot(grid[k // COLUMNS, k % COLUMNS])
        ax.imshow(frame)
        ax.set_axis_off()
        ax.set_title(f"#{index}  {t:.2f} s", fontsize=8)
    marks = [t for _, t, _ in thumbnails]
    for row, span in enumerate(spans):
        ax = fig.add_subplot(grid[rows + row, :])
        _curves(ax, times, opening, env, silence, bilabials, marks, span)
    if title:
        fig.suptitle(title, fontsize=9)
    legend = "red: mouth opening (inter-ocular units); blue: audio RMS; grey: silence"
    if bilabials:
        legend += "; ticks: p/b/m (green = lips closed, black = not)"
    fig.text(0.94, 0.01, legend, fontsize=7, ha="right")
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
