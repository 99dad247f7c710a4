"""Small torch architectures for the course: an MLP, and a small 1-D CNN for MNIST-1D."""

from __future__ import annotations

import torch
from torch import nn

ARCHS = ("mlp", "cnn1d")


class MLP(nn.Module):
    """``n_features → hidden (× depth, ReLU, dropout) → n_classes`` logits."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 256, depth: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNN1D(nn.Module):
    """Three 1-D convolutions (``hidden // 8`` channels) and a linear head, for 1-D signals."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 256, depth: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        c = max(4, hidden // 8)
        self.features = nn.Sequential(
            nn.Conv1d(1, c, 5, padding=2), nn.ReLU(),
            nn.Conv1d(c, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(c, c, 3, stride=2, padding=1), nn.ReLU(),
        )
        length = n_features
        for _ in range(2):
            length = (length + 2 - 3) // 2 + 1
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c * length, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.unsqueeze(1)))


def build_model(arch: str, n_features: int, n_classes: int, *, hidden: int = 256, depth: int = 1,
                dropout: float = 0.0) -> nn.Module:
    """Construct an architecture by name (``"mlp"`` or ``"cnn1d"``)."""
    if arch == "mlp":
        return MLP(n_features, n_classes, hidden, depth, dropout)
    if arch == "cnn1d":
        return CNN1D(n_features, n_classes, hidden, depth, dropout)
    raise ValueError(f"unknown arch {arch!r}; expected one of {ARCHS}")
