"""Trainer: compile/fit/evaluate/predict, shared by every Model (Keras 3's keras.src.trainers)."""
