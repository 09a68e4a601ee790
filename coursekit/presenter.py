"""Presenter view: panels and figures sized for a projector, for the instructor at the front.

    ck.present()          # from now on, new panels and figures are drawn for the projector
    ck.present(False)     # back to the sizes a student sees on a laptop

The switch is one documented setting, the environment variable ``COURSEKIT_PRESENT`` (``1``: on),
read each time a panel or a figure is made, as ``COURSEKIT_SAMPLE`` is: ``ck.present()`` sets it in
the running kernel, ``COURSEKIT_PRESENT=1 jupyter lab`` (or ``coursekit present LESSON``) for every
kernel of a server. What "projector-sized" means is a ``PresenterStyle``: larger text, thicker
lines, black on white, and the Okabe-Ito palette, which readers with the common colour-vision
deficiencies tell apart (https://jfly.uni-koeln.de/color/).

Panels built before the switch keep their sizes: run their cells again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENV", "OKABE_ITO", "PresenterStyle", "present", "presenter_style"]

ENV = "COURSEKIT_PRESENT"

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart by colour-blind readers
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

# The colours coursekit draws with (matplotlib's first ten, by hex and by name) and their
# Okabe-Ito stand-ins, so that a line keeps its role: the blue training loss stays blue.
_STAND_INS = {
    "#1f77b4": "blue",
    "blue": "blue",
    "#ff7f0e": "orange",
    "orange": "orange",
    "#2ca02c": "bluish green",
    "green": "bluish green",
    "#d62728": "vermillion",
    "red": "vermillion",
    "#9467bd": "reddish purple",
    "purple": "reddish purple",
    "#8c564b": "black",
    "#e377c2": "reddish purple",
    "#7f7f7f": "black",
    "#bcbd22": "yellow",
    "#17becf": "sky blue",
    "black": "black",
}


@dataclass(frozen=True)
class PresenterStyle:
    """What the presenter view changes; the defaults suit a 1080p projector at the back of a room.

    ``font_size`` is in points for figures; a panel's text is as tall on screen (4/3 px a point).

    >>> style = PresenterStyle()
    >>> style.colour("#1f77b4"), style.colour("red"), style.colour("#bbbbbb")
    ('#0072B2', '#D55E00', '#555555')
    """

    font_size: float = 18.0
    line_width: float = 4.0
    plot_scale: float = 1.5  # a panel's plot is this much wider and taller
    foreground: str = "#000000"
    light_grey: str = "#555555"  # guides (cycle boundaries) darker than a laptop's pale grey
    palette: tuple[str, ...] = field(
        default=tuple(
            OKABE_ITO[name]
            for name in (
                "blue",
                "orange",
                "bluish green",
                "vermillion",
                "reddish purple",
                "sky blue",
                "yellow",
                "black",
            )
        )
    )

    @property
    def font_px(self) -> int:
        """The panels' font size in CSS pixels."""
        return round(self.font_size * 4 / 3)

    def colour(self, colour: str) -> str:
        """``colour`` as the presenter draws it: an Okabe-Ito stand-in for matplotlib's defaults,
        a dark grey for pale greys, any other colour unchanged."""
        key = colour.lower()
        if key in _STAND_INS:
            return OKABE_ITO[_STAND_INS[key]]
        if key in {"#bbbbbb", "#cccccc", "#dddddd", "lightgrey", "lightgray", "silver"}:
            return self.light_grey
        return colour

    def css(self) -> str:
        """A ``<style>`` block that sizes the widgets inside an element of class ``coursekit-present``
        (ipywidgets 7 and 8 read the same CSS variables) and bqplot's axis labels."""
        px, root = self.font_px, ".coursekit-present"
        text = ", ".join(
            f"{root} {part}"
            for part in (
                ".widget-label",
                ".widget-html-content",
                ".widget-readout",
                ".widget-inline-hbox",
                "button",
                "input",
                "select",
                "table",
            )
        )
        return (
            "<style>"
            f"{root} {{--jp-widgets-font-size: {px}px; --jp-widgets-inline-height: {round(px * 1.7)}px;"
            f" --jp-widgets-inline-label-width: {px * 6}px; font-size: {px}px; color: {self.foreground}}}"
            f" {text} {{font-size: {px}px !important; line-height: 1.3 !important}}"
            f" {root} .bqplot text.axislabel"
            f" {{font-size: {px}px !important; fill: {self.foreground} !important}}"
            "</style>"
        )

    def rc_params(self) -> dict[str, Any]:
        """matplotlib rcParams for ``matplotlib.rc_context`` (see ``coursekit.plotting``)."""
        # matplotlib's own: the cycler package is not a declared dependency
        from matplotlib.rcsetup import cycler

        size = self.font_size
        return {
            "font.size": size,
            "axes.titlesize": size * 1.1,
            "axes.labelsize": size,
            "xtick.labelsize": size * 0.9,
            "ytick.labelsize": size * 0.9,
            "legend.fontsize": size * 0.9,
            "figure.titlesize": size * 1.2,
            "lines.linewidth": self.line_width,
            "lines.markersize": self.line_width * 2.5,
            "axes.linewidth": self.line_width / 2,
            "xtick.major.width": self.line_width / 2,
            "ytick.major.width": self.line_width / 2,
            "axes.prop_cycle": cycler(color=list(self.palette)),
            "axes.edgecolor": self.foreground,
            "axes.labelcolor": self.foreground,
            "xtick.color": self.foreground,
            "ytick.color": self.foreground,
            "text.color": self.foreground,
            "grid.color": self.light_grey,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
        }


def present(on: bool = True) -> None:
    """Switch the presenter view on (or off) for the panels and figures made from now on.

    Sets ``COURSEKIT_PRESENT`` in this process (and so in the processes it starts).

    >>> present(); presenter_style() is not None
    True
    >>> present(False); presenter_style() is None
    True
    """
    os.environ[ENV] = "1" if on else "0"


def presenter_style() -> PresenterStyle | None:
    """The presenter style when ``COURSEKIT_PRESENT`` is on (``1``, ``true``, ``yes``, ``on``), else None."""
    on = os.environ.get(ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    return PresenterStyle() if on else None
