"""The packages under src/orbit_voice import one way: down the layers, never in a cycle.

Read from the source with ``ast`` (nothing is imported): every ``import``/``from ... import``
of an ``orbit_voice`` module, wherever it stands (``if TYPE_CHECKING:`` included), and every
``importlib.import_module("orbit_voice...")``. A "package" is a folder under orbit_voice or a
module directly in it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

# Until the last knots of issue 10 are untied: `python tests/test_layers.py` lists them.
UNTANGLING = pytest.mark.xfail(reason="packages still being untangled", strict=False)

SRC = Path(__file__).resolve().parents[1] / "src" / "orbit_voice"

# Bottom to top: a package may import its own layer's packages and those of layers below.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"__init__", "kit", "errors", "config", "logs", "db"}),
    ("platform", {"orgs", "api", "webhooks", "idempotency"}),
    ("media", {"media"}),
    ("calls", {"runtime", "signed_urls", "calls"}),
    (
        "features",
        {
            "calendars",
            "clones",
            "trunks",
            "routing",
            "numbers",
            "sip_credentials",
            "agents",
            "ivr",
            "quality",
            "speech",
            "voicemail",
            "queues",
            "ring_groups",
            "conferences",
            "monitoring",
            "transcripts",
            "intelligence",
            "softphone",
            "simulator",
        },
    ),
    ("app", {"wiring", "routes", "models", "metrics", "app", "migrate", "cli"}),
]
# The SDK is shipped in the same distribution but talks to the server over HTTP only.
STANDALONE = {"client"}
# Function-body imports allowed, each for a reason that is not a cycle: (module, imported).
LAZY_OK = {
    # pjsua2 is an optional native dependency: the engine is imported where it is started.
    ("orbit_voice.media.sip.adapter", "orbit_voice.media.sip.engine"),
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported orbit_voice module
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports_of(path: Path) -> list[Import]:
    return _imports_in(path.read_text(), _module_name(path), path.name == "__init__.py")


def _imports_in(source: str, module: str, is_package: bool) -> list[Import]:
    tree = ast.parse(source)
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            in_function.update(id(inner) for inner in ast.walk(node) if inner is not node)
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            targets = [base]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [node.args[0].value]
        for target in targets:
            if target == "orbit_voice" or target.startswith("orbit_voice."):
                found.append(Import(module, target, node.lineno, id(node) in in_function))
    return found


def all_imports() -> list[Import]:
    return [imp for path in sorted(SRC.rglob("*.py")) for imp in _imports_of(path)]


def _layer_of(package: str) -> int:
    for index, (_, packages) in enumerate(LAYERS):
        if package in packages:
            return index
    raise AssertionError(f"package {package!r} is in no layer: add it to LAYERS")


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in all_imports():
        source, target = package_of(imp.module), package_of(imp.target)
        if source != target:
            graph[source].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_package_has_a_layer() -> None:
    packages = {package_of(_module_name(path)) for path in SRC.rglob("*.py")}
    for package in sorted(packages - STANDALONE):
        _layer_of(package)


@UNTANGLING
def test_no_import_points_up_a_layer() -> None:
    upward = [
        f"{imp.module}:{imp.line} imports {imp.target} "
        f"({LAYERS[_layer_of(package_of(imp.module))][0]} -> "
        f"{LAYERS[_layer_of(package_of(imp.target))][0]})"
        for imp in all_imports()
        if package_of(imp.module) not in STANDALONE
        and _layer_of(package_of(imp.target)) > _layer_of(package_of(imp.module))
    ]
    assert upward == []


@UNTANGLING
def test_packages_import_each_other_in_no_cycle() -> None:
    assert _cycles(package_graph()) == []


@UNTANGLING
def test_no_import_hides_in_a_function_body() -> None:
    hidden = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if imp.in_function and (imp.module, imp.target) not in LAZY_OK
    ]
    assert hidden == []


@UNTANGLING
def test_the_sdk_stands_alone() -> None:
    leaks = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if package_of(imp.module) in STANDALONE and package_of(imp.target) not in STANDALONE
    ]
    assert leaks == []


def test_the_checks_see_a_cycle_and_a_hidden_import() -> None:
    """The checks themselves: a two-package loop is a cycle, and an import in a function is
    found (a check that can never fail would prove nothing)."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    source = "import orbit_voice.db\ndef f():\n    from ..calls import service\n"
    probe = _imports_in(source, "orbit_voice.kit.probe", is_package=False)
    assert [(p.target, p.in_function) for p in probe] == [
        ("orbit_voice.db", False),
        ("orbit_voice.calls", True),
    ]


if __name__ == "__main__":  # a report of what the checks find: python tests/test_layers.py
    graph = package_graph()
    for imp in all_imports():
        if package_of(imp.module) in STANDALONE:
            continue
        up = _layer_of(package_of(imp.target)) > _layer_of(package_of(imp.module))
        hidden = imp.in_function and (imp.module, imp.target) not in LAZY_OK
        if up or hidden:
            kind = " and ".join(k for k, on in (("upward", up), ("in a function", hidden)) if on)
            print(f"{imp.module}:{imp.line} -> {imp.target} ({kind})")
    for cycle in _cycles(graph):
        print("cycle:", " ".join(cycle))
