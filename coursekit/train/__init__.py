"""The trainer core: models and layer groups, schedules and plans, the Learner, the LR finder,
metrics, predictions, export.

The public names are ``coursekit``'s own (``ck.Learner``, ``ck.cnn_learner``, ...); this package
imports nothing itself, so a module of it is imported only when it is used.
"""
