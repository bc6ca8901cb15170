"""The keymap setting is checked against the binding ids the console defines."""

from __future__ import annotations

from console.settings.keymap import cleaned, keymap_problems

KNOWN = {"app.quit", "view.buckets", "help.open"}


def test_a_good_keymap_has_no_problems():
    assert keymap_problems({"app.quit": "x", "view.buckets": "b,ctrl+b"}, KNOWN) == []


def test_an_unknown_id_is_named_with_the_known_ones():
    (problem,) = keymap_problems({"view.bukets": "b"}, KNOWN)
    assert "'view.bukets'" in problem and "view.buckets" in problem and "app.quit" in problem


def test_an_entry_without_keys_is_reported():
    (problem,) = keymap_problems({"app.quit": " , "}, KNOWN)
    assert "'app.quit'" in problem and "no key" in problem


def test_cleaned_keeps_only_usable_entries():
    keymap = {"app.quit": " x , ctrl+x ", "view.bukets": "b", "help.open": ""}
    assert cleaned(keymap, KNOWN) == {"app.quit": "x,ctrl+x"}
