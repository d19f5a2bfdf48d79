"""Benchmark `ankigen` on synthetic card trees: wall time and peak memory, against genanki.

    python bench/bench.py [--sizes 1000,10000,100000] [--quick] [--repeat N] [--keep]

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

HERE = Path(__file__).resolve().parent
SECTIONS = 10

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


# A fresh process per measurement: RUSAGE_CHILDREN's ru_maxrss is the max over every child
# a process has waited for, so it only isolates one target when that is the only child.
_WRAPPER = """
import json, os, resource, subprocess, sys, tempfile, time

def tree_pss_kib(root):
    # Proportional set size summed over the process and its descendants (a build may
    # fork a worker): each page they share counts once in the sum, split between them.
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
sampled = 0
while proc.poll() is None:
    if os.path.isdir("/proc"):
        sampled = max(sampled, tree_pss_kib(proc.pid))
    time.sleep(0.1)
wall = time.perf_counter() - start
rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, sampled)
out.seek(0); err.seek(0)
print(json.dumps({"wall": wall, "rss": rss, "rc": proc.returncode,
                  "out": out.read(), "err": err.read()}))
"""
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


@dataclass
class Run:
    wall: float
    rss_mb: float
    out: str


def run_once(cmd: list[str], env: dict[str, str]) -> Run:
    wrapped = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(wrapped.stdout)
    if result["rc"] != 0:
        sys.exit(f"{' '.join(cmd)} exited {result['rc']}:\n{result['err'][-2000:]}")
    return Run(result["wall"], result["rss"] * _RSS_UNIT / 2**20, result["out"])


@dataclass
class Measure:
    wall: float  # median
    rss_mb: float  # highest peak over the repeats
    out: str  # of the last run


def measure(cmd: list[str], env: dict[str, str], repeat: int, before=None) -> Measure:
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(run_once(cmd, env))
    return Measure(
        statistics.median(r.wall for r in runs), max(r.rss_mb for r in runs), runs[-1].out
    )


def totals(output: str) -> tuple[int, int]:
    found = [tuple(map(int, m)) for m in re.findall(r"(\d+) notes, (\d+) cards", output)]
    return sum(n for n, _ in found), sum(c for _, c in found)


def fresh(folder: Path):
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def bench_size(size: int, work: Path, env: dict[str, str], repeat: int, ankigen: list[str]):
    sections = make_sections(size)
    cards_dir, out, base_out = work / f"cards-{size}", work / f"decks-{size}", work / f"base-{size}"
    write_tree(sections, cards_dir)
    notes, anki_cards = expected_counts(sections)
    build_cmd = [*ankigen, "build", "--cards", str(cards_dir), "--out", str(out)]
    results = {
        "build": measure(build_cmd, env, repeat, fresh(out)),
        "rebuild (no change)": measure(build_cmd, env, repeat),
        "build --check": measure([*build_cmd, "--check"], env, repeat),
        "baseline (genanki)": measure(
            [sys.executable, str(HERE / "baseline.py"), str(size), str(base_out)],
            env,
            repeat,
            fresh(base_out),
        ),
    }
    # The comparison only means something if both sides made the same notes and cards.
    for name in ("build", "baseline (genanki)"):
        if totals(results[name].out) != (notes, anki_cards):
            sys.exit(
                f"{name} at {size}: made {totals(results[name].out)} (notes, cards), "
                f"expected {(notes, anki_cards)}"
            )
    rebuild = results["rebuild (no change)"].out
    if "(written;" in rebuild:
        sys.exit(f"rebuild at {size} rewrote a deck; it should have changed nothing:\n{rebuild}")
    return results, (notes, anki_cards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="card entries per tree, comma-separated"
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
        bench_size(50, work / "warmup", env, 1, ankigen)
        results, counts = {}, {}
        for size in sizes:
            print(f"running {size} cards ...", file=sys.stderr, flush=True)
            repeat = args.repeat or (3 if size <= 10_000 else 1)
            results[size], counts[size] = bench_size(size, work, env, repeat, ankigen)
        help_run = measure([*ankigen, "--help"], env, args.repeat or 3)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(sizes, results, counts, help_run)


def report(sizes, results, counts, help_run: Measure) -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Machine: nproc {cpus}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}\n"
    )
    print("| cards | notes | Anki cards | command | median wall s | peak memory MB | × baseline |")
    print("|---:|---:|---:|---|---:|---:|---:|")
    for size in sizes:
        base = results[size]["baseline (genanki)"].wall
        for name, m in results[size].items():
            print(
                f"| {size:,} | {counts[size][0]:,} | {counts[size][1]:,} | {name} "
                f"| {m.wall:.2f} | {m.rss_mb:.0f} | {m.wall / base:.2f} |"
            )
    print(f"| – | – | – | --help | {help_run.wall:.3f} | {help_run.rss_mb:.0f} | |\n")

    def wall(size: int, name: str) -> float:
        return results[size][name].wall

    print("Ratios:")
    for size in sizes:
        build = wall(size, "build")
        print(
            f"- {size:,} cards: build/baseline {build / wall(size, 'baseline (genanki)'):.2f}, "
            f"rebuild/build {wall(size, 'rebuild (no change)') / build:.2f}, "
            f"check/build {wall(size, 'build --check') / build:.2f}"
        )
    ordered = sorted(sizes)
    for small, large in zip(ordered, ordered[1:], strict=False):
        print(
            f"- build time {large:,}/{small:,}: "
            f"{wall(large, 'build') / wall(small, 'build'):.2f} (for {large / small:g}× the cards)"
        )


if __name__ == "__main__":
    main()
