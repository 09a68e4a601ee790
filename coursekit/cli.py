"""The coursekit command: coursekit demo, coursekit data NAME, coursekit lab, coursekit present LESSON,
coursekit train.

Also ``python -m coursekit``. ``DESCRIPTION`` is what ``--help`` shows: plain words, no markup.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from coursekit import __version__
from coursekit.config import SAMPLE_SETS
from coursekit.lessons import PRESENT_FOLDER
from coursekit.train import script_options

# Each command imports what it runs when it runs: torch alone takes seconds to import, and
# ``coursekit --help`` should answer at once.

__all__ = ["DESCRIPTION", "main", "present_command"]

DESCRIPTION = (
    "coursekit, a Jupyter teaching kit for practical deep learning: run the offline demo, make "
    "or download the lessons' data, open the lessons in JupyterLab (or one of them for a class, "
    "projector-sized), or train from a shell."
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
    present = sub.add_parser(
        "present",
        help="open a lesson for the front of the room: a copy with its code folded away, in "
        "JupyterLab's single-document view, with the presenter view on (COURSEKIT_PRESENT=1)",
    )
    present.add_argument(
        "lesson", help="a lesson's name, number or subject (01_pets, 1, pets) or a notebook's path"
    )
    present.add_argument(
        "--dir",
        type=Path,
        default=Path(PRESENT_FOLDER),
        help=f"where to write the copy (default ./{PRESENT_FOLDER}; the copy is replaced each time)",
    )
    present.add_argument(
        "--copy-only",
        action="store_true",
        help="write the copy and print its path; start no server",
    )
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
    elif args.command == "present":
        from coursekit.lessons import find_lesson, lessons_folder, presentation_copy

        copy = presentation_copy(find_lesson(args.lesson, lessons_folder()), args.dir)
        print(copy)
        if args.copy_only:
            return 0
        return subprocess.call(present_command(copy), env={**os.environ, "COURSEKIT_PRESENT": "1"})
    return 0


def present_command(notebook: Path) -> list[str]:
    """JupyterLab on ``notebook``'s folder, opening it in the single-document view (``/doc``)."""
    root = notebook.resolve().parent
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/doc/tree/{notebook.name}",
    ]


if __name__ == "__main__":
    sys.exit(main())
