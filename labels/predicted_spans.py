"""A model's per-candle labels as spans: what the chart draws and the review queue receives."""

from __future__ import annotations

import numpy as np


def labels_to_spans(
    times: np.ndarray, labels: np.ndarray, confidences: np.ndarray, min_confidence: float = 0.0,
    none_label: str = "none",
) -> list[dict]:  # fmt: skip
    """Runs of the same predicted label (other than ``none``) as spans: start and end are the
    open times of the run's first and last candles, confidence the run's mean."""
    spans = []
    i, n = 0, len(labels)
    while i < n:
        j = i
        while j + 1 < n and labels[j + 1] == labels[i]:
            j += 1
        if labels[i] != none_label:
            confidence = float(np.mean(confidences[i : j + 1]))
            if confidence >= min_confidence:
                spans.append(
                    {
                        "start": int(times[i]),
                        "end": int(times[j]),
                        "label": str(labels[i]),
                        "confidence": round(confidence, 4),
                    }
                )
        i = j + 1
    return spans
