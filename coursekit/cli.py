"""The coursekit command: coursekit demo, coursekit data NAME, coursekit lab, coursekit train.

Also ``python -m coursekit``. ``DESCRIPTION`` is what ``--help`` shows: plain words, no markup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from coursekit import __version__
from coursekit.config import SAMPLE_SETS
from coursekit.train import script_options

# Each command imports what it runs when it runs: torch alone takes seconds to import, and
# ``coursekit --help`` should answer at once.

__all__ = ["DESCRIPTION", "main"]

DESCRIPTION = (
    "coursekit, a Jupyter teaching kit for practical deep learning: run the offline demo, make "
    "or download the lessons' data, open the lessons in JupyterLab, or train from a shell."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"coursekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="run the offline demo on CPU, saving pictures to demo_output/"
    )
    demo.add_argument("--out", type=Path, default=Path("demo_output"))
    data = sub.add_parser(
        "data",
        help="make a lesson's sample data set and print where it is; with --full, download "
        "what the lessons' full mode uses",
    )
    data.add_argument("name", choices=[*SAMPLE_SETS, "all"])
    data.add_argument(
        "--full",
        action="store_true",
        help="download and check the real data sets and weight files (resumable; reuses what is there)",
    )
    lab = sub.add_parser(
        "lab",
        help="open JupyterLab on the lessons (outside a source checkout: a copy of them in "
        "./coursekit-lessons)",
    )
    lab.add_argument("--dir", type=Path, default=None, help="where to copy the lessons")
    script_options.add_arguments(
        sub.add_parser(
            "train",
            help="fit a learner from a shell; under accelerate launch or torchrun, on several "
            "GPUs (coursekit[multi-gpu])",
        )
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        from coursekit.tour import run_demo

        run_demo(args.out)
    elif args.command == "data" and args.full:
        from coursekit.prepare import prepare_full

        return 1 if prepare_full([args.name]).failed else 0
    elif args.command == "data":
        from coursekit.data.sample_sets import lesson_sample

        for name in SAMPLE_SETS if args.name == "all" else [args.name]:
            print(lesson_sample(name))
    elif args.command == "train":
        from coursekit.train import script

        return script.run(args)
    elif args.command == "lab":
        from coursekit.lessons import lessons_folder

        folder = lessons_folder(args.dir)
        return subprocess.call([sys.executable, "-m", "jupyterlab", str(folder)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
