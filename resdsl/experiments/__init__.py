"""The paper's experiments as code: testing as the paper did (ten crops, the fully convolutional
form at several scales: views.py, with the scale check in scales.py), the layer responses of its
Figure 7 (responses.py, read through the graph: taps.py), and the figures (plots.py).

Rule: may import every stage below the faces, training included; torch is imported by the
modules that run networks (views, responses), not by taps and scales, which read graphs only."""
