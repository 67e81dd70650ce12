"""Benchmarks for issue 7: build a synthetic estate and print, for this machine, ratios measured
in the same run. Not a test: nothing here asserts a time.

    python bench/run.py                 # the full set (10,000 files, ~30 MB; a few minutes)
    python bench/run.py --files 2000    # a quicker, smaller estate (scaling uses 1x/2x/4x of it)

Every lunalint and baseline run is a fresh process (``sys.executable -m ...``), so interpreter
start-up is counted the same way on both sides. Peak memory is the maximum resident set of the
measured process (and, for ``--jobs``, of its largest worker) as reported by getrusage.
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


# --- measuring -------------------------------------------------------------------------------

_PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - start
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(elapsed, kb, code)
"""


def measure(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one fresh process running ``argv``."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    elapsed, kb, code = float(out[0]), int(out[1]), int(out[2])
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    mb = kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024  # bytes on macOS
    return elapsed, mb


def median_time(argv: list[str], cwd: Path, runs: int, env: dict | None = None) -> float:
    return statistics.median(measure(argv, cwd, env)[0] for _ in range(runs))


LUNALINT = [sys.executable, "-m", "lunalint"]


def machine() -> dict[str, str]:
    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "n/a"

    import lark

    from lunalint import __version__

    return {"nproc": sh(["nproc"]) or str(os.cpu_count()), "free -h": sh(["free", "-h"]),
            "python": sys.version.split()[0], "platform": platform.platform(),
            "cpu": _cpu_name(), "lunalint": __version__, "lark": lark.__version__}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- the benchmarks --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="estate size (default 10000)")
    parser.add_argument("--runs", type=int, default=11, help="cold-start runs (default 11)")
    parser.add_argument("--capture-mb", type=int, default=50, help="big capture size in MB")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it")
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="lunalint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LUNALINT_CACHE_DIR=str(work / "cache"))
    env.pop("LUNALINT_NO_CACHE", None)
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, value: str, target: str, verdict: str) -> None:
        rows.append((name, value, target, verdict))
        print(f"{name:<46} {value:<34} {target:<16} {verdict}", flush=True)

    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items() if k != "free -h"))
    print(info["free -h"])
    print()

    # 1. cold start: one typical Chrystoki.conf vs yamllint on a YAML file of the same size
    one = work / "one"
    one.mkdir(exist_ok=True)
    conf = one / "Chrystoki.conf"
    conf.write_text(brace_config(random.Random(1), 1), encoding="utf-8")
    yaml_file = one / "same-size.yaml"
    yaml_file.write_text(_yaml_of_size(conf.stat().st_size), encoding="utf-8")
    for warm in (LUNALINT + [str(conf)], [sys.executable, "-m", "yamllint", str(yaml_file)]):
        measure(warm, one, env)  # builds the parser cache; warms the page cache
    lun = median_time(LUNALINT + ["Chrystoki.conf"], one, args.runs, env)
    yml = median_time([sys.executable, "-m", "yamllint", "same-size.yaml"], one, args.runs, env)
    ver = median_time(LUNALINT + ["--version"], one, args.runs, env)
    ratio = lun / yml
    row(f"cold start, 1 file ({conf.stat().st_size} B), median of {args.runs}",
        f"{lun * 1000:.0f} ms vs yamllint {yml * 1000:.0f} ms = {ratio:.2f}x", "<= 0.90x",
        _verdict(ratio <= 0.9, f"stretch 0.75x {'met' if ratio <= 0.75 else 'not met'}"))
    row("  lunalint --version", f"{ver * 1000:.0f} ms", "", "")

    # 2. throughput: the mixed estate, all rules, SARIF
    estate = work / "estate"
    if estate.exists():
        shutil.rmtree(estate)
    size = build_estate(estate, args.files)
    mb = size / 1e6
    sarif = work / "out.sarif"
    # Each run starts in the folder it lints: workspace rules take context from around the cwd.
    base_args = LUNALINT + ["--select", "ALL", "--format", "sarif", "-o", str(sarif),
                            "--fail-on", "never", "."]
    t_pool, rss_pool = measure(base_args, estate, env)
    t_one, rss_one = measure(base_args + ["--jobs", "1"], estate, env)
    row(f"throughput, {args.files} files ({mb:.1f} MB), SARIF, default jobs",
        f"{t_pool:.1f} s = {mb / t_pool:.2f} MB/s", ">= 3 MB/s", _verdict(mb / t_pool >= 3))
    row("  same, --jobs 1", f"{t_one:.1f} s = {mb / t_one:.2f} MB/s", "", "")
    row(f"peak memory, {args.files}-file run, --jobs 1", f"{rss_one:.0f} MB", "<= 150 MB",
        _verdict(rss_one <= 150))
    row(f"peak memory, {args.files}-file run, default jobs",
        f"{rss_pool:.0f} MB (largest process)", "<= 150 MB", _verdict(rss_pool <= 150))

    # 3. crystoki.ini: lunalint vs a configparser loop that only parses
    inis = work / "inis"
    if inis.exists():
        shutil.rmtree(inis)
    ini_bytes = ini_only(inis, args.files)
    loop = ("import configparser, os, sys\n"
            "for root, dirs, files in os.walk(sys.argv[1]):\n"
            "    dirs.sort()\n"
            "    for name in sorted(files):\n"
            "        p = configparser.ConfigParser(strict=False, interpolation=None)\n"
            "        with open(os.path.join(root, name), encoding='utf-8') as f:\n"
            "            p.read_file(f)\n")
    t_cp = median_time([sys.executable, "-c", loop, "."], inis, 3, env)
    ini_args = LUNALINT + ["--select", "ALL", "--format", "json", "--fail-on", "never", "."]
    t_lun = median_time(ini_args, inis, 3, env)
    t_lun1 = median_time(ini_args + ["--jobs", "1"], inis, 3, env)
    row(f"{args.files} crystoki.ini ({ini_bytes / 1e6:.1f} MB) vs configparser",
        f"{t_lun:.2f} s vs {t_cp:.2f} s = {t_lun / t_cp:.2f}x", "<= 2.0x",
        _verdict(t_lun / t_cp <= 2.0))
    row("  same, --jobs 1", f"{t_lun1:.2f} s = {t_lun1 / t_cp:.2f}x", "", "")

    # 4. one big capture
    big = work / "big"
    big.mkdir(exist_ok=True)
    capture = big / "huge.lunacm.txt"
    block = lunacm_capture(random.Random(3), 0, repeat=0)
    reps = max(1, int(args.capture_mb * 1e6 // len(block)))
    capture.write_text(block * reps, encoding="utf-8")
    t_big, rss_big = measure(LUNALINT + ["--format", "json", "--fail-on", "never", "-o",
                                         str(work / "big.json"), capture.name], big, env)
    cap_mb = capture.stat().st_size / 1e6
    row(f"one {cap_mb:.0f} MB capture", f"{t_big:.1f} s, peak {rss_big:.0f} MB", "(recorded)",
        f"{cap_mb / t_big:.2f} MB/s")

    # 5. scaling: 1x, 2x, 4x the estate
    times = {}
    for factor in (1, 2, 4):
        scaled = work / f"scaled-{factor}x"
        if scaled.exists():
            shutil.rmtree(scaled)
        scaled.mkdir()
        replicate(estate, scaled, factor)
        times[factor], _ = measure(LUNALINT + ["--select", "ALL", "--format", "sarif", "-o",
                                               str(sarif), "--fail-on", "never", "."],
                                   scaled, env)
        shutil.rmtree(scaled)
    r2, r4 = times[2] / times[1], times[4] / times[1]
    row("scaling 1x/2x/4x (s)", f"{times[1]:.1f} / {times[2]:.1f} / {times[4]:.1f}",
        "2x <= 2.2", _verdict(r2 <= 2.2, f"ratios {r2:.2f} / {r4:.2f}"))

    print()
    print("| measurement | value | target | verdict |")
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
