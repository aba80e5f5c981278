# The global order as docs/semantics.md ("Order") writes it, one scalar at a time.
from spelangy.reference.sampling import splitmix64


def spec_order(n, key):
    """The documents of positions 0..n-1 of the epoch keyed `key`."""
    h = 0
    for x in key:
        h = splitmix64(h ^ x)
    round_keys = []
    for r in range(4):
        h = splitmix64(h ^ r)
        round_keys.append(h)
    half = -(-max(2, (n - 1).bit_length()) // 2)
    mask = (1 << half) - 1

    def f(x):
        left, right = x >> half, x & mask
        for k in round_keys:
            left, right = right, left ^ (splitmix64(right ^ k) & mask)
        return (left << half) | right

    out = []
    for p in range(n):
        y = f(p)
        while y >= n:
            y = f(y)
        out.append(y)
    return out
