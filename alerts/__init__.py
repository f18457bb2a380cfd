"""Alert rules, percolator matching, email rendering and exactly-once delivery."""
