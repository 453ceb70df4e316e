"""The knowledge base staff keep in ``knowledge/``: reading and checking the YAML (with file:line problems), the
frozen model, facts and how they render, the glossary and recorded answers, and the store that swaps a new base in
at once on reload."""
