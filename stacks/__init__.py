"""The reference platform: thin stacks that compose the constructs_ml library, and its typed config."""
