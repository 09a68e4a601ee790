"""Where images come from and how they become batches."""
from coursekit.data import samples
from coursekit.data.download import URLs, Archive, DownloadError, UnsafeArchiveError, untar_data
from coursekit.data.kaggle import kaggle_data
from coursekit.data.imagedata import ImageData, ImageDataset
from coursekit.data.images import UnreadableImageError, open_image
from coursekit.data.labels import LabelError, get_cv_idxs
from coursekit.data.transforms import IMAGENET_STATS, Augmentation, denormalize, no_aug, side_on, top_down

__all__ = ["samples", "URLs", "Archive", "DownloadError", "UnsafeArchiveError", "kaggle_data", "untar_data",
           "ImageData", "ImageDataset", "UnreadableImageError", "open_image", "LabelError", "get_cv_idxs",
           "IMAGENET_STATS", "Augmentation", "denormalize", "no_aug", "side_on", "top_down"]
