"""rnnctx_utils: reverse-engineering contextual processing in sentiment RNNs."""
