#!/usr/bin/env python3
"""Checks an nrpf-ledger export bundle with nothing but Python's standard
library and PyNaCl (Debian: python3-nacl). It needs no code of the ledger's.

    python3 verify_bundle.py BUNDLE.json [--trusted-key VKEY]

Exit 0 and "bundle verified: ..." when every check passes; exit 1 and the
first problem otherwise. docs/audit.md explains each step.
"""

import base64
import hashlib
import json
import struct
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


class Rejected(Exception):
    pass


# ---- FlatBuffers, just enough to read the fields we need (docs/ledger-format.md 1.4).

def _u32(buf, at):
    return struct.unpack_from("<I", buf, at)[0]


def _field(buf, table, index):
    """Offset of field `index` of the table at `table`, or None when absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vsize = struct.unpack_from("<H", buf, vtable)[0]
    slot = 4 + 2 * index
    if slot + 2 > vsize:
        return None
    off = struct.unpack_from("<H", buf, vtable + slot)[0]
    return table + off if off else None


def _root(buf, identifier):
    if len(buf) < 8 or buf[4:8] != identifier:
        raise Rejected("not a FlatBuffer %r" % identifier)
    return _u32(buf, 0)


def _uint64(buf, table, index, default=0):
    at = _field(buf, table, index)
    return default if at is None else struct.unpack_from("<Q", buf, at)[0]


def _bytes(buf, table, index):
    at = _field(buf, table, index)
    if at is None:
        return b""
    start = at + _u32(buf, at)
    return bytes(buf[start + 4:start + 4 + _u32(buf, start)])


def read_record(raw):
    """The fields of an nrpf.ledger.fb.Record ("NRPL") the checks use."""
    try:
        t = _root(raw, b"NRPL")
        return {
            "position": _uint64(raw, t, 1),
            "stream_id": _bytes(raw, t, 2).decode("utf-8"),
            "stream_version": _uint64(raw, t, 3),
            "event_type": _bytes(raw, t, 8).decode("utf-8"),
            "body": _bytes(raw, t, 10),
        }
    except (struct.error, UnicodeDecodeError, IndexError) as e:
        raise Rejected("a record is not a well-formed FlatBuffer: %s" % e)


def _uint32(buf, table, index):
    at = _field(buf, table, index)
    return 0 if at is None else _u32(buf, at)


def introduced_key(body):
    """key_name, key_hash, public_key and vkey (fields 1 to 4) of a
    SigningKeyIntroduced ("NRPK") body."""
    try:
        t = _root(body, b"NRPK")
        return (_bytes(body, t, 1).decode("utf-8"), _uint32(body, t, 2), _bytes(body, t, 3),
                _bytes(body, t, 4).decode("utf-8"))
    except (struct.error, UnicodeDecodeError, IndexError):
        raise Rejected("a key event's body is malformed")


def member_of(body):
    """organisation_id (field 1) of a UserCreated or CaseCreated body (no
    file identifier: schema/nrpf_events.fbs)."""
    try:
        return _bytes(body, _u32(body, 0), 1).decode("utf-8")
    except (struct.error, UnicodeDecodeError, IndexError):
        raise Rejected("an event's body is malformed")


# ---- RFC 9162 Merkle tree (SHA-256, 0x00 leaves, 0x01 nodes).

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if (fn & 1) == 0:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        proof = [first_root] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if (fn & 1) == 0:
                while (fn & 1) == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# ---- C2SP checkpoints, signed notes and verifier keys.

def checkpoint_body(origin, size, root):
    return ("%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())).encode()


def parse_vkey(vkey):
    name, id_hex, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64, validate=True)
    if len(key) != 33 or key[0] != 0x01:
        raise Rejected("vkey %s is not an Ed25519 key" % vkey)
    key_id = hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]
    if key_id.hex() != id_hex:
        raise Rejected("vkey %s has the wrong key id" % vkey)
    return name, key_id, VerifyKey(key[1:]), key[1:]


def ed25519_ok(verify_key, message, signature):
    try:
        verify_key.verify(message, signature)
        return True
    except BadSignatureError:
        return False


def b64(text):
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode() != text:
        raise Rejected("%r is not canonical base64" % text)
    return data


def check_selection_streams(sel, heads):
    """Step 5: the streams listed are the selection's own."""
    for stream, head in heads.items():
        if head < 1:
            raise Rejected("the selection lists stream %s with no event" % stream)
    if sel["kind"] == "case":
        own = {"case-" + sel["case_id"], "access-" + sel["case_id"]}
        if "case-" + sel["case_id"] not in heads or not set(heads) <= own:
            raise Rejected("the streams listed are not case %s's" % sel["case_id"])
        return
    org = sel["organisation_id"]
    if "org-" + org not in heads:
        raise Rejected("the streams listed do not include organisation %s's" % org)
    for stream in heads:
        if stream in ("org-" + org, "rtpf-" + org) or stream.startswith(("user-", "case-")):
            continue
        if stream.startswith("access-") and "case-" + stream[len("access-"):] in heads:
            continue
        raise Rejected("stream %s is not organisation %s's" % (stream, org))


def check(bundle, trusted):
    if bundle.get("format") != "nrpf-ledger-export/1":
        raise Rejected("not an nrpf-ledger-export/1 bundle")
    origin, size = bundle["origin"], bundle["tree_size"]

    # The checkpoint: a signed note whose body names this log and size.
    note = bundle["checkpoint"].encode()
    split = note.rindex(b"\n\n")
    body, lines = note[:split + 1], note[split + 2:].decode().splitlines()
    head = body.decode().split("\n")
    if head[0] != origin or int(head[1]) != size:
        raise Rejected("the checkpoint is not of this log's tree of tree_size events")
    root = b64(head[2])

    # The key chain: genesis introduced at 0 and signed by itself; each later
    # key introduced at first_position - 1 and signed by the key before it;
    # each introducing record the last leaf of a tree the checkpoint's extends.
    chain = []
    for k in bundle["keys"]:
        at, first = k["position"], k["first_position"]
        genesis = not chain
        if (genesis and (at != 0 or first != 0)) or (not genesis and at + 1 != first):
            raise Rejected("the key chain's positions are out of order")
        raw = b64(k["record"])
        r = read_record(raw)
        want = "ledger.genesis" if genesis else "ledger.signing_key_rotated"
        if r["position"] != at or r["stream_id"] != "$ledger" or r["event_type"] != want:
            raise Rejected("the record at %d does not introduce a key" % at)
        key = parse_vkey(k["vkey"])
        key_name, key_hash, public_key, vkey = introduced_key(r["body"])
        if vkey != k["vkey"] or key_name != key[0] or struct.pack(">I", key_hash) != key[1] or public_key != key[3]:
            raise Rejected("the key event at %d introduces another key" % at)
        signer = key if genesis else chain[-1]
        root_at = b64(k["root"])
        if not verify_inclusion(at, at + 1, leaf_hash(raw), [b64(h) for h in k["inclusion"]], root_at):
            raise Rejected("the key event at %d is not the last leaf of its tree" % at)
        sig = b64(k["signature"])
        if sig[:4] != signer[1] or not ed25519_ok(signer[2], checkpoint_body(origin, at + 1, root_at), sig[4:]):
            raise Rejected("the key event at %d is not signed by the key before it" % at)
        if at + 1 == size:
            if root_at != root:
                raise Rejected("the checkpoint's tree does not extend the key's tree")
        elif not verify_consistency(at + 1, size, root_at, root, [b64(h) for h in k["consistency"]]):
            raise Rejected("the checkpoint's tree does not extend the key's tree")
        if genesis and trusted and k["vkey"] not in trusted:
            raise Rejected("the genesis key %s is not trusted" % k["vkey"])
        chain.append(key)

    # Lines of other keys (witnesses' cosignatures) are ignored; every line
    # by the last key of the chain must verify, and there must be one.
    name, key_id, verify_key, _ = chain[-1]
    signed = False
    for line in lines:
        if not line.startswith("\u2014 ") or " " not in line[2:]:
            raise Rejected("the checkpoint has a malformed signature line")
        line_name, line_blob = line[2:].split(" ", 1)
        blob = b64(line_blob)
        if line_name != name or blob[:4] != key_id:
            continue
        if len(blob) != 68 or not ed25519_ok(verify_key, body, blob[4:]):
            raise Rejected("a signature of the last key of the chain does not verify")
        signed = True
    if not signed:
        raise Rejected("the checkpoint is not signed by the last key of the chain")

    # The records: in the tree, in position order, and the selection whole.
    sel = bundle["selection"]
    heads = sel.get("streams", {})
    if sel["kind"] != "range":
        check_selection_streams(sel, heads)
    seen = {}
    expected = sel.get("from", 0)
    previous = -1
    for rec in bundle["records"]:
        p = rec["position"]
        if p <= previous:
            raise Rejected("records are out of position order at %d" % p)
        raw = b64(rec["record"])
        if p >= size or not verify_inclusion(p, size, leaf_hash(raw), [b64(h) for h in rec["proof"]], root):
            raise Rejected("record %d is not in the checkpoint's tree" % p)
        r = read_record(raw)
        if r["position"] != p:
            raise Rejected("record %d says it is at %d" % (p, r["position"]))
        if sel["kind"] == "range":
            if p != expected:
                raise Rejected("the range is missing position %d" % expected)
            expected += 1
        else:
            stream = r["stream_id"]
            if stream not in heads:
                raise Rejected("record %d belongs to stream %s, outside the selection" % (p, stream))
            if r["stream_version"] != seen.get(stream, 0) + 1:
                raise Rejected("stream %s is missing version %d" % (stream, seen.get(stream, 0) + 1))
            seen[stream] = r["stream_version"]
            if seen[stream] == 1 and sel["kind"] == "organisation" and stream.startswith(("user-", "case-")):
                want = "user.created" if stream.startswith("user-") else "case.created"
                if r["event_type"] != want or member_of(r["body"]) != sel["organisation_id"]:
                    raise Rejected("stream %s is not organisation %s's" % (stream, sel["organisation_id"]))
        previous = p
    if sel["kind"] == "range":
        if expected != sel["to"]:
            raise Rejected("the range is missing position %d" % expected)
    else:
        for stream, head in heads.items():
            if seen.get(stream, 0) != head:
                raise Rejected("stream %s is missing version %d" % (stream, seen.get(stream, 0) + 1))
    return len(bundle["records"]), size, chain


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    trusted = [argv[i + 1] for i in range(2, len(argv) - 1) if argv[i] == "--trusted-key"]
    try:
        with open(argv[1], "rb") as f:
            bundle = json.load(f)
        records, size, chain = check(bundle, trusted)
    except Rejected as e:
        print("bundle REJECTED: %s" % e)
        return 1
    except (KeyError, TypeError, ValueError) as e:
        print("bundle REJECTED: malformed bundle (%s)" % e)
        return 1
    print("bundle verified: %d records in the checkpoint of %d events" % (records, size))
    if not trusted:
        print("genesis key %s: compare it with the key the log's operator published" % bundle["keys"][0]["vkey"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
