# How many batches a shard yields with num_epochs: from document lengths, nothing built.
"""With `num_epochs`, every shard of a run yields as many batches as the longest one (ranks
step together; a shard that runs out pads, `ShardStream.padding_batch`). Counting needs
each document's length in each epoch, not its tokens: a text document is its token count
plus BOS and EOS (a prepared corpus has the counts in its index); a speech document is
sized by the core (`speech_document_length`: chunked and sampled, nothing written), once
for every epoch when modalities alternate, per epoch when they are drawn.

With `concat` packing the count does not depend on the order: a shard's rows are its
tokens over `seq_len`, rounded up, so one vectorized sum per shard and epoch gives it. A
`best_fit` packer's rows depend on the order: its count replays the shard's mixing and
packing on the lengths (`ShardStream.count_batches`).
"""
from __future__ import annotations

from functools import partial
from typing import Dict, List, Optional

import numpy as np

from .documents import TextDocument
from .loading import SkipReport
from .order import Layer, epoch_order
from .stream import ShardStream, StreamSettings

TEXT_SPECIALS = 2  # BOS and EOS around a text document's tokens (semantics "Interleaving")


class DocumentLengths:
    """Lengths of a shard's documents of a source in an epoch, aligned with
    `shard.numbers`; the last epoch asked for each (source, shard) is kept."""

    def __init__(self, settings: StreamSettings, core):
        self.settings, self.core = settings, core
        self._kept: Dict[tuple, tuple] = {}

    def of(self, source: int, shard, epoch: int) -> np.ndarray:
        if self.settings.sampling.mode == "deterministic":
            epoch = 0  # the modalities alternate the same way in every epoch
        key = (source, shard.shard)
        kept = self._kept.get(key)
        if kept is None or kept[0] != epoch:
            kept = self._kept[key] = (epoch, self._compute(shard, epoch))
        return kept[1]

    def _compute(self, shard, epoch: int) -> np.ndarray:
        counts = shard.text_token_counts()
        if counts is not None:  # text documents: no need to size them one by one
            return counts + TEXT_SPECIALS
        s, core = self.settings, self.core
        lengths = np.empty(len(shard.numbers), np.int64)
        for i, number in enumerate(shard.numbers.tolist()):
            doc = shard.document(number)
            if not isinstance(doc, TextDocument):
                lengths[i] = core.speech_document_length(doc, s.chunking, s.sampling, s.seed,
                                                         epoch, s.vocab)
            else:
                lengths[i] = len(doc.text_tokens) + TEXT_SPECIALS
        return lengths

    def length_of(self, documents: List, ref) -> int:
        """The length of document `ref` = (source, epoch, number) of a shard's stream."""
        source, epoch, number = ref
        shard = documents[source]
        return int(self.of(source, shard, epoch)[np.searchsorted(shard.numbers, number)])


def max_batches(settings: StreamSettings, per_source: List[List], start: Optional[dict],
                core) -> int:
    """The batch count of the longest of the shards; `per_source[s][k]` is shard k's
    documents of source s, `start` the elastic start all of them begin from."""
    lengths = DocumentLengths(settings, core)
    num_shards = len(per_source[0])
    if settings.packing.mode != "concat":
        counts = []
        for k in range(num_shards):
            documents = [p[k] for p in per_source]
            stream = ShardStream(settings, documents, k, core, SkipReport(), start)
            counts.append(stream.count_batches(partial(lengths.length_of, documents)))
        return max(counts)
    tokens = np.zeros(num_shards, np.int64)
    for source, shards in enumerate(per_source):
        first_epoch = int(start["epochs"][source]) if start is not None else 0
        layers = [Layer(*layer) for layer in start["layers"][source]] if start else []
        for epoch in range(first_epoch, settings.num_epochs):
            for k, shard in enumerate(shards):
                tokens[k] += _epoch_tokens(settings, lengths, source, shard, epoch, layers)
    for source, epoch, number, begin, end in (start or {}).get("pieces", []):
        for k, shard in enumerate(per_source[source]):  # held pieces go to their owner
            if shard.owns(np.array([number], np.int64))[0]:
                tokens[k] += end - begin
    p = settings.packing
    rows = -(-tokens // p.seq_len)
    return int((-(-rows // p.batch_size)).max(initial=0))


def _epoch_tokens(settings: StreamSettings, lengths: DocumentLengths, source: int, shard,
                  epoch: int, layers: List[Layer]) -> int:
    """Tokens that `shard` packs from `source` in `epoch`: its documents that no earlier
    topology read (`spelangy.order.SourceWalk`) and that are not too long to pack."""
    if not len(shard.numbers):
        return 0
    sizes = lengths.of(source, shard, epoch)
    p = settings.packing
    keep = sizes <= p.max_document_rows * p.seq_len
    read_earlier = [layer for layer in layers if epoch <= layer.last_epoch]
    if read_earlier:
        positions = epoch_order(shard, settings.seed, source, epoch).position(shard.numbers)
        for layer in read_earlier:
            keep &= ~layer.read(epoch, positions, shard.numbers)
    return int(sizes[keep].sum())
