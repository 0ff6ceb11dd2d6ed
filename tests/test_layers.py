"""The package's layers, checked from the source with ``ast`` (issue 14): nothing is imported or run.

Every module under ``playground/`` and ``bench/`` is parsed, its imports (module level, inside
functions, under ``if TYPE_CHECKING:``) resolved to the modules they name, and then:

- imports point the allowed way between layers, and only ``playground/app.py`` imports ``web``;
- layers import each other through the package (``from ..veo import check``), not its modules;
- no import cycle;
- no module over 500 lines, and at most six modules loose at the top of ``playground/``;
- Gradio is imported only under ``playground/web/`` and by ``playground/app.py``;
- each layer package's ``__init__.py`` lists its public names in ``__all__``.

Each failure names the module, the line and the import. The last test plants each kind of
mistake in a small tree of its own, so every check is shown to be able to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The packages parsed; ``tests/`` may import anything and is not.
PACKAGES = ("playground", "bench")
LAYERS = ("veo", "wave", "net", "media", "runs", "web", "simulator", "texts")
#: What the app says, in both languages: every layer may say something, and it imports nothing of ours.
_SAY = frozenset({"texts"})
#: The layers (and loose modules) each layer may import, besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "web": frozenset({"runs", "veo", "wave", "net", "media", "settings"}) | _SAY,
    "runs": frozenset({"veo", "wave", "net", "media", "settings"}) | _SAY,
    "wave": frozenset({"net"}) | _SAY,
    "net": frozenset({"media"}) | _SAY,
    "veo": frozenset({"net"}) | _SAY,
    "media": _SAY,
    "simulator": frozenset({"veo", "net", "media"}) | _SAY,
    "settings": frozenset({"veo"}) | _SAY,
    "texts": frozenset(),
}
#: Where a layer may use only part of another, that module itself (not all of the layer through the
#: package): veo needs net's address classifier, wave its TLS context, and nothing else of net.
ONLY_MODULES: dict[tuple[str, str], frozenset[str]] = {
    ("veo", "net"): frozenset({"playground.net.addresses"}),
    ("wave", "net"): frozenset({"playground.net.tls"}),
}
#: The composition root (``app.py``, and the package ``__init__`` naming its entry points) and the
#: benchmark put everything together, so they may import anything.
ANYTHING = frozenset({"app", "root", "bench"})
#: The only importers of ``web``.
WEB_IMPORTERS = frozenset({"playground.app"})
GRADIO_LAYERS = frozenset({"web", "app"})
MAX_LINES = 500
MAX_LOOSE = 6


@dataclass(frozen=True)
class Module:
    name: str
    path: Path  # relative to the tree's root, for messages
    is_package: bool
    tree: ast.Module
    lines: int

    @property
    def layer(self) -> str:
        return layer_of(self.name)


@dataclass(frozen=True)
class Import:
    source: Module
    line: int
    statement: str
    #: The module the statement names, resolved: ``pkg`` in ``from pkg import name``.
    named: str
    #: The module the import runs: for ``from pkg import name``, the package's ``__init__``,
    #: and for ``from pkg import submodule``, that module.
    target: str
    #: The module that defines what is imported, followed through the package's re-exports.
    provider: str

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line} `{self.statement}`"


def layer_of(module: str) -> str:
    """``playground.web.ui`` is in ``web``; ``playground.app`` is ``app``; ``playground`` is ``root``."""
    parts = module.split(".")
    if parts[0] != "playground":
        return parts[0]
    return parts[1] if len(parts) > 1 else "root"


def is_ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def load_modules(root: Path) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            text = path.read_text(encoding="utf-8")
            modules[name] = Module(
                name, path.relative_to(root), is_package, ast.parse(text, str(path)), len(text.splitlines())
            )
    return modules


def _relative_base(module: Module, level: int, named: str | None) -> str:
    """What ``from <dots><named> import …`` refers to, seen from ``module``."""
    parts = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(parts + ([named] if named else []))


def defining_module(package: str, name: str, modules: dict[str, Module], depth: int = 0) -> str:
    """The module that defines ``name`` that ``package`` re-exports (``from .rules import check``)."""
    init = modules.get(package)
    if init is None or not init.is_package or depth > 10:
        return package
    for node in init.tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        base = _relative_base(init, node.level, node.module) if node.level else node.module or ""
        for alias in node.names:
            if (alias.asname or alias.name) == name:
                submodule = f"{base}.{alias.name}"
                return submodule if submodule in modules else defining_module(base, alias.name, modules, depth + 1)
    return package


def imports_of(module: Module, modules: dict[str, Module]) -> Iterator[Import]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, ast.unparse(node), alias.name, alias.name, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _relative_base(module, node.level, node.module) if node.level else node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:  # `from .. import veo`: the module itself
                    yield Import(module, node.lineno, ast.unparse(node), base, submodule, submodule)
                else:
                    provider = defining_module(base, alias.name, modules)
                    yield Import(module, node.lineno, ast.unparse(node), base, base, provider)


def all_imports(modules: dict[str, Module]) -> list[Import]:
    """Every import once: the names of one statement that come from one module count once."""
    found = (each for module in modules.values() for each in imports_of(module, modules))
    return list({(i.source.name, i.line, i.target, i.provider): i for i in found}.values())


# -- the checks: each answers its problems, one line each ---------------------------------------


def wrong_way_imports(modules: dict[str, Module]) -> list[str]:
    problems = []
    for found in all_imports(modules):
        source, target = found.source.layer, layer_of(found.target)
        if source in ANYTHING or not is_ours(found.target) or source == target or target == "web":
            continue  # imports of web have their own check
        allowed = ALLOWED.get(source, frozenset())
        only = ONLY_MODULES.get((source, target))
        if target not in allowed:
            problems.append(
                f"{found}: {source} imports {found.provider} ({target}); {source} may import "
                f"only {', '.join(sorted(allowed)) or 'nothing outside itself'}"
            )
        elif only is not None and found.provider not in only:
            problems.append(
                f"{found}: {source} imports {found.provider}; from {target} it may import only "
                f"{', '.join(sorted(only))}"
            )
    return problems


def web_importers(modules: dict[str, Module]) -> list[str]:
    return [
        f"{found}: {found.source.name} imports {found.provider}; only {', '.join(sorted(WEB_IMPORTERS))} may import web"
        for found in all_imports(modules)
        if layer_of(found.target) == "web"
        and found.source.layer not in ("web", "bench")
        and found.source.name not in WEB_IMPORTERS
    ]


def submodule_imports(modules: dict[str, Module]) -> list[str]:
    """Another layer's module named directly (``from ..veo.rules import check``) bypasses its ``__all__``;
    a module the package itself offers (``from ..wave import errors``, listed in ``__all__``) does not."""
    problems = []
    for found in all_imports(modules):
        source, target = found.source.layer, layer_of(found.target)
        package = f"playground.{target}"
        if source == "bench" or not is_ours(found.target) or source == target or target not in LAYERS:
            continue
        if found.target in ONLY_MODULES.get((source, target), ()):
            continue
        if found.target == package:
            continue  # ``from .. import veo``: the package itself, with its __all__
        if found.named != package:
            problems.append(f"{found}: import from the package {package}, not its module {found.named}")
        elif found.target != package and found.target.rpartition(".")[2] not in _offered(modules, package):
            problems.append(f"{found}: {package} does not offer its module {found.target} in __all__")
    return problems


def _offered(modules: dict[str, Module], package: str) -> list[str]:
    init = modules.get(package)
    return (_dunder_all(init.tree) or []) if init is not None else []


def import_cycles(modules: dict[str, Module]) -> list[str]:
    edges: dict[str, list[Import]] = {name: [] for name in modules}
    for found in {(i.source.name, i.line, i.target): i for i in all_imports(modules)}.values():
        if found.target in modules and found.target != found.source.name:
            edges[found.source.name].append(found)
    return [
        " -> ".join(str(step) for step in cycle) + f" -> back to {cycle[0].source.name}" for cycle in _cycles(edges)
    ]


def _cycles(edges: dict[str, list[Import]]) -> list[list[Import]]:
    """A cycle for each import that leads back onto the path being walked (depth-first search)."""
    done: set[str] = set()
    on_path: list[str] = []  # modules from the start of the walk to here
    steps: list[Import] = []  # steps[i] leads from on_path[i] to on_path[i + 1]
    found: list[list[Import]] = []

    def visit(name: str) -> None:
        on_path.append(name)
        for step in edges[name]:
            if step.target in on_path:
                found.append([*steps[on_path.index(step.target) :], step])
            elif step.target not in done:
                steps.append(step)
                visit(step.target)
                steps.pop()
        on_path.pop()
        done.add(name)

    for name in sorted(edges):
        if name not in done:
            visit(name)
    return found


def long_modules(modules: dict[str, Module]) -> list[str]:
    return [f"{m.path}: {m.lines} lines, over {MAX_LINES}" for m in modules.values() if m.lines > MAX_LINES]


def loose_modules(root: Path) -> list[str]:
    loose = sorted(p.name for p in (root / "playground").glob("*.py") if p.name != "__init__.py")
    if len(loose) <= MAX_LOOSE:
        return []
    return [f"playground/ has {len(loose)} loose modules, over {MAX_LOOSE}: {', '.join(loose)}"]


def gradio_outside_web(modules: dict[str, Module]) -> list[str]:
    return [
        f"{found}: gradio imported in {found.source.layer}; only web and app.py may"
        for found in all_imports(modules)
        if found.target.split(".")[0] == "gradio"
        and found.source.name.startswith("playground")
        and found.source.layer not in GRADIO_LAYERS
    ]


def public_names(modules: dict[str, Module]) -> list[str]:
    problems = []
    for layer in LAYERS:
        init = modules.get(f"playground.{layer}")
        if init is None or not init.is_package:
            problems.append(f"playground/{layer}/__init__.py is missing")
            continue
        listed = _dunder_all(init.tree)
        if listed is None:
            problems.append(f"{init.path}: defines no __all__ (a list of the names playground.{layer} offers)")
            continue
        bound = _bound_names(init.tree)
        problems += [
            f"{init.path}: __all__ lists {name!r}, which the module does not define or import"
            for name in listed
            if name not in bound
        ]
    return problems


def _dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = getattr(node, "value", None)
            if isinstance(value, ast.List | ast.Tuple):
                return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            return []
    return None


def _bound_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


# -- the tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules(ROOT)


def _report(problems: list[str]) -> str:
    return f"{len(problems)} found:\n" + "\n".join(problems)


def test_imports_point_the_allowed_way(modules: dict[str, Module]) -> None:
    problems = wrong_way_imports(modules)
    assert not problems, _report(problems)


def test_only_the_composition_root_imports_web(modules: dict[str, Module]) -> None:
    problems = web_importers(modules)
    assert not problems, _report(problems)


def test_layers_import_each_other_through_the_package(modules: dict[str, Module]) -> None:
    problems = submodule_imports(modules)
    assert not problems, _report(problems)


def test_no_import_cycle(modules: dict[str, Module]) -> None:
    problems = import_cycles(modules)
    assert not problems, _report(problems)


def test_no_module_over_500_lines(modules: dict[str, Module]) -> None:
    problems = long_modules(modules)
    assert not problems, _report(problems)


def test_at_most_six_modules_loose_at_the_top() -> None:
    problems = loose_modules(ROOT)
    assert not problems, _report(problems)


def test_gradio_only_in_web_and_app(modules: dict[str, Module]) -> None:
    problems = gradio_outside_web(modules)
    assert not problems, _report(problems)


def test_each_layer_package_lists_its_public_names(modules: dict[str, Module]) -> None:
    problems = public_names(modules)
    assert not problems, _report(problems)


# -- the checks can fail --------------------------------------------------------------------------

PLANTED = {
    "playground/__init__.py": "",
    "playground/app.py": "from .web import ui\n",
    "playground/settings.py": "from .veo import MODELS\n",
    **{f"playground/loose_{n}.py": "" for n in range(5)},
    "playground/veo/__init__.py": 'from .models import MODELS\n\n__all__ = ["MODELS", "check"]\n',
    "playground/veo/models.py": "from ..runs import tracker\nfrom ..net.fetch import get\nMODELS = []\n",
    "playground/net/__init__.py": "__all__ = []\n",
    "playground/net/fetch.py": "def get() -> None: ...\n",
    "playground/runs/__init__.py": "",
    "playground/runs/engine.py": "import gradio as gr\n\nfrom .tracker import Tracker\n",
    "playground/runs/tracker.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .engine import Engine\n\nclass Tracker: ...\n"
    ),
    "playground/runs/long.py": "x = 1\n" * (MAX_LINES + 1),
    "playground/web/__init__.py": 'from . import ui\n\n__all__ = ["ui"]\n',
    "playground/web/ui.py": "import gradio as gr\n\nfrom ..veo.models import MODELS\nfrom ..runs import long\n",
    "playground/media/__init__.py": "from ..web.ui import gr\n\n__all__ = []\n",
}


def test_each_check_catches_what_it_is_for(tmp_path: Path) -> None:
    """A small tree with one of each mistake planted; the checks above must name every one."""
    for name, text in PLANTED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    planted = load_modules(tmp_path)
    assert sorted(wrong_way_imports(planted)) == [
        "playground/veo/models.py:1 `from ..runs import tracker`: veo imports playground.runs.tracker (runs); "
        "veo may import only net, texts",
        "playground/veo/models.py:2 `from ..net.fetch import get`: veo imports playground.net.fetch; "
        "from net it may import only playground.net.addresses",
    ]
    assert web_importers(planted) == [
        "playground/media/__init__.py:1 `from ..web.ui import gr`: playground.media "
        "imports playground.web.ui; only playground.app may import web"
    ]
    assert sorted(submodule_imports(planted)) == [
        "playground/media/__init__.py:1 `from ..web.ui import gr`: import from the package playground.web, "
        "not its module playground.web.ui",
        "playground/veo/models.py:1 `from ..runs import tracker`: playground.runs does not offer its module "
        "playground.runs.tracker in __all__",
        "playground/veo/models.py:2 `from ..net.fetch import get`: import from the package playground.net, "
        "not its module playground.net.fetch",
        "playground/web/ui.py:3 `from ..veo.models import MODELS`: import from the package playground.veo, "
        "not its module playground.veo.models",
        "playground/web/ui.py:4 `from ..runs import long`: playground.runs does not offer its module "
        "playground.runs.long in __all__",
    ]
    # Under TYPE_CHECKING, and found from wherever the walk enters it.
    assert import_cycles(planted) == [
        "playground/runs/tracker.py:4 `from .engine import Engine` -> playground/runs/engine.py:3 "
        "`from .tracker import Tracker` -> back to playground.runs.tracker"
    ]
    assert long_modules(planted) == [f"playground/runs/long.py: {MAX_LINES + 1} lines, over {MAX_LINES}"]
    assert loose_modules(tmp_path) == [
        "playground/ has 7 loose modules, over 6: app.py, loose_0.py, loose_1.py, "
        "loose_2.py, loose_3.py, loose_4.py, settings.py"
    ]
    assert gradio_outside_web(planted) == [
        "playground/runs/engine.py:1 `import gradio as gr`: gradio imported in runs; only web and app.py may"
    ]
    assert public_names(planted) == [
        "playground/veo/__init__.py: __all__ lists 'check', which the module does not define or import",
        "playground/wave/__init__.py is missing",
        "playground/runs/__init__.py: defines no __all__ (a list of the names playground.runs offers)",
        "playground/simulator/__init__.py is missing",
        "playground/texts/__init__.py is missing",
    ]
