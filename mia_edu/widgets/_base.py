"""Plumbing shared by every panel: guarded callbacks, in-place figures, a result cache, layout.

A *panel* is a plain Python object that owns its widgets (attributes), its last result
(``panel.result``) and one ``ipywidgets.VBox`` (``panel.widget``) that the notebook displays.
Tests drive a panel exactly as a student does: set a control's ``.value`` or ``.click()`` a button,
then read ``panel.result``, ``panel.readout.value`` and ``panel.figure``.

Rules every panel follows (and that this module makes easy):

- **No swallowed errors.** Every callback runs through :meth:`Panel.guard`: an exception is shown
  in the panel's ``Output`` (a short message for the student, the traceback underneath), recorded
  in ``panel.errors``, and the panel keeps working.
- **Figures update in place.** Each panel keeps *one* matplotlib ``Figure`` (no pyplot state) and
  shows it as PNG bytes in one ``ipywidgets.Image``: a move replaces the bytes, it never appends a
  new figure to the output. The rendered bytes are cached with the result, so revisiting a setting
  costs milliseconds.
- **Results are cached by setting** (:class:`ResultCache`, an LRU dict) on top of the disk cache
  that :func:`mia_edu.training.train` already keeps.
- **Layouts fit a projector** (1280×800): controls on top in columns, one figure below.
"""

from __future__ import annotations

import functools
import html
import io
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Hashable

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import metrics

#: Width of one control, in pixels: three columns (two of sliders, one readout) fit the ~850 px of a
#: notebook cell with JupyterLab's file browser open; narrower, the columns wrap instead of squeezing.
CONTROL_WIDTH = "280px"
#: Width given to a slider's description so that every label is readable.
DESCRIPTION_WIDTH = "112px"
#: Resolution of the PNG figures: a 12.4-inch-wide figure is ~990 px, the width of a notebook cell.
FIGURE_DPI = 80



class ResultCache:
    """A small least-recently-used cache: ``key → value``, at most ``maxsize`` entries.

    >>> c = ResultCache(maxsize=2)
    >>> c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3)
    1
    >>> "b" in c, "a" in c, len(c)
    (False, True, 2)
    """

    def __init__(self, maxsize: int = 256):
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive integer, got {maxsize!r}")
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, default=None):
        if key in self._data:
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]
        self.misses += 1
        return default

    def put(self, key: Hashable, value) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


def figure_png(fig: Figure, dpi: int = FIGURE_DPI) -> bytes:
    """Render a matplotlib figure to PNG bytes (no pyplot, no display side effects)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class BlitFigure:
    """A figure whose static parts (axes, ticks, labels, legends, grid) are rendered once per *frame*
    and whose data artists are drawn on top of that cached background for each update.

    Rendering a three-panel figure from scratch costs ~0.1 s of CPU, mostly text layout of ticks and
    labels that do not change when a slider moves; with a cached background an update costs a few
    milliseconds. Call :meth:`set_frame` with a hashable key describing the axes limits/labels (the
    background is re-rendered only when that key changes), then :meth:`png` to get the bytes.

    Parameters
    ----------
    figure : Figure
        A matplotlib figure (not pyplot) with fixed layout.
    animated : list of Artist
        The artists that change per update (lines, histograms, titles, legends drawn on top).
    dpi : int
        Resolution of the PNG.
    """

    def __init__(self, figure: Figure, animated, dpi: int = FIGURE_DPI):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self._frame = object()
        self._background = None

    def set_frame(self, key: Hashable) -> None:
        """Declare the static state (limits, labels) the next :meth:`png` will show."""
        if key != self._frame:
            self._frame, self._background = key, None

    def png(self) -> bytes:
        """Render the current state to PNG bytes (background from cache when the frame is unchanged)."""
        from PIL import Image

        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.animated:
            if artist.get_visible():
                artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        img = Image.frombuffer("RGBA", (width, height), bytes(self.canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()


#: Signals for which *members score high*; for the others (loss, entropy, modified entropy) members
#: score low and the attack score is the negated signal (see :mod:`mia_edu.signals`).
MEMBER_HIGH = frozenset({"confidence", "scaled_logit", "max_probability"})
#: Histogram range of each signal, fixed so that a move shows as moving bars, not moving axes:
#: (low, high, on a log10 axis). Members pile up near zero loss/entropy, hence log10 there.
HIST_RANGES = {"loss": (-6.0, 1.5, True), "confidence": (0.0, 1.0, False), "entropy": (-6.0, 0.5, True),
               "modified_entropy": (-6.0, 1.5, True), "scaled_logit": (-10.0, 20.0, False),
               "max_probability": (0.0, 1.0, False)}
Y_STEPS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


def oriented_score(values, signal: str):
    """The attack score of a signal: higher = more likely a member."""
    return values if signal in MEMBER_HIGH else -values


def draw_histograms(ax, mem_artist, non_artist, values, is_member, signal: str, bins: int = 40) -> float:
    """Point two ``ax.stairs`` artists at the member / non-member histograms of ``values``.

    Bars are fractions of each group per bin on the signal's fixed range (:data:`HIST_RANGES`; values
    outside are clipped into the end bins); the y-limit snaps to a few steps so the background
    rarely changes. Returns that y-limit (part of the frame key of a :class:`BlitFigure`).
    """
    lo_x, hi_x, log_x = HIST_RANGES.get(signal, (float(np.min(values)), float(np.max(values)) + 1e-9, False))
    data = np.log10(np.maximum(values, 1e-300)) if log_x else np.asarray(values, dtype=float)
    edges = np.linspace(lo_x, hi_x, bins + 1)
    data = np.clip(data, lo_x, hi_x)
    m = np.asarray(is_member, bool)
    frac_mem = np.histogram(data[m], bins=edges)[0] / max(int(m.sum()), 1)
    frac_non = np.histogram(data[~m], bins=edges)[0] / max(int((~m).sum()), 1)
    mem_artist.set_data(frac_mem, edges)
    non_artist.set_data(frac_non, edges)
    top = max(frac_mem.max(), frac_non.max())
    y_top = next(t for t in Y_STEPS if t >= top * 1.05 or t == Y_STEPS[-1])
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(0, y_top)
    clipped = f" (clipped to [{lo_x:g}, {hi_x:g}])" if log_x or signal == "scaled_logit" else ""
    ax.set_xlabel(f"log10 {signal}{clipped}" if log_x else f"{signal}{clipped}")
    return y_top


def draw_roc(artist, scores, is_member) -> None:
    """Point a line at the ROC of ``scores`` on log–log axes (rates below 1/n drawn at 1/n)."""
    m = np.asarray(is_member, bool)
    fpr, tpr, _ = metrics.roc_curve(scores, m)
    lo = 1.0 / max(int((~m).sum()), 1)
    artist.set_data(np.maximum(fpr, lo), np.maximum(tpr, lo))


def setup_log_roc(ax, n_non_members: int) -> None:
    """Log–log ROC axes from 1/n to 1 with the chance diagonal and a dotted line at 1 % FPR."""
    lo = 1.0 / n_non_members
    ax.plot([lo, 1], [lo, 1], ls="--", color="grey", lw=1, label="chance")
    ax.axvline(0.01, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, 1)
    ax.set_ylim(lo, 1)
    ax.set_xlabel("false-positive rate (log)")
    ax.set_ylabel("true-positive rate (log)")


def slider_style() -> dict:
    return {"description_width": DESCRIPTION_WIDTH}


def control_layout(width: str = CONTROL_WIDTH) -> W.Layout:
    return W.Layout(width=width)


def columns(*cols, widths=None) -> W.HBox:
    """Columns of controls side by side that wrap (rather than squeeze) when the cell is narrow."""
    widths = widths or [CONTROL_WIDTH] * len(cols)
    boxes = [W.VBox(list(c), layout=W.Layout(width=w, margin="0 12px 4px 0")) for c, w in zip(cols, widths)]
    return W.HBox(boxes, layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))


def readout_table(rows: list[tuple[str, str]], *, title: str = "") -> str:
    """A compact two-column HTML table for a panel's numbers (large enough to project)."""
    cells = "".join(f"<tr><td style='padding:1px 10px 1px 0'>{html.escape(k)}</td>"
                    f"<td style='text-align:right;font-weight:bold'>{html.escape(v)}</td></tr>" for k, v in rows)
    head = f"<div style='font-weight:bold;margin-bottom:2px'>{html.escape(title)}</div>" if title else ""
    return f"<div style='font-size:13px;line-height:1.2'>{head}<table style='margin-left:0'>{cells}</table></div>"


class Panel:
    """Base class of the course's panels: an error ``Output``, a status line, an ``Image`` figure.

    Subclasses build their controls, call :meth:`_assemble` with the rows of the layout, and wrap
    every callback with :meth:`guard`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the notebook displays (the panel itself displays as this widget).
    image : ipywidgets.Image
        The panel's figure as PNG; replaced in place on every update.
    readout : ipywidgets.HTML
        The panel's numbers.
    status : ipywidgets.HTML
        What the panel is doing ("training…", "from cache in 0.01 s", an error message).
    output : ipywidgets.Output
        Where errors (with their traceback) and progress bars appear.
    errors : list of BaseException
        Every exception a callback raised, oldest first (tests assert it stays empty).
    figure : matplotlib.figure.Figure
        The one figure the panel redraws.
    """

    def __init__(self):
        self.errors: list[BaseException] = []
        self.output = W.Output(layout=W.Layout(max_height="220px", overflow="auto"))
        self.status = W.HTML(value="")
        self.readout = W.HTML(value="")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto", align_self="flex-start"))
        self.figure: Figure | None = None
        self.widget: W.VBox | None = None
        self.last_step_seconds: float | None = None

    # ---- callbacks -------------------------------------------------------------------------
    def guard(self, fn: Callable) -> Callable:
        """Wrap a callback so that any exception is shown to the student, never swallowed silently.

        The message goes to ``status`` (one red line) and the full traceback to ``output``; the
        exception is appended to ``errors``. The wrapped callback returns ``None`` on error.
        """

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 — shown to the student below, and recorded
                self.errors.append(exc)
                self.status.value = (f"<span style='color:#D55E00;font-weight:bold'>Error: "
                                     f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>")
                self.output.append_stderr("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
                return None

        return wrapped

    def _set_status(self, text: str) -> None:
        self.status.value = f"<span style='color:#555'>{html.escape(text)}</span>"

    def _timed(self, fn: Callable, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.last_step_seconds = time.perf_counter() - start
        return out

    # ---- layout and display ------------------------------------------------------------------
    def _assemble(self, *rows) -> W.VBox:
        self.widget = W.VBox([*rows, self.status, self.image, self.output],
                             layout=W.Layout(width="100%", max_width="1240px"))
        return self.widget

    def _repr_mimebundle_(self, **kwargs):
        """Display as the live widget; a static snapshot (figure + numbers) rides along as HTML, for
        renderers without a widget manager (HTML handouts read offline)."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle = dict(bundle) if bundle else {}
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def snapshot_html(self) -> str:
        """The panel's current figure and readout as self-contained HTML (PNG inlined as base64)."""
        import base64

        img = ""
        if self.image.value:
            data = base64.b64encode(bytes(self.image.value)).decode("ascii")
            img = f"<img alt='panel figure' style='max-width:100%' src='data:image/png;base64,{data}'/>"
        return (f"<div class='mia-edu-snapshot'><p><em>Static snapshot of the interactive panel at its "
                f"default setting (run the notebook to move the sliders).</em></p>{self.readout.value}{img}</div>")
