"""The Merkle tree over the seals, as stored in the database (merkle.py holds the algorithms).

Leaf i is the seal with sequence i + 1; its data is that seal's hash (32 bytes), which
already commits to the event and to every seal before it. Perfect subtrees of 2**STORED_LEVEL
leaves and more are stored (`AuditTreeNode`) as checkpoints are made, so a root or a proof
reads O(log n) nodes and one block of at most 2**STORED_LEVEL seals, however long the log.
Stored nodes are a cache: whatever is built from them is checked against a signed root.
"""

from __future__ import annotations

from .merkle import EMPTY_ROOT, leaf_hash, node_hash, root_of, split_point
from .models import AuditSeal, AuditTreeNode

STORED_LEVEL = 8
BLOCK = 1 << STORED_LEVEL
BLOCKS_PER_READ = 64  # seals read at once while building: 64 blocks of 256


class TreeError(Exception):
    """The seals cannot make the tree asked for: a sequence number is missing."""


def seal_leaf(seal_hash: str) -> bytes:
    return leaf_hash(bytes.fromhex(seal_hash))


def _read_leaves(start: int, end: int) -> list[bytes]:
    """Leaf hashes of leaves start … end - 1 (seals start + 1 … end), or TreeError on a gap."""
    rows = list(AuditSeal.objects.filter(sequence__gt=start, sequence__lte=end).order_by("sequence")
                .values_list("sequence", "hash"))
    if [sequence for sequence, _hash in rows] != list(range(start + 1, end + 1)):
        raise TreeError(f"seals {start + 1}…{end} are not all there")
    return [seal_leaf(digest) for _sequence, digest in rows]


class TreeReader:
    """MTH of any range of the first `size` leaves, from stored nodes and seals (cached)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._blocks: dict[int, list[bytes]] = {}

    def _block(self, number: int) -> list[bytes]:
        if number not in self._blocks:
            self._blocks[number] = _read_leaves(number * BLOCK, min((number + 1) * BLOCK, self.size))
        return self._blocks[number]

    def perfect(self, level: int, index: int) -> bytes:
        """The root of the 2**level leaves from index * 2**level."""
        if level < STORED_LEVEL:
            per_block = BLOCK >> level
            leaves = self._block(index // per_block)
            offset = (index % per_block) << level
            return root_of(leaves[offset:offset + (1 << level)])
        key = (level, index)
        if key not in self._nodes:
            stored = AuditTreeNode.objects.filter(level=level, index=index).values_list("hash", flat=True).first()
            self._nodes[key] = bytes.fromhex(stored) if stored else node_hash(
                self.perfect(level - 1, 2 * index), self.perfect(level - 1, 2 * index + 1))
        return self._nodes[key]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for 0 <= start < end <= size."""
        if not 0 <= start < end <= self.size:
            raise ValueError("the range is not in the tree")
        count = end - start
        if count & (count - 1) == 0 and start % count == 0:
            return self.perfect(count.bit_length() - 1, start // count)
        k = split_point(count)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self) -> bytes:
        return self.subtree(0, self.size) if self.size else EMPTY_ROOT


def tree_nodes_build(*, size: int) -> int:
    """Store the perfect subtrees of 2**STORED_LEVEL leaves or more that lie within the first
    `size` leaves and are not stored yet. Returns how many were stored. Call under the
    checkpoint lock (services.audit_checkpoint_create)."""
    last = AuditTreeNode.objects.filter(level=STORED_LEVEL).order_by("-index").first()
    next_block = last.index + 1 if last else 0
    full_blocks = size // BLOCK
    stored = 0
    for first in range(next_block, full_blocks, BLOCKS_PER_READ):
        last_block = min(first + BLOCKS_PER_READ, full_blocks)
        leaves = _read_leaves(first * BLOCK, last_block * BLOCK)
        pending: dict[tuple[int, int], bytes] = {
            (STORED_LEVEL, number): root_of(leaves[(number - first) * BLOCK:(number - first + 1) * BLOCK])
            for number in range(first, last_block)}
        level = STORED_LEVEL
        while True:
            parents: dict[tuple[int, int], bytes] = {}
            for (node_level, index), digest in pending.items():
                if node_level != level or not index & 1:
                    continue
                sibling = pending.get((level, index - 1))
                if sibling is None:
                    found = AuditTreeNode.objects.filter(level=level, index=index - 1).values_list(
                        "hash", flat=True).first()
                    if found is None:
                        raise TreeError(f"tree node {level}/{index - 1} is missing")
                    sibling = bytes.fromhex(found)
                parents[(level + 1, index // 2)] = node_hash(sibling, digest)
            if not parents:
                break
            pending.update(parents)
            level += 1
        AuditTreeNode.objects.bulk_create(
            [AuditTreeNode(level=node_level, index=index, hash=digest.hex())
             for (node_level, index), digest in sorted(pending.items())])
        stored += len(pending)
    return stored
