"""The scheduler: tells each region which long-lived tests of this cell to run."""
