"""Playing music: the player backends (null, VLC), the play queue and the queue player.

Knows nothing about moods: the DJ in :mod:`emotune.music.choose` tells it what to queue.
"""
