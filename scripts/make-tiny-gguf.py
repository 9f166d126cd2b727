#!/usr/bin/python3
"""Writes a tiny random-weight llama-architecture GGUF model (a few hundred tokens, 2 layers, width
32) with llama.cpp's own gguf-py, so tests and benchmarks can run a real llama-server without any
model weights. It writes gibberish, by construction: it exercises the protocol, not the method.

Usage: /usr/bin/python3 scripts/make-tiny-gguf.py OUT.gguf [GGUF_PY_DIR]
GGUF_PY_DIR defaults to $AUGUR_CACHE/llama.cpp/gguf-py (scripts/build-llama-server.sh puts it
there). Needs numpy (Debian: python3-numpy).
"""
import os
import sys

out = sys.argv[1]
cache = os.environ.get("AUGUR_CACHE", os.path.expanduser("~/.cache/augur"))
sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else os.path.join(cache, "llama.cpp", "gguf-py"))
import numpy as np  # noqa: E402
import gguf  # noqa: E402

rng = np.random.default_rng(7)
n_embd, n_ff, n_layer, n_head, n_ctx = 32, 64, 2, 4, 4096

# SentencePiece-style vocabulary: specials, the 256 byte-fallback pieces, then words and letters
# that log lines use, so prompts do not fall back to bytes everywhere.
words = ("info warn error debug request response user order cart payment service failed "
         "success timeout connection refused retry started completed GET POST http /api db "
         "mongo redis query took ms id status code").split()
tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + \
        [gguf.TokenType.BYTE] * 256
pieces = ["\u2581"] + ["\u2581" + w for w in words] + list("abcdefghijklmnopqrstuvwxyz0123456789")
for p in pieces:
    tokens.append(p)
    types.append(gguf.TokenType.NORMAL)
scores = [0.0] * 259 + [-float(i) for i in range(len(pieces))]
n_vocab = len(tokens)

w = gguf.GGUFWriter(out, "llama")
w.add_name("augur-tiny-random")
w.add_context_length(n_ctx)
w.add_embedding_length(n_embd)
w.add_block_count(n_layer)
w.add_feed_forward_length(n_ff)
w.add_head_count(n_head)
w.add_head_count_kv(n_head)
w.add_layer_norm_rms_eps(1e-5)
w.add_rope_dimension_count(n_embd // n_head)
w.add_vocab_size(n_vocab)
w.add_file_type(gguf.LlamaFileType.ALL_F32)
w.add_tokenizer_model("llama")
w.add_token_list(tokens)
w.add_token_scores(scores)
w.add_token_types(types)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_unk_token_id(0)
w.add_add_bos_token(True)
w.add_add_eos_token(False)


def t(*shape, scale=0.2):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


out_w = t(n_vocab, n_embd, scale=1.0)
# Never end early and never write non-ASCII bytes (random weights would do both): zero logits
# for the control tokens and bytes >= 0x80, which any of the other random logits beats.
out_w[0:3] = 0
out_w[3 + 0x80:3 + 256] = 0
out_w[3 + ord("\n")] *= 1.5  # some line breaks, so completions hold several lines

w.add_tensor("token_embd.weight", t(n_vocab, n_embd, scale=1.0))
w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
w.add_tensor("output.weight", out_w)
for i in range(n_layer):
    w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor(f"blk.{i}.attn_q.weight", t(n_embd, n_embd))
    w.add_tensor(f"blk.{i}.attn_k.weight", t(n_embd, n_embd))
    w.add_tensor(f"blk.{i}.attn_v.weight", t(n_embd, n_embd))
    w.add_tensor(f"blk.{i}.attn_output.weight", t(n_embd, n_embd))
    w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor(f"blk.{i}.ffn_gate.weight", t(n_ff, n_embd))
    w.add_tensor(f"blk.{i}.ffn_up.weight", t(n_ff, n_embd))
    w.add_tensor(f"blk.{i}.ffn_down.weight", t(n_embd, n_ff))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(f"{out}: {n_vocab} tokens, {n_layer} layers, width {n_embd}")
