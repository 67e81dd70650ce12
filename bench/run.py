"""Benchmarks (issues 7, 12 and 21): build synthetic inputs and print every row of issue 12's
table as a ratio against its peer measured in the same run. Not a test: nothing here asserts a
time. Run it with the *installed* package (not an editable checkout), bytecode compiled:

    python -m venv /tmp/bench && /tmp/bench/bin/pip install . yamllint
    /tmp/bench/bin/python -m compileall -q /tmp/bench/lib
    /tmp/bench/bin/python bench/run.py               # the issue's sizes (1,200 sites, 5 MB)
    /tmp/bench/bin/python bench/run.py --sites 300   # quicker

Every lunalint and peer run is a fresh process (``sys.executable -m ...``), so interpreter
start-up is counted the same way on both sides. CPU is user + system time of the process and
its workers; peak memory is the largest resident set among them (getrusage of the children).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "tests" / "fixtures" / "samples"

# --- the synthetic estate --------------------------------------------------------------------


def brace_config(rng: random.Random, n: int) -> str:
    """A Chrystoki.conf like a real one (~3 KB): servers, HA groups, a few comments."""
    base = (SAMPLES / "Chrystoki.conf").read_text(encoding="utf-8")
    servers = "".join(
        f"   ServerName{i:02d} = hsm-{n}-{i}.example.net;\n   ServerPort{i:02d} = 1792;\n"
        f"   ServerHtl{i:02d} = 0;\n" for i in range(2, 2 + rng.randint(2, 8)))
    base = base.replace("   ServerHtl01 = 0;\n", "   ServerHtl01 = 0;\n" + servers)
    notes = "".join(f"# change {n}-{i}: reviewed by ops, ticket OPS-{rng.randint(1000, 9999)}\n"
                    for i in range(rng.randint(5, 25)))
    groups = "".join(
        f"   VirtualToken{i:02d}Label = app{n}-{i};\n   VirtualToken{i:02d}SN = 1154123456{i:04d};\n"
        f"   VirtualToken{i:02d}Members = 1541234567001, 1541234567002;\n"
        for i in range(1, rng.randint(1, 6)))
    base = base.replace("   VirtualTokenActiveRecovery", groups + "   VirtualTokenActiveRecovery")
    if rng.random() < 0.2:
        base = base.replace("   HAOnly = 1;", "   HAOnly = 0;")
    return _own_serials(notes + base, n)


def _own_serials(text: str, n: int) -> str:
    """Each site gets its own HSM serials (real sites do not share members)."""
    return (text.replace("1541234567", f"{2000000000 + n * 10:010d}"[:10])
                .replace("1541234", f"{3000000 + n:07d}"))


def ini_config(rng: random.Random, n: int) -> str:
    base = (SAMPLES / "crystoki.ini").read_text(encoding="utf-8")
    extra = "".join(f"ServerName{i:02d}=hsm-{n}-{i}.example.net\nServerPort{i:02d}=1792\n"
                    f"ServerHtl{i:02d}=0\n" for i in range(2, 2 + rng.randint(1, 6)))
    base = base.replace("ServerHtl01=0\n", "ServerHtl01=0\n" + extra)
    notes = "".join(f"; deployed by pipeline {n}-{i}\n" for i in range(rng.randint(2, 12)))
    return _own_serials(notes + base, n)


def lunacm_capture(rng: random.Random, n: int, repeat: int | None = None) -> str:
    """A LunaCM session (~5-8 KB): the sample with its policy listings repeated."""
    text = (SAMPLES / "lunacm-session.txt").read_text(encoding="utf-8")
    head, sep, tail = text.partition("lunacm:>partition showpolicies")
    block = sep + tail.split("lunacm:>slot set -slot 1")[0]
    times = repeat if repeat is not None else rng.randint(0, 2)
    return _own_serials(head + block * times + sep + tail, n)


def lunash_capture(rng: random.Random, n: int) -> str:
    text = (SAMPLES / "lunash-hsm-showpolicies.txt").read_text(encoding="utf-8")
    return _own_serials(text.replace("hsm-a", f"hsm-{n}"), n) * rng.randint(1, 2)


MIX = (  # (share of files, file name, generator)
    (0.40, "Chrystoki.conf", brace_config),
    (0.20, "crystoki.ini", ini_config),
    (0.25, "members.lunacm.txt", lunacm_capture),
    (0.15, "hsm.lunash.txt", lunash_capture),
)


def build_estate(root: Path, files: int, seed: int = 7) -> int:
    """Write ``files`` files under ``root`` (one kind per site folder); return total bytes."""
    rng = random.Random(seed)
    total = 0
    index = 0
    for share, name, make in MIX:
        for _ in range(int(files * share)):
            site = root / f"region-{index % 50:02d}" / f"site-{index:05d}"
            site.mkdir(parents=True, exist_ok=True)
            data = make(rng, index).encode("utf-8")
            (site / name).write_bytes(data)
            total += len(data)
            index += 1
    return total


def replicate(src: Path, dst: Path, times: int) -> None:
    """``dst`` holding ``times`` copies of ``src`` (hard links where possible)."""
    for i in range(times):
        target = dst / f"copy-{i}"
        try:
            shutil.copytree(src, target, copy_function=os.link)
        except OSError:
            shutil.copytree(src, target)


def ini_only(root: Path, files: int) -> int:
    rng = random.Random(11)
    total = 0
    for i in range(files):
        site = root / f"ws-{i // 100:03d}" / f"host-{i:05d}"
        site.mkdir(parents=True, exist_ok=True)
        data = ini_config(rng, i).encode("utf-8")
        (site / "crystoki.ini").write_bytes(data)
        total += len(data)
    return total


def build_sites(root: Path, sites: int, seed: int = 7) -> int:
    """``sites`` site folders, each a ``Chrystoki.conf`` and the LunaCM capture of its members
    (their own serials, so each config's groups link to its capture); returns total bytes."""
    rng = random.Random(seed)
    total = 0
    for n in range(sites):
        site = root / f"region-{n % 40:02d}" / f"site-{n:05d}"
        site.mkdir(parents=True, exist_ok=True)
        for name, text in (("Chrystoki.conf", brace_config(rng, n)),
                           ("members.lunacm.txt", lunacm_capture(rng, n))):
            data = text.encode("utf-8")
            (site / name).write_bytes(data)
            total += len(data)
    return total


# --- pathological shapes (each at n and 2n; linear work doubles) ------------------------------


def brace_flood(n: int) -> str:
    return "A = {\n" * n


def repeated_sections(n: int) -> str:
    return "".join(f"Luna = {{\n   DefaultTimeOut = {i};\n}}\n" for i in range(n))


def repeated_sessions(n: int) -> str:
    """One LunaCM session (slot list, policies, HA listing) repeated ``n`` times."""
    return lunacm_capture(random.Random(5), 0, repeat=0) * n


def many_groups(n: int) -> str:
    """A config with ``n`` HA groups sharing members (group ↔ member joins)."""
    groups = "".join(f"   VirtualToken{i:02d}Label = g{i};\n   VirtualToken{i:02d}SN = 1{i};\n"
                     f"   VirtualToken{i:02d}Members = 1541234567001, 1541234567002;\n"
                     for i in range(n))
    return "VirtualToken = {\n" + groups + "}\nHAConfiguration = {\n   HAOnly = 1;\n}\n"


# Issue 19, item 4: the readers and the sniffing of walked files.
def blank_lines(n: int) -> str:
    return "\n" * n


def yaml_blank_lines(n: int) -> str:
    pad = " " * n
    return (f"{pad}\n" + "\t" * n + "\n- " + pad + "\n"
            f"Chrystoki.conf: |\n  Misc = {{\n{pad}\n    A = 1\n  }}\n{pad}\n")


def set_values(n: int) -> str:
    return "".join(f"configurator setValue -s Misc -e Key{i} -v {i}\n" for i in range(n))


def fenced_captures(n: int) -> str:
    return "```\nMisc = {\n```\n" + "```\nlunacm:>slot list\n\nSlot Id ->  0\n```\n\n" * n


def long_password(n: int) -> str:
    word = "x" * n
    return (f"lunacm:>partition login -password {word}\nlunacm:>role login -p:{word}\n"
            f"lunacm:>ntls x -password={word} a:{word}\n")


def template_flood(n: int) -> str:
    lines = [f"   A = {opener * n}" for opener in ("{{", "{%", "{#", "<%", "${", "#{", "$(", "@@")]
    lines += ["{{/*" + " */if" * n, "<% " + " " * n + "x"]
    return "Misc = {\n" + "\n".join(lines) + "\n}\n"


def directive_flood(n: int) -> str:
    return "# " + "lunalint: ignore[" * n + "\nA = {\n"


SHAPES = (  # (name, file name, generator, n[, walk the folder instead of naming the file])
    ("brace flood (`A = {` lines)", "Chrystoki.conf", brace_flood, 10_000),
    ("repeated sections", "Chrystoki.conf", repeated_sections, 10_000),
    ("repeated sessions (capture)", "members.lunacm.txt", repeated_sessions, 150),
    ("many groups sharing members", "Chrystoki.conf", many_groups, 2_000),
    ("walked notes.txt of blank lines (64 KB at 2n)", "notes.txt", blank_lines, 32_768, True),
    ("YAML lines of blanks around a block scalar", "values.yaml", yaml_blank_lines, 20_000, True),
    ("`configurator setValue` lines", "setup.sh", set_values, 10_000, True),
    ("fenced LunaCM blocks in one runbook", "runbook.md", fenced_captures, 2_000, True),
    ("one long `-password` word in a capture", "site.lunacm.txt", long_password, 100_000),
    ("`{{` (and other openers) flood in a template", "Chrystoki.conf.j2", template_flood,
     50_000),
    ("comment of unclosed `lunalint: ignore[`", "Chrystoki.conf", directive_flood, 50_000),
)


# --- measuring -------------------------------------------------------------------------------

_PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(elapsed, use.ru_utime + use.ru_stime, use.ru_maxrss, code)
"""


@dataclass
class Run:
    wall: float  # s
    cpu: float  # s, user + system, process and workers
    rss: float  # MB, the largest process


def measure(argv: list[str], cwd: Path, env: dict | None = None) -> Run:
    """Wall time, CPU time and peak RSS of one fresh process running ``argv``."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    wall, cpu, kb, code = float(out[0]), float(out[1]), int(out[2]), int(out[3])
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    mb = kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024  # bytes on macOS
    return Run(wall, cpu, mb)


def best(argv: list[str], cwd: Path, runs: int, env: dict | None = None) -> Run:
    """The median wall time (and its CPU, the largest RSS) of ``runs`` runs."""
    got = [measure(argv, cwd, env) for _ in range(runs)]
    wall = statistics.median(r.wall for r in got)
    cpu = statistics.median(r.cpu for r in got)
    return Run(wall, cpu, max(r.rss for r in got))


LUNALINT = [sys.executable, "-m", "lunalint"]
NO_CACHE = ["--no-cache"]


def machine() -> dict[str, str]:
    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "n/a"

    from lunalint import __version__

    lark = subprocess.run([sys.executable, "-c", "import lark; print(lark.__version__)"],
                          capture_output=True, text=True).stdout.strip()
    return {"nproc": sh(["nproc"]) or str(os.cpu_count()), "free -h": sh(["free", "-h"]),
            "python": sys.version.split()[0], "platform": platform.platform(),
            "cpu": _cpu_name(), "lunalint": __version__, "lark": lark,
            "installed at": str(Path(sys.modules["lunalint"].__file__).parent)}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- import budget ---------------------------------------------------------------------------

# What a one-file run of a client configuration must not import (issue 12): lark (the fast path
# needs only its terminal regexes), plugin discovery machinery, importlib.resources, the export
# model and reader, process pools, the SARIF/JSON encoders of other formats.
IMPORT_FORBIDDEN = ("lark", "importlib.metadata", "importlib.resources", "lunalint.model.export",
                    "lunalint.readers.export", "multiprocessing", "yaml")
# Budget: the import time of that run at most this share of yamllint's for its one-file run
# (both measured with `python -X importtime`, interleaved, in the same run: absolute times on a
# shared machine mean little).
IMPORT_BUDGET = 0.75


def import_profile(argv: list[str], cwd: Path, env: dict
                   ) -> tuple[float, list[tuple[float, str]], list[str]]:
    """Total import time (ms) of a run, its ten slowest top-level imports, and the forbidden
    modules it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True)
    rows = []
    seen = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = line.split("|")
        if len(parts) != 3:
            continue
        cumulative, name = parts[1].strip(), parts[2].rstrip()
        depth = len(name) - len(name.lstrip())
        mod = name.strip()
        seen.add(mod)
        if depth <= 1:
            rows.append((int(cumulative) / 1000, mod))
    total = sum(ms for ms, _ in rows)
    forbidden = [m for m in IMPORT_FORBIDDEN if m in seen]
    return total, sorted(rows, reverse=True)[:10], forbidden


# The physical floor of a per-line linter in Python (issue 21): read every file, split it into
# lines, match one regex per line (the config reader's fast-path shape), nothing else. A target
# below what this costs cannot be met by any reader written in Python.
FLOOR = ("import os, re, sys\n"
         "entry = re.compile(r'[ \\t]*(?:(?P<k>[A-Za-z][\\w.]*)[ \\t]*=[ \\t]*(?P<v>[^;#\\n]*)"
         ";?|(?P<o>\\S.*))?[ \\t]*(?P<c>[#;].*)?\\Z')\n"
         "n = 0\n"
         "for root, dirs, files in os.walk(sys.argv[1]):\n"
         "    dirs[:] = sorted(d for d in dirs if not d.startswith('.'))\n"
         "    for name in sorted(files):\n"
         "        with open(os.path.join(root, name), encoding='utf-8') as f:\n"
         "            for line in f.read().splitlines():\n"
         "                n += entry.match(line) is not None\n")


# --- the benchmarks --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1200, help="estate sites (default 1200)")
    parser.add_argument("--inis", type=int, default=1000, help="crystoki.ini files (1000)")
    parser.add_argument("--runs", type=int, default=11, help="cold-start runs (default 11)")
    parser.add_argument("--capture-mb", type=float, default=5.0, help="big capture (5 MB)")
    parser.add_argument("--only", help="comma-separated rows: cold,ini,estate,cache,capture,"
                                       "shapes")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None

    def wanted(name: str) -> bool:
        return only is None or name in only

    work = Path(args.keep or tempfile.mkdtemp(prefix="lunalint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LUNALINT_CACHE_DIR=str(work / "cache"))
    env.pop("LUNALINT_NO_CACHE", None)
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, value: str, target: str, verdict: str) -> None:
        rows.append((name, value, target, verdict))
        print(f"{name:<52} {value:<44} {target:<18} {verdict}", flush=True)

    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items() if k != "free -h"))
    print(info["free -h"])
    print()

    if wanted("cold"):
        # 1. cold start: one typical Chrystoki.conf vs yamllint on a YAML file of the same size
        one = work / "one"
        one.mkdir(exist_ok=True)
        conf = one / "Chrystoki.conf"
        conf.write_text(brace_config(random.Random(1), 1), encoding="utf-8")
        yaml_file = one / "same-size.yaml"
        yaml_file.write_text(_yaml_of_size(conf.stat().st_size), encoding="utf-8")
        lun_argv = LUNALINT + NO_CACHE + ["--fail-on", "never", "Chrystoki.conf"]
        yml_argv = [sys.executable, "-m", "yamllint", "same-size.yaml"]
        for warm in (lun_argv, yml_argv):
            measure(warm, one, env)  # warms the page cache (and builds the parser cache)
        # interleaved, so load changes on the shared machine hit both sides alike
        lun_t, yml_t = [], []
        for _ in range(args.runs):
            lun_t.append(measure(lun_argv, one, env).wall)
            yml_t.append(measure(yml_argv, one, env).wall)
        lun, yml = statistics.median(lun_t), statistics.median(yml_t)
        ratio = lun / yml
        row(f"cold start, 1 Chrystoki.conf ({conf.stat().st_size} B) vs yamllint",
            f"{lun * 1000:.0f} ms vs {yml * 1000:.0f} ms = {ratio:.2f}x", "<= 0.75x",
            _verdict(ratio <= 0.75))
        cached = best(LUNALINT + ["--fail-on", "never", "Chrystoki.conf"], one, args.runs, env)
        row("  same, result cache warm", f"{cached.wall * 1000:.0f} ms = "
            f"{cached.wall / yml:.2f}x", "", "")
        totals, yml_totals = [], []
        for _ in range(5):
            total, slowest, forbidden = import_profile(
                ["-m", "lunalint", "--no-cache", "--fail-on", "never", conf.name], one, env)
            totals.append(total)
            yml_totals.append(import_profile(["-m", "yamllint", yaml_file.name], one, env)[0])
        total, yml_total = statistics.median(totals), statistics.median(yml_totals)
        share = total / yml_total
        row("  imports of that run vs yamllint's (-X importtime)",
            f"{total:.0f} ms vs {yml_total:.0f} ms = {share:.2f}x", f"<= {IMPORT_BUDGET}x",
            _verdict(share <= IMPORT_BUDGET and not forbidden,
                     "imported: " + ", ".join(forbidden) if forbidden else ""))
        print("    slowest top-level imports:",
              ", ".join(f"{name} {ms:.1f} ms" for ms, name in slowest), flush=True)

    if wanted("ini"):
        # 2. crystoki.ini: lunalint (all rules, SARIF) vs a configparser loop that only parses
        inis = work / "inis"
        if inis.exists():
            shutil.rmtree(inis)
        ini_bytes = ini_only(inis, args.inis)
        loop = ("import configparser, os, sys\n"
                "for root, dirs, files in os.walk(sys.argv[1]):\n"
                "    dirs.sort()\n"
                "    for name in sorted(files):\n"
                "        p = configparser.ConfigParser(strict=False, interpolation=None)\n"
                "        with open(os.path.join(root, name), encoding='utf-8') as f:\n"
                "            p.read_file(f)\n")
        ini_args = LUNALINT + NO_CACHE + ["--select", "ALL", "--format", "sarif", "-o",
                                          str(work / "ini.sarif"), "--fail-on", "never", "."]
        cp_t, lun_t = [], []
        for _ in range(3):
            cp_t.append(measure([sys.executable, "-c", loop, "."], inis, env).wall)
            lun_t.append(measure(ini_args, inis, env).wall)
        t_cp, t_lun = statistics.median(cp_t), statistics.median(lun_t)
        row(f"{args.inis} crystoki.ini ({ini_bytes / 1e6:.1f} MB), all rules + SARIF, "
            "vs configparser", f"{t_lun:.2f} s vs {t_cp:.2f} s = {t_lun / t_cp:.2f}x",
            "<= 2.0x", _verdict(t_lun / t_cp <= 2.0))
        floor = statistics.median(measure([sys.executable, "-c", FLOOR, "."], inis, env).wall
                                  for _ in range(3))
        row("  floor: read + splitlines + one regex per line", f"{floor:.2f} s = "
            f"{floor / t_cp:.2f}x configparser", "", "")

    if wanted("estate") or wanted("cache"):
        # 3-6. the estate: throughput, twice the estate, peak memory, second run (cache)
        estate = work / "estate"
        if estate.exists():
            shutil.rmtree(estate)
        size = build_sites(estate, args.sites)
        mb = size / 1e6
        sarif = work / "out.sarif"
        # Each run starts in the folder it lints (the project root: workspace rules take
        # context from every file under it).
        base = LUNALINT + ["--select", "ALL", "--format", "sarif", "-o", str(sarif),
                           "--fail-on", "never", "."]
        subprocess.run(["git", "init", "-q", str(estate)], check=True)
        cold = measure(base + NO_CACHE, estate, env)
        if wanted("estate"):
            row(f"estate of {args.sites} sites ({mb:.1f} MB), all rules + SARIF",
                f"{cold.wall:.1f} s = {mb / cold.wall:.2f} MB/s", ">= 3 MB/s",
                _verdict(mb / cold.wall >= 3))
            one = measure(base + NO_CACHE + ["--jobs", "1"], estate, env)
            row("  same, --jobs 1", f"{one.wall:.1f} s = {mb / one.wall:.2f} MB/s", "", "")
            floor = measure([sys.executable, "-c", FLOOR, "."], estate, env)
            row("  floor: read + splitlines + one regex per line",
                f"{floor.wall:.2f} s = {mb / floor.wall:.1f} MB/s", "", "")
            double = work / "double"
            if double.exists():
                shutil.rmtree(double)
            double.mkdir()
            # the same sites (same seed, same order) and as many more with their own serials
            size2 = build_sites(double, 2 * args.sites)
            subprocess.run(["git", "init", "-q", str(double)], check=True)
            twice = measure(base + NO_CACHE, double, env)
            per_byte = (twice.cpu / size2) / (cold.cpu / size)
            row("twice the estate, CPU per byte vs the estate",
                f"{cold.cpu:.1f} s / {twice.cpu:.1f} s CPU = {per_byte:.2f}x per byte",
                "<= 1.05x", _verdict(per_byte <= 1.05))
            flat = twice.rss / cold.rss
            row("peak memory, the estate with SARIF (largest process)",
                f"{cold.rss:.0f} MB; twice the estate {twice.rss:.0f} MB ({flat:.2f}x)",
                "<= 150 MB, flat", _verdict(cold.rss <= 150 and twice.rss <= 150
                                            and flat <= 1.15))
            shutil.rmtree(double)
        if wanted("cache"):
            shutil.rmtree(estate / ".lunalint_cache", ignore_errors=True)
            local = dict(env)
            local.pop("LUNALINT_CACHE_DIR")  # the default: .lunalint_cache/ at the root
            fresh = measure(base, estate, local)
            second = measure(base, estate, local)
            row("unchanged estate, second run (result cache)",
                f"{fresh.wall:.1f} s then {second.wall:.1f} s = {second.wall / fresh.wall:.2f}x",
                "<= 0.35x", _verdict(second.wall / fresh.wall <= 0.35))
            # one configuration edited: the project's pack no longer applies, the per-file
            # entries of the other files do (and the link stage reruns)
            edited = sorted(estate.rglob("Chrystoki.conf"))[0]
            original = edited.read_bytes()
            edited.write_bytes(original + b"# edited\n")
            try:
                partial = measure(base, estate, local)
            finally:
                edited.write_bytes(original)
            row("  one file edited, third run", f"{partial.wall:.1f} s = "
                f"{partial.wall / fresh.wall:.2f}x the first run", "", "")

    if wanted("capture"):
        # 7. one big capture vs a quarter of it (CPU), and its peak memory
        big = work / "big"
        big.mkdir(exist_ok=True)
        block = lunacm_capture(random.Random(3), 0, repeat=0)
        runs = {}
        for label, megabytes in (("small", args.capture_mb / 4), ("big", args.capture_mb)):
            capture = big / f"{label}.lunacm.txt"
            reps = max(1, int(megabytes * 1e6 // len(block)))
            capture.write_text(block * reps, encoding="utf-8")
            runs[label] = measure(LUNALINT + NO_CACHE + ["--select", "ALL", "--format", "sarif",
                                                         "-o", str(work / "big.sarif"),
                                                         "--fail-on", "never", capture.name],
                                  big, env)
        ratio = runs["big"].cpu / runs["small"].cpu
        row(f"{args.capture_mb:g} MB capture vs {args.capture_mb / 4:g} MB (CPU)",
            f"{runs['small'].cpu:.1f} s / {runs['big'].cpu:.1f} s = {ratio:.2f}x, "
            f"peak {runs['big'].rss:.0f} MB", "<= 4.6x, <= 150 MB",
            _verdict(ratio <= 4.6 and runs["big"].rss <= 150))

    if wanted("shapes"):
        # 8. pathological shapes: CPU at 2n over CPU at n (linear: about 2)
        shapes = work / "shapes"
        for name, filename, make, n, *walk in SHAPES:
            cpu = []
            for size in (n, 2 * n):
                folder = shapes / f"{make.__name__}-{size}"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / filename).write_text(make(size), encoding="utf-8")
                cpu.append(measure(LUNALINT + NO_CACHE + ["--select", "ALL", "--format", "json",
                                                          "--fail-on", "never",
                                                          "." if walk else filename],
                                   folder, env).cpu)
            growth = cpu[1] / cpu[0]
            row(f"growth: {name}, {n} vs {2 * n}", f"{cpu[0]:.2f} s / {cpu[1]:.2f} s CPU = "
                f"{growth:.2f}x", "<= 2.3x (linear)", _verdict(growth <= 2.3))

    print()
    print("| figure | measured | target | verdict |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(x.strip() or " " for x in r) + " |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _verdict(ok: bool, note: str = "") -> str:
    return ("met" if ok else "NOT met") + (f" ({note})" if note else "")


def _yaml_of_size(size: int) -> str:
    lines = ["---", "hsm:"]
    i = 0
    while sum(len(x) + 1 for x in lines) < size:
        lines.append(f"  server_{i:02d}:")
        lines.append(f"    name: hsm-{i}.example.net")
        lines.append("    port: 1792")
        i += 1
    text = "\n".join(lines) + "\n"
    return text[:size - 1].rsplit("\n", 1)[0] + "\n"


if __name__ == "__main__":
    sys.exit(main())
