"""The Merkle tree and the signed checkpoint format, on their own (no database).

The roots agree with RFC 6962's published test vectors; every inclusion and consistency proof
of every tree up to a size verifies, and any change to a leaf, a root or a proof does not.
Checkpoints round-trip, and a signature holds only for its own text and key.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from khedmat.audit import checkpoint, merkle

# RFC 6962 test vectors (certificate-transparency's merkle tests): the tree heads of the first
# n of these eight leaves.
RFC_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
              bytes(range(0x60, 0x70))]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(number.to_bytes(4, "big")) for number in range(count)]


def test_roots_match_the_rfc_6962_test_vectors() -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in RFC_LEAVES]
    frontier = merkle.Frontier()
    for size, expected in enumerate(RFC_ROOTS, start=1):
        frontier.append(hashes[size - 1])
        assert merkle.root_of(hashes[:size]).hex() == expected
        assert frontier.root().hex() == expected
    assert merkle.root_of([]) == merkle.Frontier().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 40))
def test_every_proof_of_small_trees_verifies(size: int) -> None:
    leaves = _leaves(size)

    def subtree(start: int, end: int) -> bytes:
        return merkle.root_of(leaves[start:end])

    root = merkle.root_of(leaves)
    for index in range(size):
        path = merkle.inclusion_proof(index, size, subtree)
        assert merkle.verify_inclusion(index, size, leaves[index], path, root)
        assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), path, root)
    for old in range(size + 1):
        proof = merkle.consistency_proof(old, size, subtree)
        assert merkle.verify_consistency(old, size, merkle.root_of(leaves[:old]), root, proof)
        if 0 < old < size:
            rewritten = [*leaves[:old - 1], merkle.leaf_hash(b"rewritten")]
            assert not merkle.verify_consistency(old, size, merkle.root_of(rewritten), root, proof)
            assert not merkle.verify_consistency(old, size, merkle.root_of(leaves[:old]), root, [])


@given(st.integers(2, 300), st.data())
def test_a_tampered_proof_fails(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size)

    def subtree(start: int, end: int) -> bytes:
        return merkle.root_of(leaves[start:end])

    root = merkle.root_of(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    path = merkle.inclusion_proof(index, size, subtree)
    position = data.draw(st.integers(0, len(path) - 1), label="position")
    forged = [*path[:position], merkle.node_hash(path[position], b""), *path[position + 1:]]
    assert not merkle.verify_inclusion(index, size, leaves[index], forged, root)
    old = data.draw(st.integers(1, size - 1), label="old size")
    proof = merkle.consistency_proof(old, size, subtree)
    cut = data.draw(st.integers(0, len(proof) - 1), label="cut")
    assert not merkle.verify_consistency(old, size, merkle.root_of(leaves[:old]), root, proof[:cut])
    assert not merkle.verify_consistency(old, size, merkle.root_of(leaves[:old]), merkle.leaf_hash(b"x"), proof)


NOW = datetime.datetime(2026, 12, 3, 10, 15, tzinfo=datetime.UTC)


def test_a_checkpoint_round_trips_and_verifies_only_with_its_key() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    root = merkle.root_of(_leaves(5))
    text = checkpoint.body(origin="khedmat.example.af/audit", size=5, root=root, time=NOW, chain_head="ab" * 32)
    note = checkpoint.sign(text, name="khedmat.example.af/audit", private_key=key)
    assert note.startswith("khedmat.example.af/audit\n5\n") and "\n\n\u2014 khedmat.example.af/audit " in note
    parsed = checkpoint.parse(note)
    assert (parsed.origin, parsed.size, parsed.root, parsed.time, parsed.chain_head) == (
        "khedmat.example.af/audit", 5, root, NOW, "ab" * 32)
    kid = checkpoint.key_id(key.public_key())
    assert checkpoint.signed_by(parsed, {kid: key.public_key()}) == [kid]
    assert checkpoint.signed_by(parsed, {"other": other.public_key()}) == []
    # A second signature (a witness, or the old key at rotation) keeps the first valid.
    cosigned = checkpoint.parse(checkpoint.add_signature(note, name="khedmat.example.af/audit", private_key=other))
    assert sorted(checkpoint.signed_by(cosigned, {kid: key.public_key(), "other": other.public_key()})) == \
        sorted([kid, "other"])


@pytest.mark.parametrize("change", [
    lambda note: note.replace("\n5\n", "\n6\n", 1),                       # a larger tree claimed
    lambda note: note.replace("chain " + "ab" * 32, "chain " + "cd" * 32),  # another head
    lambda note: note.replace("time 2026-12-03T10:15:00Z", "time 2026-12-04T10:15:00Z"),
])
def test_any_change_to_the_signed_text_breaks_the_signature(change: object) -> None:
    key = Ed25519PrivateKey.generate()
    note = checkpoint.sign(checkpoint.body(origin="o/audit", size=5, root=merkle.EMPTY_ROOT, time=NOW,
                                           chain_head="ab" * 32), name="o/audit", private_key=key)
    changed = change(note)  # type: ignore[operator]
    assert changed != note
    assert checkpoint.signed_by(checkpoint.parse(changed), {"k": key.public_key()}) == []


@pytest.mark.parametrize("text", ["", "x" * 9000, "o\n5\nroot\n\n", "o\nfive\nAAAA\n\n\u2014 o AAAAAAAA\n",
                                  "o\n5\n" + "A" * 44 + "\n", "o\n05\n" + "A" * 43 + "=\n\n\u2014 o AAAAAAAA\n",
                                  "o\n٥\n" + "A" * 43 + "=\n\n\u2014 o AAAAAAAA\n"])
def test_what_is_not_a_checkpoint_is_refused_by_name(text: str) -> None:
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.parse(text)


def test_the_verifier_key_has_go_sumdb_notes_shape() -> None:
    key = Ed25519PrivateKey.generate()
    name, key_hash, encoded = checkpoint.verifier_key("o.example/audit", key.public_key()).split("+", 2)
    assert name == "o.example/audit" and len(key_hash) == 8
    assert bytes.fromhex(key_hash) == checkpoint.key_hash("o.example/audit", key.public_key())
    assert len(encoded) == 44  # base64 of 0x01 and the 32-byte key


def test_keys_vouch_for_each_other_through_the_succession() -> None:
    old, new, stranger = (Ed25519PrivateKey.generate() for _ in range(3))

    def public(key: Ed25519PrivateKey) -> str:
        return checkpoint.b64url_encode(checkpoint.raw_public_key(key.public_key()))

    statement = checkpoint.succession_statement(old_kid="old", old_public=public(old), new_kid="new",
                                                new_public=public(new))
    records = [
        checkpoint.KeyRecord("old", old.public_key()),
        checkpoint.KeyRecord("new", new.public_key(), predecessor="old",
                             succession_signature=checkpoint.b64url_encode(new.sign(statement)),
                             predecessor_signature=checkpoint.b64url_encode(old.sign(statement))),
        # Someone who wrote a row naming "new" as its predecessor, signed with their own key only.
        checkpoint.KeyRecord("stranger", stranger.public_key(), predecessor="new",
                             succession_signature=checkpoint.b64url_encode(stranger.sign(b"anything"))),
    ]
    assert checkpoint.trusted_by_succession(records, {"new"}) == {"old", "new"}
    assert checkpoint.trusted_by_succession(records, {"old"}) == {"old", "new"}
    assert checkpoint.trusted_by_succession(records, {"stranger"}) == {"stranger"}
    assert checkpoint.trusted_by_succession(records, set()) == set()
