"""Evaluation: data sets, protocols, baselines, metrics, generated scenes with known layers."""
