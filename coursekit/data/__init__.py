"""Where images come from and how they become batches."""

from coursekit.data import samples
from coursekit.data.dataset import ImageDataset
from coursekit.data.download import Archive, DownloadError, UnsafeArchiveError, URLs, untar_data
from coursekit.data.imagedata import ImageData
from coursekit.data.images import UnreadableImageError, open_image
from coursekit.data.kaggle import kaggle_data
from coursekit.data.labels import LabelError, get_cv_idxs
from coursekit.data.planet import planet_data
from coursekit.data.transforms import (
    IMAGENET_STATS,
    Augmentation,
    denormalize,
    no_aug,
    side_on,
    top_down,
)

__all__ = [
    "IMAGENET_STATS",
    "Archive",
    "Augmentation",
    "DownloadError",
    "ImageData",
    "ImageDataset",
    "LabelError",
    "URLs",
    "UnreadableImageError",
    "UnsafeArchiveError",
    "denormalize",
    "get_cv_idxs",
    "kaggle_data",
    "no_aug",
    "open_image",
    "planet_data",
    "samples",
    "side_on",
    "top_down",
    "untar_data",
]
