"""The ``coursekit`` command: ``coursekit demo``, ``coursekit data NAME``, ``coursekit lab``."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

SAMPLE_SETS = ("pets", "dogscats", "dogbreeds", "planet")


def sample_data(name: str, size: int = 64, **opts):
    """The lesson's sample set as ``ImageData``, loaded exactly as the lesson loads it."""
    import coursekit as ck
    if name == "pets":
        return ck.ImageData.from_name_re(ck.samples.pets() / "images", pat=r"([^/]+)_\d+\.jpg$",
                                         size=size, aug=ck.side_on, max_zoom=1.1, **opts)
    if name == "dogscats":
        return ck.ImageData.from_folder(ck.samples.dogscats(), train="train", valid="valid", test="test1",
                                        size=size, aug=ck.side_on, max_zoom=1.1, **opts)
    if name == "dogbreeds":
        return ck.ImageData.from_csv(ck.samples.dogbreeds(), folder="train", csv="labels.csv", suffix=".jpg",
                                     test="test", size=size, aug=ck.side_on, max_zoom=1.1, **opts)
    if name == "planet":
        return ck.ImageData.from_csv(ck.samples.planet(), folder="train-jpg", csv="train_v2.csv", suffix=".jpg",
                                     label_delim=" ", test="test-jpg", size=size, aug=ck.top_down, **opts)
    raise ValueError(f"unknown sample set {name!r}; choose one of {SAMPLE_SETS}")


def data_demo(out: Path) -> None:
    """Build the four sample sets; print each one's layout and statistics; save a batch picture."""
    import coursekit as ck
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_SETS:
        data = sample_data(name)
        print(f"== {name}: {data!r}")
        print(data.summary())
        root = getattr(ck.samples, name)()
        entries = [f"{p.name}/ ({sum(1 for _ in p.iterdir())} files)" if p.is_dir() else p.name
                   for p in sorted(root.iterdir()) if not p.name.startswith(".")]
        print(f"  layout of {root}: " + ", ".join(entries))
        picture = out / f"{name}_batch.png"
        data.show_batch(n=9).savefig(picture, dpi=80)
        print(f"  saved {picture}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the offline demo on CPU, saving pictures to demo_output/")
    demo.add_argument("--out", type=Path, default=Path("demo_output"))
    data = sub.add_parser("data", help="make a sample data set and print where it is")
    data.add_argument("name", choices=SAMPLE_SETS)
    sub.add_parser("lab", help="open JupyterLab on the lessons folder")
    args = parser.parse_args(argv)

    if args.command == "demo":
        data_demo(args.out)
    elif args.command == "data":
        print(sample_data(args.name).path)
    elif args.command == "lab":
        return subprocess.call([sys.executable, "-m", "jupyterlab", "lessons"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
