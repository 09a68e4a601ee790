"""A second screen: the training curves of a running fit in a browser tab of their own (lessons 1-4).

    screen = ck.second_screen(learn)      # prints and returns the address, http://127.0.0.1:PORT/
    learn.fit(1e-2, 3, cycle_len=1)       # the tab on the projector follows the fit
    screen.close()                        # stops the server and unsubscribes from the learner

The instructor keeps the notebook on the laptop and drags that tab (or window) to the projector.
A small HTTP server (the standard library's, in a daemon thread) listens on 127.0.0.1 only and
serves one self-contained page, which draws the curves in SVG with no script from the network,
and ``data.json``, which the page reads every second: the recorder's losses, learning rates and
epoch rows, and the smoothed training loss. The view is read-only: nothing on it steers the fit.

In Google Colab the kernel runs on another machine: ``google.colab.output.serve_kernel_port_as_window(port)``
opens the page in a tab through Colab's proxy (``second_screen`` prints that line there).
"""

from __future__ import annotations

import json
import math
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any

from coursekit.train.recorder import SmoothedLoss
from coursekit.widgets.common import decimate

if TYPE_CHECKING:
    from coursekit.train.learner import Learner

__all__ = ["SecondScreen", "second_screen"]


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None: JSON has no words for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


class SecondScreen:
    """A read-only view of ``learn``'s fits on http://127.0.0.1:PORT/; see the module docstring.

    ``port=0`` lets the system choose a free port. A second screen made again over the same learner
    closes the earlier one, so re-running a cell leaves one server behind, not two.
    """

    def __init__(self, learn: Learner, port: int = 0, max_points: int = 600, beta: float = 0.98):
        self.learn, self.max_points, self.beta = learn, max_points, beta
        self.status = "waiting for a fit"
        self.smoothed: list[float] = []
        self.smoother = SmoothedLoss(beta)
        self._lock = threading.Lock()
        for fns in learn.events.values():  # the one a re-run cell left behind
            for fn in list(fns):
                earlier = getattr(fn, "__self__", None)
                if isinstance(earlier, SecondScreen) and earlier is not self:
                    earlier.close()
        self._unsubscribers = [
            learn.subscribe("before_fit", self._before_fit),
            learn.subscribe("after_batch", self._after_batch),
            learn.subscribe("after_fit", self._after_fit),
        ]
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            name=f"coursekit second screen {self.port}",
            daemon=True,
        )
        self.thread.start()

    # ------------------------------------------------------------------------------ events
    def _before_fit(self, learn: Learner) -> None:
        with self._lock:
            self.smoothed, self.smoother = [], SmoothedLoss(self.beta)
            self.status = f"training: {learn.recorder.n_epochs} epochs"
            if learn.recorder.demo:  # ck.demo: "replaying the recording of ... (10x)", or why not
                self.status += f" ({learn.recorder.demo})"

    def _after_batch(self, learn: Learner) -> None:
        with self._lock:
            self.smoothed.append(self.smoother.update(learn.recorder.losses[-1]))

    def _after_fit(self, learn: Learner) -> None:
        rec = learn.recorder
        if rec.error is not None:
            status = f"fit failed: {rec.error!r}"
        elif rec.stopped:
            status = f"fit ended early: {rec.stopped}"
        else:
            status = f"done: {len(rec.rows)} epochs"
        with self._lock:
            self.status = status

    # ------------------------------------------------------------------------------ data
    def data(self) -> dict[str, Any]:
        """What ``data.json`` holds: the recorder's losses, learning rates and epoch rows (at most
        about ``max_points`` batches, evenly spread), the smoothed training loss and the status."""
        rec = self.learn.recorder
        with self._lock:
            smoothed, status = list(self.smoothed), self.status
        losses, lrs, rows = list(rec.losses), list(rec.lrs), list(rec.rows)
        n = min(len(losses), len(smoothed), len(lrs))
        idx = decimate(n, self.max_points).tolist()
        per_epoch = rec.n_iterations // max(1, rec.n_epochs)
        return _finite(
            {
                "status": status,
                "epoch": len(rows),
                "n_epochs": rec.n_epochs,
                "iteration": n,
                "n_iterations": rec.n_iterations,
                "batches": idx,
                "losses": [losses[i] for i in idx],
                "smoothed": [smoothed[i] for i in idx],
                "lrs": [lrs[i] for i in idx],
                "valid_batches": [per_epoch * (i + 1) - 1 for i in range(len(rows))],
                "valid_losses": [row.get("val_loss") for row in rows],
                "rows": rows,
            }
        )

    # ------------------------------------------------------------------------------ life
    def close(self) -> None:
        """Unsubscribe from the learner and stop the server (the page then says it lost it)."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers = []
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self) -> SecondScreen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.thread.is_alive() else "closed"
        return f"SecondScreen({self.url}, {state})"

    def _repr_html_(self) -> str:
        return (
            f"second screen: <a href='{self.url}' target='_blank'>{self.url}</a> "
            "(open it in a new tab or window; drag that to the projector)"
        )


def _handler(screen: SecondScreen) -> type[BaseHTTPRequestHandler]:
    """The request handler of ``screen``'s server: the page at ``/``, the data at ``/data.json``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path in {"/", "/index.html"}:
                body, kind = _page().encode(), "text/html; charset=utf-8"
            elif path == "/data.json":
                body, kind = json.dumps(screen.data()).encode(), "application/json"
            else:
                self.send_error(404, "the second screen serves / and /data.json")
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a poll a second would fill the notebook's log

    return Handler


def _page() -> str:
    return resources.files("coursekit.widgets").joinpath("second_screen.html").read_text("utf-8")


def second_screen(learn: Learner, port: int = 0) -> SecondScreen:
    """Serve a read-only view of ``learn``'s training curves on http://127.0.0.1:PORT/ and print
    its address (in Colab, the line that opens it). Close it with ``.close()``.

    >>> screen = ck.second_screen(learn)       # doctest: +SKIP
    >>> screen.url                               # doctest: +SKIP
    'http://127.0.0.1:41234/'
    """
    screen = SecondScreen(learn, port=port)
    print(f"second screen: {screen.url}  (open it in a new browser tab or window)")
    if "google.colab" in sys.modules:
        print(
            "In Colab, open it with:  from google.colab import output; "
            f"output.serve_kernel_port_as_window({screen.port})"
        )
    return screen
