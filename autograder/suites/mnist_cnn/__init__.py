"""Hidden suite for assignment 01: a CNN on MNIST."""
