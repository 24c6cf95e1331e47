"""Hidden suite for assignment 04: embeddings from a CNN and classical classifiers."""
