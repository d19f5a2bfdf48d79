"""`build --watch`: what counts as a change, and when a change is settled enough to build.

Pure functions, no clocks: the state of a folder tree, and the debounce decision fed with
made-up times.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ankigen import watch
from ankigen.watch import Debounce, ignored, tree_state


def _tree(root: Path) -> Path:
    cards = root / "cards"
    (cards / "images" / "net").mkdir(parents=True)
    (cards / "a.yaml").write_text("id: a\n", encoding="utf-8")
    (cards / "images" / "net" / "bridge.svg").write_text("<svg/>", encoding="utf-8")
    return cards


def test_an_image_in_a_subfolder_is_watched(tmp_path):
    cards = _tree(tmp_path)
    before = tree_state(cards)
    assert before is not None
    assert {path for path, _, _ in before} == {"a.yaml", "images/net/bridge.svg"}

    (cards / "images" / "net" / "bridge.svg").write_text("<svg></svg>", encoding="utf-8")
    assert tree_state(cards) != before


def test_a_touched_file_is_a_change_even_with_the_same_size(tmp_path):
    cards = _tree(tmp_path)
    os.utime(cards / "a.yaml", ns=(1_000_000_000, 1_000_000_000))
    before = tree_state(cards)
    os.utime(cards / "a.yaml", ns=(2_000_000_000, 2_000_000_000))
    assert tree_state(cards) != before


def test_added_and_removed_files_and_folders_are_changes(tmp_path):
    cards = _tree(tmp_path)
    before = tree_state(cards)
    (cards / "b.yaml").write_text("id: b\n", encoding="utf-8")
    assert tree_state(cards) != before
    (cards / "b.yaml").unlink()
    assert tree_state(cards) == before
    (cards / "images" / "net" / "bridge.svg").unlink()
    assert tree_state(cards) != before


@pytest.mark.parametrize(
    "name", [".a.yaml.swp", "a.yaml~", ".#a.yaml", "#a.yaml#", "4913", ".git", ".DS_Store"]
)
def test_editor_files_and_dot_files_are_not_changes(tmp_path, name):
    cards = _tree(tmp_path)
    before = tree_state(cards)
    assert ignored(name)
    (cards / name).write_text("x", encoding="utf-8")
    (cards / "images" / name).mkdir()
    assert tree_state(cards) == before


def test_card_and_image_names_are_not_ignored():
    names = ["a.yaml", "b.yml", "bridge.svg", "images", "x-1.png", ".ankigen.yaml"]
    assert not any(ignored(n) for n in names)


def test_a_file_vanishing_during_the_scan_means_look_again(tmp_path, monkeypatch):
    cards = _tree(tmp_path)
    real_scandir = os.scandir

    def vanishing(path):
        if Path(path).name == "net":
            raise FileNotFoundError(path)  # removed between listing its parent and opening it
        return real_scandir(path)

    monkeypatch.setattr(watch.os, "scandir", vanishing)
    assert tree_state(cards) is None
    assert tree_state(tmp_path / "no such folder") is None


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_link_to_nothing_does_not_stop_the_watch(tmp_path):
    cards = _tree(tmp_path)
    (cards / "dangling.yaml").symlink_to(tmp_path / "nowhere")
    state = tree_state(cards)
    assert state is not None and ("dangling.yaml", -1, -1) in state


A = frozenset({("a.yaml", 1, 10)})
B = frozenset({("a.yaml", 2, 12)})
C = frozenset({("a.yaml", 3, 0)})


def test_a_change_builds_once_after_the_tree_stays_the_same_for_the_settle_time():
    debounce = Debounce(A, settle=0.3)
    assert not debounce.observe(A, 0.0)  # nothing changed
    assert not debounce.settling()
    assert not debounce.observe(B, 1.0)  # changed: wait
    assert debounce.settling()
    assert not debounce.observe(B, 1.2)  # same for 0.2 s: not yet
    assert debounce.observe(B, 1.35)  # same for 0.35 s: build
    assert not debounce.settling()
    assert not debounce.observe(B, 5.0)  # built already


def test_a_save_in_several_writes_builds_once_at_the_end():
    debounce = Debounce(A, settle=0.3)
    decisions = [debounce.observe(state, t) for state, t in [(C, 1.0), (B, 1.1), (B, 1.3)]]
    assert decisions == [False, False, False]  # the truncated file C is never built
    assert debounce.observe(B, 1.5)


def test_an_unreadable_tree_waits_until_it_can_be_read_and_stays_the_same():
    debounce = Debounce(A, settle=0.3)
    assert not debounce.observe(None, 1.0)
    assert not debounce.observe(None, 2.0)  # still vanishing: never build on it
    assert not debounce.observe(B, 2.1)
    assert debounce.observe(B, 2.5)


def test_a_change_undone_before_it_settles_builds_nothing():
    debounce = Debounce(A, settle=0.3)
    assert not debounce.observe(B, 1.0)
    assert not debounce.observe(A, 1.1)
    assert not debounce.observe(A, 2.0)
    assert not debounce.settling()
