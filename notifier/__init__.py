"""The notifier: tells the right channels of an incident, once, at the right moment."""
