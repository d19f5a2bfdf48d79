"""Benchmark `ankigen` on two kinds of card trees: wall time and peak memory, against genanki.

    python bench/bench.py [--sizes 1000,10000,100000] [--trees synthetic,real] [--quick]
                          [--repeat N] [--keep]

See bench/README.md for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ankigen.stamp import STAMP_NAME

HERE = Path(__file__).resolve().parent
REPO_CARDS = HERE.parent / "cards"
SECTIONS = 10
COPIES = 10  # of each of the repository's sections, in the tree made from them

NOUNS = [
    "コンテナ",
    "イメージ",
    "仮想マシン",
    "ハイパーバイザ",
    "ボリューム",
    "ネットワーク",
    "ホストOS",
    "ゲストOS",
    "カーネル",
    "レジストリ",
    "スナップショット",
    "ブリッジ",
    "ポート",
    "プロセス",
    "名前空間",
    "共有フォルダ",
    "ベースボックス",
    "デーモン",
]
VERBS = ["作成する", "削除する", "起動する", "停止する", "一覧表示する", "共有する", "隔離する"]
COMMANDS = [
    "docker run --name <名前> -d -p {port}:80 <イメージ名>",
    "docker exec -it <コンテナ名> /bin/bash",
    "docker volume create <ボリューム名>",
    "docker network connect <ネットワーク名> <コンテナ名>",
    "docker logs -f --tail {n} <コンテナ名>",
    "docker compose -p <プロジェクト名> up -d",
    "vagrant ssh <マシン名>",
    "VBoxManage startvm <VM名> --type headless",
]
CELLS = ["○", "×", "ポートフォワーディング設定時のみ", "同じネットワーク内のみ"]
TOPICS = ["network", "compose", "vagrant", "image", "volume"]


def _sentence(rng: random.Random) -> str:
    a, b, c = rng.sample(NOUNS, 3)
    return f"{a}の{b}を{rng.choice(VERBS)}ための{c}"


def _card(rng: random.Random, card_id: str) -> dict:
    roll = rng.random()
    card: dict = {"id": card_id}
    if roll < 0.4:
        card |= {"kind": "term", "term": f"{rng.choice(NOUNS)}（{card_id}）"}
        card["meaning"] = _sentence(rng)
        if rng.random() < 0.3:
            card["reverse"] = True
    elif roll < 0.7:
        command = rng.choice(COMMANDS).format(port=rng.randint(1024, 65535), n=rng.randint(1, 500))
        card |= {"kind": "command", "command": command, "meaning": _sentence(rng)}
    elif roll < 0.9:
        items = [_sentence(rng) for _ in range(rng.randint(3, 5))]
        card |= {"kind": "cloze", "prompt": f"{rng.choice(NOUNS)}の特徴", "items": items}
    else:
        rows = [{"key": f"r{i}", "label": label} for i, label in enumerate(rng.sample(NOUNS, 3))]
        columns = [
            {"key": f"c{i}", "label": f"{label}との通信"}
            for i, label in enumerate(rng.sample(NOUNS, 3))
        ]
        cells = {r["key"]: {c["key"]: rng.choice(CELLS) for c in columns} for r in rows}
        card |= {
            "kind": "table",
            "title": f"{rng.choice(NOUNS)}の比較",
            "rows": rows,
            "columns": columns,
            "cells": cells,
        }
    if rng.random() < 0.5:
        card["note"] = f"{_sentence(rng)}。`docker ps -a` で確認できる。"
    card["tags"] = [rng.choice(TOPICS)]
    return card


def make_sections(size: int) -> list[dict]:
    """`size` card entries over 10 sections, as the YAML files hold them. Seeded by size."""
    rng = random.Random(size)
    sections = []
    for s in range(SECTIONS):
        count = size // SECTIONS + (s < size % SECTIONS)
        sid = f"s{s:02d}"
        cards = [_card(rng, f"{sid}-c{i:06d}") for i in range(count)]
        sections.append(
            {
                "id": sid,
                "title": f"ベンチマーク {sid}",
                "deck": f"Bench::{sid}",
                "tags": ["bench"],
                # The commands hold placeholders, which a typed answer may not.
                "typed": False,
                "cards": cards,
            }
        )
    return sections


def expected_counts(sections: list[dict]) -> tuple[int, int]:
    """(notes, Anki cards) the README's kind table promises for these cards."""
    notes = cards = 0
    for card in (c for s in sections for c in s["cards"]):
        if card["kind"] == "table":
            cells = len(card["rows"]) * len(card["columns"])
            notes, cards = notes + cells, cards + cells
        else:
            notes += 1
            cards += {"term": 1 + card.get("reverse", False), "command": 2}.get(
                card["kind"], len(card.get("items", ()))
            )
    return notes, cards


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: object) -> bool:
        return True  # ankigen refuses anchors/aliases in card files


def write_tree(sections: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True)
    for section in sections:
        with (folder / f"{section['id']}.yaml").open("w", encoding="utf-8") as f:
            yaml.dump(section, f, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def write_real_tree(size: int, folder: Path) -> None:
    """This repository's own cards made into a tree of about `size` cards: each section
    copied COPIES times (its own section id and deck), each copy's card list repeated
    (or cut) to its share of `size`, every card with a fresh id; images included."""
    folder.mkdir(parents=True)
    shutil.copytree(REPO_CARDS / "images", folder / "images")
    # Not the dot file (.ankigen.yaml, lint settings): Path.glob("*") matches it.
    files = sorted(f for f in REPO_CARDS.glob("*.yaml") if not f.name.startswith("."))
    share = size // (len(files) * COPIES)
    for file in files:
        section = yaml.safe_load(file.read_text(encoding="utf-8"))
        cards = section["cards"]
        for copy in range(COPIES):
            repeated = []
            for i in range(share):
                card = cards[i % len(cards)]
                repeated.append({**card, "id": f"{card['id']}-c{copy:02d}-r{i // len(cards)}"})
            data = {
                **section,
                "id": f"{section['id']}-c{copy:02d}",
                "deck": f"{section['deck']} {copy:02d}",
                "cards": repeated,
            }
            with (folder / f"{data['id']}.yaml").open("w", encoding="utf-8") as f:
                yaml.dump(data, f, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def edit_one_card(folder: Path) -> None:
    """Change one card's text in the middle file of the tree (a new text each time)."""
    files = sorted(folder.glob("*.yaml"))
    path = files[len(files) // 2]
    text = path.read_text(encoding="utf-8")
    at = text.index("meaning: ") + len("meaning: ")
    end = text.index("\n", at)
    value = text[at:end]
    quote = value[:1] if value[:1] in "'\"" else ""
    inner = value[len(quote) : len(value) - len(quote)] if quote else value
    path.write_text(f"{text[:at]}{quote}{inner}x{quote}{text[end:]}", encoding="utf-8")


# A fresh process per measurement: RUSAGE_CHILDREN's ru_maxrss is the max over every child
# a process has waited for, so it only isolates one target when that is the only child.
_WRAPPER = """
import json, os, resource, subprocess, sys, tempfile, threading, time

def tree_pss_kib(root):
    # Proportional set size summed over the process and its descendants (a build is one
    # process today; a future one might not be): each page they share counts once.
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    tree, total = {root}, 0
    for pid in sorted(parents):
        if parents[pid] in tree:
            tree.add(pid)
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total

out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=out, stderr=err, text=True)
sampled, stop = [0], threading.Event()

def sample():
    while os.path.isdir("/proc") and not stop.wait(0.05):
        sampled[0] = max(sampled[0], tree_pss_kib(proc.pid))

# Sampled beside the wait, not between polls: the end is timed when it happens, not at
# the next poll (which added up to 0.1 s to every figure).
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
proc.wait()
wall = time.perf_counter() - start
stop.set()
sampler.join()
sampled = sampled[0]
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss = max(usage.ru_maxrss, sampled)
cpu = usage.ru_utime + usage.ru_stime
out.seek(0); err.seek(0)
print(json.dumps({"wall": wall, "cpu": cpu, "rss": rss, "rc": proc.returncode,
                  "out": out.read(), "err": err.read()}))
"""
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds: less disturbed than wall time by a loaded machine
    rss_mb: float
    out: str


def run_once(cmd: list[str], env: dict[str, str]) -> Run:
    wrapped = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(wrapped.stdout)
    if result["rc"] != 0:
        sys.exit(f"{' '.join(cmd)} exited {result['rc']}:\n{result['err'][-2000:]}")
    return Run(result["wall"], result["cpu"], result["rss"] * _RSS_UNIT / 2**20, result["out"])


@dataclass
class Measure:
    wall: float  # median
    cpu: float  # median
    rss_mb: float  # highest peak over the repeats
    out: str  # of the last run


def measure(cmd: list[str], env: dict[str, str], repeat: int, before=None) -> Measure:
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(run_once(cmd, env))
    return Measure(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.rss_mb for r in runs),
        runs[-1].out,
    )


def totals(output: str) -> tuple[int, int]:
    found = [tuple(map(int, m)) for m in re.findall(r"(\d+) notes, (\d+) cards", output)]
    return sum(n for n, _ in found), sum(c for _, c in found)


def fresh(folder: Path):
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def bench_size(
    tree: str, size: int, work: Path, env: dict[str, str], repeat: int, ankigen: list[str]
):
    cards_dir = work / f"{tree}-cards-{size}"
    out, base_out = work / f"{tree}-decks-{size}", work / f"{tree}-base-{size}"
    expected = None
    if tree == "synthetic":
        sections = make_sections(size)
        write_tree(sections, cards_dir)
        expected = expected_counts(sections)
    else:
        write_real_tree(size, cards_dir)
    build_cmd = [*ankigen, "build", "--cards", str(cards_dir), "--out", str(out)]
    results = {"build": measure(build_cmd, env, repeat, fresh(out))}
    results["rebuild (no change)"] = measure(build_cmd, env, repeat)
    results["build --check"] = measure([*build_cmd, "--check"], env, repeat)
    # A build without the last one's record (an upgrade of ankigen, whose version the
    # record holds, makes every record stale): every previous deck is read back.
    results["rebuild (no record)"] = measure(
        build_cmd, env, repeat, lambda: (out / STAMP_NAME).unlink(missing_ok=True)
    )
    # The baseline writes what the build wrote (before any edit).
    base_cmd = [sys.executable, str(HERE / "baseline.py"), str(out), str(base_out)]
    results["baseline (genanki)"] = measure(base_cmd, env, repeat, fresh(base_out))
    results["rebuild (1 card edited)"] = measure(
        build_cmd, env, repeat, lambda: edit_one_card(cards_dir)
    )
    counts = totals(results["build"].out)
    if expected is not None and counts != expected:
        sys.exit(f"build of {tree} {size}: made {counts} (notes, cards), expected {expected}")
    if totals(results["baseline (genanki)"].out) != counts:
        sys.exit(f"baseline of {tree} {size} made {totals(results['baseline (genanki)'].out)}")
    for name in ("rebuild (no change)", "rebuild (no record)"):
        if "(written;" in results[name].out:
            sys.exit(f"{name} at {size} rewrote a deck; it should not have:\n{results[name].out}")
    edited = results["rebuild (1 card edited)"].out
    if edited.count("(written;") != 1 or "1 changed" not in edited:
        sys.exit(f"rebuild after one edit at {size} did not write one changed deck:\n{edited}")
    return results, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="card entries per tree, comma-separated"
    )
    parser.add_argument(
        "--trees", default="synthetic,real", help="which trees: synthetic, real, or both"
    )
    parser.add_argument("--quick", action="store_true", help="same as --sizes 1000")
    parser.add_argument(
        "--repeat", type=int, help="runs per measurement (default: 3, or 1 above 10k cards)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and print it")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]

    work = Path(tempfile.mkdtemp(prefix="ankigen-bench-"))
    # The installed packages' own bytecode caches are used, as a user's runs would use
    # them; the warm-up compiles anything not yet cached before a measured run.
    env = dict(os.environ)
    ankigen = [sys.executable, "-m", "ankigen"]
    try:
        bench_size("synthetic", 50, work / "warmup", env, 1, ankigen)
        results, counts = {}, {}
        trees = args.trees.split(",")
        for tree in trees:
            for size in sizes:
                print(f"running {tree} {size} cards ...", file=sys.stderr, flush=True)
                repeat = args.repeat or (3 if size <= 10_000 else 1)
                results[tree, size], counts[tree, size] = bench_size(
                    tree, size, work, env, repeat, ankigen
                )
        help_run = measure([*ankigen, "--help"], env, args.repeat or 5)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report([(t, s) for t in trees for s in sizes], results, counts, help_run)


def baseline_seconds(m: Measure) -> tuple[float, float]:
    """genanki's writing time (wall, CPU), as baseline.py reports it: reading the decks
    back is not its work."""
    found = re.search(r"^write: ([0-9.]+) s, cpu ([0-9.]+) s$", m.out, re.M)
    assert found, m.out
    return float(found.group(1)), float(found.group(2))


def report(runs, results, counts, help_run: Measure) -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Machine: nproc {cpus}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, load average {load:.2f} at the end\n"
    )
    print(
        "| tree | cards | notes | Anki cards | command | median wall s | median CPU s "
        "| peak memory MB | × baseline (CPU) | × build (CPU) |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for tree, size in runs:
        res = results[tree, size]
        base_wall, base_cpu = baseline_seconds(res["baseline (genanki)"])
        build = res["build"].cpu
        notes, cards = counts[tree, size]
        for name, m in res.items():
            wall, cpu = (base_wall, base_cpu) if name == "baseline (genanki)" else (m.wall, m.cpu)
            print(
                f"| {tree} | {size:,} | {notes:,} | {cards:,} | {name} | {wall:.2f} | {cpu:.2f} "
                f"| {m.rss_mb:.0f} | {cpu / base_cpu:.2f} | {cpu / build:.2f} |"
            )
    print(
        f"| – | – | – | – | --help | {help_run.wall:.3f} | {help_run.cpu:.3f} "
        f"| {help_run.rss_mb:.0f} | | |\n"
    )


if __name__ == "__main__":
    main()
