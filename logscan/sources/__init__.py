"""Sources yield lines: followed files (through rotation), batch files, the journal; and where they
stopped."""
