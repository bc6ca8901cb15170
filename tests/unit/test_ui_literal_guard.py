"""Every path by which the UI draws text reads no markup: a structural guard over console/ui.

Textual reads a ``str`` as markup in Static and Label content, DataTable cells and column
labels, OptionList and Select prompts, tooltips, border titles, notifications and the
command palette; and it writes control characters to the terminal as they are. The UI
therefore takes those widgets from ``console.ui.common.literal`` (literal twins), builds
styled text with ``console.ui.common.text`` (never ``from_markup``), and the app's notifications
and header go through ``console.ui.common.text.LiteralApp``. This test reads the source of
console/ui and console/app.py and refuses anything that would bring markup back, so a new
panel cannot: it either uses the twins or fails here, with the line to change.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "console" / "ui"
SOURCES = sorted([*UI.rglob("*.py"), ROOT / "console" / "app.py"])
#: the two modules that wrap Textual's markup-reading parts, and may name them
WRAPPERS = {UI / "common" / "text.py", UI / "common" / "literal.py"}

#: Textual widgets the UI may take from Textual itself: they show no outside text (their
#: labels are our own words: Button, Checkbox, TabbedContent, TabPane, Tabs), or show what
#: the user typed (Input: it reads no markup but draws its value as it is, so the UI puts
#: only the user's own words in one), or no text at all (ProgressBar, Sparkline,
#: ContentSwitcher); Header and Footer draw titles and keys the app makes literal
#: (LiteralApp.format_title).
#: Any other (Static, Label, DataTable, OptionList, Select, TextArea, Log, RichLog, Tree,
#: Markdown, …) comes from console.ui.common.literal, or gets a literal twin there first.
TEXTUAL_WIDGETS_ALLOWED = {
    "Button",
    "Checkbox",
    "ContentSwitcher",
    "Footer",
    "Header",
    "Input",
    "ProgressBar",
    "Sparkline",
    "Switch",
    "TabbedContent",
    "TabPane",
    "Tabs",
}
#: calls that read a str as markup (or ANSI codes as commands)
MARKUP_READERS = {"from_markup", "from_ansi", "render_markup"}
#: modules that draw segments themselves, reviewed: what they draw is made safe first
#: (log_view: ansi_line; s3_object_list: format_row shows names through visible)
DRAW_SEGMENTS = {UI / "jobs" / "log_view.py", UI / "buckets" / "object_list.py"}
#: helpers whose result may be a tooltip or a border title (literal Text)
LITERAL_MAKERS = {"literal", "assemble", "lines"}
#: where the guard's own tests pretend a new module of the UI is
NEW_PANEL = UI / "files" / "new_panel.py"


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def is_constant_text(node: ast.AST | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and isinstance(node.value, str | None))


def is_literal_made(node: ast.AST | None) -> bool:
    if is_constant_text(node):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in LITERAL_MAKERS
    )


def offences(path: Path, source: str | None = None) -> list[str]:
    """What in ``path`` (or ``source`` judged as if it were ``path``) brings markup back."""
    if source is None:
        source = path.read_text(encoding="utf-8")
    found: list[str] = []
    wrapper = path in WRAPPERS
    tree = ast.parse(source, filename=str(path))
    # names given literal text somewhere in the module (``tooltip = literal(…)``)
    made = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and is_literal_made(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def literal_value(value: ast.AST) -> bool:
        return is_literal_made(value) or (isinstance(value, ast.Name) and value.id in made)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not wrapper:
            module = node.module
            if module.startswith("textual.widgets"):
                names = {alias.name for alias in node.names}
                if module != "textual.widgets" or names - TEXTUAL_WIDGETS_ALLOWED:
                    wrong = sorted(names - TEXTUAL_WIDGETS_ALLOWED) or sorted(names)
                    found.append(
                        f"{where(path, node)}: {', '.join(wrong)} from {module}: take it from "
                        "console.ui.common.literal (Textual's reads markup)"
                    )
            if module in ("rich.markup", "textual.markup"):
                found.append(f"{where(path, node)}: {module}: build Text with console.ui.common.text")
        if isinstance(node, ast.Import) and not wrapper:
            for alias in node.names:
                if alias.name.startswith(("textual.widgets", "rich.markup", "textual.markup")):
                    found.append(f"{where(path, node)}: import {alias.name}")
        if isinstance(node, ast.keyword) and node.arg == "markup":
            if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                found.append(f"{where(path, node.value)}: markup= other than False")
        if isinstance(node, ast.Attribute) and node.attr in MARKUP_READERS and not wrapper:
            found.append(f"{where(path, node)}: .{node.attr}: use console.ui.common.text")
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "highlight"
                and isinstance(func.value, ast.Name)
                and func.value.id == "matcher"
                and not wrapper
            ):
                found.append(
                    f"{where(path, node)}: Matcher.highlight reads markup: use text.highlight"
                )
            if isinstance(func, ast.Name) and func.id == "Segment" and path not in DRAW_SEGMENTS:
                text = node.args[0] if node.args else None
                padding = isinstance(text, ast.BinOp) and is_constant_text(text.left)
                if not (is_constant_text(text) or padding):
                    found.append(
                        f"{where(path, node)}: a Segment drawn from text: draw Text from "
                        "console.ui.common.text, or show the text through visible and list the module "
                        "in DRAW_SEGMENTS"
                    )
            # a Binding's tooltip is our own words, and Textual takes only a str there
            is_binding = isinstance(func, ast.Name) and func.id == "Binding"
            for keyword in node.keywords:
                if keyword.arg == "tooltip" and not is_binding and not literal_value(keyword.value):
                    found.append(f"{where(path, keyword.value)}: tooltip= from a str: literal()")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in ("tooltip", "border_title", "border_subtitle")
                    and not literal_value(node.value)
                ):
                    found.append(
                        f"{where(path, node)}: .{target.attr} = a str is read as markup: "
                        "assign literal(...) or a constant"
                    )
    return found


def test_the_ui_source_brings_no_markup_back():
    problems = [problem for path in SOURCES for problem in offences(path)]
    assert problems == []
    assert len(SOURCES) > 40  # the walk really read the UI


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("from textual.widgets import Static\n", "Static from textual.widgets"),
        ("from textual.widgets import Input, DataTable\n", "DataTable from textual.widgets"),
        ("from textual.widgets.option_list import Option\n", "Option from textual.widgets"),
        ("from rich.markup import escape\n", "rich.markup"),
        ("import textual.widgets\n", "import textual.widgets"),
        ("Label('x', markup=True)\n", "markup= other than False"),
        ("notify(message, markup=flag)\n", "markup= other than False"),
        ("Text.from_markup(name)\n", ".from_markup"),
        ("Text.from_ansi(line)\n", ".from_ansi"),
        ("matcher.highlight(title)\n", "Matcher.highlight"),
        ("Segment(row.name, style)\n", "a Segment drawn from text"),
        ("Input(tooltip=f'{name}')\n", "tooltip= from a str"),
        ("self.tooltip = sample.name\n", ".tooltip = a str"),
        ("self.border_title = bucket\n", ".border_title = a str"),
    ],
)
def test_the_guard_refuses_each_way_back_to_markup(source, complaint):
    found = offences(NEW_PANEL, source)
    assert any(complaint in problem for problem in found), found


def test_the_guard_lets_the_literal_ways_through():
    source = (
        "from textual.widgets import Input, Button\n"
        "from console.ui.common.literal import Static, DataTable\n"
        "Static(name, markup=False)\n"
        "self.tooltip = literal(sample.name)\n"
        "tip = assemble(sample.name)\n"
        "self.tooltip = tip\n"
        "Binding('x', 'y', 'Z', tooltip=f'Show the {title} view')\n"
        "Input(tooltip='our own words')\n"
        "Segment(' ' * width, style)\n"
    )
    assert offences(NEW_PANEL, source) == []


def test_the_app_makes_every_notification_and_the_header_literal():
    from textual.app import App

    from console.app import ConsoleApp
    from console.ui.common.text import LiteralApp

    mro = ConsoleApp.__mro__
    assert mro.index(LiteralApp) < mro.index(App)
    assert ConsoleApp.format_title is LiteralApp.format_title
