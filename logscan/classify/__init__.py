"""The classifier: a reply becomes a verdict (class, category, provider, blocklist), from the rule
files."""
