"""Hidden suite for assignment 03: activations, feature-map grids, neuron statistics, filters."""
