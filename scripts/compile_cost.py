#!/usr/bin/env python3
"""Compile cost of `#[derive(Model)]` against serde's `Serialize` + `Deserialize`.

Generates two crates of 100 structs with 2 relations each: one derives
`Model` (relations as `ManyToMany<T>`), the other derives serde's two traits
on the same structs (relations as `Vec<i64>` of keys). Dependencies are built
once; then each crate's own compilation is timed (`touch src/lib.rs; cargo
build`), several times, and the medians compared. Writes
target/m2m-bench/compile.json.

Usage: python3 scripts/compile_cost.py [--runs N]
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "m2m-bench"
WORK = OUT / "compile-cost"
MODELS = 100


def model_crate() -> str:
    lines = ["#![allow(dead_code)]", "use m2m::{ManyToMany, Model};", ""]
    for i in range(MODELS):
        a, b = (i + 1) % MODELS, (i + 2) % MODELS
        lines += [
            "#[derive(Model, Debug, Clone)]",
            f"pub struct M{i} {{",
            "    pub id: i64,",
            "    pub name: String,",
            "    pub score: Option<f64>,",
            f'    #[many_to_many(related_name = "r{i}_first")]',
            f"    pub first: ManyToMany<M{a}>,",
            f'    #[many_to_many(related_name = "r{i}_second")]',
            f"    pub second: ManyToMany<M{b}>,",
            "}",
            "",
        ]
    return "\n".join(lines)


def serde_crate() -> str:
    lines = ["#![allow(dead_code)]", "use serde::{Deserialize, Serialize};", ""]
    for i in range(MODELS):
        lines += [
            "#[derive(Serialize, Deserialize, Debug, Clone)]",
            f"pub struct M{i} {{",
            "    pub id: i64,",
            "    pub name: String,",
            "    pub score: Option<f64>,",
            "    pub first: Vec<i64>,",
            "    pub second: Vec<i64>,",
            "}",
            "",
        ]
    return "\n".join(lines)


def write_crate(name: str, deps: str, source: str) -> Path:
    d = WORK / name
    (d / "src").mkdir(parents=True, exist_ok=True)
    (d / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
        f"[dependencies]\n{deps}\n\n[workspace]\n"
    )
    (d / "src" / "lib.rs").write_text(source)
    return d


def build(d: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(["cargo", "build", "--quiet"], cwd=d, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    core = (ROOT / "m2m").as_posix()
    crates = {
        "m2m": write_crate("cc-m2m", f'm2m = {{ path = "{core}" }}', model_crate()),
        "serde": write_crate("cc-serde", 'serde = { version = "1", features = ["derive"] }', serde_crate()),
    }
    env = dict(os.environ, CARGO_TARGET_DIR=str(WORK / "target"), CARGO_INCREMENTAL="0")
    results = {}
    for name, d in crates.items():
        build(d, env)  # dependencies, once
        times = []
        for _ in range(runs):
            (d / "src" / "lib.rs").touch()
            times.append(build(d, env))
        results[name] = {"median_s": round(statistics.median(times), 3), "runs": [round(t, 3) for t in times]}
        print(f"{name:>6}: {results[name]['median_s']:.2f} s (runs {results[name]['runs']})")
    ratio = results["m2m"]["median_s"] / results["serde"]["median_s"]
    print(f" ratio: {ratio:.2f} (m2m / serde)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "compile.json").write_text(
        json.dumps({"models": MODELS, "relations_per_model": 2, "results": results, "ratio": round(ratio, 3)}, indent=2)
    )


if __name__ == "__main__":
    main()
