"""Where images come from and how they become batches: downloads and archives (``download``,
``kaggle``), the sample sets (``samples``), labels and splits (``labels``, ``factories``), decoding
(``images``), augmentation (``transforms``, ``gpu_augment``) and ``ImageData`` (``imagedata``).

The public names are ``coursekit``'s own (``ck.ImageData``, ``ck.untar_data``, ...); this package
imports nothing itself, so a module of it is imported only when it is used.
"""
