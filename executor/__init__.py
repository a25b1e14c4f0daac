"""The executor: holds a region's long-lived tests and runs each on its own timer."""
