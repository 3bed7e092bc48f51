"""Choosing what plays: the recommender (which tracks fit a mood) and the DJ policy.

:class:`~emotune.music.choose.dj.MoodDJ` follows the mood (or a pinned one), plans the queue
with the :mod:`~emotune.music.choose.recommender` and drives the queue player in
:mod:`emotune.music.playback`.
"""
