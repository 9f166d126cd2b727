#!/usr/bin/python3
"""Writes tiny_encoder.pt: a random-weight TorchScript sentence encoder with the interface augur's
--embedder FILE expects (learn/torch/sentence_encoder.h), for the tests. Deterministic (seed 5).

Usage: /usr/bin/python3 make_tiny_encoder.py [OUT]   (Debian: python3-torch)
"""
import json
import sys
from typing import List

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "tiny_encoder.pt"
torch.manual_seed(5)

words = ("info warn error get post orders order cart paid received done in ms status took "
         "mongodb timed out while receiving message request failed answering internal server "
         "exception com").split()
vocab: List[str] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + list(".,:/<>*#-_") + words + \
    list("abcdefghijklmnopqrstuvwxyz0123456789") + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]


class TinyEncoder(torch.nn.Module):
    def __init__(self, n: int, dim: int):
        super().__init__()
        self.embed = torch.nn.Embedding(n, dim)
        self.proj = torch.nn.Linear(dim, dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.embed(input_ids))
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1.0)


m = torch.jit.script(TinyEncoder(len(vocab), 16).eval())
meta = {"vocab": vocab, "lowercase": True, "cls_token": "[CLS]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "unk_token": "[UNK]", "max_length": 64}
torch.jit.save(m, out, _extra_files={"augur_encoder.json": json.dumps(meta)})
print(f"{out}: vocabulary {len(vocab)}, width 16")
