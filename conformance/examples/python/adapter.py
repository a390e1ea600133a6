"""A dotdns conformance adapter in Python, stdlib only: hashing, names (ASCII), receipts, leaves, Merkle-sum trees.
Run: dotdns conformance run --adapter "python3 conformance/examples/python/adapter.py" --only hashing,encoding,merkle,names"""
import hashlib, json, sys

U64_MAX = 2**64 - 1
class Reject(Exception):
    def __init__(self, rule, message): super().__init__(message); self.rule = rule

def H(tag, *parts):  # [HSH-1] sha256(u8(len tag) || tag || bytes)
    t = tag.encode("ascii")
    return hashlib.sha256(bytes([len(t)]) + t + b"".join(parts)).digest()

def unhex(s, n=None):
    if not isinstance(s, str) or s != s.lower() or len(s) % 2 or (n is not None and len(s) != 2 * n): raise Reject("CNF-2", "bad hex")
    return bytes.fromhex(s)
u64 = lambda v: int(v).to_bytes(8, "little")
node = lambda h, s: {"hash": h.hex(), "sum": str(s)}

def header(b, tag, size, what):  # type tag [ENC-5], version [VER-2], exact length [ENC-2]
    if len(b) < 1: raise Reject("ENC-2", f"{what}: truncated")
    if b[0] != tag: raise Reject("ENC-5", f"{what}: type tag {b[0]}")
    if len(b) < 2: raise Reject("ENC-2", f"{what}: truncated")
    if b[1] != 1: raise Reject("VER-2", f"{what}: version {b[1]}")
    if len(b) != size: raise Reject("ENC-2", f"{what}: {len(b)} bytes, expected {size}")

def enc_receipt(r): return bytes([3, 1]) + u64(r["epoch"]) + unhex(r["nameHash"], 32) + unhex(r["routeHash"], 32) + unhex(r["witness"], 32)
def dec_receipt(b):
    header(b, 3, 106, "Receipt")
    return {"epoch": str(int.from_bytes(b[2:10], "little")), "nameHash": b[10:42].hex(), "routeHash": b[42:74].hex(), "witness": b[74:106].hex()}
def enc_leaf(l): return bytes([4, 1]) + unhex(l["receiptHash"], 32) + unhex(l["witness"], 32) + u64(l["weight"])
def dec_leaf(b):
    header(b, 4, 74, "Leaf")
    return {"receiptHash": b[2:34].hex(), "witness": b[34:66].hex(), "weight": str(int.from_bytes(b[66:74], "little"))}

def leaf_node(l): return (H("dotdns/v1/leaf", enc_leaf(l)), int(l["weight"]))  # [MRK-1]
def parent(l, r):  # [MRK-3], checked sum [MRK-4]
    if l[1] + r[1] > U64_MAX: raise Reject("MRK-4", "sum overflows u64")
    return (H("dotdns/v1/node", l[0] + u64(l[1]) + r[0] + u64(r[1])), l[1] + r[1])

def merkle_root(leaves):  # RFC 9162 shape: pair left to right, carry an odd last node up
    if not leaves: raise Reject("AGG-2", "a tree has at least one leaf")
    level = [leaf_node(l) for l in leaves]
    while len(level) > 1: level = [parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)] + level[len(level) - len(level) % 2:]
    return {"root": node(*level[0])}

def verify_inclusion(i):  # RFC 9162 2.1.3.2 with sums [MRK-5]
    fn, sn, size, path = i["index"], i["size"] - 1, i["size"], [(unhex(p["hash"], 32), int(p["sum"])) for p in i["path"]]
    ok, r = fn < size <= 2**20 and len(path) <= 20, leaf_node(i["leaf"])
    try:
        for p in path if ok else []:
            if sn == 0: ok = False; break
            if fn & 1 or fn == sn:
                r = parent(p, r)
                while not fn & 1 and fn: fn, sn = fn >> 1, sn >> 1
            else: r = parent(r, p)
            fn, sn = fn >> 1, sn >> 1
    except Reject: ok = False
    if not (ok and sn == 0 and r == (unhex(i["root"]["hash"], 32), int(i["root"]["sum"]))): raise Reject("MRK-5", "the proof does not verify")
    return {"valid": True}

def normalize_name(s):  # [NAM-1..5], ASCII input only
    t = s[:-1] if s.endswith(".") else s
    if not t: raise Reject("NAM-2", "empty name")
    if any(not 0x21 <= ord(c) <= 0x7e for c in t): raise Reject("CNF-2", "this adapter normalizes ASCII names only")
    n = t.lower(); labels = n.split(".")
    if len(n) > 253: raise Reject("NAM-2", "name longer than 253 bytes")
    if len(labels) < 2 or labels[-1] != "dns": raise Reject("NAM-4", "a name is labels ending in .dns")
    for l in labels:
        if not 1 <= len(l) <= 63: raise Reject("NAM-3", f"label {l!r} length")
        if any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in l) or l[0] == "-" or l[-1] == "-": raise Reject("NAM-5", f"label {l!r}")
    return {"name": n, "nameHash": H("dotdns/v1/name", n.encode()).hex()}

def hash_op(i):
    if not 1 <= len(i["tag"]) <= 255 or any(not 0x20 <= ord(c) <= 0x7e for c in i["tag"]): raise Reject("HSH-1", "a tag is 1..255 printable ASCII bytes")
    return {"digest": H(i["tag"], unhex(i["bytes"])).hex()}

OPS = {
    "hash": hash_op,
    "name_hash": lambda i: {"digest": H("dotdns/v1/name", i["name"].encode()).hex()},
    "normalize_name": lambda i: normalize_name(i["input"]),
    "encode_receipt": lambda i: {"bytes": enc_receipt(i["receipt"]).hex()},
    "decode_receipt": lambda i: {"receipt": dec_receipt(unhex(i["bytes"]))},
    "encode_leaf": lambda i: {"bytes": enc_leaf(i["leaf"]).hex()},
    "decode_leaf": lambda i: {"leaf": dec_leaf(unhex(i["bytes"]))},
    "leaf_hash": lambda i: {"digest": leaf_node(i["leaf"])[0].hex()},
    "node_hash": lambda i: {"node": node(*parent(*((unhex(x["hash"], 32), int(x["sum"])) for x in (i["left"], i["right"]))))},
    "merkle_root": lambda i: merkle_root(i["leaves"]),
    "verify_inclusion": verify_inclusion,
}

print(json.dumps({"hello": {"spec": "1.0.0", "implementation": "dotdns python example adapter 0.1", "ops": list(OPS)}}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    try: answer = {"output": OPS[req["op"]](req["input"])} if req["op"] in OPS else {"error": {"rule": "CNF-2", "message": "unknown operation"}}
    except Reject as e: answer = {"error": {"rule": e.rule, "message": str(e)}}
    except (KeyError, TypeError, ValueError) as e: answer = {"error": {"rule": "CNF-2", "message": f"malformed input: {e!r}"}}
    print(json.dumps({"id": req["id"], **answer}), flush=True)
