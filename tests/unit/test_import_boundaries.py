"""The boundaries of DESIGN.md, checked on the source and in fresh interpreters.

- console.ui never imports boto3, botocore, paramiko or subprocess (source), and loading
  the UI loads no boto3/botocore;
- importing every console module loads no torch and no trainer;
- importing every trainer module loads no console and no textual;
- the backends (everything in console outside the UI and the app) load no textual.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import console
import trainer

ROOT = Path(__file__).resolve().parents[2]
UI_DIR = ROOT / "console" / "ui"
UI_FORBIDDEN = {"boto3", "botocore", "paramiko", "subprocess"}
#: modules allowed to load textual: the UI itself and the app factory
UI_MODULES = ("console.ui", "console.app")


def all_modules(package) -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
    )


def imported_top_levels(path: Path) -> set[str]:
    """Top-level package names a module's import statements name (anywhere in the file)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def loaded_after_importing(modules: list[str]) -> set[str]:
    """The top-level packages in sys.modules after a fresh interpreter imports ``modules``."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=240
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_ui_source_imports_no_backend_library():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & UI_FORBIDDEN)
        for path in sorted(UI_DIR.rglob("*.py"))
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}
    assert len(list(UI_DIR.rglob("*.py"))) > 5  # the walk really saw the UI


def test_loading_the_ui_loads_no_aws_library():
    """The UI gets AWS data as models from ``services``: loading it must not load boto3.

    (paramiko is allowed to arrive indirectly: host-side modules the UI may use, such as
    the GPU monitor, import the host layer, whose package loads the SSH host.)
    """
    modules = [m for m in all_modules(console) if m.startswith(UI_MODULES)]
    assert "console.ui.main_screen" in modules and "console.app" in modules
    loaded = loaded_after_importing(modules)
    assert "textual" in loaded
    assert loaded & {"boto3", "botocore"} == set()


def test_console_loads_no_torch_or_trainer():
    loaded = loaded_after_importing(all_modules(console))
    assert "console" in loaded
    assert loaded & {"torch", "torchvision", "trainer"} == set()


@pytest.mark.slow
def test_trainer_loads_no_console_or_textual():
    loaded = loaded_after_importing(all_modules(trainer))
    assert "trainer" in loaded
    assert loaded & {"console", "textual"} == set()


def test_backends_load_no_textual():
    backends = [m for m in all_modules(console) if not m.startswith(UI_MODULES)]
    assert "console.aws.ec2.service" in backends and "console.hosts.ssh.host" in backends
    loaded = loaded_after_importing(backends)
    assert "boto3" in loaded  # the walk really imported the backends
    assert "textual" not in loaded


def test_import_linter_contracts_are_kept(tmp_path: Path):
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    linter = config["tool"]["importlinter"]
    # the contracts forbid external packages, which import-linter only checks with this on
    lines = [
        "[tool.importlinter]",
        f"root_packages = {json.dumps(linter['root_packages'])}",
        "include_external_packages = true",
    ]
    for contract in linter["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items()]
    config_file = tmp_path / "importlinter.toml"
    config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [lint_imports, str(config_file)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout


# --- imports inside functions ---------------------------------------------------------------


def _function_level_imports(path: Path) -> list[tuple[int, bool]]:
    """(line, has a reason) of each group of imports made inside a function of ``path``,
    outside ``if TYPE_CHECKING:``. A group is the imports that follow one another in one
    block (blank lines between them allowed); its reason is a comment on one of its lines,
    on the line above its first one, or on that line's ``try:``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[tuple[int, bool]] = []

    def commented(number: int) -> bool:
        return "#" in lines[number - 1]

    def walk(node: ast.AST, in_function: bool) -> None:
        group: list[ast.stmt] = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            is_import = isinstance(child, ast.Import | ast.ImportFrom)
            if is_import and in_function:
                group.append(child)
                continue
            if group:
                found.append(_judge(group, lines, commented))
                group = []
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))
        if group:
            found.append(_judge(group, lines, commented))

    walk(ast.parse("\n".join(lines)), False)
    return found


def _judge(group, lines, commented) -> tuple[int, bool]:
    first = group[0].lineno
    above = lines[first - 2].strip() if first >= 2 else ""
    reason = (
        any(commented(node.lineno) for node in group)
        or above.startswith("#")
        or (above.startswith("try:") and "#" in above)
    )
    return first, reason


def test_every_import_inside_a_function_says_why():
    """Function-level imports stay only where they keep start-up fast (or a layer's door
    closed until used), each with a one-line reason; a cycle must not hide behind one."""
    missing = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "console").rglob("*.py"))
        if "remote_helpers" not in path.parts  # shipped to hosts as text: their own rules
        for line, reason in _function_level_imports(path)
        if not reason
    ]
    assert missing == []
