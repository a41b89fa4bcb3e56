"""Face analysis: a photo in, a `Face` (image + 478 landmarks) out."""

from .analysis import Face, analyze_face, load_models
from .image import load_image

__all__ = ["Face", "analyze_face", "load_image", "load_models"]
