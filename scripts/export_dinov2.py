#!/usr/bin/env python3
"""Export DINOv2 (the published SparseDFF backbone) as a TorchScript file that
dffeval's `torchscript` backbone loads (pipeline/backbone/torchscript_backbone.h).

dffeval never downloads anything. Run this where the DINOv2 code and weights
are (a clone of github.com/facebookresearch/dinov2 and its ViT-B/14
checkpoint, dinov2_vitb14_pretrain.pth), with PyTorch installed:

    python3 scripts/export_dinov2.py --repo PATH/TO/dinov2 \\
        --weights PATH/TO/dinov2_vitb14_pretrain.pth --out dinov2_vitb14.pt

then point the settings at the file (config/methods/sparsedff.yaml, or on the
command line as method.backbone.* overrides):

    backbone:
      name: torchscript
      torchscript:
        module_path: /abs/path/dinov2_vitb14.pt
        patch_px: 14
        feature_dim: 768
        input_scale: 1.0        # SparseDFF upsamples; >1 gives finer patches, costs time
        size_multiple_px: 14

The exported module takes (1, 3, H, W) float RGB, normalized with ImageNet's
mean and std (dffeval does that), H and W multiples of 14, and returns
(1, 768, H/14, W/14): DINOv2's normalized patch tokens laid out as an image.
It is traced at the size dffeval will feed (the camera size scaled by
input_scale and padded to a multiple of 14: 252 x 322 for the shipped
320 x 240 cameras at scale 1); trace again with --height/--width for others.

--self-test exports a small random ViT of the same interface instead (no
DINOv2 needed), to check the export path and the shapes end to end.
"""
import argparse
import math
import pathlib
import sys


def padded(size_px, scale, multiple):
    scaled = max(1, round(size_px * scale))
    return int(math.ceil(scaled / multiple) * multiple)


class PatchFeatures:
    """Wraps a ViT with DINOv2's forward_features into the (1, D, h, w) map."""

    @staticmethod
    def build(torch, vit, patch):
        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.vit = vit
                self.patch = patch

            def forward(self, x):
                h = x.shape[2] // self.patch
                w = x.shape[3] // self.patch
                tokens = self.vit.forward_features(x)["x_norm_patchtokens"]  # (1, h*w, D)
                return tokens.transpose(1, 2).reshape(1, tokens.shape[2], h, w)

        return Wrapper()


def tiny_vit(torch, dim=32, patch=14):
    """A random stand-in with DINOv2's forward_features interface."""

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Conv2d(3, dim, patch, stride=patch)
            layer = torch.nn.TransformerEncoderLayer(dim, 4, dim * 2, batch_first=True)
            self.blocks = torch.nn.TransformerEncoder(layer, 2)
            self.norm = torch.nn.LayerNorm(dim)

        def forward_features(self, x):
            t = self.embed(x).flatten(2).transpose(1, 2)
            return {"x_norm_patchtokens": self.norm(self.blocks(t))}

    return Tiny()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", help="a local clone of facebookresearch/dinov2 (hubconf.py)")
    p.add_argument("--weights", help="the ViT-B/14 checkpoint (.pth)")
    p.add_argument("--model", default="dinov2_vitb14", help="hub entry (default dinov2_vitb14)")
    p.add_argument("--out", required=True, help="the TorchScript file to write")
    p.add_argument("--width", type=int, default=320, help="camera width in pixels")
    p.add_argument("--height", type=int, default=240, help="camera height in pixels")
    p.add_argument("--input-scale", type=float, default=1.0, help="backbone input_scale")
    p.add_argument("--self-test", action="store_true", help="export a tiny random ViT instead")
    a = p.parse_args()

    import torch  # imported here so that --help works without PyTorch

    patch = 14
    if a.self_test:
        torch.manual_seed(0)
        vit = tiny_vit(torch, patch=patch)
    else:
        if not a.repo or not a.weights:
            sys.exit("export_dinov2: --repo and --weights are required (or --self-test)")
        # source="local": the clone's hubconf.py, never the network.
        vit = torch.hub.load(a.repo, a.model, source="local", pretrained=False)
        state = torch.load(a.weights, map_location="cpu")
        vit.load_state_dict(state)
    vit.eval()
    module = PatchFeatures.build(torch, vit, patch).eval()
    H = padded(a.height, a.input_scale, patch)
    W = padded(a.width, a.input_scale, patch)
    example = torch.zeros(1, 3, H, W)
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
        y = traced(torch.randn(1, 3, H, W))
    expected = (1, y.shape[1], H // patch, W // patch)
    if tuple(y.shape) != expected:
        sys.exit(f"export_dinov2: output {tuple(y.shape)}, expected {expected}")
    out = pathlib.Path(a.out)
    traced.save(str(out))
    print(f"wrote {out}: input (1, 3, {H}, {W}) -> output {tuple(y.shape)}; "
          f"settings: backbone.name torchscript, torchscript.module_path {out.resolve()}, "
          f"patch_px {patch}, feature_dim {y.shape[1]}, input_scale {a.input_scale}, "
          f"size_multiple_px {patch}")


if __name__ == "__main__":
    main()
