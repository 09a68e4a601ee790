"""Panels: thin ipywidgets/bqplot views over the trainer core and the data.

    from coursekit import widgets as ckw
    ckw.ResultsGallery(learn.interpret())
"""
from coursekit.widgets.gallery import ResultsGallery

__all__ = ["ResultsGallery"]
