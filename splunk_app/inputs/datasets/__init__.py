"""One module per Awareness Training data set, each declaring its `DATA_SET`."""
