"""What the bot keeps on disk, each in its own SQLite file: the anonymous query log, chat preferences and cases,
with the scrubber that keeps identities out of the log."""
