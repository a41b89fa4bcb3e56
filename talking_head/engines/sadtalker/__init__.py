"""The SadTalker engine: our own PyTorch networks, loading SadTalker's released checkpoints.

Nothing here imports torch at package import time: `engine.py` imports the
torch modules only when the engine is asked to run, so `import talking_head`
and the default engines never need the `talking-head[sadtalker]` extra.

Layout: one network per module (`audio2exp`, `audio2pose`, `face_3drecon`,
`mapping`, `keypoint_detector`, `dense_motion`, `spade`, `generator`), with
attribute names that match the checkpoint keys; `checkpoints` finds, checks
and reads the files; `audio_frontend`, `coefficients`, `keypoints`,
`preprocess` and `animate` hold the arithmetic between the networks.
"""
