"""Grad-CAM and Grad-CAM++ for Keras 3 classifiers (Q7): batched, with sanity and faithfulness
checks.

`grad_cam(model, images)` returns one class-activation map per image, (N, h, w), at the
resolution of the explained layer (7x7 for `conv3` of the answer's CNN). The score is the
class *logit* (before the softmax), as in the Grad-CAM paper: a linear-head view of the model
shares its weights, so the user's model is never modified. Each batch is one `tf.function`
call; `GradCam(model)` keeps the traced function for reuse over many calls.

Modules, one concern each (every public name is re-exported here, so `gradcam.X` works):
- `inputs`: `GradCamError`; images as a batch, class indices checked.
- `view`: the model as Grad-CAM sees it (layer outputs, the logits' linear head).
- `cam`: the method, `GradCam` and `grad_cam`.
- `sanity`: `cascading_randomization` (Adebayo et al., 2018: maps of a model whose weights are
  re-initialised from the top layer down should not look like the trained model's).
- `faithfulness`: `deletion_drop` (blanking the pixels a map ranks highest should hurt the
  class probability more than blanking random pixels).
- `stats`: summaries of many maps (by confidence, per class, by quadrant, NaN maps, how alike
  the maps of one class are).
- `scores`: the answer's softmax score against the logit (the exact softmax map in float64).
- `answer`: the written answer's per-image function as written (Keras 3 changes only), the
  speed baseline, and its check against our batched softmax-score mode.
Maps as images (`normalize_maps`, `upsample`, `overlay`) live in the shared `dlhw.images`.
"""

from __future__ import annotations

from dlhw.gradcam.answer import answer_grad_cam, answer_maps, speed_comparison, student_check
from dlhw.gradcam.cam import EMPTY, METHODS, SCORES, GradCam, grad_cam
from dlhw.gradcam.faithfulness import blank, deletion_drop, top_pixels
from dlhw.gradcam.inputs import GradCamError, as_batch
from dlhw.gradcam.sanity import (
    cascading_randomization,
    rank_correlation,
    reinitialize,
    weighted_layer_names,
)
from dlhw.gradcam.scores import all_class_maps, exact_softmax_maps, score_table, summary
from dlhw.gradcam.stats import (
    by_confidence,
    class_means,
    class_similarity,
    count_nan_maps,
    quadrant_shares,
    region_share,
    share_comparison,
)
from dlhw.gradcam.view import spatial_layer_names
from dlhw.images import normalize_maps, overlay, upsample

__all__ = [
    "EMPTY",
    "METHODS",
    "SCORES",
    "GradCam",
    "GradCamError",
    "all_class_maps",
    "answer_grad_cam",
    "answer_maps",
    "as_batch",
    "blank",
    "by_confidence",
    "cascading_randomization",
    "class_means",
    "class_similarity",
    "count_nan_maps",
    "deletion_drop",
    "exact_softmax_maps",
    "grad_cam",
    "normalize_maps",
    "overlay",
    "quadrant_shares",
    "rank_correlation",
    "region_share",
    "reinitialize",
    "spatial_layer_names",
    "score_table",
    "share_comparison",
    "speed_comparison",
    "student_check",
    "summary",
    "top_pixels",
    "upsample",
    "weighted_layer_names",
]
