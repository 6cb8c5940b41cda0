#!/usr/bin/env python3
"""train_peer.py: the PyTorch peer of bench/train_bench.c (a benchmark, not
product): the same Qwen3-shaped model (RMSNorm, q/k head norms, NEOX RoPE,
GQA causal attention through scaled_dot_product_attention, SwiGLU, tied
output), the same batch shape and loss mask (first quarter of each row
masked), bf16 autocast over fp32 master weights, fused AdamW with decay on
matrices only, global-norm clipping at 1.0, the loss read back every step.
Modes: eager, and torch.compile (if it works on the machine).

    python3 bench/train_peer.py --config layers=4,dim=256,heads=4,kv_heads=2,\
head_dim=64,ffn=768,vocab=4096 --B 32 --T 512 --steps 30 [--modes eager,compile]
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(s, c):
        super().__init__()
        D, H, KV, hd, Fd = c["dim"], c["heads"], c["kv_heads"], c["head_dim"], c["ffn"]
        s.H, s.KV, s.hd, s.F = H, KV, hd, Fd
        s.attn_norm = nn.RMSNorm(D, eps=1e-6)
        s.wqkv = nn.Linear(D, (H + 2 * KV) * hd, bias=False)
        s.q_norm = nn.RMSNorm(hd, eps=1e-6)
        s.k_norm = nn.RMSNorm(hd, eps=1e-6)
        s.wo = nn.Linear(H * hd, D, bias=False)
        s.ffn_norm = nn.RMSNorm(D, eps=1e-6)
        s.wgu = nn.Linear(D, 2 * Fd, bias=False)
        s.wdown = nn.Linear(Fd, D, bias=False)

    def forward(s, x, cos, sin):
        B, T, _ = x.shape
        H, KV, hd = s.H, s.KV, s.hd
        qkv = s.wqkv(s.attn_norm(x))
        q, k, v = qkv.split([H * hd, KV * hd, KV * hd], dim=-1)
        q = s.q_norm(q.view(B, T, H, hd)).transpose(1, 2)
        k = s.k_norm(k.view(B, T, KV, hd)).transpose(1, 2)
        v = v.view(B, T, KV, hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + s.wo(o.transpose(1, 2).reshape(B, T, H * hd))
        g, u = s.wgu(s.ffn_norm(x)).chunk(2, dim=-1)
        return x + s.wdown(F.silu(g) * u)


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    a, b = x[..., :h], x[..., h:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1).to(x.dtype)


class Model(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.emb = nn.Embedding(c["vocab"], c["dim"])
        s.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        s.norm = nn.RMSNorm(c["dim"], eps=1e-6)
        hd, T = c["head_dim"], c["ctx"]
        inv = 10000.0 ** (-torch.arange(0, hd // 2, dtype=torch.float64) * 2 / hd)
        ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
        s.register_buffer("cos", ang.cos().float(), persistent=False)
        s.register_buffer("sin", ang.sin().float(), persistent=False)
        for n, p in s.named_parameters():
            if p.dim() == 2:
                sd = 0.02 / math.sqrt(2 * c["layers"]) if n.endswith(("wo.weight", "wdown.weight")) else 0.02
                nn.init.normal_(p, std=sd)

    def forward(s, tok, tgt):
        T = tok.shape[1]
        cos, sin = s.cos[:T], s.sin[:T]
        x = s.emb(tok)
        for b in s.blocks:
            x = b(x, cos, sin)
        logits = F.linear(s.norm(x), s.emb.weight)   # tied
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), tgt.view(-1), ignore_index=-1)


def run(c, B, T, steps, warm, mode, peak):
    torch.manual_seed(1)
    dev = "cuda"
    model = Model(c).to(dev)
    decay = [p for p in model.parameters() if p.dim() == 2]
    other = [p for p in model.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8, fused=True)
    tok = torch.randint(0, c["vocab"], (B, T), device=dev)
    tgt = torch.roll(tok, -1, dims=1).clone()
    tgt[:, : T // 4] = -1
    tgt[:, -1] = -1
    fwd = torch.compile(model) if mode == "compile" else model

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = fwd(tok, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    t0 = time.time()
    first = step()
    for _ in range(warm - 1):
        step()
    torch.cuda.synchronize()
    setup = time.time() - t0
    dts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        last = step()
        dts.append(time.perf_counter() - t0)
    med = statistics.median(dts)
    n_params = sum(p.numel() for p in model.parameters())
    D, hd, Fd, V, L = c["dim"], c["head_dim"], c["ffn"], c["vocab"], c["layers"]
    Q, K = c["heads"] * hd, c["kv_heads"] * hd
    mm = L * ((Q + 2 * K) * D + D * Q + 3 * Fd * D) + V * D
    fpt = 6.0 * mm + 6.0 * L * T * Q
    tps = B * T / med
    print(f"pytorch-{mode}: {n_params} params, B={B} T={T}: median step {med*1e3:.2f} ms, "
          f"{tps:.0f} tok/s, {fpt*tps*1e-12:.1f} TFLOP/s, MFU {100*fpt*tps/(peak*1e12):.1f}% "
          f"(loss {first:.3f} -> {last:.3f}; warm-up {setup:.1f} s)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="")
    ap.add_argument("--B", type=int, default=32)
    ap.add_argument("--T", type=int, default=512)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--modes", default="eager,compile")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    a = ap.parse_args()
    c = dict(layers=4, dim=256, heads=4, kv_heads=2, head_dim=64, ffn=768, ctx=2048, vocab=4096)
    for kv in filter(None, a.config.split(",")):
        k, v = kv.split("=")
        c[k] = int(v)
    c["ctx"] = max(c["ctx"], a.T)
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}", flush=True)
    for mode in a.modes.split(","):
        try:
            run(c, a.B, a.T, a.steps, a.warmup, mode, a.peak_tflops)
        except Exception as e:  # torch.compile may not work on the machine
            print(f"pytorch-{mode}: failed: {type(e).__name__}: {str(e)[:300]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
