"""Panels: thin ipywidgets/bqplot views over the trainer core and the data.

    from coursekit import widgets as ckw
    ckw.LRFinderPanel(learn); ckw.SchedulePanel(learn); ckw.LayerGroupsPanel(learn)
    ckw.TrainingMonitor(learn); ckw.ResultsGallery(learn.interpret())
    ckw.PredictPanel(ck.load_learner(path)); ckw.CleanerPanel(learn.interpret())
    ckw.ConvExplorer(image); ckw.MaxPoolExplorer(image)         # from coursekit.explore

Every panel is an ipywidgets box built without ``display()`` (show it by making it a cell's
last expression), works on ipywidgets 7.7 and 8, and has ``figure()`` for a static picture.
Each is a ``coursekit.panel.Panel``: an error in one of its controls shows in its status line,
and ``close()`` detaches its listeners from the learner (a panel made again over the same
learner closes the earlier one, so re-running a cell never piles up hidden redraws).
"""

from coursekit.explore.conv_explorer import ConvExplorer
from coursekit.explore.maxpool_explorer import MaxPoolExplorer
from coursekit.widgets.cleaner_panel import CleanerPanel
from coursekit.widgets.common import enable_colab_widgets
from coursekit.widgets.gallery import ResultsGallery
from coursekit.widgets.layer_groups_panel import LayerGroupsPanel
from coursekit.widgets.lr_finder_panel import LRFinderPanel
from coursekit.widgets.predict_panel import PredictPanel
from coursekit.widgets.schedule_panel import SchedulePanel
from coursekit.widgets.training_monitor import TrainingMonitor

__all__ = [
    "CleanerPanel",
    "ConvExplorer",
    "LRFinderPanel",
    "LayerGroupsPanel",
    "MaxPoolExplorer",
    "PredictPanel",
    "ResultsGallery",
    "SchedulePanel",
    "TrainingMonitor",
    "enable_colab_widgets",
]
