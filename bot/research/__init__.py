"""For researchers: reports, case tables, gaps (what the bot could not answer) and question-set evaluation."""
