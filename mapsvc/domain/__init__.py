"""The domain's words, rules and refusals: no I/O, and no import of any other part of the service."""
