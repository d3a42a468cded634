"""Retraining trigger: starts a SageMaker pipeline on new data, a schedule, drift or monitor violations."""
