"""The SMTP vocabulary every stage shares: reply codes, stages, statuses, categories; the Event."""
