"""The account service's core: rules, use cases and the ports they need. Pure Python, no I/O."""
