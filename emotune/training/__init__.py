"""Training, evaluation, calibration and export of the emotion CNN (needs the ``train`` extra).

Runtime code never imports this package.
"""
