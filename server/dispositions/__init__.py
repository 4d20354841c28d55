"""The list of call dispositions a crew chooses from (codes with English and Spanish labels)."""
