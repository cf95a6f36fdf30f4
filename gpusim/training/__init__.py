"""Training steps on many GPUs: a transformer's operators simulated on the SM engine, its
collectives on the collective model, composed by a pipeline schedule (docs/training.md).

``TrainingStepWorkload`` and ``MODEL_PRESETS`` (``model``) load without the engine;
``simulate_training`` (``simulate``) loads it.
"""
