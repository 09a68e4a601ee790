"""coursekit: a Jupyter teaching kit for practical deep learning.

>>> import coursekit as ck
>>> path = ck.samples.pets() if ck.sample_mode() else ck.untar_data(ck.URLs.PETS)
>>> data = ck.ImageData.from_name_re(path/'images', pat=ck.PETS_PATTERN, size=224)
"""

from coursekit.config import coursekit_home, sample_mode
from coursekit.data import samples
from coursekit.data.download import Archive, DownloadError, UnsafeArchiveError, URLs, untar_data
from coursekit.data.imagedata import ImageData
from coursekit.data.images import UnreadableImageError, open_image
from coursekit.data.kaggle import kaggle_data
from coursekit.data.labels import PETS_PATTERN, LabelError, get_cv_idxs
from coursekit.data.photos import photo
from coursekit.data.planet import planet_data
from coursekit.data.transforms import IMAGENET_STATS, denormalize, no_aug, side_on, top_down
from coursekit.seeding import set_seed
from coursekit.train import schedules
from coursekit.train.checks import check_claims, check_result
from coursekit.train.distributed import distribute, launch
from coursekit.train.imagenet import imagenet_classes, imagenet_top_k
from coursekit.train.interpret import Interpretation
from coursekit.train.learner import EVENTS, Learner, cnn_learner, load_learner
from coursekit.train.lr_finder import LRFinderResult, plot_lr_find, plot_lr_ramp, suggest_lr
from coursekit.train.metrics import accuracy, accuracy_thresh, error_rate, f2, fbeta
from coursekit.train.models import ARCHS, LayerGroup, PretrainedWeightsError

__version__ = "0.1.0"

__all__ = [
    "ARCHS",
    "EVENTS",
    "IMAGENET_STATS",
    "PETS_PATTERN",
    "Archive",
    "DownloadError",
    "ImageData",
    "Interpretation",
    "LRFinderResult",
    "LabelError",
    "LayerGroup",
    "Learner",
    "PretrainedWeightsError",
    "URLs",
    "UnreadableImageError",
    "UnsafeArchiveError",
    "accuracy",
    "accuracy_thresh",
    "check_claims",
    "check_result",
    "cnn_learner",
    "coursekit_home",
    "denormalize",
    "distribute",
    "error_rate",
    "f2",
    "fbeta",
    "get_cv_idxs",
    "imagenet_classes",
    "imagenet_top_k",
    "kaggle_data",
    "launch",
    "load_learner",
    "no_aug",
    "open_image",
    "photo",
    "planet_data",
    "plot_lr_find",
    "plot_lr_ramp",
    "sample_mode",
    "samples",
    "schedules",
    "set_seed",
    "side_on",
    "suggest_lr",
    "top_down",
    "untar_data",
]
