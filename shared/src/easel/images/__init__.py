"""Generated images in the NATS Object Store: the generator writes them, the notifier and
`easel submit` read them once and delete them. Events carry a `StoredImage`, never bytes."""

from easel.images._digest import sha256_of
from easel.images._reader import ImageCorrupt, ImageReader
from easel.images._type import image_type
from easel.images._writer import Found, ImageWriter

__all__ = ["Found", "ImageCorrupt", "ImageReader", "ImageWriter", "image_type", "sha256_of"]
