"""The scripts shipped to hosts must run on a bare python3: standard library only."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from console.files.remote_helpers import python_command, script_source

HELPERS = ["count_tree", "unpack_archives"]


@pytest.mark.parametrize("name", HELPERS)
def test_helper_imports_only_the_standard_library(name):
    tree = ast.parse(script_source(name))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported, "the helper imports something"
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.parametrize("name", HELPERS)
def test_helper_runs_isolated_from_this_project(name, tmp_path):
    """``-I -S``: no site-packages, no project on sys.path, started in an empty folder."""
    argv = python_command(name, "--", str(tmp_path), python=sys.executable)
    argv[1:1] = ["-I", "-S"]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"event": "result"' in result.stdout
