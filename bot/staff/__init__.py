"""For NOWCommunities staff: reviewing gaps, the weekly digest, and recorded, undoable edits of the knowledge files."""
