# Timing sweep of the batch builders (CPU, CUDA) and of the per-document C++ hot path.
"""Run: .venv/bin/python benchmarks/bench_kernel.py [--repeats 5] [--docs 200]

Prints the machine, then tables:
1. CPU batch builder: time per batch of `build_batch` (tensor allocation included) and of
   the builder alone, with the builder's bandwidth (bytes read + written), for batch sizes
   1..64 at seq_len 4096 and 16384.
2. With a GPU and the CUDA kernel: kernel time (CUDA events), achieved bandwidth against a
   measured device-to-device copy, and host-to-device time of the ragged arrays vs the
   padded tensors (both pinned): what the GPU path saves on PCIe.
3. `build_speech_document`: C++ vs the pure-Python reference, output tokens per second, on
   synthetic conversations.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

from spelangy import _C, _core_cpp, reference
from spelangy.batch import RaggedBatch
from spelangy.build import build_batch
from spelangy.config import ChunkingConfig, SamplingConfig
from spelangy.documents import SpeechDocument
from spelangy.vocab import VocabLayout

VOCAB = VocabLayout(text_vocab_size=32000, speech_vocab_size=1024)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)
SEQ_LENS = (4096, 16384)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    return (f"cpu: {cpu} ({os.cpu_count()} cores) | torch {torch.__version__} | gpu: {gpu} | "
            f"spelangy CUDA kernel compiled: {_C.has_cuda()}")


def synthetic_ragged(rng, batch_size: int, seq_len: int) -> RaggedBatch:
    """Concat packing of documents of 200..3*seq_len tokens: every row full, no padding."""
    total = batch_size * seq_len
    lengths = []
    while sum(lengths) < total:
        lengths.append(int(rng.integers(200, 3 * seq_len)))
    ends = np.minimum(np.cumsum(lengths), total)
    doc_starts = np.concatenate([[0], ends[:-1]])
    row_starts = np.arange(batch_size) * seq_len
    cuts = np.unique(np.concatenate([doc_starts, row_starts]))  # piece starts, flat
    lengths_p = np.diff(np.append(cuts, total)).astype(np.int32)
    tokens = rng.integers(0, VOCAB.bos, size=total, dtype=np.int32)
    modality = (tokens >= VOCAB.speech_offset).astype(np.int8)
    return RaggedBatch(
        tokens=tokens, modality=modality,
        piece_row=(cuts // seq_len).astype(np.int32), piece_col=(cuts % seq_len).astype(np.int32),
        piece_length=lengths_p, piece_src=cuts.astype(np.int64),
        piece_next_label=np.full(len(cuts), -100, np.int64),
        batch_size=batch_size, seq_len=seq_len, pad_id=VOCAB.pad, loss_mask_bits=0b111,
    )


def moved_bytes(r: RaggedBatch) -> int:
    read = len(r.tokens) * 5 + r.num_pieces * (4 * 3 + 8 * 2)
    written = r.batch_size * r.seq_len * (8 * 3 + 1) + (r.num_pieces + 1) * 4
    return read + written


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: page faults of fresh allocations, lazy initialisation
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_cpu(rng, repeats: int):
    from spelangy._core_cpp import host_arrays
    from spelangy.build import _empty_outputs

    print("\n## CPU batch builder: `build_batch` (allocates its tensors) and the builder alone "
          "(into reused tensors)")
    print(f"{'seq_len':>8} {'batch':>6} {'pieces':>7} {'ms/batch':>10} {'builder ms':>11} "
          f"{'GB/s':>7} {'Mtok/s':>8}")
    for seq_len in SEQ_LENS:
        for b in BATCH_SIZES:
            r = synthetic_ragged(rng, b, seq_len)
            t_total = median_time(lambda: build_batch(r), repeats)
            inputs, outputs = host_arrays(r), _empty_outputs(r, torch.device("cpu"))
            args = ([a.ctypes.data for a in inputs] + [r.num_pieces, b, seq_len, r.pad_id, 7]
                    + [t.data_ptr() for t in outputs])
            t = median_time(lambda: _C.build_batch_cpu(*args), repeats)
            print(f"{seq_len:>8} {b:>6} {r.num_pieces:>7} {t_total * 1e3:>10.3f} {t * 1e3:>11.3f} "
                  f"{moved_bytes(r) / t / 1e9:>7.2f} {b * seq_len / t / 1e6:>8.1f}")


def cuda_time(fn, repeats: int) -> float:
    fn()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / 1e3 / repeats


def bench_gpu(rng, repeats: int):
    from spelangy._core_cpp import host_arrays
    from spelangy.build import _empty_outputs

    dev = torch.device("cuda")
    big = torch.empty(1 << 28, dtype=torch.uint8, device=dev)
    other = torch.empty_like(big)
    copy_gbs = 2 * big.numel() / cuda_time(lambda: other.copy_(big), repeats) / 1e9
    print(f"\n## CUDA kernel (device-to-device copy bandwidth: {copy_gbs:.0f} GB/s)")
    print(f"{'seq_len':>8} {'batch':>6} {'kernel us':>10} {'GB/s':>7} {'of copy':>8} "
          f"{'H2D ragged us':>14} {'H2D padded us':>14}")
    stream = torch.cuda.current_stream()
    for seq_len in SEQ_LENS:
        for b in BATCH_SIZES:
            r = synthetic_ragged(rng, b, seq_len)
            host = [torch.from_numpy(a).pin_memory() for a in host_arrays(r)]
            inputs = [t.to(dev) for t in host]
            outputs = _empty_outputs(r, dev)
            args = ([t.data_ptr() for t in inputs] + [r.num_pieces, b, seq_len, r.pad_id, 7]
                    + [t.data_ptr() for t in outputs] + [stream.cuda_stream])
            t_kernel = cuda_time(lambda: _C.build_batch_cuda(*args), repeats)
            padded = [t.cpu().pin_memory() for t in outputs]
            t_ragged = cuda_time(lambda: [t.to(dev, non_blocking=True) for t in host], repeats)
            t_padded = cuda_time(lambda: [t.to(dev, non_blocking=True) for t in padded], repeats)
            gbs = moved_bytes(r) / t_kernel / 1e9
            print(f"{seq_len:>8} {b:>6} {t_kernel * 1e6:>10.1f} {gbs:>7.0f} {gbs / copy_gbs:>8.0%} "
                  f"{t_ragged * 1e6:>14.1f} {t_padded * 1e6:>14.1f}")


def synthetic_conversation(rng, minutes: float) -> SpeechDocument:
    """Turns of 1..15 s by 3 speakers, 2.5 words/s with times, a sentence end every ~12
    words, 1.3 text tokens per word, 12.5 Hz speech tokens over the whole document."""
    durations = rng.uniform(1.0, 15.0, size=int(minutes * 60 / 8) + 1)
    ends = np.cumsum(durations)
    starts = ends - durations
    words = np.maximum(1, (durations * 2.5).astype(np.int64))
    word_turn = np.repeat(np.arange(len(durations)), words)
    within = np.arange(len(word_turn)) - np.repeat(np.cumsum(words) - words, words)
    word_start = starts[word_turn] + within * (durations[word_turn] / words[word_turn])
    per_word = rng.choice([1, 1, 1, 2, 2, 3], size=len(word_turn))
    num_frames = int(ends[-1] / 0.08)
    return SpeechDocument(
        cut_id=f"conv-{int(rng.integers(10**9))}", turn_start=starts, turn_end=ends,
        turn_speaker=rng.integers(0, 3, size=len(durations)).astype(np.int32),
        turn_word_offsets=np.concatenate([[0], np.cumsum(words)]),
        turn_aligned=np.ones(len(durations), np.uint8),
        word_start=word_start, word_end=word_start + 0.3,
        word_sentence_end=(rng.random(len(word_turn)) < 1 / 12).astype(np.uint8),
        word_token_offsets=np.concatenate([[0], np.cumsum(per_word)]),
        text_tokens=rng.integers(0, VOCAB.text_vocab_size, size=int(per_word.sum()),
                                 dtype=np.int32),
        speech_tokens=rng.integers(0, VOCAB.speech_vocab_size, size=num_frames, dtype=np.int32),
        duration=float(ends[-1]),
    )


def bench_documents(rng, num_docs: int):
    docs = [synthetic_conversation(rng, minutes=float(rng.uniform(1, 10))) for _ in range(num_docs)]
    sampling = SamplingConfig(mode="stochastic")
    print(f"\n## build_speech_document ({num_docs} conversations of 1-10 min, one core)")
    print(f"{'chunking':>9} {'backend':>10} {'docs':>6} {'Mtok/s':>9} {'us/doc':>9}")
    for mode in ("coarse", "fine"):
        chunking = ChunkingConfig(mode=mode)
        for name, core, subset in (("cpp", _core_cpp, docs), ("reference", reference, docs[:10])):
            t0 = time.perf_counter()
            total = sum(len(core.build_speech_document(d, chunking, sampling, 0, 0, VOCAB)[0])
                        for d in subset)
            t = time.perf_counter() - t0
            print(f"{mode:>9} {name:>10} {len(subset):>6} {total / t / 1e6:>9.2f} "
                  f"{t / len(subset) * 1e6:>9.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(machine())
    bench_cpu(rng, args.repeats)
    if torch.cuda.is_available() and _C.has_cuda():
        bench_gpu(rng, max(args.repeats, 20))
    else:
        reason = "no GPU present" if not torch.cuda.is_available() else "kernel not compiled"
        print(f"\n## CUDA kernel: skipped ({reason}); only the CPU figures above were measured")
    bench_documents(rng, args.docs)


if __name__ == "__main__":
    main()
