"""Dataset files: importing IDX and CSV uploads into float32 .npy columns, and reading them
back as samples that fit a cluster's bricks. Synchronous; runs in threads, never on the loop."""
