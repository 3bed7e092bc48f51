"""The music library: files on disk, their tags and where each sits on the mood map.

``formats`` (the one tag table) and ``tags`` read and write tags; ``scanner`` walks folders
(with the ``cache``), ``placement`` puts each track on the mood map from its tags, folder,
``moodwords`` or the audio ``analysis`` (``decode``); ``track`` is the record the rest of the app
uses. Nothing here plays or chooses music.
"""
