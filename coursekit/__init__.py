"""coursekit: a Jupyter teaching kit for practical deep learning.

>>> import coursekit as ck
>>> path = ck.samples.pets() if ck.sample_mode() else ck.untar_data(ck.URLs.PETS)
>>> data = ck.ImageData.from_name_re(path/'images', pat=r'([^/]+)_\\d+\\.jpg$', size=224)
"""
from coursekit.config import coursekit_home, sample_mode
from coursekit.data import samples
from coursekit.data.download import URLs, Archive, DownloadError, UnsafeArchiveError, kaggle_data, untar_data
from coursekit.data.imagedata import ImageData
from coursekit.data.images import UnreadableImageError, open_image
from coursekit.data.labels import LabelError, get_cv_idxs
from coursekit.data.transforms import IMAGENET_STATS, denormalize, no_aug, side_on, top_down
from coursekit.train import schedules
from coursekit.train.export import load_learner
from coursekit.train.interpret import Interpretation
from coursekit.train.learner import EVENTS, Learner
from coursekit.train.lr_finder import LRFinderResult, plot_lr_find, suggest_lr
from coursekit.train.metrics import accuracy, accuracy_thresh, error_rate, f2, fbeta
from coursekit.train.models import ARCHS, LayerGroup, PretrainedWeightsError

__version__ = "0.1.0"

__all__ = [
    "coursekit_home", "sample_mode", "samples",
    "URLs", "Archive", "DownloadError", "UnsafeArchiveError", "kaggle_data", "untar_data",
    "ImageData", "UnreadableImageError", "open_image", "LabelError", "get_cv_idxs",
    "IMAGENET_STATS", "denormalize", "no_aug", "side_on", "top_down",
    "schedules", "load_learner", "Interpretation", "EVENTS", "Learner", "LRFinderResult", "plot_lr_find", "suggest_lr",
    "accuracy", "accuracy_thresh", "error_rate", "f2", "fbeta", "ARCHS", "LayerGroup", "PretrainedWeightsError",
]
