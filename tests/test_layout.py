"""The shape of the code: an area of the site never imports another area (what two
areas share lives in blueprints/common/), and no module imports itself back through
others. Read from the source with `ast`, so a lazy import inside a function counts."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("blueprints", "models", "jobs")
TOP_MODULES = ("app", "cli", "config", "demo", "extensions", "mailsink", "security")
SHARED_KIT = "common"


def project_modules():
    """{dotted name: path} of the application's code (tests, tools, bench left out)."""
    modules = {name: ROOT / f"{name}.py" for name in TOP_MODULES if (ROOT / f"{name}.py").exists()}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path, name, modules):
    """The project modules that `name` imports, wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                          else base)
    return {module for module in found if module in modules and module != name}


def import_graph():
    modules = project_modules()
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def area_of(module):
    parts = module.split(".")
    if parts[0] != "blueprints" or len(parts) < 2 or parts[1] == SHARED_KIT:
        return None
    return parts[1]


def test_no_area_imports_another():
    crossings = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items() if area_of(module)
        for target in targets
        if target.startswith("blueprints") and area_of(target) != area_of(module)
        and not target.startswith(f"blueprints.{SHARED_KIT}"))
    assert crossings == [], "areas share through blueprints/common/:\n" + "\n".join(crossings)


def test_no_import_cycle():
    graph = import_graph()
    cycles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)
