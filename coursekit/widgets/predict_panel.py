"""PredictPanel: try a classifier on a photo of your own (the 2019 course's bear app, lesson 2).

    learn = ck.load_learner(path/'export.pth')
    ckw.PredictPanel(learn)

Upload a photo, or type a path on the notebook's machine or an http(s) URL, and see the picture
with a bar chart of the top-k classes. Colab's upload button silently drops files of 1 MB or
more, which is why the path / URL box is there. The panel is a view: ``learn.predict`` does the
work, and ``result`` holds its ``(label, index, probs)``.
"""

from __future__ import annotations

import html
import io
import urllib.request
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import torch
from PIL import Image

from coursekit.data.answers import ADVICE, answer_problem
from coursekit.data.image_input import as_image
from coursekit.data.sizes import format_size
from coursekit.panel import Panel
from coursekit.plotting import presentable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.train.learner import Learner

__all__ = ["MAX_URL_BYTES", "PredictPanel", "uploaded_files"]

MAX_URL_BYTES = 50 * 10**6  # decimal, as coursekit prints sizes (coursekit.data.sizes)
COLAB_NOTE = (
    "Colab's upload button silently drops files of 1 MB or more: for a big photo, type its "
    "path (after copying it to the machine) or an http(s) URL in the box instead."
)


def uploaded_files(value: Any) -> list[tuple[str, bytes]]:
    """(name, content) of each file in a ``FileUpload``'s value, on ipywidgets 8 (a tuple of
    dicts with 'name' and 'content') and 7.7 (a dict of name -> {'metadata', 'content'})."""
    if isinstance(value, dict):
        return [(name, bytes(f["content"])) for name, f in value.items()]
    return [(f["name"], bytes(f["content"])) for f in value or ()]


class PredictPanel(Panel):
    """Upload (or name) a photo; see the picture and the top ``k`` classes. ``result`` is the last
    ``learn.predict`` output, ``image`` the picture it was made from; ``status`` (the line above
    the picture) names it, or says what went wrong."""

    def __init__(self, learn: Learner, k: int = 5, display_size: int = 256):
        self.learn, self.k, self.display_size = learn, min(k, len(learn.data.classes)), display_size
        self.result: tuple[str, torch.Tensor, torch.Tensor] | None = None
        self.image: Image.Image | None = None
        self.upload = widgets.FileUpload(
            accept="image/*", multiple=False, description="upload photo"
        )
        self.source = widgets.Text(
            placeholder="or a path / http(s) URL, then Enter or 'predict'",
            layout=widgets.Layout(width="420px"),
        )
        self.go = widgets.Button(description="predict")
        self.note = widgets.HTML(f"<small>{html.escape(COLAB_NOTE)}</small>")
        self.picture = widgets.Image(
            format="png", layout=widgets.Layout(max_width=f"{display_size}px")
        )
        self.chart = widgets.HTML()
        self.status = widgets.HTML()
        self.message = self.status  # its earlier name
        self.upload.observe(self.handler(self._on_upload), names="value")
        self.go.on_click(self.handler(lambda _: self.predict_source(self.source.value)))
        self.source.continuous_update = False  # value changes on Enter (ipywidgets 7.7 and 8)
        self.source.observe(self.handler(self._on_submit), names="value")
        super().__init__(
            [
                widgets.HBox([self.upload, self.source, self.go]),
                self.note,
                self.status,
                widgets.HBox([self.picture, self.chart]),
            ]
        )

    # ------------------------------------------------------------------------------ inputs
    def _on_upload(self, change: dict[str, Any]) -> None:
        files = uploaded_files(change["new"])
        if files:
            self.show(files[-1][1], files[-1][0])

    def _on_submit(self, change: dict[str, Any]) -> None:
        if change["new"].strip():
            self.predict_source(change["new"])

    def predict_source(self, text: str) -> None:
        """Predict on a path or an http(s) URL typed in the box."""
        text = text.strip()
        if not text:
            self.status.value = "type a path or an http(s) URL first."
            return
        if text.startswith(("http://", "https://")):
            try:
                with urllib.request.urlopen(text, timeout=20) as r:
                    data = r.read(MAX_URL_BYTES + 1)
            except OSError as e:
                self.status.value = html.escape(f"could not download {text}: {e}")
                return
            if len(data) > MAX_URL_BYTES:
                self.status.value = html.escape(
                    f"{text} is over {format_size(MAX_URL_BYTES)}; not an ordinary photo?"
                )
                return
            page = answer_problem(r.headers.get("Content-Type"), data[:512])
            if page is not None:
                self.status.value = html.escape(
                    f"{text} answered with {page}, not a picture. A page that shows a photo is "
                    f"not the photo: right-click the photo, copy the image address and paste that. "
                    f"{ADVICE}"
                )
                return
            self.show(data, text)
        else:
            self.show(text, text)

    # ------------------------------------------------------------------------------ output
    def show(self, image: Any, name: str = "") -> None:
        """Predict on ``image`` (anything ``learn.predict`` accepts) and draw the result."""
        try:
            img = as_image(image, min_size=self.learn.data.size)
            result = self.learn.predict(img)
        except (OSError, ValueError, TypeError) as e:
            self.status.value = html.escape(f"{name or 'this'}: {e}")
            return
        self.result, self.image = result, img
        thumb = img.copy()
        thumb.thumbnail((self.display_size, self.display_size))
        buf = io.BytesIO()
        thumb.save(buf, "PNG")
        self.picture.value = buf.getvalue()
        label = result[0] or "(no tag over the threshold)"
        self.status.value = (
            f"<b>{html.escape(label)}</b> &nbsp; <small>{html.escape(str(name))}</small>"
        )
        rows = "".join(
            f"<div style='display:flex;align-items:center;gap:6px;margin:2px 0'>"
            f"<span style='width:140px;text-align:right'>{html.escape(c)}</span>"
            f"<span style='display:inline-block;height:14px;width:{200 * p:.0f}px;background:#4c78a8'></span>"
            f"<span>{p:.1%}</span></div>"
            for c, p in self.top()
        )
        self.chart.value = f"<div class='ck-topk'>{rows}</div>"

    def top(self) -> list[tuple[str, float]]:
        """The top ``k`` (class, probability) pairs of the last prediction, most likely first."""
        if self.result is None:
            return []
        probs = self.result[2]
        order = probs.argsort(descending=True)[: self.k]
        return [(self.learn.data.classes[int(i)], float(probs[i])) for i in order]

    @presentable
    def figure(self) -> Figure:
        """The picture and the top-k bar chart as a static matplotlib figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 3.2))
        ax_img, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        ax_img.axis("off")
        if self.image is not None and self.result is not None:
            ax_img.imshow(self.image)
            ax_img.set_title(self.result[0] or "(no tag)")
        names, values = zip(*self.top()) if self.result is not None else ((), ())
        ax_bar.barh(list(names)[::-1], list(values)[::-1], color="#4c78a8")
        ax_bar.set_xlim(0, 1)
        ax_bar.set_xlabel("probability")
        fig.tight_layout()
        return fig
