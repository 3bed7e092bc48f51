"""The music side, in three rooms, each importing only the ones before it (no Qt here):

* :mod:`emotune.music.library` - files, tags, scanning, placement on the mood map;
* :mod:`emotune.music.playback` - player backends, the play queue and the queue player;
* :mod:`emotune.music.choose` - the recommender and the DJ that follows the mood.
"""
