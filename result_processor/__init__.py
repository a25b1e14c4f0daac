"""The result processor: stores every result of the cell and keeps each test's state."""
