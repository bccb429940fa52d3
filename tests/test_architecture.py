"""The package's shape, as ``../shared/DESIGN.md`` states it: no import cycles among the
core's modules, counting imports made inside functions (a deferred import hides a cycle
from Python, not from a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

import registry

ROOT = Path(registry.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every registry module (outside the UI) and the registry modules it imports."""
    modules = {
        _module_name(p): p for p in ROOT.rglob("*.py") if "ui" not in p.relative_to(ROOT).parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` imports the module pkg.sub (and runs pkg's
                # __init__, which is pkg's own business); `from mod import name` imports mod
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in modules] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_core_modules_import_each_other_in_one_direction():
    graph = _imports()
    assert {"registry.store.sql", "registry.store.monitoring", "registry.i18n"} <= set(graph)
    assert "registry.store.sql" in graph["registry.store.postgis"]
    assert _cycles(graph) == []


def test_the_registry_holds_its_parts_and_answers_their_public_calls(tmp_path) -> None:
    import inspect

    from registry.api import Registry
    from registry.api.base import RegistryBase
    from registry.api.entries import Entries
    from registry.api.monitoring import MonitoringPart
    from registry.api.sessions import AccountSessions
    from registry.api.territory import Territory

    reg = Registry(str(tmp_path / "registry.gpkg"))
    parts = {
        "entries": Entries,
        "monitoring": MonitoringPart,
        "territory": Territory,
        "accounts": AccountSessions,
    }
    assert Registry.__mro__[1:] == (RegistryBase, object)  # no mixins
    for name, kind in parts.items():
        part = getattr(reg, name)
        assert type(part) is kind and not isinstance(part, RegistryBase)
        public = [
            n for n, f in inspect.getmembers(kind, inspect.isfunction) if not n.startswith("_")
        ]
        assert public, name
        for method in public:
            on_registry = getattr(Registry, method)
            assert inspect.signature(on_registry) == inspect.signature(getattr(kind, method))
            assert on_registry.__doc__ == getattr(kind, method).__doc__
    # an entry's monitoring is the monitoring part called
    assert inspect.signature(reg.monitoring).parameters.keys() == {"initiative_id", "viewer"}
