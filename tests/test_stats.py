# `spelangy stats` on the mini corpus: chunk durations, switches, token shares, plots.
import json

import numpy as np
from click.testing import CliRunner

from recipes_data import mini_corpus
from spelangy.stats import compute_stats, row_switches
from spelangy.vocab import Modality


def test_row_switches_skip_special_and_padding():
    T, A, S, P = Modality.TEXT, Modality.AUDIO, Modality.SPECIAL, Modality.PAD
    rows = np.array([[S, A, A, S, T, T, S, A, P, P],
                     [S, T, T, T, S, S, T, P, P, P]], dtype=np.int8)
    np.testing.assert_array_equal(row_switches(rows), [2, 0])


def test_stats_on_the_mini_corpus():
    root = mini_corpus()
    stats = compute_stats(root / "cuts.jsonl.gz", root / "spm.model", text=root / "text.jsonl",
                          seq_len=512, batch_size=2)
    s = stats.summary()
    assert s["documents"] == 2
    # Coarse merges a speaker's consecutive turns; fine keeps turns and splits long ones.
    assert s["chunk_mean_s[coarse]"] > 1.5 * s["chunk_mean_s[fine]"]
    assert s["chunks[fine]"] > s["chunks[coarse]"]
    # Deterministic: every chunk boundary is a switch; stochastic: about half of them.
    np.testing.assert_array_equal(stats.doc_switches["deterministic"], stats.doc_chunks - 1)
    assert (stats.doc_switches["stochastic"] <= stats.doc_chunks - 1).all()
    assert s["switches_per_row[deterministic]"] > s["switches_per_row[stochastic]"]
    for mode in ("deterministic", "stochastic"):
        shares = [s[f"share[{mode}][{k}]"] for k in ("text", "audio", "special", "pad")
                  if f"share[{mode}][{k}]" in s]
        assert abs(sum(shares) - 1.0) < 1e-9
        assert set(stats.source_tokens[mode]) == {"speech", "text"}
        # Streaming, the weights hold; one epoch, the text outlasts the two cuts.
        assert abs(s[f"source_share[{mode}][text]"] - 0.6) < 0.05
        assert s[f"epoch_source_share[{mode}][text]"] > s[f"source_share[{mode}][text]"]


def test_stats_command_writes_table_and_plots(tmp_path):
    from spelangy.cli import main

    root = mini_corpus()
    result = CliRunner().invoke(main, ["stats", str(root / "cuts.jsonl.gz"), "--output-dir",
                                       str(tmp_path), "--seq-len", "512", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "coarse" in result.output and "deterministic" in result.output
    assert "streaming" in result.output and "one epoch" in result.output
    for name in ("chunk_durations.png", "switches.png", "token_share.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((tmp_path / "stats.json").read_text())["summary"]
    assert summary["documents"] == 2 and summary["chunk_mean_s[fine]"] > 0
