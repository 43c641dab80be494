"""The layout: the commands and the stage subpackages at the top of
`colorize`, one import direction without circles (`lint-imports`, the
contracts in pyproject.toml), thin commands, and a README that lists every
subpackage."""

import ast
import os
import re
import tomllib

from importlinter import cli as import_linter

from helpers import REPO

PACKAGE = os.path.join(REPO, "colorize")
COMMANDS = ("predict", "train", "evaluate", "export", "demo")
SUBPACKAGES = {"nets", "data", "training", "serving", "inference", "evaluation", "app", "weights"}


def test_imports_keep_the_contracts(monkeypatch):
    # Every import counts, at the top of a module or inside a function.
    monkeypatch.chdir(REPO)
    status = import_linter.lint_imports(os.path.join(REPO, "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == 0, "lint-imports: a contract is broken (run it for the details)"


def test_the_top_of_the_package_is_the_commands_and_the_stages():
    entries = os.listdir(PACKAGE)
    modules = sorted(e for e in entries if e.endswith(".py"))
    packages = {e for e in entries if os.path.isfile(os.path.join(PACKAGE, e, "__init__.py"))}
    assert len(modules) <= 14, modules
    assert {f"{c}.py" for c in COMMANDS} <= set(modules)
    assert packages == SUBPACKAGES


def test_the_commands_are_thin():
    for command in COMMANDS:
        with open(os.path.join(PACKAGE, f"{command}.py")) as f:
            lines = f.read().count("\n")
        assert lines <= 250, f"colorize/{command}.py has {lines} lines: its library part belongs in a stage"


def test_the_readme_layout_table_lists_every_subpackage():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    layout = readme[readme.index("## Layout") :]
    listed = set(re.findall(r"^\| `colorize/(\w+)/`", layout, re.M))
    assert listed == SUBPACKAGES


def test_console_scripts_run_what_python_m_runs():
    # `python -m colorize.X` runs the module's `if __name__ == "__main__":`
    # block; the console script must call the function that block calls.
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert sorted(scripts) == sorted(f"colorize-{c}" for c in COMMANDS)
    for script, target in scripts.items():
        module, function = target.split(":")
        assert module == f"colorize.{script.removeprefix('colorize-')}"
        with open(os.path.join(REPO, *module.split(".")) + ".py") as f:
            tree = ast.parse(f.read())
        main_block = [node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
        assert len(main_block) == 1, module
        called = {
            n.func.id for n in ast.walk(main_block[0]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert function in called, (script, target, called)


def test_only_colorize_is_installed():
    # experiments/ and dataset_builder/ stay in the checkout (colorize.data.build
    # finds the builder there).
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["colorize", "colorize.*"]
