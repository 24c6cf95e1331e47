"""Hidden suite for assignment 02: image generators and a CNN on cats vs dogs."""
