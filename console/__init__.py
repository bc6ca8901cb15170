"""awsconsole: a keyboard-driven terminal console for training PyTorch models on AWS GPU instances."""

__version__ = "0.1.0"
