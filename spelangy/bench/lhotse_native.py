# The baseline: the same job done the way a competent Lhotse user would write it, with Lhotse's
# own objects and API (lazy CutSet, SupervisionSegment, AlignmentItem, load_custom) and Python
# interleaving and concat packing. spelangy is measured against this.
from __future__ import annotations

from itertools import islice
from typing import Iterator, List, NamedTuple

import numpy as np
import torch

from spelangy.reading.sharding import path_list

from .stages import NullTimer

IGNORE = -100
TEXT, AUDIO, SPECIAL, PAD = 0, 1, 2, 3
_SENTENCE_END = (".", "!", "?", "…")
_CLOSERS = "\"'”’)]}»"


class Chunk(NamedTuple):
    start: float
    end: float
    text: str


def ends_sentence(symbol: str) -> bool:
    return symbol.rstrip(_CLOSERS).endswith(_SENTENCE_END)


def fine_chunks(cut, max_duration: float) -> List[Chunk]:
    """One chunk per turn; a turn over `max_duration` split at sentence ends (word times)."""
    chunks = []
    for sup in sorted(cut.supervisions, key=lambda s: s.start):
        words = sup.alignment.get("word") if sup.alignment else None
        if sup.duration <= max_duration or not words:
            chunks.append(Chunk(sup.start, sup.end, sup.text))
            continue
        sentences, current = [], []
        for item in words:
            current.append(item)
            if ends_sentence(item.symbol):
                sentences.append(current)
                current = []
        if current:
            sentences.append(current)
        if len(sentences) < 2:
            chunks.append(Chunk(sup.start, sup.end, sup.text))
            continue
        # Sentence i spans from its first word's start to the next sentence's first word,
        # so that the pieces tile the turn.
        bounds = [sup.start] + [s[0].start for s in sentences[1:]] + [sup.end]
        piece_start, piece_words = bounds[0], []
        for i, sentence in enumerate(sentences):
            if piece_words and bounds[i + 1] - piece_start > max_duration:
                chunks.append(Chunk(piece_start, bounds[i], " ".join(w.symbol for w in piece_words)))
                piece_start, piece_words = bounds[i], []
            piece_words.extend(sentence)
        chunks.append(Chunk(piece_start, bounds[-1], " ".join(w.symbol for w in piece_words)))
    return chunks


class ConcatPacker:
    """Documents end to end into rows of exactly `seq_len` tokens, split across rows."""

    def __init__(self, seq_len: int):
        self.seq_len = seq_len
        self.parts = []  # (tokens, labels, modality) pieces of the open row
        self.fill = 0

    def add(self, tokens: np.ndarray, modality: np.ndarray) -> List[dict]:
        labels = np.empty(len(tokens), np.int64)
        labels[:-1] = tokens[1:]
        labels[-1] = IGNORE
        rows, offset = [], 0
        while offset < len(tokens):
            take = min(len(tokens) - offset, self.seq_len - self.fill)
            end = offset + take
            self.parts.append((tokens[offset:end], labels[offset:end], modality[offset:end]))
            self.fill += take
            offset = end
            if self.fill == self.seq_len:
                rows.append(self._emit())
        return rows

    def flush(self, pad_id: int) -> List[dict]:
        if not self.parts:
            return []
        rest = self.seq_len - self.fill
        self.parts.append((np.full(rest, pad_id, np.int64), np.full(rest, IGNORE, np.int64),
                           np.full(rest, PAD, np.int8)))
        return [self._emit(padded=rest)]

    def _emit(self, padded: int = 0) -> dict:
        lengths = np.array([len(p[0]) for p in self.parts])
        starts = np.concatenate([[0], np.cumsum(lengths)])
        # Position ids restart at every piece: arange minus the piece's start, repeated.
        positions = np.arange(self.seq_len) - np.repeat(starts[:-1], lengths)
        row = {
            "tokens": torch.from_numpy(np.concatenate([p[0] for p in self.parts]).astype(np.int64))[None],
            "labels": torch.from_numpy(np.concatenate([p[1] for p in self.parts]))[None],
            "position_ids": torch.from_numpy(positions)[None],
            "modality": torch.from_numpy(np.concatenate([p[2] for p in self.parts]))[None],
            "cu_seqlens": torch.from_numpy(starts.astype(np.int32)),
            "max_seqlen": int(lengths.max()),
            "num_tokens": self.seq_len - padded,
        }
        self.parts, self.fill = [], 0
        return row


class LhotseNativePipeline:
    """Lazy CutSet -> fine chunks -> alternating modalities (audio first) -> SentencePiece per
    text chunk -> BOS, marker-separated chunks, EOS -> concat-packed rows of `seq_len`.

    `cuts_path` is one manifest or a list of manifest files, read in order. With
    `num_workers > 1` and one file, worker k keeps every k-th cut with Lhotse's
    `LazySlicer` (what `CutSet.map(num_jobs=...)` does): each worker still deserializes
    every cut, as Lhotse's lazy manifests give no cheaper way to split them. With several
    files, worker k reads the files f with f % num_workers == k, what Lhotse users do with
    split manifests.
    """

    def __init__(self, cuts_path, spm_path, seq_len: int = 16384,
                 max_chunk_duration: float = 10.0, timer=None):
        self.cuts_paths = path_list(cuts_path)
        self.spm_path = str(spm_path)
        self.seq_len = seq_len
        self.max_chunk_duration = max_chunk_duration
        self.timer = timer or NullTimer()
        self.num_documents = 0

    def rows(self, worker_id: int = 0, num_workers: int = 1) -> Iterator[dict]:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=self.spm_path)
        text_vocab = sp.get_piece_size()
        cuts = self.worker_cuts(worker_id, num_workers)
        packer, timer, pad_id = ConcatPacker(self.seq_len), self.timer, None
        timer.restart()
        for cut in cuts:
            timer.mark("manifest")
            codes = cut.load_custom("speech_tokens")
            timer.mark("speech_tokens")
            pad_id = text_vocab + cut.custom["speech_vocab_size"] + 4
            tokens, modality = self.document_tokens(cut, codes, sp, text_vocab)
            self.num_documents += 1
            timer.mark("chunk_sample")
            rows = packer.add(tokens, modality)
            timer.mark("pack")
            yield from rows
            timer.restart()
        if pad_id is not None:
            yield from packer.flush(pad_id)

    def worker_cuts(self, worker_id: int, num_workers: int):
        """The lazy CutSet that worker `worker_id` of `num_workers` packs."""
        from lhotse import CutSet
        from lhotse.lazy import LazySlicer

        paths = self.cuts_paths
        if len(paths) == 1:
            cuts = CutSet.from_jsonl_lazy(paths[0])
            return CutSet(LazySlicer(cuts, k=worker_id, n=num_workers)) if num_workers > 1 else cuts
        if num_workers > 1:
            paths = paths[worker_id::num_workers]
        return CutSet.from_files(paths, shuffle_iters=False)

    def document_tokens(self, cut, codes: np.ndarray, sp, text_vocab: int):
        """BOS, the chunks in alternating modalities with a marker at each switch, EOS."""
        timer = self.timer
        frame_shift = cut.speech_tokens.frame_shift
        bos = text_vocab + cut.custom["speech_vocab_size"]
        eos, audio_marker, text_marker = bos + 1, bos + 2, bos + 3
        chunks = fine_chunks(cut, self.max_chunk_duration)
        timer.mark("chunk_sample")
        # Deterministic alternation A, T, A, T, ...: odd chunks are text.
        text_ids = sp.encode([c.text for c in chunks[1::2]])
        timer.mark("text_tokenize")
        tokens, modality, previous = [np.array([bos])], [np.array([SPECIAL], np.int8)], None
        for i, chunk in enumerate(chunks):
            if i % 2 == 0:
                begin = min(len(codes), int(np.floor(chunk.start / frame_shift + 0.5)))
                end = min(len(codes), max(begin, int(np.floor(chunk.end / frame_shift + 0.5))))
                ids, kind, marker = codes[begin:end].astype(np.int64) + text_vocab, AUDIO, audio_marker
            else:
                ids, kind, marker = np.array(text_ids[i // 2], np.int64), TEXT, text_marker
            if len(ids) == 0:
                continue
            if kind != previous:
                tokens.append(np.array([marker]))
                modality.append(np.array([SPECIAL], np.int8))
                previous = kind
            tokens.append(ids)
            modality.append(np.full(len(ids), kind, np.int8))
        tokens.append(np.array([eos]))
        modality.append(np.array([SPECIAL], np.int8))
        return np.concatenate(tokens), np.concatenate(modality)


def stack_rows(rows: List[dict]) -> dict:
    """Rows as one batch: [B, seq_len] tensors, and `cu_seqlens` over the flattened batch
    (each row's boundaries shifted by the rows before it), as spelangy's PackedBatch has."""
    seq_len = rows[0]["tokens"].shape[1]
    cu = [rows[0]["cu_seqlens"]] + [r["cu_seqlens"][1:] + i * seq_len
                                    for i, r in enumerate(rows) if i > 0]
    batch = {key: torch.cat([r[key] for r in rows])
             for key in ("tokens", "labels", "position_ids", "modality")}
    batch.update(cu_seqlens=torch.cat(cu), max_seqlen=max(r["max_seqlen"] for r in rows),
                 num_tokens=sum(r["num_tokens"] for r in rows))
    return batch


class LhotseNativeDataset(torch.utils.data.IterableDataset):
    """The baseline as a PyTorch IterableDataset: `DataLoader(ds, batch_size=None,
    num_workers=N)`; each worker packs its own slice of the cuts into batches of
    `batch_size` rows (the last one may be shorter)."""

    def __init__(self, pipeline: LhotseNativePipeline, batch_size: int = 1):
        super().__init__()
        self.pipeline = pipeline
        self.batch_size = batch_size

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker_id, num_workers = (info.id, info.num_workers) if info else (0, 1)
        rows = self.pipeline.rows(worker_id, num_workers)
        if self.batch_size == 1:
            return rows
        return map(stack_rows, iter(lambda: list(islice(rows, self.batch_size)), []))
