"""The paper's experiments as code: the degradation campaign of Figs. 4 and 6 (degradation.py)
and the CIFAR-10 depth study of Table 6 (depths.py), both as runs of `resdsl train`; the layer
responses of Fig. 7 (responses.py, read through the graph's outputs: taps.py); testing as the
paper did, ten crops and the fully convolutional form at several scales (views.py, testing.py,
with the scale check in scales.py); trained runs read back (trained.py); the figures (plots.py).

Rule: may import every stage below the faces, training included; taps.py and scales.py read
graphs only and import no torch."""
