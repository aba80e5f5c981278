# The benchmark scripts keep running as the code they measure changes (no times asserted).
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_kernel_benchmark_runs_and_reports_every_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_kernel.py"), "--repeats", "1", "--docs", "4"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for heading in ("CPU batch builder", "CUDA kernel", "build_speech_document"):
        assert heading in result.stdout


def test_scale_benchmark_runs_every_case(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--sizes", "16",
         "--text-mb", "0.1", "--rounds", "1", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for kind in ("speech", "text"):
        rows = [line.split("|") for line in result.stdout.splitlines()
                if line.startswith(f"| {kind} |")]
        assert len(rows) == 4  # manifest and prepared, 0 and 2 workers
        assert {row[4].strip() for row in rows} == {"manifest", "prepared"}
    # the count benchmark reads the prepared corpora the scale benchmark left
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_epoch_count.py"), "--dir",
         str(tmp_path), "--rounds", "1"], capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [(r[1].strip(), r[3].strip()) for r in rows[1:]] == [
        ("docs16", "concat"), ("docs16", "best_fit"), ("text0.1mb", "concat"),
        ("text0.1mb", "best_fit")]
