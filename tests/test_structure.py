"""The shape of the trainer, checked: ``Learner`` is one class in one file, and no other module
reaches into its private state (the rules that replaced a limit on file length)."""

import ast
import inspect
from pathlib import Path

import coursekit as ck
from coursekit.train import distributed

PACKAGE = Path(ck.__file__).parent
LEARNER_FILE = PACKAGE / "train" / "learner.py"
LEARNER_NAMES = {"learn", "learner", "dl"}  # what the code calls a learner it is handed


def learner_private_names() -> set[str]:
    """The private attributes and methods ``Learner`` defines (``self._x`` in its class body)."""
    [learner] = [
        node
        for node in ast.parse(LEARNER_FILE.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "Learner"
    ]
    names = set()
    for node in ast.walk(learner):
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "self":
            names.add(node.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_learner_uses(source: str, private: frozenset[str] = frozenset()) -> list[str]:
    """A learner's private state used from outside, read or written, in ``source``: ``learn._x``
    for any private ``_x``, and ``anything._x`` for the names in ``private`` (Learner's own, so a
    learner under another name is found too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__"):
            continue
        owner = node.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if name in LEARNER_NAMES or (node.attr in private and name not in ("self", "cls")):
            found.append(f"line {node.lineno}: {name}.{node.attr}")
    return sorted(found)


def test_the_check_finds_private_use():
    assert private_learner_uses("learn._features.clear()\nx = self.learn._stop") == [
        "line 1: learn._features",
        "line 2: learn._stop",
    ]
    assert private_learner_uses("learn.feature_cache.clear()\nself._x = 1\nlearn.__class__") == []
    private = frozenset(learner_private_names())
    assert {"_features", "_precompute", "_checkpoints", "_train"} <= private
    assert private_learner_uses("model_owner._features.clear()", private) == [
        "line 1: model_owner._features"
    ]
    assert private_learner_uses("self._features = {}", private) == []  # another class's own


def test_no_module_but_learner_py_touches_a_learners_private_state():
    private = frozenset(learner_private_names())
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != LEARNER_FILE and (uses := private_learner_uses(path.read_text(), private))
    }
    assert not offenders, offenders


def test_learner_is_one_class_defined_in_one_file():
    assert ck.Learner.__bases__ == (object,), "no base classes holding a part of Learner"
    for name, member in vars(ck.Learner).items():
        if callable(member) and not name.startswith("__"):
            assert inspect.getsourcefile(inspect.unwrap(member)) == str(LEARNER_FILE), name
    sources = [p.read_text() for p in PACKAGE.rglob("*.py")]
    assert not any('cast("Learner"' in s or "cast('Learner'" in s for s in sources)


def test_a_distributed_learner_is_built_not_copied():
    assert "__dict__" not in inspect.getsource(distributed)
    assert distributed.DistributedLearner.__mro__[1] is ck.Learner


def test_the_command_answers_help_and_version_without_importing_torch():
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from coursekit.cli import main\n"
        "for argv in (['--help'], ['--version'], ['train', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('heavy:', sorted(m for m in ('torch', 'torchvision', 'ipywidgets') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("heavy: []"), done.stdout[-500:]


def test_every_public_name_is_listed_once_and_imports():
    import coursekit

    tree = ast.parse(Path(coursekit.__file__).read_text())
    typed = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if node.module and (node.module == "coursekit" or node.module.startswith("coursekit."))
    }
    public = set(coursekit.__all__) - {"__version__"}
    assert public == set(coursekit._WHERE) == typed
    for name in sorted(public):
        assert getattr(coursekit, name) is not None, name


def _protocol_members(protocol):
    """A Protocol's data attributes and its methods and properties, by name."""
    names = set(protocol.__annotations__)
    names |= {n for n, v in vars(protocol).items() if not n.startswith("_") and callable(v)}
    names |= {n for n, v in vars(protocol).items() if isinstance(v, property)}
    return names


def test_both_kinds_of_learner_data_have_all_the_protocol_asks(tiny_pets):
    """``LearnerData`` (what a Learner needs of its data) is met by ``ImageData`` and by the data of
    a learner ``load_learner`` rebuilt, with the same method parameters: checked here as well as by
    mypy, so a member added to one and not the other fails the tests."""
    from coursekit.train.export import InferenceData
    from coursekit.train.learner_data import LearnerData

    members = _protocol_members(LearnerData)
    assert {"classes", "size", "split", "loader", "c"} <= members  # the check reads the Protocol
    inference = InferenceData(path=Path("."), classes=["cat", "dog"], size=32)
    for data in (tiny_pets, inference):
        for name in members:
            assert hasattr(data, name), f"{type(data).__name__} lacks {name}"
            wanted = vars(LearnerData).get(name)
            if callable(wanted):
                got = inspect.signature(getattr(data, name)).parameters
                assert list(got) == list(inspect.signature(wanted).parameters)[1:], name
