# The global order: a pointwise permutation, the same for every topology (docs/semantics.md).
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from order_spec import spec_order

from spelangy.loading import LoadedShard
from spelangy.order import BLOCK, EpochPermutation, Layer, SourceWalk


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3000), key=st.lists(st.integers(0, 2**64 - 1), min_size=3, max_size=4))
def test_permutation_is_the_documented_bijection(n, key):
    perm = EpochPermutation(n, key)
    order = perm.permute(np.arange(n))
    assert sorted(order.tolist()) == list(range(n))
    assert order.tolist() == spec_order(n, key)
    assert perm.position(order).tolist() == list(range(n))  # the inverse


def test_large_corpus_positions_cost_nothing_up_front():
    perm = EpochPermutation(10**12, (1, 2, 3))
    positions = np.array([0, 1, 10**12 - 1, 123456789012])
    documents = perm.permute(positions)
    assert (documents < 10**12).all() and len(set(documents.tolist())) == 4
    assert perm.permute(positions).tolist() == documents.tolist()  # pointwise, repeatable
    assert perm.position(documents).tolist() == positions.tolist()


def dense_shard(n, shard, num_shards, missing=()):
    loaded = LoadedShard(shard, num_shards)
    for number in range(shard, n, num_shards):
        if number not in missing:
            loaded.add(number, f"doc-{number}")
    return loaded.close(n)


def read_epoch(walk, epoch):
    out, position = [], 0
    while (found := walk.next(epoch, position)) is not None:
        position = found[0] + 1
        out.append(found)
    return out


def test_every_topology_reads_the_one_order(rng):
    """Whatever the number of shards, the shards' documents merged by position are the
    epoch's order: each shard takes its own from one global order."""
    n = int(rng.integers(BLOCK // 2, 3 * BLOCK))
    missing = set(rng.choice(n, 20, replace=False).tolist())
    order = EpochPermutation(n, (7, 0, 1)).permute(np.arange(n)).tolist()
    want = [(p, d) for p, d in enumerate(order) if d not in missing]
    for num_shards in (1, 2, 3, 8):
        read = [read_epoch(SourceWalk(dense_shard(n, k, num_shards, missing), 7, 0), 1)
                for k in range(num_shards)]
        assert sorted(itertools.chain.from_iterable(read)) == want
        for k, pairs in enumerate(read):
            assert all(d % num_shards == k for _, d in pairs)


def test_layers_leave_out_what_an_earlier_topology_read(rng):
    n = 500
    orders = [EpochPermutation(n, (0, 0, e)).permute(np.arange(n)).tolist() for e in range(4)]
    # Three old shards: one in epoch 1 at a random position, one already in epoch 3, one
    # that owned no document; the new topology has 2 shards.
    layer = Layer(3, [1, 3, 0], [int(rng.integers(0, n)), 7, -1])
    for epoch, order in enumerate(orders):
        read = {d for p, d in enumerate(order) if layer.positions[d % 3] < 0
                or epoch < layer.epochs[d % 3]
                or (epoch == layer.epochs[d % 3] and p < layer.positions[d % 3])}
        rest = [d for k in range(2)
                for _, d in read_epoch(SourceWalk(dense_shard(n, k, 2), 0, 0, [layer]), epoch)]
        assert sorted(rest) == sorted(set(range(n)) - read), epoch
        assert len(rest) == len(set(rest))
    whole = read_epoch(SourceWalk(dense_shard(n, 0, 2), 0, 0, [layer]), 4)  # after the layer
    assert len(whole) == n // 2
