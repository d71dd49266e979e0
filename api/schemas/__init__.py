"""Request and response models, separate from the tables."""
