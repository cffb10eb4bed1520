"""kill -9 and outage tests, each on a server of its own."""
