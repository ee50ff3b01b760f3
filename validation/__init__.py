"""Release validation: the requirement -> test -> result pack (PART11 C12)."""
