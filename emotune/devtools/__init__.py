"""Developer tools: benchmarks and replays that help tune EmoTune, not parts of the app.

Runtime modules never import ``emotune.devtools`` at import time; CLI commands (``emotune bench``,
``emotune evaluate``) may import it lazily inside the function that needs it. Modules here may read
the training data set (never committed) but not ``emotune.training``.
"""
