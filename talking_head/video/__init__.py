"""Video out: the streaming MP4 writer and the caption files beside it."""

from .captions import write_captions
from .encoder import VideoWriter, partial_path

__all__ = ["VideoWriter", "partial_path", "write_captions"]
